"""Read-only access to git: a rule file (and its library and datasets) as they were at a revision.

Only `git rev-parse`, `git show`, `git archive`, `git diff --name-only`, `git ls-files` and `git
log` are run: reviewing a change never writes to the repository. A revision's library is unpacked
into a temporary folder that lives as long as the process, so its modules, cases and datasets are
those of the revision too.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from zuji.core.errors import Diagnostic, UsageError


def git(args: list[str], cwd: Path) -> str:
    """Run git; a failure is the user's (an unknown revision, not a repository): E715."""
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except OSError as exc:
        raise UsageError(Diagnostic("E715", f"git cannot be run: {exc}")) from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(
            Diagnostic(
                "E715",
                f"git {' '.join(args[:2])}: {message[-1] if message else 'failed'}",
                hint="give a revision git knows, e.g. HEAD~1 or a tag, inside a git repository",
            )
        )
    return done.stdout.decode("utf-8", "replace")


def _existing(path: Path) -> Path:
    path = path.resolve()
    while not path.is_dir():
        path = path.parent
    return path


def toplevel(near: Path) -> Path:
    return Path(git(["rev-parse", "--show-toplevel"], _existing(near)).strip())


def commit_of(rev: str, top: Path) -> str:
    if rev.startswith("-"):  # git would read it as one of its options
        raise UsageError(
            Diagnostic(
                "E715",
                f"'{rev}' is not a revision",
                hint="give a revision git knows, e.g. HEAD~1 or a tag",
            )
        )
    return git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], top).strip()


def exists_at(sha: str, relative: Path, top: Path) -> bool:
    done = subprocess.run(
        ["git", "cat-file", "-e", f"{sha}:{relative.as_posix()}"],
        cwd=top,
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


@dataclass(frozen=True)
class Snapshot:
    """Folders of a repository as they were at one commit, unpacked in a temporary folder."""

    top: Path
    rev: str
    sha: str
    root: Path

    def path(self, relative: Path) -> Path:
        return self.root / relative


_KEEP: list[tempfile.TemporaryDirectory[str]] = []


@cache
def snapshot(top: Path, rev: str, folders: tuple[str, ...]) -> Snapshot:
    """The given folders (relative to the repository) at a revision; cached per process."""
    sha = commit_of(rev, top)
    holder = tempfile.TemporaryDirectory(prefix="zuji-rev-")
    _KEEP.append(holder)
    root = Path(holder.name)
    present = [f for f in folders if f in ("", ".") or exists_at(sha, Path(f), top)]
    if present:
        spec = [] if any(f in ("", ".") for f in present) else ["--", *present]
        data = subprocess.run(
            ["git", "archive", "--format=tar", sha, *spec],
            cwd=top,
            capture_output=True,
            check=False,
        )
        if data.returncode != 0:
            raise UsageError(
                Diagnostic(
                    "E715", f"git archive {rev}: " + data.stderr.decode("utf-8", "replace").strip()
                )
            )
        with tarfile.open(fileobj=io.BytesIO(data.stdout)) as archive:
            archive.extractall(root, filter="data")
    return Snapshot(top, rev, sha, root)


def changed_files(rev: str, top: Path) -> list[Path]:
    """Files that differ between a revision and the working tree, untracked ones included."""
    sha = commit_of(rev, top)
    tracked = git(["diff", "--name-only", "--no-renames", sha, "--"], top).splitlines()
    untracked = git(["ls-files", "--others", "--exclude-standard"], top).splitlines()
    return [Path(p) for p in dict.fromkeys(tracked + untracked) if p]


def is_dirty(relative: Path, top: Path) -> bool:
    tracked = git(["status", "--porcelain", "--", relative.as_posix()], top)
    return bool(tracked.strip())
