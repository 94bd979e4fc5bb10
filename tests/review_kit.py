"""Helpers of the review tests: a small widget library written to a folder, and git repositories
made in tmp_path (never the project's own)."""

from __future__ import annotations

import subprocess
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "diff"
BASE = (FIXTURES / "widget.pcr").read_text(encoding="utf-8")
DATASET = (FIXTURES / "widget_factors.yaml").read_text(encoding="utf-8")
CASE = (FIXTURES / "case_plant.yaml").read_text(encoding="utf-8")


def changed(old: str, new: str, text: str = BASE) -> str:
    """The text with one unique passage replaced: the one place a test changes."""
    assert text.count(old) == 1, f"{old!r} must occur exactly once"
    return text.replace(old, new)


def library(
    root: Path,
    text: str = BASE,
    dataset: str = DATASET,
    cases: dict[str, str] | None = None,
    standards: bool = True,
) -> Path:
    """root/pcr/widget/widget.pcr with its cases, and root/standards beside it (without it,
    Zuji's own datasets apply, as for `zuji check`)."""
    folder = root / "pcr" / "widget"
    (folder / "cases").mkdir(parents=True, exist_ok=True)
    (folder / "widget.pcr").write_text(text, encoding="utf-8")
    for name, body in (cases if cases is not None else {"plant": CASE}).items():
        (folder / "cases" / f"{name}.yaml").write_text(body, encoding="utf-8")
    if not standards:
        return folder / "widget.pcr"
    factors = root / "standards" / "factors"
    factors.mkdir(parents=True, exist_ok=True)
    (factors / "widget_factors.yaml").write_text(dataset, encoding="utf-8")
    return folder / "widget.pcr"


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout


def repository(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "committee@example.org")
    git(root, "config", "user.name", "Test Committee")
    git(root, "config", "commit.gpgsign", "false")
    return root


def commit(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


# The widget rule on Zuji's own datasets: what `zuji check` (which reads the library's) accepts.
ON_LIBRARY = BASE.replace("widget_factors.heat", "cn_heat.purchased_heat")
