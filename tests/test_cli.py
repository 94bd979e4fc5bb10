"""The command line as a user runs it: output, exit codes, and no tracebacks.

The commands run in-process through the entry point (cli_kit); the last tests start the
installed `zuji` and `python -m zuji` to prove that both run it the same way.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cli_kit import ROOT, zuji

CASE = ROOT / "pcr" / "cement" / "cases" / "typical_plant.yaml"


def test_list_shows_the_library() -> None:
    done = zuji("list", "--json")
    assert done.returncode == 0
    ids = {row["id"] for row in json.loads(done.stdout)}
    assert "cement" in ids and "electricity" not in ids


def test_check_clean_library_exits_zero() -> None:
    done = zuji("check", "pcr/")
    assert done.returncode == 0, done.stdout
    assert "0 errors" in done.stdout


def test_check_broken_file_prints_position_and_caret(tmp_path: Path) -> None:
    broken = tmp_path / "broken.pcr"
    text = (ROOT / "pcr" / "cement" / "cement.pcr").read_text(encoding="utf-8")
    broken.write_text(
        text.replace("clinker_used * calcination_factor", "clinker_used + calcination_factor"),
        encoding="utf-8",
    )
    done = zuji("check", str(broken), cwd=tmp_path)
    assert done.returncode == 1
    assert "broken.pcr:" in done.stdout and "error[E305]" in done.stdout and "^" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_check_json_output(tmp_path: Path) -> None:
    broken = tmp_path / "broken.pcr"
    broken.write_text("pcr x {\n  version 1.0\n}\n", encoding="utf-8")
    done = zuji("check", str(broken), "--format", "json", cwd=tmp_path)
    assert done.returncode == 1
    found = json.loads(done.stdout)["diagnostics"]
    assert found[0]["code"] == "E001" and found[0]["line"] == 2


def test_run_table_json_markdown_and_trace() -> None:
    table = zuji("run", "cement", "--inventory", str(CASE))
    assert table.returncode == 0 and "Carbon footprint: 675.82 kg CO2e per t" in table.stdout
    assert "clinker_production" in table.stdout and "Data quality" in table.stdout
    result = json.loads(
        zuji("run", "cement", "-i", str(CASE), "--format", "json", "--trace").stdout
    )
    assert abs(result["total"] - 675.82) < 0.01 and result["trace"]["lines"]
    markdown = zuji("run", "cement", "-i", str(CASE), "--format", "markdown").stdout
    assert markdown.startswith("# Carbon footprint") and "| clinker_production |" in markdown


def test_schema_of_a_pcr() -> None:
    done = zuji("schema", "cement")
    schema = json.loads(done.stdout)
    assert done.returncode == 0
    assert "kiln_electricity" in schema["properties"]["inputs"]["properties"]


def test_test_command_runs_the_cases() -> None:
    done = zuji("test", "cement")
    assert done.returncode == 0 and "cases: 5 passed, 0 failed" in done.stdout


def test_usage_mistakes_exit_two_without_traceback(tmp_path: Path) -> None:
    for args in (
        ("run", "no_such_pcr", "-i", str(CASE)),
        ("run", "cement", "-i", "missing.yaml"),
        ("run", "cement", "-i", str(CASE), "--format", "pdf"),
        ("check", "nowhere/"),
        ("frobnicate",),
    ):
        done = zuji(*args, cwd=tmp_path)
        assert done.returncode == 2, args
        assert "Traceback" not in done.stderr


def test_bad_inventory_exits_one_naming_the_input(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(
        CASE.read_text(encoding="utf-8").replace("kiln_electricity:", "kiln_electricity_typo:", 1),
        encoding="utf-8",
    )
    done = zuji("run", "cement", "-i", str(inventory), cwd=tmp_path)
    assert done.returncode == 1
    assert "kiln_electricity" in done.stderr and "Traceback" not in done.stderr


# ------------------------------------------------------------------------ as separate processes


def _process(*command: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(command), cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.slow
def test_installed_command_exits_zero_with_json_and_one_on_findings(tmp_path: Path) -> None:
    installed = Path(sys.executable).parent / "zuji"
    # make test installs the package into the virtual environment that runs the tests
    assert installed.is_file(), f"no installed zuji command beside {sys.executable}"
    listed = _process(str(installed), "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert "cement" in {row["id"] for row in json.loads(listed.stdout)}
    broken = tmp_path / "broken.pcr"
    broken.write_text("pcr x {\n  version 1.0\n}\n", encoding="utf-8")
    checked = _process(str(installed), "check", str(broken), cwd=tmp_path)
    assert checked.returncode == 1 and "error[E001]" in checked.stdout


@pytest.mark.slow
def test_python_dash_m_zuji_gives_json_and_exits_two_on_a_usage_mistake(tmp_path: Path) -> None:
    ran = _process(
        sys.executable, "-m", "zuji", "run", "cement", "-i", str(CASE), "--format", "json"
    )
    assert ran.returncode == 0, ran.stderr
    assert abs(json.loads(ran.stdout)["total"] - 675.82) < 0.01
    mistake = _process(sys.executable, "-m", "zuji", "run", "no_such_pcr", "-i", str(CASE))
    assert mistake.returncode == 2
    assert "no_such_pcr" in mistake.stderr and "Traceback" not in mistake.stderr
