"""Whose process Zuji runs in: the `zuji` command's own, or a program that imports Zuji.

In the command's own process pint is imported without its array integrations: pint looks for
numpy and dask when it is imported, which costs more CPU than the rest of a `zuji run`, and Zuji
never hands pint an array (units are settled at compile time; evaluation multiplies floats).
A program that imports Zuji keeps pint as it is: it may use pint with arrays itself.
"""

from __future__ import annotations

import sys
from importlib import import_module

command_line = False  # set by the `zuji` command before it runs anything

_ARRAY_LIBRARIES = ("numpy", "dask")


def import_without_arrays(module: str) -> None:
    """Import `module` with numpy and dask out of its sight, in the command's process only.

    They stay importable afterwards: only this import sees them as missing."""
    if not command_line or module in sys.modules:
        return
    hidden = [name for name in _ARRAY_LIBRARIES if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # the documented way to hide one
    try:
        import_module(module)
    finally:
        for name in hidden:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
