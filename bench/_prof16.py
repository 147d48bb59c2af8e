import time, sys, resource
from kg import native
from kg.build import _gc_paused
from kg.pubtator import iter_input_files
import gc
base = int([l for l in open('/proc/self/status') if l.startswith('VmRSS')][0].split()[1]) / 1024
print('base MB', base)
co = "co" in sys.argv
fin = "state" not in sys.argv
files = [(str(p), "pubtator") for p in iter_input_files(["/root/.cache/kg-bench/corpora/16x"])]
with _gc_paused():
    t = time.perf_counter(); c = time.process_time()
    b = native.read_files(files, False, co, True, threads=int(__import__("os").environ.get("T", "2")), finish=fin)
    t1 = time.perf_counter()
    G = b.graph()
    t2 = time.perf_counter(); c2 = time.process_time()
print(f"finish={fin} co={co} read {t1-t:.2f} graph {t2-t1:.2f} total {t2-t:.2f} cpu {c2-c:.2f} nodes {G.number_of_nodes()} edges {G.number_of_edges()} pairs {sum(len(d['pmids']) for *_, d in G.edges(data=True))}")
rss = lambda: int([l for l in open("/proc/self/status") if l.startswith("VmRSS")][0].split()[1]) / 1024
import ctypes; ctypes.CDLL("libc.so.6").malloc_trim(0)
print("rss now MB", rss(), "maxrss MB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024)
