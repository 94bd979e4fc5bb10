"""`zuji check` keeps its report (interfaces/check_report.py): a library checked again with
nothing changed gets the kept report; any change to a rule, a case or a setting is checked
afresh; --no-cache, --base and ZUJI_CACHE=off never read one."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cli_kit import ROOT, zuji

from zuji.interfaces import check_report

MARK = "this is the kept report\n"
_GIT = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Committee",
    "GIT_AUTHOR_EMAIL": "committee@example.org",
    "GIT_COMMITTER_NAME": "Committee",
    "GIT_COMMITTER_EMAIL": "committee@example.org",
}


@pytest.fixture
def library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A committee library holding the bundled cement PCR and its cases; a cache of its own."""
    folder = tmp_path / "library"
    shutil.copytree(ROOT / "pcr" / "cement", folder / "pcr" / "cement")
    (folder / "zuji.toml").write_text('[library]\nname = "kept reports"\n', encoding="utf-8")
    monkeypatch.setenv("ZUJI_CACHE", str(tmp_path / "cache"))
    return folder


def _kept_reports(library: Path) -> list[Path]:
    return list((library.parent / "cache" / check_report.KIND).glob("*.pickle"))


def test_an_unchanged_library_gets_the_kept_report(library: Path) -> None:
    rules = library / "pcr"
    first = zuji("check", str(rules))
    assert first.returncode == 0 and "checked 1 rule files: 0 errors" in first.stdout
    assert len(_kept_reports(library)) == 1
    assert zuji("check", str(rules)).stdout == first.stdout
    # The report is read, not made again: one put in its place is what the check prints.
    key = check_report.report_key([rules], "text", False)
    assert key is not None
    check_report.keep(key, check_report.Report(MARK, 0))
    assert zuji("check", str(rules)).stdout == MARK
    # --no-cache checks afresh, and keeps the new report.
    assert zuji("check", str(rules), "--no-cache").stdout == first.stdout
    assert zuji("check", str(rules)).stdout == first.stdout


def test_a_changed_case_is_checked_afresh(library: Path) -> None:
    rules = library / "pcr"
    assert zuji("check", str(rules)).returncode == 0
    case = rules / "cement" / "cases" / "efficient_plant.yaml"
    text = case.read_text(encoding="utf-8")
    assert "    cao: {value: 64," in text
    case.write_text(text.replace("    cao: {value: 64,", "    cao: {value: -64,"), encoding="utf-8")
    changed = zuji("check", str(rules))
    assert changed.returncode == 1
    assert "efficient_plant" in changed.stdout and "do not fit" in changed.stdout
    case.write_text(text, encoding="utf-8")  # put back: the first report again
    assert zuji("check", str(rules)).returncode == 0


def test_settings_and_format_are_part_of_the_key(
    library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = library / "pcr"
    monkeypatch.setenv("ZUJI_LANG", "en")
    english = zuji("check", str(rules))
    as_json = zuji("check", str(rules), "--format", "json")
    assert english.stdout.startswith("checked 1 rule files")
    assert as_json.stdout.startswith("{") and '"files": 1' in as_json.stdout
    monkeypatch.setenv("ZUJI_LANG", "zh")
    chinese = zuji("check", str(rules))
    assert chinese.stdout != english.stdout and "检查" in chinese.stdout
    assert len(_kept_reports(library)) == 3


def test_nothing_is_kept_with_the_cache_off_or_against_a_git_revision(
    library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = library / "pcr"
    monkeypatch.setenv("ZUJI_CACHE", "off")
    assert zuji("check", str(rules)).returncode == 0
    assert not (library.parent / "cache").exists()
    monkeypatch.setenv("ZUJI_CACHE", str(library.parent / "cache"))
    # Against a git revision the report reads git's history, which the key does not cover.
    for command in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "the library"]):
        subprocess.run(["git", *command], cwd=library, check=True, env=_GIT)
    against = zuji("check", str(rules), "--base", "HEAD")
    assert against.returncode == 0 and "checked 1 rule files" in against.stdout
    assert _kept_reports(library) == []
