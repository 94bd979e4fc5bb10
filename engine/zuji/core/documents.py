"""Strict loading of the YAML and JSON files people write: inventories, cases, datasets.

Safe loading only (no tags that build objects), duplicate keys are an error rather than a silent
overwrite, and aliases may not expand a small file into a huge one.
"""

from __future__ import annotations

import datetime
import json
import re
import sys
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from zuji.core import limits
from zuji.core.confined import read_regular
from zuji.core.errors import Diagnostic, DocumentError, Span, file_label
from zuji.core.text import describe

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
        if node.tag == _MERGE:
            raise _MergeKey(None, None, MERGE_KEYS, node.start_mark)
        if node in self.constructed_objects and not isinstance(node, yaml.ScalarNode):
            self.alias_count += 1
            if self.alias_count > limits.current().aliases:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"more than {limits.current().aliases} aliases (&/*): refusing to expand",
                    node.start_mark,
                )
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, OverflowError) as exc:  # a scalar no constructor builds
            raise yaml.constructor.ConstructorError(
                None, None, _unreadable_scalar(exc), node.start_mark
            ) from None

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


_MERGE = "tag:yaml.org,2002:merge"
MERGE_KEYS = "YAML merge keys (<<) are not accepted in inventories; write the keys out"


class _MergeKey(yaml.constructor.ConstructorError):
    """A merge key (<<: *base): what it would merge is left implicit, so it is refused in words
    of its own rather than as a malformed document."""


def _unreadable_scalar(exc: Exception) -> str:
    if "integer string conversion" in str(exc):  # Python's guard against quadratic int()
        return f"this number has more than {sys.get_int_max_str_digits():,} digits"
    return f"this value cannot be read ({type(exc).__name__})"


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
        raise _too_deep(text, file, f"more than {_TOO_DEEP} levels")
    try:
        loader = _StrictLoader if depth <= _SHALLOW else _PurePythonStrictLoader
        document = yaml.load(text, Loader=loader)  # safe: a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "malformed YAML"
        if not isinstance(exc, _MergeKey):
            problem = f"not valid YAML: {problem}"
        raise _at(
            text, file, "E011", problem, mark.line if mark else 0, mark.column if mark else 0
        ) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (NUL, ESC ...)
        line, column = _line_and_column(text, exc.position)
        what = describe(chr(exc.character)) if isinstance(exc.character, int) else "a character"
        raise _at(
            text, file, "E011", f"not valid YAML: {what} is not allowed", line, column
        ) from None
    except yaml.YAMLError as exc:
        raise _at(text, file, "E011", f"not valid YAML: {type(exc).__name__}", 0, 0) from None
    except RecursionError:
        raise _too_deep(text, file, "too deep to read") from None
    _within_size(document, file)
    return document


def _at(text: str, file: str, code: str, message: str, line: int, column: int) -> DocumentError:
    """A DocumentError at a 0-based line and column of the text, with that line shown."""
    lines = text.split("\n")
    source = lines[line] if line < len(lines) else ""
    return DocumentError(
        Diagnostic(code, message, Span(file, line + 1, column + 1), source_line=source)
    )


def _line_and_column(text: str, offset: int) -> tuple[int, int]:
    """0-based line and column of a character offset."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset), offset - line_start


def _too_deep(text: str, file: str, how: str) -> DocumentError:
    """E012 at the place the text nests deepest (or first nests past _TOO_DEEP)."""
    offset = _deepest_offset(text)
    line, column = _line_and_column(text, offset)
    return _at(
        text,
        file,
        "E012",
        f"nested too deeply here ({how})",
        line,
        column,
    )


_TOKENS = re.compile(r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"|[\[\]{}]')


def _deepest_offset(text: str) -> int:
    """Where the text first nests past _TOO_DEEP, or else where it nests deepest: brackets
    outside quoted strings, or else the most indented line."""
    depth = deepest = where = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > deepest:
                deepest, where = depth, match.start()
            if depth > _TOO_DEEP:
                return where
        elif token in "]}":
            depth -= 1
    indents = [(len(m.group()), m.end()) for m in _LEADING.finditer(text)]
    widest = max(indents, default=(0, 0))
    return widest[1] if widest[0] > deepest else where


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
                    Span(file, 1, 1),  # the whole document: no one value is at fault
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

    def whole_number(digits: str) -> int:
        if len(digits) > sys.get_int_max_str_digits():
            raise _LongNumber(digits[:20])
        return int(digits)

    try:
        # NaN and Infinity load as floats so the check of each input can name the input.
        return json.loads(text, object_pairs_hook=no_duplicates, parse_int=whole_number)
    except json.JSONDecodeError as exc:
        raise _at(
            text, file, "E011", f"not valid JSON: {exc.msg}", exc.lineno - 1, exc.colno - 1
        ) from None
    except _LongNumber as exc:
        line, column = _line_and_column(text, max(text.find(str(exc)), 0))
        message = f"not valid JSON: a number of more than {sys.get_int_max_str_digits():,} digits"
        raise _at(text, file, "E011", message, line, column) from None
    except ValueError as exc:  # a key given twice, found again to say where
        line, column = _second_key(text, str(exc.args[0]) if exc.args else "")
        raise _at(text, file, "E011", f"not valid JSON: {exc}", line, column) from None
    except RecursionError:
        raise _too_deep(text, file, "too deep to read") from None


class _LongNumber(ValueError):
    """A whole number with more digits than Python converts (its first digits, to find it)."""


def _second_key(text: str, message: str) -> tuple[int, int]:
    """0-based line and column of the second occurrence of a duplicated key within one object;
    the key is named in the message as duplicate key '...'. One pass over the JSON's strings and
    brackets, keeping the keys of each open object."""
    found = re.match(r"duplicate key '(.*)'$", message, flags=re.S)
    if found is None:
        return 0, 0
    wanted = found.group(1)
    objects: list[set[str] | None] = []  # None for an open list
    for match in _JSON_TOKENS.finditer(text):
        token = match.group()
        if token in "{[":
            objects.append(set() if token == "{" else None)
        elif token in "}]":
            if objects:
                objects.pop()
        elif match.group(1) and objects and objects[-1] is not None:
            quoted = token[: -len(match.group(1))]
            key = json.loads(quoted) if "\\" in quoted else quoted[1:-1]
            if key == wanted and key in objects[-1]:
                return _line_and_column(text, match.start())
            objects[-1].add(key)
    return 0, 0


# Whole strings (a key when a colon follows), and brackets.
_JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"(\s*:)?|[{}\[\]]')


def read_utf8(
    path: Path, unreadable: str = "E010", not_utf8: str = "E013", limit: str = "document_bytes"
) -> str:
    """A file's text; an unreadable file or one that is not UTF-8 is a DocumentError with the
    given codes, the second pointing at the line of the first bad byte. A file above its size
    limit is refused: before it is read when it says so, and after at most the limit plus one
    byte when it does not. Only regular files are read: a device or a FIFO would never end."""
    label = file_label(path)
    most = getattr(limits.current(), limit)
    try:
        within_size(path.stat().st_size, label, limit)
        raw = read_regular(path, most)
    except OSError as exc:
        raise DocumentError(
            Diagnostic(unreadable, f"cannot read {label}: {exc.strerror}")
        ) from None
    if raw is None:  # a FIFO named x.pcr in a rule folder would otherwise stall `zuji check`
        raise DocumentError(
            Diagnostic(
                unreadable,
                f"cannot read {label}: not a regular file (a device, FIFO, socket or folder)",
            )
        )
    if len(raw) > most:
        within_size(len(raw), label, limit, at_least=True)
    return decode_utf8(raw, label, not_utf8)


def decode_utf8(raw: bytes, label: str, not_utf8: str = "E013") -> str:
    """Bytes read from a file as text; UTF-16 or bytes that are not UTF-8 are a DocumentError
    pointing at the line of the first bad byte, without repeating what the file holds."""
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


def within_size(size: int, label: str, limit: str, at_least: bool = False) -> None:
    """Refuse a text of `size` bytes (`at_least` that many, when reading stopped there) above
    the named limit (rule_bytes or document_bytes)."""
    most = getattr(limits.current(), limit)
    if size > most:
        code, what = ("E081", "rule file") if limit == "rule_bytes" else ("E086", "file")
        amount = f"more than {most:,}" if at_least else f"{size:,}"
        raise DocumentError(
            Diagnostic(
                code,
                f"{label}: the {what} is {amount} bytes, above the {limit} limit ({most:,})",
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
    kind = value.__class__
    if kind in _LEAVES:  # most of a document: returned as it is, tested first
        return value
    if kind is dict or isinstance(value, dict):
        return {
            (k if k.__class__ is str else str(k)): (v if v.__class__ is str else plain(v))
            for k, v in value.items()
        }
    if kind is list or isinstance(value, list):
        return [v if v.__class__ is str else plain(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value
