"""The two versions a semantic diff compares, and the small helpers every comparison shares."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol, TypeVar

from zuji.core.errors import Span
from zuji.lang import model as m
from zuji.runtime.pcr import PCR


class Named(Protocol):
    """A declaration known by its name (an input, an exclusion, a factor)."""

    @property
    def name(self) -> str: ...


class Spanned(Protocol):
    """A model node that remembers where it was written."""

    @property
    def span(self) -> Span | None: ...


N = TypeVar("N", bound=Named)
T = TypeVar("T")


class Context:
    """The old and the new version, loaded, and their rule files."""

    def __init__(self, old: PCR, new: PCR) -> None:
        self.old, self.new = old, new
        self.a, self.b = old.rule, new.rule

    def where(self, span: Span | None) -> str | None:
        return str(span) if span else None

    def text(self, pcr: PCR, node: Spanned) -> str:
        """The source text of a node, as the committee wrote it."""
        span = node.span
        source = pcr.resolved.sources.get(span.file, "") if span else ""
        if not source or span is None:
            return ""
        rows = source.split("\n")[span.line - 1 : span.end_line]
        if len(rows) == 1:
            return rows[0][span.column - 1 : span.end_column - 1].strip()
        rows[0], rows[-1] = rows[0][span.column - 1 :], rows[-1][: span.end_column - 1]
        return " ".join(r.strip() for r in rows)


def by_name(items: Iterable[N]) -> dict[str, N]:
    return {i.name: i for i in items}


def pairs(old: Mapping[str, T], new: Mapping[str, T]) -> list[tuple[str, T | None, T | None]]:
    """Names in new's order, then those only old has."""
    names = list(new) + [n for n in old if n not in new]
    return [(n, old.get(n), new.get(n)) for n in names]


def show(value: object) -> str:
    """A header value, a description or a list of names as one line of text."""
    if value is None or value == "" or value == ():
        return "-"
    if isinstance(value, m.Text):
        return " / ".join(t for t in (value.en, value.zh) if t)
    if isinstance(value, tuple) and value and isinstance(value[0], m.Use):
        return ", ".join(
            u.module + (f" as {u.alias}" if u.alias != u.module.rpartition(".")[2] else "")
            for u in value
        )
    if isinstance(value, tuple):
        return ", ".join(map(str, value))
    if isinstance(value, m.DeclaredUnit):
        described = show(value.description)  # both languages, as an input's description
        return f"{value.amount:g} {value.unit} of {value.product}" + (
            f' "{described}"' if str(value.description) else ""
        )
    return str(value)
