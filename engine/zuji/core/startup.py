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


# glibc's mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def keep_freed_memory(most: int = 1 << 30) -> bool:
    """Ask the C library to keep the memory of large arrays freed by one partition for the next,
    in the command's own process (a batch, a Monte Carlo run).

    By default glibc gives every array past 128 KiB its own pages from the system and hands
    them back when it is freed, or trims them from its heap soon after: each partition's
    arrays then cost a page fault per 4 KiB again, which measured a quarter of a batch's time.
    Arrays up to 32 MiB come from the heap instead, and up to `most` bytes of free heap are kept.
    The process's peak memory is the same; what it holds after a partition stays held until it
    exits. Returns whether the C library took the settings (glibc on Linux; elsewhere nothing
    changes)."""
    if not command_line or not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, 32 << 20)) and bool(mallopt(_M_TRIM_THRESHOLD, most))
