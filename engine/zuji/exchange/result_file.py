"""Reading a result file that a verifier was given: every mistake in it is a diagnostic at the
JSON path at fault (and its line and column in the file), never a traceback.

A result may have been edited by hand or forged, so nothing in it is trusted: its shape is
checked against the Result model, its dates are checked as dates, and the inputs its trace
records are checked against the PCR they are for before anything is evaluated.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from zuji.core.documents import locate, read_utf8
from zuji.core.errors import (
    Diagnostic,
    DocumentError,
    ResultError,
    Span,
    UsageError,
    file_label,
)
from zuji.lang import model as m
from zuji.runtime.result import DQ_KEYS, InventoryInfo, Result, TraceInput

# Diagnostics about one result file are capped: a wholly wrong file says enough in ten.
MOST_FINDINGS = 10
# A result nests about seven levels, a supplier's PACT document inside it a few more; far deeper
# is a hostile file, which the recursive comparison and canonical form must never meet.
MOST_DEPTH = 64


@dataclass(frozen=True)
class ResultFile:
    """A result as read from its file: the text, the JSON document and the validated model."""

    label: str
    text: str
    document: dict[str, Any]
    result: Result

    def at(self, path: list[str | int], code: str, message: str, hint: str = "") -> Diagnostic:
        """A diagnostic about the field at `path`, pointing at its line in the file."""
        return at(self.label, self.text, path, code, message, hint)


def read_result(path: Path) -> ResultFile:
    """A result file, read and checked; a missing file is a UsageError (exit 2), a file that is
    not a well-formed Zuji result a ResultError (exit 1) naming every field at fault."""
    label = file_label(path)
    if not path.is_file():
        raise UsageError(Diagnostic("E002", f"result file {label} not found"))
    try:
        text = read_utf8(path)
    except DocumentError as exc:
        raise UsageError(exc.diagnostic) from None
    return parse_result(text, label)


def parse_result(text: str, label: str = "<result>") -> ResultFile:
    """A result from its JSON text (see read_result)."""
    try:
        document = json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        # Not JSON at all is the wrong file given (exit 2), as for any document Zuji reads.
        raise UsageError(
            Diagnostic(
                "E011", f"{label} is not valid JSON: {exc.msg}", Span(label, exc.lineno, exc.colno)
            )
        ) from None
    except (ValueError, RecursionError) as exc:
        raise UsageError(
            Diagnostic("E011", f"{label} is not valid JSON: {exc}", Span(label, 1, 1))
        ) from None
    if not isinstance(document, dict):
        raise ResultError(
            Diagnostic(
                "E720", f"{label}: not a Zuji result: a result is a JSON object", Span(label, 1, 1)
            )
        )
    if _deeper_than(document, MOST_DEPTH):
        raise ResultError(
            Diagnostic(
                "E720",
                f"{label}: not a Zuji result: nested deeper than {MOST_DEPTH} levels",
                Span(label, 1, 1),
            )
        )
    try:
        result = Result.model_validate(document, strict=True)  # "664" is not a number
    except ValidationError as exc:
        raise ResultError(
            [
                at(label, text, list(e["loc"]), "E720", f"not a Zuji result: {e['msg']}")
                for e in exc.errors()[:MOST_FINDINGS]
            ]
        ) from None
    found = _dates(result, label, text)
    if found:
        raise ResultError(found)
    return ResultFile(label, text, document, result)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A key given twice would let a reader and a verifier see different results: refused."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the key '{key}' is given twice")
        out[key] = value
    return out


def _deeper_than(document: Any, most: int) -> bool:
    """Whether the document nests deeper than `most` (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > most:
            return True
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return False


def at(
    label: str, text: str, path: list[str | int], code: str, message: str, hint: str = ""
) -> Diagnostic:
    """A diagnostic at the JSON path (shown as pcr.status or trace.inputs[3].name), on the line of
    the nearest part of the path the file has."""
    where = json_path(path)
    position = None
    for end in range(len(path), -1, -1):
        position = locate(text, path[:end]) if end else (1, 1)
        if position is not None:
            break
    line, column = position or (1, 1)
    lines = text.splitlines()
    source = lines[line - 1] if 0 < line <= len(lines) and len(lines[line - 1]) <= 200 else ""
    return Diagnostic(
        code,
        f"{label}: at {where or '(top level)'}: {message}",
        Span(label, line, column),
        hint=hint,
        source_line=source,
        where=where,
    )


def json_path(path: list[str | int]) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def _dates(result: Result, label: str, text: str) -> list[Diagnostic]:
    found = []
    described: list[tuple[list[str | int], InventoryInfo]] = [(["inventory"], result.inventory)]
    if result.trace is not None and result.trace.inventory is not None:
        described.append((["trace", "inventory"], result.trace.inventory))
    for where, info in described:
        for key in ("period_start", "period_end"):
            value = getattr(info, key)
            if value is not None and not _is_date(value):
                found.append(
                    at(
                        label,
                        text,
                        [*where, key],
                        "E720",
                        f"'{value}' is not a date",
                        "write dates as YYYY-MM-DD",
                    )
                )
    return found


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def input_problems(
    file: ResultFile, pcr: m.RuleFile, choices: dict[str, tuple[str, ...]]
) -> list[Diagnostic]:
    """The trace's inputs against the PCR's: each input once, none unknown, none missing, each
    value of the kind the input takes. Replay evaluates these values as they stand."""
    trace = file.result.trace
    assert trace is not None
    declared = {inp.name: inp for inp in pcr.inputs}
    found: list[Diagnostic] = []
    seen: set[str] = set()
    for i, item in enumerate(trace.inputs):
        here: list[str | int] = ["trace", "inputs", i]
        if item.name not in declared:
            found.append(
                file.at([*here, "name"], "E721", f"PCR {pcr.id} has no input '{item.name}'")
            )
        elif item.name in seen:
            found.append(file.at([*here, "name"], "E721", f"input '{item.name}' is given twice"))
        else:
            found += _recorded_input_problems(file, here, declared[item.name], item, choices)
        seen.add(item.name)
    missing = [name for name in declared if name not in seen]
    if missing:
        found.append(
            file.at(
                ["trace", "inputs"],
                "E721",
                f"the trace records no value for {', '.join(missing)}",
            )
        )
    return found[:MOST_FINDINGS]


ORIGINS = ("inventory", "default", "factor-default", "not-given")
SOURCES = ("primary", "secondary")


def _recorded_input_problems(
    file: ResultFile,
    here: list[str | int],
    inp: m.Input,
    item: TraceInput,
    choices: dict[str, tuple[str, ...]],
) -> list[Diagnostic]:
    found = []
    problem = value_problem(inp, item.value, choices)
    if problem:
        found.append(file.at([*here, "value"], "E721", problem))
    if item.origin not in ORIGINS:
        found.append(file.at([*here, "origin"], "E721", f"origin is one of {', '.join(ORIGINS)}"))
    if item.source not in SOURCES:
        found.append(file.at([*here, "source"], "E721", f"source is one of {', '.join(SOURCES)}"))
    for key, score in item.dq.items():
        if key not in DQ_KEYS or not 1 <= score <= 5:
            found.append(
                file.at(
                    [*here, "dq", key],
                    "E721",
                    f"data-quality scores are {', '.join(DQ_KEYS)}, each from 1 to 5",
                )
            )
    return found


def value_problem(inp: m.Input, value: Any, choices: dict[str, tuple[str, ...]]) -> str:
    """What is wrong with a recorded value for an input, or "" when it is of the right kind."""
    if value is None:
        return "" if inp.optional else f"input '{inp.name}' is required and has no value"
    if inp.kind == "choice":
        options = inp.options or choices.get(inp.choice_type or "", ())
        if isinstance(value, str) and value in options:
            return ""
        return f"{value!r} is not one of the options of '{inp.name}': {', '.join(options)}"
    if inp.kind == "list":
        return _list_problem(inp, value, choices)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"input '{inp.name}' is a quantity; {value!r} is not a number"
    return ""


def _list_problem(inp: m.Input, value: Any, choices: dict[str, tuple[str, ...]]) -> str:
    if not isinstance(value, list):
        return f"input '{inp.name}' is a list of items; {value!r} is not a list"
    fields = {f.name: f for f in inp.fields}
    for n, item in enumerate(value):
        if not isinstance(item, dict) or not set(item) <= set(fields):
            return f"item {n} of '{inp.name}' has the fields {', '.join(fields)} only"
        missing = [f.name for f in inp.fields if f.required and f.name not in item]
        if missing:
            return f"item {n} of '{inp.name}' lacks {', '.join(missing)}"
        for name, field_value in item.items():
            problem = value_problem(fields[name], field_value, choices)
            if problem:
                return f"item {n} of '{inp.name}': {problem}"
    return ""


__all__ = ["ResultFile", "at", "input_problems", "json_path", "parse_result", "read_result"]
