"""The versions of a PCR: its changelog with each committee decision, and the git commits behind it.

Each changelog entry gives a version, its date and a summary, with free fields; the committee's
record uses `proposed`, `reviewed` and `decision` (docs/language.md, section 14). Where the file
is in a git repository, every commit that touched it is listed under the version the file
declared at that commit (read with `git show`, never written).
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from zuji.core import library as lib
from zuji.core.errors import Diagnostic, RuleError, UsageError, file_label
from zuji.lang.build import load_file
from zuji.review.gitrev import git, is_dirty, toplevel

_VERSION = re.compile(r"^\s*version\s+(\d+\.\d+\.\d+)", re.MULTILINE)
_RECORD, _FIELD = "\x1e", "\x1f"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Commit(_Model):
    sha: str
    date: str
    author: str
    subject: str
    version: str | None  # the version the file declared at this commit


class VersionEntry(_Model):
    version: str
    date: str
    summary: str
    proposed: str | None = None
    reviewed: str | None = None
    decision: str | None = None
    fields: dict[str, str] = {}
    current: bool = False
    commits: list[Commit] = []


class History(_Model):
    id: str
    path: str
    version: str
    status: str
    versions: list[VersionEntry]
    in_git: bool
    uncommitted: bool = False
    other_commits: list[Commit] = []  # commits whose version has no changelog entry


def history(name: str) -> History:
    """The versions of a PCR (by id or path), oldest first, with the commits of each; rendered
    by zuji.interfaces.history_report."""
    path = lib.find_pcr(name)
    if path is None:
        raise UsageError(Diagnostic("E002", f"{name}: no such rule file or PCR"))
    try:
        rule, _ = load_file(path)
    except RuleError as exc:
        raise UsageError(exc.diagnostics) from None
    commits, in_git, dirty = _commits(path)
    entries = []
    claimed: set[str] = set()
    for entry in sorted(rule.changelog, key=lambda e: _order(e.version)):  # oldest first
        fields = dict(entry.fields)
        mine = [c for c in commits if c.version == entry.version]
        claimed |= {c.sha for c in mine}
        entries.append(
            VersionEntry(
                version=entry.version,
                date=entry.date.isoformat(),
                summary=entry.summary,
                proposed=fields.pop("proposed", None),
                reviewed=fields.pop("reviewed", None),
                decision=fields.pop("decision", None),
                fields=fields,
                current=entry.version == rule.version,
                commits=mine,
            )
        )
    return History(
        id=rule.id,
        path=file_label(path),
        version=rule.version,
        status=rule.status,
        versions=entries,
        in_git=in_git,
        uncommitted=dirty,
        other_commits=[c for c in commits if c.sha not in claimed],
    )


def _order(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in version.split("."))


def _commits(path: Path) -> tuple[list[Commit], bool, bool]:
    try:
        top = toplevel(path.parent)
        relative = path.resolve().relative_to(top)
        log = git(
            [
                "log",
                "--follow",
                "--name-only",
                "--date=short",
                f"--format={_RECORD}%H{_FIELD}%ad{_FIELD}%an{_FIELD}%s",
                "--",
                relative.as_posix(),
            ],
            top,
        )
        dirty = is_dirty(relative, top)
    except (UsageError, ValueError):
        return [], False, False
    commits = []
    for record in log.split(_RECORD)[1:]:
        head, *rest = record.strip("\n").split("\n")
        sha, when, author, subject = head.split(_FIELD, 3)
        named = next((r for r in rest if r.strip()), relative.as_posix())
        commits.append(
            Commit(
                sha=sha,
                date=when,
                author=author,
                subject=subject,
                version=_version_at(top, sha, named),
            )
        )
    return commits, True, dirty


def _version_at(top: Path, sha: str, relative: str) -> str | None:
    try:
        found = _VERSION.search(git(["show", f"{sha}:{relative}"], top))
    except UsageError:
        return None
    return found.group(1) if found else None
