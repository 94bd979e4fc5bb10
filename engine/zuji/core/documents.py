"""Strict loading of the YAML and JSON files people write: inventories, cases, datasets.

Safe loading only (no tags that build objects), duplicate keys are an error rather than a silent
overwrite, and aliases may not expand a small file into a huge one.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from zuji.core import limits
from zuji.core.errors import Diagnostic, DocumentError, Span, file_label

if TYPE_CHECKING:
    # To the type checker both loaders are SafeLoaders, and so is the mixin below.
    _SafeLoader = yaml.SafeLoader
    _LoaderBase = yaml.SafeLoader
else:
    # libyaml's parser where the wheel has it: the pure-Python one reads a large inventory ~20x
    # slower.
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    _LoaderBase = object


class _Strict(_LoaderBase):
    """SafeLoader that rejects duplicate keys and counts alias expansions."""

    constructed_objects: dict[Any, Any]

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.alias_count = 0

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        # A collection met again is an alias (*name) being expanded; scalars are met twice for
        # every mapping key (once for the duplicate check), so they are not counted.
        if node in self.constructed_objects and not isinstance(node, yaml.ScalarNode):
            self.alias_count += 1
            if self.alias_count > limits.current().aliases:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"more than {limits.current().aliases} aliases (&/*): refusing to expand",
                    node.start_mark,
                )
        return super().construct_object(node, deep)

    def construct_yaml_timestamp(self, node: Any) -> Any:
        # PyYAML recognises 2022-13-01 as a date by its shape, then fails to build it.
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"'{node.value}' is not a date: {exc}", node.start_mark
            ) from None

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
                    None,
                    None,
                    f"duplicate key '{key}' (first at line {seen[key].line + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark
        mapping: dict[Any, Any] = super().construct_mapping(node, deep)
        return mapping


class _StrictLoader(_Strict, _SafeLoader):
    pass


class _PurePythonStrictLoader(_Strict, yaml.SafeLoader):
    pass


for _loader in (_StrictLoader, _PurePythonStrictLoader):  # constructors are looked up by tag
    _loader.add_constructor("tag:yaml.org,2002:timestamp", _Strict.construct_yaml_timestamp)


def load_text(text: str, file: str) -> Any:
    """Parse YAML (JSON is YAML too, but is read with json for its exact numbers)."""
    text = text.lstrip("\ufeff")
    if file.endswith(".json"):
        return _load_json(text, file)
    # libyaml's composer recurses in C and a document nested ~100 000 levels deep crashes the
    # process: such texts are refused before any parser sees them, and merely deep ones go to
    # the pure-Python parser, which fails cleanly.
    depth = _depth(text)
    if depth > _TOO_DEEP:
        raise DocumentError(
            Diagnostic("E012", f"{file}: nested too deeply (more than {_TOO_DEEP} levels)")
        )
    try:
        loader = _StrictLoader if depth <= _SHALLOW else _PurePythonStrictLoader
        document = yaml.load(text, Loader=loader)  # safe: a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        span = Span(file, mark.line + 1, mark.column + 1) if mark else None
        line = text.splitlines()[mark.line] if mark and mark.line < len(text.splitlines()) else ""
        problem = exc.problem or exc.context or "malformed YAML"
        raise DocumentError(
            Diagnostic("E011", f"not valid YAML: {problem}", span, source_line=line)
        ) from None
    except yaml.YAMLError as exc:
        raise DocumentError(Diagnostic("E011", f"{file}: not valid YAML: {exc}")) from None
    except RecursionError:
        raise DocumentError(Diagnostic("E012", f"{file}: nested too deeply")) from None
    except (ValueError, TypeError, OverflowError) as exc:  # a scalar no constructor can build
        raise DocumentError(Diagnostic("E011", f"{file}: not valid YAML: {exc}")) from None
    _within_size(document, file)
    return document


_BRACKET = re.compile(r"[\[\]{}]")
_LEADING = re.compile(r"^[ ?:-]*", re.MULTILINE)
_SHALLOW = 400  # levels: far above real documents, far below what overflows libyaml's stack
_TOO_DEEP = 1000  # levels past which even the pure-Python reader runs out of stack


def _depth(text: str) -> int:
    """An upper estimate of how deep a YAML or JSON text nests (brackets and indentation),
    counted no further than _TOO_DEEP + 1."""
    depth = deepest = 0
    for match in _BRACKET.finditer(text):
        depth += 1 if match.group() in "[{" else -1
        deepest = max(deepest, depth)
        if deepest > _TOO_DEEP:
            return deepest
    return max([deepest, *(len(m.group()) for m in _LEADING.finditer(text))])


def _within_size(document: Any, file: str) -> None:
    """Refuse documents whose aliases expand them past the node limit (billion laughs)."""
    count, stack, most = 0, [document], limits.current().document_nodes
    while stack:
        node = stack.pop()
        count += 1
        if count > most:
            raise DocumentError(
                Diagnostic(
                    "E014",
                    f"{file}: the document expands to more than {most:,} values "
                    "(through aliases?); refusing it",
                    hint="write the values out without & and *, "
                    "or raise the document_nodes limit (ZUJI_LIMITS)",
                )
            )
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
        raise DocumentError(Diagnostic("E011", f"not valid JSON: {exc.msg}", span)) from None
    except ValueError as exc:
        raise DocumentError(Diagnostic("E011", f"{file}: {exc}")) from None
    except RecursionError:
        raise DocumentError(Diagnostic("E012", f"{file}: nested too deeply")) from None


def read_utf8(
    path: Path, unreadable: str = "E010", not_utf8: str = "E013", limit: str = "document_bytes"
) -> str:
    """A file's text; an unreadable file or one that is not UTF-8 is a DocumentError with the
    given codes, the second pointing at the line of the first bad byte. A file above its size
    limit is refused before it is read."""
    label = file_label(path)
    try:
        within_size(path.stat().st_size, label, limit)
        raw = path.read_bytes()
    except OSError as exc:
        raise DocumentError(
            Diagnostic(unreadable, f"cannot read {label}: {exc.strerror}")
        ) from None
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):  # as Windows Notepad saves "Unicode"
        raise DocumentError(
            Diagnostic(
                not_utf8,
                f"{label} is UTF-16 text, not UTF-8",
                Span(label, 1, 1),
                hint="save the file as UTF-8",
            )
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DocumentError(
            Diagnostic(
                not_utf8,
                f"{label} is not UTF-8 text (byte {exc.start})",
                Span(label, line, 1),
                hint="save the file as UTF-8",
            )
        ) from None


def within_size(size: int, label: str, limit: str) -> None:
    """Refuse a text of `size` bytes above the named limit (rule_bytes or document_bytes)."""
    most = getattr(limits.current(), limit)
    if size > most:
        code, what = ("E081", "rule file") if limit == "rule_bytes" else ("E086", "file")
        raise DocumentError(
            Diagnostic(
                code,
                f"{label}: the {what} is {size:,} bytes, above the {limit} limit ({most:,})",
                Span(label, 1, 1),
                hint=f"split it, or raise the limit: ZUJI_LIMITS={limit}=...",
            )
        )


def load_path(path: Path) -> Any:
    return load_text(read_utf8(path), file_label(path))


@lru_cache(maxsize=2)  # the findings of one document are located one after another
def _composed(text: str) -> Any:
    try:
        return yaml.compose(
            text.lstrip("\ufeff"),
            Loader=_SafeLoader if _depth(text) <= _SHALLOW else yaml.SafeLoader,
        )
    except (yaml.YAMLError, RecursionError):
        return None


def locate(text: str, path: list[str | int]) -> tuple[int, int] | None:
    """Line and column (from 1) of the value at `path` (keys and list indexes) in a YAML or JSON
    text, for pointing an error at it; None where the path is not in the text."""
    node = _composed(text)
    if node is None:
        return None
    mark = None
    for step in path:
        if isinstance(node, yaml.MappingNode):
            found = next(((k, v) for k, v in node.value if k.value == str(step)), None)
            if found is None:
                return None
            mark, node = found[0].start_mark, found[1]
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(step, int)
            and 0 <= step < len(node.value)
        ):
            node = node.value[step]
            mark = node.start_mark
        else:
            return None
    return (mark.line + 1, mark.column + 1) if mark is not None else None


_LEAVES = (str, float, int, bool, type(None))


def plain(value: Any) -> Any:
    """A loaded document with dates turned into ISO strings, as JSON Schema expects them."""
    import datetime

    if value.__class__ in _LEAVES:  # most of a document: returned as it is, tested first
        return value
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value
