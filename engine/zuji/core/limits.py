"""Limits on what Zuji accepts, so that no rule file or inventory can exhaust it.

Rule files come from many committees and inventories from hundreds of enterprises; a file that is
huge, nested without end or written to expand (aliases, formulas calling formulas) must be refused
with a diagnostic, never answered with a stack overflow, a memory blow-up or a hang. The defaults
are far beyond any real PCR or inventory (the largest bundled rule is under 30 KB, nests 16 levels
has under 100 inputs and compiles in under 1,000 expression nodes). A programme may change them:

    ZUJI_LIMITS="rule_bytes=2000000,list_items=50000" zuji run ...

or from Python, `zuji.core.limits.configure(list_items=50_000)`, or for a block of code,
`with zuji.core.limits.limited(rule_bytes=10_000): ...`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace


@dataclass(frozen=True)
class Limits:
    rule_bytes: int = 250_000  # size of one rule file (the largest bundled PCR is under 30 KB)
    nesting: int = 100  # depth of the syntax tree of a rule file (expressions nest within it)
    inputs: int = 2_000  # inputs of one PCR
    lines: int = 5_000  # lines over all stages of one PCR
    operations: int = 50_000  # expression nodes compiled, formulas inlined at every call
    document_bytes: int = 10_000_000  # size of one inventory, case or dataset file
    document_nodes: int = 1_000_000  # values in a document once YAML aliases are expanded
    aliases: int = 100  # YAML aliases (*name) in one document
    list_items: int = 10_000  # items of one list input in an inventory

    def describe(self, name: str) -> str:
        return f"{name.replace('_', ' ')} limit ({getattr(self, name):,})"


_NAMES = {f.name for f in fields(Limits)}


def _from_environment() -> Limits:
    text = os.environ.get("ZUJI_LIMITS", "").strip()
    if not text:
        return Limits()
    changes: dict[str, int] = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        name = name.strip()
        if name not in _NAMES or not value.strip().isdigit():
            from zuji.core.errors import Diagnostic, UsageError

            raise UsageError(
                Diagnostic(
                    "E080",
                    f"ZUJI_LIMITS: '{part.strip()}' is not name=number",
                    hint="names: " + ", ".join(sorted(_NAMES)),
                )
            )
        changes[name] = int(value)
    return replace(Limits(), **changes)


_current: Limits | None = None


def current() -> Limits:
    """The limits in force (read from ZUJI_LIMITS the first time)."""
    global _current
    if _current is None:
        _current = _from_environment()
    return _current


def configure(**changes: int) -> Limits:
    """Change limits for this process; unknown names are a TypeError, as for any keyword."""
    global _current
    _current = replace(current(), **changes)
    return _current


@contextmanager
def limited(**changes: int) -> Iterator[Limits]:
    """Limits changed for the duration of a block (tests, one request of a service)."""
    global _current
    before = current()
    _current = replace(before, **changes)
    try:
        yield _current
    finally:
        _current = before
