"""Rule texts and files to models: parse and build, within the limits, built once per process.

The model is immutable, so a text already built in this process is not parsed again; the cache is
bounded, because a service checks texts it is sent.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from pathlib import Path

from zuji.core import limits
from zuji.core.documents import read_utf8, within_size
from zuji.core.errors import Diagnostic, RuleError, Span, file_label, read_as
from zuji.lang import model as m
from zuji.lang.build_rules import build
from zuji.lang.parse import encoded, normalise, parse

Built = tuple[m.RuleFile, list[Diagnostic]]

# Built rules by (file, text hash, limits in force).
_BUILT: OrderedDict[tuple[str, str, limits.Limits], Built] = OrderedDict()
_BUILT_MOST = 512


def load_text(text: str, file: str = "<text>") -> Built:
    """Parse and build rule text. A syntax error, or a text beyond the limits (size, nesting,
    inputs, lines), raises RuleError; other findings are returned.

    The model is immutable, so a text already built in this process is not parsed again.
    """
    utf8 = encoded(normalise(text), file)
    with read_as(RuleError):
        within_size(len(utf8), file, "rule_bytes")
    digest = hashlib.sha256(utf8).hexdigest()
    key = (file, digest, limits.current())  # a text refused under lower limits is read again
    if key in _BUILT:
        _BUILT.move_to_end(key)
    else:
        _BUILT[key] = _build_within_limits(text, file, digest)
        if len(_BUILT) > _BUILT_MOST:
            _BUILT.popitem(last=False)
    rule_file, findings = _BUILT[key]
    return rule_file, list(findings)


def _build_within_limits(text: str, file: str, digest: str) -> Built:
    try:
        built = build(parse(text, file), file, text, digest)
    except RecursionError:  # the nesting limit keeps real rules far from this
        raise RuleError(
            Diagnostic(
                "E082",
                f"{file}: the rule nests too deeply to read",
                Span(file, 1, 1),
                hint="lower the nesting limit",
            )
        ) from None
    _within_counts(built[0], file)
    return built


def _within_counts(rule: m.RuleFile, file: str) -> None:
    most = limits.current()
    for name, count in (("inputs", len(rule.inputs)), ("lines", len(rule.lines))):
        if count > getattr(most, name):
            code = "E083" if name == "inputs" else "E084"
            raise RuleError(
                Diagnostic(
                    code,
                    f"{file}: {count:,} {name}, above the {most.describe(name)}",
                    Span(file, 1, 1),
                    hint=f"raise it if the rule is genuine: ZUJI_LIMITS={name}=...",
                )
            )


def read_rule_text(path: Path) -> str:
    """The text of a rule file; unreadable (E002) or not UTF-8 (E003) is a RuleError."""
    with read_as(RuleError):
        return read_utf8(path, unreadable="E002", not_utf8="E003", limit="rule_bytes")


def load_file(path: Path) -> Built:
    """Parse and build a rule file, as :func:`load_text` does its text."""
    return load_text(read_rule_text(path), file_label(path))
