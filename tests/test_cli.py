import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import zlib

import pytest
import typer
from typer.testing import CliRunner

import kg
from kg.cli.main import Engine, ExportFormat, app
from kg.io import FORMATS

from conftest import ROOT, SEED, SEEDS

runner = CliRunner()


def test_installed_kg_builds_the_seeds(tmp_path):
    exe = shutil.which("kg")
    assert exe, "the kg console script is not installed (pip install -e .)"
    out = tmp_path / "g.json"
    proc = subprocess.run([exe, "build", str(SEEDS), "-o", str(out), "--report", str(tmp_path / "r.json")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "documents" in proc.stdout and str(out) in proc.stdout
    G = kg.read_graph(out)
    assert G.nodes["MESH:D008180"]["name"].lower() == "systemic lupus erythematosus"
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["reconciles"] is True and report["documents"] >= 1


def test_build_then_info_and_export(tmp_path):
    out = tmp_path / "g.json"
    res = runner.invoke(app, ["build", str(SEED), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "Disease" in res.output and "Association" in res.output
    res = runner.invoke(app, ["info", str(out)])
    assert res.exit_code == 0 and "MESH:D008180" in res.output and "Systemic lupus erythematosus" in res.output
    for fmt in ("graphml", "node-link", "kgx", "neo4j-csv"):
        res = runner.invoke(app, ["export", str(out), "--format", fmt, "-o", str(tmp_path / fmt)])
        assert res.exit_code == 0, res.output
        assert (tmp_path / fmt).exists()


def test_info_ranks_as_the_analysis_functions_do(tmp_path):
    """`kg info`'s top lists are kg.analysis.top's (degree = distinct related entities,
    not the MultiDiGraph's edge count, which counts two relation types twice)."""
    out = tmp_path / "g.json"
    assert runner.invoke(app, ["build", str(SEEDS), "-o", str(out)]).exit_code == 0
    G = kg.read_graph(out)
    res = runner.invoke(app, ["info", str(out), "--top", "5"])
    assert res.exit_code == 0, res.output
    degree_part = res.output.split("by degree")[1]
    for r in kg.analysis.top(G, by="degree", n=5):
        assert f"{r.score:>7,}  {r.id}" in degree_part


def test_strict_names_file_and_line_and_exits_1(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("1|t|T\n1\t9\t2\tx\tGene\t1\n")
    res = runner.invoke(app, ["build", str(bad), "--strict", "-o", str(tmp_path / "g.json")])
    assert res.exit_code == 1
    assert f"{bad}:2:" in res.output and "before start" in res.output
    assert not (tmp_path / "g.json").exists()
    res = runner.invoke(app, ["build", str(bad), "-o", str(tmp_path / "g.json"), "--report", str(tmp_path / "r.json")])
    assert res.exit_code == 0 and "rejected lines: 1" in res.output
    rejected = json.loads((tmp_path / "r.json").read_text())["rejected"]
    assert rejected[0]["line"] == 2 and rejected[0]["path"] == str(bad)


def test_errors_are_one_line_and_exit_codes(tmp_path):
    res = runner.invoke(app, ["build", str(tmp_path / "missing")])
    assert res.exit_code == 1 and "no such file" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["build", str(tmp_path), "-o", str(tmp_path / "g.json")])
    assert res.exit_code == 1 and "no files found" in res.output
    res = runner.invoke(app, ["export", str(SEED), "--format", "xlsx", "-o", str(tmp_path / "x")])
    assert res.exit_code == 2
    res = runner.invoke(app, ["info", str(SEED)])  # a PubTator file is not a graph file
    assert res.exit_code == 1 and "not a kg graph" in res.output
    res = runner.invoke(app, ["build"])
    assert res.exit_code == 2


def test_python_dash_m_cli_works(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "kg", "build", str(SEED), "-o", str(tmp_path / "g.json")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr


# -- issue 15: the CLI's rough edges ---------------------------------------------------

#: The commands this module tests in depth (fetch, names and vocab have their own tests).
CORE = ("build", "export", "info", "load", "view", "plot")


def commands(group=None, prefix=()):
    """Every command of the app as (words, click command), sub-commands included."""
    group = group or typer.main.get_command(app)
    for name, cmd in group.commands.items():
        if hasattr(cmd, "commands"):  # a group (typer vendors its own click: no isinstance)
            yield from commands(cmd, prefix + (name,))
        else:
            yield prefix + (name,), cmd


def one_line_error(res, code):
    assert res.exit_code == code, res.output
    assert "Traceback" not in res.output and len(res.output.strip().splitlines()) <= 4, res.output


@pytest.fixture(scope="module")
def graph_file(tmp_path_factory):
    out = tmp_path_factory.mktemp("g") / "g.json"
    assert runner.invoke(app, ["build", str(SEEDS), "-o", str(out)]).exit_code == 0
    return out


def test_output_that_is_a_folder_or_a_file_is_a_usage_error(graph_file, tmp_path):
    res = runner.invoke(app, ["export", str(graph_file), "-f", "kgx", "-o", str(graph_file)])
    one_line_error(res, 2)
    assert f"{graph_file} is a file; this format writes a folder" in res.output
    for args in (["export", str(graph_file), "-f", "graphml", "-o", str(tmp_path)],
                 ["build", str(SEED), "-o", str(tmp_path)],
                 ["build", str(SEED), "-o", str(tmp_path / "g.json"), "--report", str(tmp_path)],
                 ["view", str(graph_file), "-o", str(tmp_path)],
                 ["plot", str(graph_file), "-o", str(tmp_path)]):
        res = runner.invoke(app, args)
        one_line_error(res, 2)
        assert f"{tmp_path} is a folder; give a file name" in res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing written, no build done


def test_output_the_system_refuses_is_one_line_exit_1(graph_file, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for args, path in ((["build", str(SEED), "-o", "/proc/nope/graph.json"], "/proc/nope/graph.json"),
                       (["build", str(SEED), "-o", str(tmp_path / "g.json"), "--report", str(blocker / "r.json")],
                        str(blocker / "r.json")),
                       (["export", str(graph_file), "-f", "neo4j-csv", "-o", str(blocker / "csv")], str(blocker / "csv")),
                       (["view", str(graph_file), "-o", str(blocker / "v.html")], str(blocker / "v.html"))):
        res = runner.invoke(app, args)
        one_line_error(res, 1)
        assert f"kg: error: cannot write {path}: " in res.output


def test_info_says_what_the_path_is(tmp_path):
    res = runner.invoke(app, ["info", str(tmp_path)])
    one_line_error(res, 1)
    assert f"{tmp_path}: a folder, not a graph file" in res.output
    res = runner.invoke(app, ["info", str(tmp_path / "none.json")])
    assert res.exit_code == 1 and "no such graph file" in res.output


def _dummy_args(cmd, skip):
    """Values for a command's required parameters (the checks under test run before any work)."""
    args = []
    for p in cmd.params:
        if p.required and p.name != skip:
            args += ([p.opts[0]] if _is_option(p) else []) + ["x"]
    return args


def _is_option(p):
    return p.param_type_name == "option"


NUMERIC = [(words, p.opts[-1]) for words, cmd in commands() if words[0] in CORE for p in cmd.params
           if _is_option(p) and p.bare_type() in ("int", "float")]


def test_numeric_options_are_found():
    assert {("info", "--top"), ("load", "--batch-size"), ("build", "--workers"), ("view", "--max-nodes"),
            ("plot", "--top")} <= {(w[0], o) for w, o in NUMERIC}


@pytest.mark.parametrize(("words", "option"), NUMERIC, ids=[" ".join(w) + " " + o for w, o in NUMERIC])
def test_every_numeric_option_rejects_out_of_range(words, option):
    cmd = dict(commands())[words]
    param = next(p for p in cmd.params if option in p.opts)
    res = runner.invoke(app, [*words, *_dummy_args(cmd, param.name), option, "-3"])
    assert res.exit_code == 2, res.output
    assert option in res.output and "Traceback" not in res.output


@pytest.mark.parametrize("uri", ["notauri", "http://127.0.0.1:7474", "bolt://", "bolt://host:port", "neo4j+x://h"])
def test_a_uri_that_is_no_neo4j_uri_is_a_usage_error(graph_file, tmp_path, uri):
    res = runner.invoke(app, ["load", str(graph_file), "--uri", uri])
    one_line_error(res, 2)
    assert "is not a Neo4j URI" in res.output
    res = runner.invoke(app, ["build", str(SEED), "-o", str(tmp_path / "g.json"), "--neo4j", uri])
    assert res.exit_code == 2 and not (tmp_path / "g.json").exists()  # checked before the build


def _blocks(text):
    return [b for b in text.split("\n\n") if b.strip()]


def test_truncated_gzip_keeps_the_documents_before_the_cut_and_is_named_broken(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.pubtator").write_text((SEEDS / "biored_sample.pubtator").read_text())
    whole = gzip.compress((SEEDS / "bc5cdr_sample.pubtator").read_bytes())
    cut = whole[: len(whole) * 2 // 3]
    (corpus / "b.pubtator.gz").write_bytes(cut)
    (corpus / "README").write_text("not a corpus file\n")
    readable = zlib.decompressobj(wbits=31).decompress(cut).decode()
    complete = [b for b in _blocks(readable)[:-1]]  # the last block may be cut
    assert len(complete) >= 2
    res = runner.invoke(app, ["build", str(corpus), "-o", str(tmp_path / "g.json")])
    assert res.exit_code == 0, res.output
    out = res.output
    heading = re.search(r"^broken files \(1; the documents before the break are kept\):\n  (.+)$", out, re.M)
    assert heading and heading.group(1).startswith(f"{corpus / 'b.pubtator.gz'}: cannot read further"), out
    assert "skipped files (no format kg reads): 1" in out
    assert "examples of rejected lines" not in out  # the break is not shown as a bad line
    G = kg.read_graph(tmp_path / "g.json")
    kept = {b.split("|", 1)[0] for b in complete}
    assert kept <= set(G.graph["articles"])
    plain = kg.build(SEEDS / "biored_sample.pubtator").graph
    assert set(plain.graph["articles"]) < set(G.graph["articles"])  # the other file's documents too


def test_rejected_line_examples_under_their_own_heading(tmp_path):
    bad = tmp_path / "bad.pubtator"
    bad.write_text("1|t|T\n" + "".join(f"1\t9\t{i}\tx\tGene\t1\n" for i in range(7)))
    res = runner.invoke(app, ["build", str(bad), "-o", str(tmp_path / "g.json")])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    i = lines.index("examples of rejected lines (5 of 7; see --report FILE for every one):")
    assert all(line.startswith(f"  {bad}:") for line in lines[i + 1 : i + 6]) and not lines[i + 6].startswith("  ")
    assert "rejected lines: 7" in lines
    res = runner.invoke(app, ["build", str(bad), "-o", str(tmp_path / "g.json"), "--report", str(tmp_path / "r.json")])
    assert f"examples of rejected lines (5 of 7; all in {tmp_path / 'r.json'}):" in res.output


def test_help_version_and_dash_h():
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and res.output.strip() == f"kg {kg.__version__}"
    assert runner.invoke(app, ["-h"]).output == runner.invoke(app, ["--help"]).output
    assert "Commands:" in runner.invoke(app, ["-h"]).output
    build_help = runner.invoke(app, ["build", "-h"], terminal_width=200).output
    assert f"--engine <{'|'.join(e.value for e in Engine)}>" in build_help
    assert "--format <node-link|graphml|kgx|neo4j-csv>" in runner.invoke(app, ["export", "-h"], terminal_width=200).output
    assert re.search(r"^  --strict +Stop", build_help, re.M)  # a flag: no value placeholder
    assert re.search(r"--workers <int range> .*\[default: \(one per core\); x>=1\]", build_help)


@pytest.mark.parametrize("words", [w for w, _ in commands()], ids=" ".join)
def test_every_option_has_help_and_flags_no_placeholder(words):
    cmd = dict(commands())[words]
    for p in cmd.params:
        assert p.help, f"kg {' '.join(words)} {p.opts[0]} has no help text"
        if _is_option(p) and p.is_flag:
            out = runner.invoke(app, [*words, "-h"], terminal_width=200).output
            assert re.search(rf"^  {re.escape(', '.join(p.opts))}(  |$)", out, re.M), (p.opts, out)
        elif _is_option(p) and p.default is not None and words[0] in CORE and not p.required:
            assert p.show_default, f"kg {' '.join(words)} {p.opts[0]}: default not shown"


def test_choices_are_the_library_values():
    assert [f.value for f in ExportFormat] == list(FORMATS)
    assert {"auto", "native", "python"} <= {e.value for e in Engine}
    res = runner.invoke(app, ["build", str(SEED), "--engine", "rust"])
    assert res.exit_code == 2 and "'rust' is not one of 'auto', 'native', 'python'" in res.output


def test_plot_without_matplotlib_names_the_extra(graph_file, tmp_path):
    code = ("import sys; sys.modules['matplotlib'] = None; sys.argv = ['kg', 'plot', sys.argv[1], '-o', sys.argv[2]]; "
            "from kg.cli.main import main; main()")
    proc = subprocess.run([sys.executable, "-c", code, str(graph_file), str(tmp_path / "s.png")],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "NO_COLOR": "1"})
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip() == "kg: error: kg plot needs matplotlib, which is not installed: pip install 'pubtator-kg[analysis]'"
    assert not (tmp_path / "s.png").exists()
    readme = (ROOT / "README.md").read_text()
    assert "kg[analysis]" in readme[readme.index("## Analysis in Python, and pictures"):]


def test_view_hides_entities_without_relations_unless_asked(graph_file, tmp_path):
    G = kg.read_graph(graph_file)
    related = sum(1 for n in G if G.degree(n))
    assert 0 < related < G.number_of_nodes()
    res = runner.invoke(app, ["view", str(graph_file), "-o", str(tmp_path / "v.html")])
    assert res.exit_code == 0 and f"drew {related:,} entities and" in res.output and "--isolated draws them" in res.output
    page = (tmp_path / "v.html").read_text(encoding="utf-8")
    assert f"{G.number_of_nodes() - related} entities without any relation are not drawn" in page
    res = runner.invoke(app, ["view", str(graph_file), "--isolated", "-o", str(tmp_path / "v.html")])
    assert res.exit_code == 0 and f"drew {G.number_of_nodes():,} entities and" in res.output


# -- the README ------------------------------------------------------------------------

def _readme_section(title):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end]


def test_readme_usage_lists_every_command_and_option():
    usage = _readme_section("Usage")
    for words, cmd in commands():
        assert f"kg {' '.join(words)}" in usage, f"README Usage lacks `kg {' '.join(words)}`"
        for p in cmd.params:
            if _is_option(p):
                assert any(re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", usage) for o in p.opts), \
                    f"README Usage lacks kg {' '.join(words)} {p.opts}"


def test_readme_examples_leave_no_untracked_files():
    """Every file the README's commands write, in the repository, is git-ignored."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", readme, re.S)
    written = set()
    for line in (ln.split("#")[0] for b in blocks for ln in b.splitlines()):
        words = line.split()
        if len(words) < 2 or words[0] != "kg":
            continue
        for flag in ("-o", "--output", "--report"):
            if flag in words:
                written.add(words[words.index(flag) + 1])
        if not {"-o", "--output"} & set(words):
            written.add({"build": "graph.json", "view": "view.html", "plot": "summary.png",
                         "names": "graph.json"}.get(words[1], ""))
    written = sorted(w for w in written if w and not w.startswith(("/", "$", "<")))
    assert {"graph.json", "view.html", "sle.html", "summary.png"} <= set(written)
    proc = subprocess.run(["git", "check-ignore", "--no-index", *written], cwd=ROOT, capture_output=True, text=True)
    ignored = set(proc.stdout.split())
    assert ignored == set(written), f"not git-ignored: {sorted(set(written) - ignored)}"


@pytest.mark.parametrize("case, said", [
    ("05_xrefs", r"1 between an entity and itself \(no loop made\)"),
    ("06_not_of_type", r"5 without an identifier, of which 4 with an id not of their type"),
    ("08_smaller", r"pieces of composite ids without an identifier .*: 1\n"),
    ("08_smaller", r"differ from the text at their offsets \(not made synonyms\): 1\n"),
])
def test_summary_names_what_the_report_counts(case, said, tmp_path):
    """The build summary says what the report counts beside the rejected lines (the
    figures of the golden files' hand-written reports)."""
    src = ROOT / "tests" / "golden" / f"{case}.pubtator"
    result = runner.invoke(app, ["build", str(src), "-o", str(tmp_path / "g.json")])
    assert result.exit_code == 0, result.output
    assert re.search(said, result.output), result.output


def test_summary_is_quiet_about_what_did_not_happen(tmp_path):
    result = runner.invoke(app, ["build", str(SEED), "-o", str(tmp_path / "g.json")])
    assert result.exit_code == 0, result.output
    for quiet in ("itself", "not of their type", "pieces of composite", "differ from the text", "more than one type"):
        assert quiet not in result.output
