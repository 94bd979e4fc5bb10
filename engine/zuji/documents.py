"""Strict loading of the YAML and JSON files people write: inventories, cases, datasets.

Safe loading only (no tags that build objects), duplicate keys are an error rather than a silent
overwrite, and aliases may not expand a small file into a huge one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from zuji.errors import Diagnostic, Span, file_label

MAX_ALIASES = 100
MAX_NODES = 1_000_000  # values in a document once aliases are expanded; no real inventory nears it


class DocumentError(ValueError):
    """A file that is not a well-formed YAML or JSON document; carries one diagnostic."""

    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic
        super().__init__(diagnostic.render())


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys and counts alias expansions."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.alias_count = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.alias_count += 1
            if self.alias_count > MAX_ALIASES:
                event = self.peek_event()
                raise yaml.constructor.ConstructorError(
                    None, None, f"more than {MAX_ALIASES} aliases (&/*): refusing to expand",
                    event.start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, "a key must be a plain word or number", key_node.start_mark
                ) from None
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None,
                    f"duplicate key '{key}' (first at line {seen[key].line + 1})",
                    key_node.start_mark)
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep)


def load_text(text: str, file: str) -> Any:
    """Parse YAML (JSON is YAML too, but is read with json for its exact numbers)."""
    text = text.lstrip("\ufeff")
    if file.endswith(".json"):
        return _load_json(text, file)
    try:
        document = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
        _within_size(document, file)
        return document
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        span = Span(file, mark.line + 1, mark.column + 1) if mark else None
        line = text.splitlines()[mark.line] if mark and mark.line < len(text.splitlines()) else ""
        problem = exc.problem or exc.context or "malformed YAML"
        raise DocumentError(Diagnostic("E301", f"not valid YAML: {problem}", span,
                                       source_line=line)) from None
    except yaml.YAMLError as exc:
        raise DocumentError(Diagnostic("E301", f"{file}: not valid YAML: {exc}")) from None
    except RecursionError:
        raise DocumentError(Diagnostic("E302", f"{file}: nested too deeply")) from None


def _within_size(document: Any, file: str) -> None:
    """Refuse documents whose aliases expand them past MAX_NODES values (billion laughs)."""
    count, stack = 0, [document]
    while stack:
        node = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise DocumentError(Diagnostic(
                "E304", f"{file}: the document expands to more than {MAX_NODES:,} values "
                "(through aliases?); refusing it", hint="write the values out without & and *"))
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def _load_json(text: str, file: str) -> Any:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise ValueError(f"duplicate key '{key}'")
            out[key] = value
        return out

    try:
        # NaN and Infinity load as floats so the check of each input can name the input.
        return json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as exc:
        span = Span(file, exc.lineno, exc.colno)
        raise DocumentError(Diagnostic("E301", f"not valid JSON: {exc.msg}", span)) from None
    except ValueError as exc:
        raise DocumentError(Diagnostic("E301", f"{file}: {exc}")) from None
    except RecursionError:
        raise DocumentError(Diagnostic("E302", f"{file}: nested too deeply")) from None


def read_utf8(path: Path, unreadable: str = "E300", not_utf8: str = "E303") -> str:
    """A file's text; an unreadable file or one that is not UTF-8 is a DocumentError with the
    given codes, the second pointing at the line of the first bad byte."""
    label = file_label(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DocumentError(Diagnostic(unreadable, f"cannot read {label}: {exc.strerror}")) \
            from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DocumentError(Diagnostic(not_utf8, f"{label} is not UTF-8 text (byte {exc.start})",
                                       Span(label, line, 1), hint="save the file as UTF-8")) \
            from None


def load_path(path: Path) -> Any:
    return load_text(read_utf8(path), file_label(path))


def plain(value: Any) -> Any:
    """A loaded document with dates turned into ISO strings, as JSON Schema expects them."""
    import datetime

    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value
