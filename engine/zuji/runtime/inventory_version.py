"""Whether an inventory's `pcr_version` range admits the PCR's version."""

from __future__ import annotations

import re
from functools import lru_cache

from zuji.lang import model as m


@lru_cache(maxsize=1024)  # a programme's inventories name a few ranges, again and again
def version_fits(version: str, spec: str) -> bool:
    """Whether a version such as 1.2.0 fits a range such as '>=1.0.0,<2' (or '1.2.0')."""
    current = _version_tuple(version)
    for part in filter(None, (p.strip() for p in spec.split(","))):
        match = re.match(r"^(>=|<=|==|>|<|=)?\s*(\d+(?:\.\d+)*)$", part)
        if not match:
            return False
        op, wanted = match.group(1) or "==", _version_tuple(match.group(2))
        if not m.COMPARISONS["==" if op == "=" else op](current, wanted):
            return False
    return True


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = [int(p) for p in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))
