"""``scripts/neo4j``, the local Neo4j server script: shellcheck, the command line Neo4j's own
launcher builds from the rendered conf, and start / status / stop / import on a home of its own.

The script starts the server and runs neo4j-admin through Neo4j's launchers
(``org.neo4j.server.startup.Neo4jCommand`` / ``Neo4jAdminCommand``, what the tarball's
``bin/neo4j`` and ``bin/neo4j-admin`` run), which take the JVM flags, the heap and the entry
point from ``<home>/conf/neo4j.conf``. No Neo4j jar carries the stock conf's
``server.jvm.additional`` lines, so ``scripts/neo4j.conf.template`` holds them; ``STOCK_FLAGS``
below is the hand-checked oracle (docs/neo4j-server.md).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest

from neo4j_support import NEO4J_AUTH, REPO, Neo4jInstance, require_server

SCRIPT = REPO / "scripts" / "neo4j"

# The server.jvm.additional lines of the stock conf/neo4j.conf of the Neo4j 5.26 tarball, in
# its order, less -XX:+AlwaysPreTouch (commits the whole heap up front), plus ours.
STOCK_FLAGS = [
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Djdk.tls.ephemeralDHKeySize=2048",
    "-Djdk.tls.rejectClientInitiatedRenegotiation=true",
    "-XX:FlightRecorderOptions=stackdepth=256",
    "-XX:+UnlockDiagnosticVMOptions",
    "-XX:+DebugNonSafepoints",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
    "-Dlog4j2.disable.jmx=true",
    "-Dlog4j.layout.jsonTemplate.maxStringLength=32768",
]
OURS = ["-XX:+ExitOnOutOfMemoryError"]

BOLT = int(os.environ.get("KG_TEST_SCRIPT_BOLT_PORT", "17691"))
HTTP = int(os.environ.get("KG_TEST_SCRIPT_HTTP_PORT", "17478"))


@pytest.mark.parametrize("script", ["scripts/neo4j", "scripts/spark", "scripts/test", "scripts/install-test-deps",
                                    ".ci/run"])
def test_shellcheck_is_clean(script):
    if shutil.which("shellcheck") is None:
        if os.environ.get("CI") or os.environ.get("KG_REQUIRE_NEO4J") == "1":  # scripts/test: installed by install-test-deps
            pytest.fail("shellcheck is not installed (Debian: apt-get install shellcheck)", pytrace=False)
        pytest.skip("shellcheck is not installed (Debian: apt-get install shellcheck)")
    proc = subprocess.run(["shellcheck", str(REPO / script)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def home_with_jars(home: Path) -> Path:
    """A fresh home whose lib/ links the jars of an installed server (no second download);
    without one the script assembles them itself."""
    home.mkdir(parents=True)
    test_home = Path(os.environ.get("KG_TEST_NEO4J_HOME") or REPO / ".neo4j-test")
    for lib in (REPO / ".neo4j" / "lib", test_home / "lib"):
        if (lib / ".kg-install-stamp").exists():
            (home / "lib").symlink_to(lib.resolve(), target_is_directory=True)
            break
    return home


def script(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=600,
        env={**os.environ, "KG_NEO4J_HOME": str(home), "KG_NEO4J_BOLT_PORT": str(BOLT),
             "KG_NEO4J_HTTP_PORT": str(HTTP), "NEO4J_PASSWORD": NEO4J_AUTH[1], **env})


def launcher_command(home: Path, **env: str) -> list[str]:
    """The server's command line as Neo4j's launcher computes it (``scripts/neo4j command``)."""
    if shutil.which("mvn") is None and not (home / "lib").exists():
        require_server("no installed Neo4j jars and no mvn to assemble them")
    proc = script(home, "command", **env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return shlex.split(proc.stdout.strip().splitlines()[-1])


def test_the_launcher_gives_the_server_the_templates_flags_heap_and_entry_point(tmp_path):
    """The stock flags, then KG_NEO4J_JAVA_OPTS, then what the launcher adds itself (encoding,
    heap from KG_NEO4J_HEAP, entry point, home); JAVA_OPTS / HEAP_SIZE in the caller's
    environment, which would replace them, are ignored."""
    home = home_with_jars(tmp_path / "home")
    cmd = launcher_command(home, KG_NEO4J_HEAP="768m", KG_NEO4J_JAVA_OPTS="-Dkg.test.a=1  -Dkg.test.b=two",
                           JAVA_OPTS="-Xmx64m", HEAP_SIZE="99m")
    assert cmd[0].endswith("/java")
    assert cmd[1:] == [
        "-cp", f"{home}/conf/*:{home}/lib/*",
        *STOCK_FLAGS, *OURS, "-Dkg.test.a=1", "-Dkg.test.b=two",
        "-Dfile.encoding=UTF-8", "-Xms786432k", "-Xmx786432k",  # 768 MiB in KiB
        "org.neo4j.server.CommunityEntryPoint", f"--home-dir={home}", f"--config-dir={home}/conf",
        "--console-mode",  # added by `console`; `start` runs the same line without it
    ]
    conf = (home / "conf" / "neo4j.conf").read_text()
    assert "server.default_listen_address=127.0.0.1" in conf.splitlines()


def test_the_jars_add_no_jvm_flags_of_their_own(tmp_path):
    """With an empty neo4j.conf the launcher adds only -Dfile.encoding: the stock flags
    come from the tarball's conf, which no jar carries, so the template must hold them
    (when a Neo4j upgrade makes this fail, drop the template's copy)."""
    home = home_with_jars(tmp_path / "home")
    java = launcher_command(home)[0]  # installs the jars if needed; the launcher's java
    (tmp_path / "bare").mkdir()
    (tmp_path / "bare" / "neo4j.conf").write_text("")
    env = {k: v for k, v in os.environ.items() if k not in ("JAVA_OPTS", "HEAP_SIZE")}
    proc = subprocess.run(
        [java, "-Xmx128m", "-cp", f"{home}/lib/*", "org.neo4j.server.startup.Neo4jCommand", "console", "--dry-run"],
        capture_output=True, text=True, timeout=300,
        env={**env, "NEO4J_HOME": str(home), "NEO4J_CONF": str(tmp_path / "bare")})
    assert proc.returncode == 0, proc.stderr[-3000:]
    cmd = shlex.split(proc.stdout.strip().splitlines()[-1])
    assert cmd[3:] == ["-Dfile.encoding=UTF-8", "org.neo4j.server.CommunityEntryPoint", f"--home-dir={home}",
                       f"--config-dir={tmp_path / 'bare'}", "--console-mode"]


def listeners(port: int) -> list[str]:
    proc = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True, timeout=30)
    return [line.split()[3] for line in proc.stdout.splitlines() if line.strip()]


@pytest.mark.slow  # starts and stops a server of its own
@pytest.mark.neo4j
def test_start_status_stop_on_a_fresh_home(tmp_path):
    """A fresh home: the password is set before the first start, the server runs exactly the
    launcher's command line, on 127.0.0.1 only, serves the Browser, and stops by its pid."""
    server = Neo4jInstance(home_with_jars(tmp_path / "home"), BOLT, HTTP, mark=False)
    proc = server.run("command", timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    expected = shlex.split(proc.stdout.strip().splitlines()[-1])
    with server:
        pid = server.pid()
        running = (Path("/proc") / str(pid) / "cmdline").read_bytes().decode().split("\0")[:-1]
        assert running[1:] == expected[1:-1]  # the same java, flags, heap and entry point
        status = server.run("status")
        assert status.returncode == 0 and re.search(rf"pid\s+{pid}\b", status.stdout), status.stdout
        with server.driver() as driver:
            assert driver.execute_query("RETURN 1 AS one").records[0]["one"] == 1
        from neo4j import GraphDatabase
        from neo4j.exceptions import AuthError
        with pytest.raises(AuthError), GraphDatabase.driver(server.uri, auth=("neo4j", "not-the-password")) as bad:
            bad.verify_connectivity()
        with urllib.request.urlopen(f"http://127.0.0.1:{HTTP}/browser/", timeout=30) as page:
            assert page.status == 200 and b"<title>Neo4j Browser</title>" in page.read()
        if shutil.which("ss"):
            assert set(listeners(BOLT)) | set(listeners(HTTP)) <= {f"127.0.0.1:{BOLT}", f"127.0.0.1:{HTTP}",
                                                                   f"[::ffff:127.0.0.1]:{BOLT}",
                                                                   f"[::ffff:127.0.0.1]:{HTTP}"}
            assert listeners(BOLT) and listeners(HTTP)
        stop = server.run("stop")
        assert stop.returncode == 0, stop.stderr
        assert server.run("status").returncode == 3
        assert not Path(f"/proc/{pid}").exists()


@pytest.mark.slow  # two offline imports (four JVMs)
def test_import_jvm_gets_the_conf_flags_and_the_jit_choice(tmp_path):
    """`scripts/neo4j import` on a fresh home, server not started: the forked neo4j-admin JVM
    gets the conf's flags, plus C1-only JIT when asked; both import the same rows."""
    home = home_with_jars(tmp_path / "home")
    csv = tmp_path / "csv"
    csv.mkdir()
    (csv / "nodes.csv").write_text("id:ID,name,:LABEL\na,A,Entity\nb,B,Entity\nc,C,Entity\n")
    (csv / "rels.csv").write_text(":START_ID,:END_ID,:TYPE,pmids:string[]\na,b,R,1\x1f2\nb,c,R,3\n")
    if shutil.which("mvn") is None and not (home / "lib").exists():
        require_server("no installed Neo4j jars and no mvn to assemble them")
    for jit, flag in (("c1", True), ("full", False)):
        proc = script(home, "import", str(csv), "--verbose", KG_NEO4J_IMPORT_JIT=jit, KG_NEO4J_IMPORT_NO_START="1",
                      KG_NEO4J_IMPORT_HEAP="256m")
        assert proc.returncode == 0, proc.stderr[-3000:]
        line = next(x for x in proc.stdout.splitlines() + proc.stderr.splitlines()
                    if x.startswith("Executing command line:"))
        args = line.split()[3:]
        assert args[args.index("-cp") + 2:][:len(STOCK_FLAGS) + len(OURS)] == STOCK_FLAGS + OURS
        assert ("-XX:TieredStopAtLevel=1" in args) is flag
        assert "-Xmx256m" in args and "org.neo4j.cli.AdminTool" in args
        assert re.search(r"Imported:\s+3 nodes\s+2 relationships", proc.stderr), proc.stderr[-2000:]


@pytest.mark.slow  # two offline imports and a start
def test_import_sizes_its_read_buffer_to_the_longest_line(tmp_path):
    """A hub entity's ``pmids`` array makes a CSV line longer than neo4j-admin's default
    4 MiB read buffer (from ~2% of PubTator3 on). Without --read-buffer-size the script
    sizes it to the longest line and the array arrives whole; with one too small the
    import fails with neo4j-admin's own cause in the error, not a bare "Critical error"."""
    server = Neo4jInstance(home_with_jars(tmp_path / "home"), BOLT, HTTP, mark=False)
    csv = tmp_path / "csv"
    csv.mkdir()
    hub = "hub,Entity," + "\x1f".join(str(10_000_000 + i) for i in range(600_000))  # 5.4 MB
    (csv / "nodes.csv").write_text(f"id:ID,:LABEL,pmids:string[]\n{hub}\nleaf,Entity,1\n")
    (csv / "rels.csv").write_text(":START_ID,:END_ID,:TYPE\nhub,leaf,R\n")
    if shutil.which("mvn") is None and not (server.home / "lib").exists():
        require_server("no installed Neo4j jars and no mvn to assemble them")
    small = script(server.home, "import", str(csv), "--read-buffer-size=1m", KG_NEO4J_IMPORT_NO_START="1",
                   KG_NEO4J_IMPORT_HEAP="512m")
    assert small.returncode != 0
    error = small.stderr.strip().splitlines()[-1]
    assert "no newline character in the whole buffer 1048576" in error and "--read-buffer-size" in error, error
    assert "\tat org.neo4j" not in small.stderr  # stack frames go to the log only
    with server:
        proc = server.run("import", str(csv), timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert f"--read-buffer-size={2 * len(hub) // 2**20 + 1}m" in proc.stderr  # twice the line, in MiB
        with server.driver() as driver:
            records = driver.execute_query("MATCH (n:Entity) RETURN n.id AS id, n.pmids AS pmids ORDER BY id").records
        assert [(r["id"], len(r["pmids"])) for r in records] == [("hub", 600_000), ("leaf", 1)]
        assert records[0]["pmids"][-1] == str(10_000_000 + 599_999)
