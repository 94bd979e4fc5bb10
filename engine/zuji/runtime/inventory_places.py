"""Where in an inventory's text a finding is: the line and column of the value a diagnostic's
'where' names, found in the text it was read from."""

from __future__ import annotations

import re
from dataclasses import replace

from zuji.core.documents import locate
from zuji.core.errors import Diagnostic, Span

_TOP_LEVEL = (
    "pcr",
    "pcr_version",
    "company",
    "product",
    "site",
    "description",
    "company_ids",
    "product_ids",
    "reference_period",
    "inputs",
    "cutoff",
)


_LOCATE_MOST = 2_000_000  # characters: past this, finding the line costs more than it helps


def located(diagnostic: Diagnostic, text: str, prefix: list[str | int]) -> Diagnostic:
    """The diagnostic pointed at the line of the value it is about, found from its 'where'."""
    path = _path_of(diagnostic.where)
    if not path or len(text) > _LOCATE_MOST:
        return diagnostic
    found = None
    while path and found is None:  # the deepest part of the path the text has
        found = locate(text, prefix + path)
        path = path[:-1]
    if found is None:
        return diagnostic
    line, column = found
    lines = text.lstrip("\ufeff").split("\n")
    source = lines[line - 1] if line <= len(lines) else ""
    span = Span(diagnostic.span.file if diagnostic.span else "", line, column)
    return replace(diagnostic, span=span, source_line=source)


def _path_of(where: str) -> list[str | int]:
    """'kiln_fuels[0].fuel' -> ['inputs', 'kiln_fuels', 0, 'fuel']; 'inputs/cao' -> ['inputs',
    'cao']; 'cutoff[1]' -> ['cutoff', 1]."""
    if not where or where.startswith("("):
        return []
    path: list[str | int] = []
    for part in re.split(r"[/.]", where):
        for name, index in re.findall(r"([^\[\]]+)|\[(\d+)\]", part):
            path.append(int(index) if index else name)
    if path and path[0] not in _TOP_LEVEL:
        path.insert(0, "inputs")
    return path
