"""zuji history: the changelog's versions with the committee's record, and the git commits."""

from __future__ import annotations

from pathlib import Path

import pytest
from review_kit import BASE, changed, commit, library, repository
from typer.testing import CliRunner

from zuji.interfaces.cli import app
from zuji.review.history import history

SECOND = changed(
    "    1.0.0 2026-01-01",
    '    1.1.0 2026-06-01 "Coal factor revised" proposed "Widget working group" '
    'reviewed "Expert panel, 2026-05-20" decision "approved" ballot "9 yes"\n'
    "    1.0.0 2026-01-01",
    changed("version 1.0.0", "version 1.1.0", changed("coal * 2.5", "coal * 2.6")),
)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = repository(tmp_path / "repo")
    library(root)
    commit(root, "Widget PCR 1.0.0")
    (root / "pcr" / "widget" / "widget.pcr").write_text(SECOND)
    commit(root, "Widget PCR 1.1.0: coal factor")
    monkeypatch.chdir(root)
    return root


def test_versions_with_committee_record_and_commits(repo: Path) -> None:
    h = history("pcr/widget/widget.pcr")
    assert (h.id, h.version, h.in_git, h.uncommitted) == ("widget", "1.1.0", True, False)
    first, second = h.versions
    assert (first.version, first.date, first.proposed) == (
        "1.0.0",
        "2026-01-01",
        "Widget working group",
    )
    assert (first.reviewed, first.decision) == ("Expert panel, 2025-12-15", "approved")
    assert (second.reviewed, second.decision, second.fields) == (
        "Expert panel, 2026-05-20",
        "approved",
        {"ballot": "9 yes"},
    )
    assert second.current and not first.current
    assert [c.subject for c in first.commits] == ["Widget PCR 1.0.0"]
    assert [c.subject for c in second.commits] == ["Widget PCR 1.1.0: coal factor"]
    assert second.commits[0].author == "Test Committee"


def test_uncommitted_changes_are_flagged(repo: Path) -> None:
    path = repo / "pcr" / "widget" / "widget.pcr"
    path.write_text(path.read_text().replace('"Coal burned"', '"Coal burned, t"'))
    assert history(str(path)).uncommitted


def test_outside_git_the_changelog_still_shows(tmp_path: Path) -> None:
    path = library(tmp_path / "loose", BASE)
    h = history(str(path))
    assert not h.in_git and [v.version for v in h.versions] == ["1.0.0"]
    assert h.versions[0].commits == []


def test_cli_history(repo: Path) -> None:
    done = CliRunner().invoke(app, ["history", "pcr/widget/widget.pcr", "--format", "markdown"])
    assert done.exit_code == 0, done.output
    assert (
        "| 1.1.0 (current) | 2026-06-01 | Coal factor revised | Widget working group | "
        "Expert panel, 2026-05-20 | approved |" in done.stdout
    )
    done = CliRunner().invoke(app, ["history", "pcr/widget/widget.pcr"])
    assert "Widget PCR 1.0.0" in done.stdout
