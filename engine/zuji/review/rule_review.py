"""Rule-change review: two versions of a PCR, what changes, its impact, and version discipline.

A version is a file (`pcr/cement/cement.pcr`), a library id (`cement`), or either at a git
revision (`pcr/cement/cement.pcr@HEAD~1`). At a revision the PCR's whole library (its modules and
cases) and the `standards/` beside it are read from git, so the old rule is evaluated with the
datasets it was approved with; where the revision holds no datasets, the current ones are used
and the review says so.

Version discipline, checked against the previous version (`zuji check --base REV`):

- E710: an approved PCR changes in substance (formulas, boundary, allocation, factors, inputs)
  without a version bump; W710: it changes only cosmetically without one.
- E711: the version is bumped but the changelog has no entry for it.
- E712: the version goes backwards.
- E713: a substantive change with only a patch bump (a patch is for cosmetic changes).
- W711: an earlier changelog entry is removed or rewritten (the changelog is a record).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from zuji.core import library as lib
from zuji.core.errors import Diagnostic, RuleError, Severity, UsageError, attach_source, file_label
from zuji.data.standards import Standards, load_committee
from zuji.data.standards import load as load_standards
from zuji.lang import model as m
from zuji.review.coverage import Coverage, Item, coverage
from zuji.review.decision import recorded
from zuji.review.diff import Change, RuleDiff, diff
from zuji.review.gitrev import changed_files, exists_at, snapshot, toplevel
from zuji.review.impact import Impact, impact
from zuji.runtime.pcr import PCR, committee_standards
from zuji.runtime.pcr import load as load_pcr


@dataclass(frozen=True)
class Version:
    """One version of a rule file, loaded, with the cases beside it."""

    label: str
    pcr: PCR
    cases: tuple[Path, ...]
    note: str = ""
    path: Path | None = None  # the file in the working tree; None for a version from git


def _cases(path: Path) -> tuple[Path, ...]:
    folder = path.parent / "cases"
    return tuple(sorted(folder.glob("*.yaml"))) if folder.is_dir() else ()


def _load(path: Path, standards: Standards | None) -> PCR:
    try:
        return load_pcr(path, standards)
    except RuleError as exc:
        raise UsageError(exc.diagnostics) from None


def load_version(spec: str) -> Version:
    """A version named as PATH, ID, PATH@REV or ID@REV."""
    where, at, rev = spec.rpartition("@")
    if not at or not rev or not where:
        path = lib.find_pcr(spec)
        if path is None:
            raise UsageError(Diagnostic("E002", f"{spec}: no such rule file or PCR"))
        return current(path)
    return at_revision(_working_path(where), rev)


def current(path: Path) -> Version:
    """A rule file as it is now, with the datasets of its own repository if it has them."""
    pcr = _load(path, _standards_beside(path))
    return Version(file_label(path), pcr, _cases(path), path=path)


def _standards_beside(path: Path) -> Standards | None:
    """The datasets of the committee library a rule file lies in (over the bundled ones); None
    means the bundled library's datasets."""
    return committee_standards(path)


def _working_path(where: str) -> Path:
    found = lib.find_pcr(where)
    return found if found is not None else Path(where)


def at_revision(path: Path, rev: str) -> Version:
    """A rule file as it was at a git revision, with its library and datasets of then."""
    top = toplevel(path.parent if path.suffix else path)
    relative = (
        path.resolve().relative_to(top)
        if path.is_absolute() or path.exists()
        else (Path.cwd() / path).resolve().relative_to(top)
    )
    library = relative.parent.parent if len(relative.parts) >= 3 else relative.parent
    standards_dir = library.parent / "standards"
    shot = snapshot(top, rev, (library.as_posix(), standards_dir.as_posix()))
    file = shot.path(relative)
    if not file.is_file():
        raise UsageError(Diagnostic("E715", f"{relative.as_posix()} is not in revision {rev}"))
    standards, note = _standards_at(shot.path(standards_dir), rev, lib.library_of(path))
    return Version(f"{relative.as_posix()}@{rev}", _load(file, standards), _cases(file), note)


def _standards_at(
    folder: Path, rev: str, committee: lib.Library | None
) -> tuple[Standards | None, str]:
    """The datasets of a revision: a committee's over the bundled ones, the engine's alone."""
    if (folder / "factors").is_dir():
        try:
            if committee is not None:
                return load_committee(folder, committee.bundled_gwp), ""
            return load_standards(folder), ""
        except Exception as exc:  # an old dataset that no longer loads
            return None, (
                f"the datasets of {rev} cannot be loaded ({exc}); the current "
                "datasets are used for both versions"
            )
    return None, (
        f"revision {rev} holds no standards/ folder beside the library; the current "
        "datasets are used for both versions"
    )


# ---------------------------------------------------------------------------------- review


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Finding(_Model):
    code: str
    severity: str
    message: str
    where: str | None = None


class Review(_Model):
    """The review of one rule file: its diff, the impact on the cases, discipline, coverage."""

    id: str
    status: str  # changed, added, removed
    reason: str
    old_label: str | None
    new_label: str | None
    diff: RuleDiff | None = None
    impact: Impact | None = None
    findings: list[Finding] = []
    coverage: list[Item] = []  # the changed parts' coverage by the new version's cases
    coverage_cases: list[str] = []
    # The committee's decision as the new version's changelog entry records it (decision, vote,
    # decided), empty until `zuji review --decision` or the committee writes it.
    decision: dict[str, str] = {}
    # The new version's file in the working tree, where a decision is written (not reported).
    path: str | None = Field(default=None, exclude=True)

    @property
    def failing_cases(self) -> list[str]:
        """The new version's worked cases that no longer give their expected values."""
        return [c.case for c in self.impact.failing] if self.impact else []


class ReviewSet(_Model):
    base: str
    reviews: list[Review]

    @property
    def errors(self) -> list[Finding]:
        return [f for r in self.reviews for f in r.findings if f.severity == "error"]

    @property
    def failing_cases(self) -> list[str]:
        return [f"{r.id}/{case}" for r in self.reviews for case in r.failing_cases]


def review_pair(old: Version, new: Version, reason: str = "") -> Review:
    """Diff, impact, discipline and changed-part coverage of two versions."""
    notes = [n for n in (old.note, new.note) if n]
    changes = diff(old.pcr, new.pcr, old.label, new.label, notes)
    effect = (
        impact(old.pcr, new.pcr, list(old.cases), list(new.cases))
        if new.pcr.rule.kind == "pcr" and not new.pcr.errors and not old.pcr.errors
        else None
    )
    findings = [_finding(d) for d in discipline(old.pcr.rule, new.pcr.rule, changes)]
    covered = (
        coverage(new.pcr, list(new.cases))
        if new.pcr.rule.kind == "pcr" and not new.pcr.errors
        else None
    )
    return Review(
        id=new.pcr.id,
        status="changed",
        reason=reason or "compared",
        old_label=old.label,
        new_label=new.label,
        diff=changes,
        impact=effect,
        findings=findings,
        coverage=changed_coverage(changes, covered),
        coverage_cases=covered.cases if covered else [],
        decision=recorded(new.pcr.rule),
        path=str(new.path) if new.path else None,
    )


def _finding(diag: Diagnostic) -> Finding:
    return Finding(
        code=diag.code,
        severity=diag.severity.value,
        message=diag.message,
        where=str(diag.span) if diag.span else None,
    )


def changed_coverage(changes: RuleDiff, covered: Coverage | None) -> list[Item]:
    """Coverage items standing in what changed: changed lines, and branches of changed values,
    formulas and lines; changed allocations and assertions."""
    if covered is None:
        return []
    moved = {
        c.name for c in changes.changes if c.group == "formulas" and (c.substantive or c.reads)
    }
    # Allocations and assertions are matched by where they stand in the new file.
    places = {
        c.where
        for c in changes.changes
        if c.group in ("allocation", "assertions") and c.kind != "removed" and c.where
    }
    # A choice input added or changed: each of its options is a part of the change.
    moved |= {c.name for c in changes.changes if c.group == "inputs" and c.substantive}
    return [
        item
        for item in covered.items
        if (item.owner and item.owner in moved)
        or (item.kind in ("allocation", "co-product", "assertion") and item.where in places)
    ]


# ---------------------------------------------------------------------------------- discipline


def _semver(version: str) -> tuple[int, int, int] | None:
    parts = version.split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    return int(parts[0]), int(parts[1]), int(parts[2])


def bump(old: str, new: str) -> str:
    """none, patch, minor, major, or down (the version went backwards)."""
    a, b = _semver(old), _semver(new)
    if a is None or b is None or a == b:
        return "none"
    if b < a:
        return "down"
    return "major" if b[0] != a[0] else "minor" if b[1] != a[1] else "patch"


def discipline(old: m.RuleFile, new: m.RuleFile, changes: RuleDiff) -> list[Diagnostic]:
    """The version rules of a PCR change, as diagnostics pointing at the new file."""
    if new.kind != "pcr":
        return []
    step = bump(old.version, new.version)
    return [
        *_unbumped(old, new, changes, step),
        *_bumped(old, new, changes, step),
        *_rewritten_entries(old, new),
    ]


def _first_three(substantive: list[Change]) -> str:
    return "; ".join(c.summary for c in substantive[:3]) + (
        f" (and {len(substantive) - 3} more)" if len(substantive) > 3 else ""
    )


def _unbumped(old: m.RuleFile, new: m.RuleFile, changes: RuleDiff, step: str) -> list[Diagnostic]:
    """An approved PCR changed (E710) or reworded (W710) under the same version."""
    if step != "none" or old.status != "approved":
        return []
    where = new.span_of("version")
    substantive, cosmetic = changes.substantive, changes.cosmetic
    if substantive:
        return [
            Diagnostic(
                "E710",
                f"approved PCR {new.id} {old.version} changes in "
                f"substance without a version bump: {_first_three(substantive)}",
                where,
                hint=f"bump to {_next(old.version, 'minor')} (or a major "
                "version) and add a changelog entry",
            )
        ]
    if cosmetic:
        return [
            Diagnostic(
                "W710",
                f"approved PCR {new.id} {old.version} is reworded "
                "without a version bump: " + "; ".join(c.summary for c in cosmetic[:3]),
                where,
                Severity.WARNING,
                hint=f"a patch bump is enough: {_next(old.version, 'patch')}",
            )
        ]
    return []


def _bumped(old: m.RuleFile, new: m.RuleFile, changes: RuleDiff, step: str) -> list[Diagnostic]:
    """A version that goes backwards (E712), a bump with no changelog entry (E711), a patch
    bump for a change in substance (E713)."""
    where = new.span_of("version")
    out = []
    if step == "down":
        out.append(
            Diagnostic(
                "E712",
                f"the version goes backwards: {old.version} → {new.version}",
                where,
                hint="a new version must be higher",
            )
        )
    if step not in ("none", "down") and new.version not in {c.version for c in new.changelog}:
        out.append(
            Diagnostic(
                "E711",
                f"the version is bumped {old.version} → {new.version} "
                "but the changelog has no entry for it",
                where,
                hint=f'add: {new.version} <date> "what changed" proposed "..." '
                'reviewed "..." decision "..."',
            )
        )
    substantive = changes.substantive
    if step == "patch" and substantive:
        out.append(
            Diagnostic(
                "E713",
                f"{old.version} → {new.version} is a patch bump, but the "
                f"change is not cosmetic: {_first_three(substantive)}",
                where,
                hint=f"bump at least the minor version: {_next(old.version, 'minor')}",
            )
        )
    return out


def _rewritten_entries(old: m.RuleFile, new: m.RuleFile) -> list[Diagnostic]:
    """Earlier changelog entries removed or rewritten (W711): they record past decisions."""
    kept = {c.version: c for c in new.changelog}
    out = []
    for entry in old.changelog:
        now = kept.get(entry.version)
        if now is None or (now.date, now.summary) != (entry.date, entry.summary):
            out.append(
                Diagnostic(
                    "W711",
                    f"changelog entry {entry.version} of {entry.date} is "
                    + ("removed" if now is None else "rewritten"),
                    now.span if now else new.span_of("changelog"),
                    Severity.WARNING,
                    hint="earlier entries are the record of "
                    "past decisions; add fields, do not rewrite them",
                )
            )
    return out


def _next(version: str, part: str) -> str:
    v = _semver(version)
    if v is None:
        return "a higher version"
    return {"patch": f"{v[0]}.{v[1]}.{v[2] + 1}", "minor": f"{v[0]}.{v[1] + 1}.0"}.get(
        part, f"{v[0] + 1}.0.0"
    )


def check_against(path: Path, rev: str) -> list[Diagnostic]:
    """Version discipline of a rule file against its version at a revision (none if it is new
    there, or if either version does not load: check reports those itself)."""
    top = toplevel(path.parent)
    relative = path.resolve().relative_to(top)
    shot = snapshot(top, rev, ())
    if not exists_at(shot.sha, relative, top):
        return []
    try:
        old = at_revision(path, rev)
        new = current(path)
    except (UsageError, RuleError):
        return []
    changes = diff(old.pcr, new.pcr, old.label, new.label)
    return attach_source(discipline(old.pcr.rule, new.pcr.rule, changes), new.pcr.resolved.sources)


# ---------------------------------------------------------------------------------- review --base


def review_since(rev: str, paths: list[Path] | None = None) -> ReviewSet:
    """Every PCR (or module) that a change since a revision touches: its own file, its cases,
    a module it uses or a dataset it reads."""
    here = Path.cwd() / "pcr"  # the committee works in its repository; else Zuji's library
    roots = [p.resolve() for p in (paths or [here if here.is_dir() else lib.pcr_root()])]
    top = toplevel(roots[0])
    changed = {p.as_posix() for p in changed_files(rev, top)}
    candidates = _rule_files(top, rev, roots)
    reviews = []
    for relative in candidates:
        reason = _why(top, relative, changed)
        if not reason:
            continue
        reviews.append(_review_one(top, relative, rev, reason))
    return ReviewSet(base=rev, reviews=reviews)


def _rule_files(top: Path, rev: str, roots: list[Path]) -> list[Path]:
    """Rule files now under the roots, and those the revision had there (deleted since)."""
    now: list[Path] = []
    for root in roots:
        files = lib.rule_files(root) if root.is_dir() else [root]
        now += [f.resolve().relative_to(top) for f in files]
    then: list[Path] = []
    for root in roots:
        relative = root.relative_to(top)
        listed = _ls_tree(top, rev, relative)
        then += [Path(p) for p in listed if p.endswith(".pcr")]
    return sorted(dict.fromkeys(now + then))


def _ls_tree(top: Path, rev: str, relative: Path) -> list[str]:
    from zuji.review.gitrev import git

    return git(["ls-tree", "-r", "--name-only", rev, "--", relative.as_posix()], top).splitlines()


def _why(top: Path, relative: Path, changed: set[str]) -> str:
    own = relative.as_posix()
    if own in changed:
        return "the rule file changed"
    folder = relative.parent.as_posix() + "/cases/"
    if any(p.startswith(folder) for p in changed):
        return "its worked cases changed"
    path = top / relative
    if not path.is_file():
        return ""
    try:
        pcr = current(path).pcr
    except (RuleError, UsageError):
        return ""
    library = relative.parent.parent
    for use in pcr.rule.uses:
        module = (library / Path(*use.module.split("."))).with_suffix(".pcr").as_posix()
        if module in changed:
            return f"module {use.module} changed"
    datasets = {e.dataset for e in pcr.resolved.entries.values()}
    datasets |= {e.dataset for members in pcr.resolved.families.values() for e in members.values()}
    standards = (library.parent / "standards" / "factors").as_posix()
    touched = sorted(d for d in datasets if f"{standards}/{d}.yaml" in changed)
    if touched:
        return "dataset " + ", ".join(touched) + " changed"
    return ""


def _review_one(top: Path, relative: Path, rev: str, reason: str) -> Review:
    path = top / relative
    shot = snapshot(top, rev, ())
    existed = exists_at(shot.sha, relative, top)
    label_old = f"{relative.as_posix()}@{rev}"
    if not path.is_file():
        return Review(
            id=relative.stem, status="removed", reason=reason, old_label=label_old, new_label=None
        )
    new = current(path)
    if not existed:
        return Review(
            id=new.pcr.id,
            status="added",
            reason=reason,
            old_label=None,
            new_label=new.label,
            decision=recorded(new.pcr.rule),
            path=str(path),
        )
    old = at_revision(path, rev)
    return review_pair(old, new, reason)
