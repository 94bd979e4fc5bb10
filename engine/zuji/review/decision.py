"""A committee's decision on a version, written into the PCR's changelog entry for it.

`zuji review --decision "approved" --vote "12 yes, 0 no" --date 2026-09-15` records what the
committee decided on the record it reviewed. The entry of the PCR's current version receives the
fields `decision`, `vote` and `decided` (the date); fields of those names already there are
replaced, the others kept. The file is rewritten atomically (a temporary file in the same folder,
then a rename) and only after the new text has been read back as a valid rule with the decision in
place, so a failure leaves the file as it was.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from zuji.core.errors import Diagnostic, RuleError, UsageError, file_label
from zuji.core.files import write_atomic
from zuji.lang import model as m
from zuji.lang.load import load_text, read_rule_text

# The changelog fields a decision fills, in the order they are written.
DECISION_FIELDS = ("decision", "vote", "decided")


def quoted(text: str) -> str:
    """A text as a rule-file string: only the escapes the grammar reads back."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n").replace("\t", "\\t") + '"'


def entry_text(entry: m.ChangeEntry, fields: tuple[tuple[str, str], ...]) -> str:
    head = f"{entry.version} {entry.date.isoformat()} {quoted(entry.summary)}"
    return " ".join([head, *(f"{name} {quoted(value)}" for name, value in fields)])


def recorded(rule: m.RuleFile) -> dict[str, str]:
    """The decision fields of the current version's changelog entry, as far as recorded."""
    for entry in rule.changelog:
        if entry.version == rule.version:
            return {k: v for k, v in entry.fields if k in DECISION_FIELDS}
    return {}


def _entry(rule: m.RuleFile, label: str) -> m.ChangeEntry:
    """The changelog entry of the rule's current version; E716 where the version stands if
    there is none (the decision needs an entry to live in)."""
    for entry in rule.changelog:
        if entry.version == rule.version:
            return entry
    raise UsageError(
        Diagnostic(
            "E716",
            f"the changelog has no entry for version {rule.version}, so the decision has "
            "nowhere to be recorded",
            rule.span_of("version"),
            hint=f'add to the changelog: {rule.version} <date> "what changed", then record '
            "the decision again",
        )
    )


def with_decision(text: str, label: str, decision: str, vote: str, when: date) -> str:
    """The rule text with the decision in its current version's changelog entry."""
    try:
        rule, _ = load_text(text, label)
    except RuleError as exc:
        raise UsageError(exc.diagnostics) from None
    entry = _entry(rule, label)
    span = entry.span
    if span is None:  # every parsed entry has a place; a built-by-hand one cannot be edited
        raise UsageError(Diagnostic("E716", f"{label}: the changelog entry has no position"))
    # A vote left out keeps the one recorded before; what is given replaces its namesake.
    given = {"decision": decision, "vote": vote, "decided": when.isoformat()}
    wanted = {k: v for k, v in given.items() if v}
    kept = tuple((k, v) for k, v in entry.fields if k not in wanted)
    fields = kept + tuple((k, wanted[k]) for k in DECISION_FIELDS if k in wanted)
    lines = text.split("\n")
    first, last = span.line - 1, span.end_line - 1
    before = lines[first][: span.column - 1]
    after = lines[last][span.end_column - 1 :]
    lines[first : last + 1] = [before + entry_text(entry, fields) + after]
    return "\n".join(lines)


def record_decision(path: Path, decision: str, vote: str, when: date) -> m.ChangeEntry:
    """Write the decision into the rule file's changelog; returns the entry as now recorded."""
    label = file_label(path)
    try:
        text = read_rule_text(path)
    except RuleError as exc:
        raise UsageError(exc.diagnostics) from None
    updated = with_decision(text, label, decision, vote, when)
    try:
        rule, _ = load_text(updated, label)
    except RuleError as exc:  # the edit must read back: never store a rule half-way
        raise UsageError(exc.diagnostics) from None
    entry = _entry(rule, label)
    if dict(entry.fields).get("decision") != decision:
        raise UsageError(Diagnostic("E716", f"{label}: the decision did not read back"))
    _replace(path, updated)
    return entry


def _replace(path: Path, text: str) -> None:
    """The rule file rewritten whole or not at all, keeping its permission bits."""
    write_atomic(path, text, mode=path.stat().st_mode & 0o777)
