import json
import shutil
import subprocess
import sys

from typer.testing import CliRunner

import kg
from cli.main import app

from conftest import SEED, SEEDS

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
    proc = subprocess.run([sys.executable, "-m", "cli", "build", str(SEED), "-o", str(tmp_path / "g.json")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
