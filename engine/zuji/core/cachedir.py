"""Where Zuji keeps what is slow to build and the same on every start: the parser tables of the
grammar (lark) and the parsed unit definitions (pint). Each is keyed by a hash of what it was built
from, so a changed grammar or library version builds afresh.

The folder is ZUJI_CACHE, else the user's cache folder ($XDG_CACHE_HOME/zuji or ~/.cache/zuji).
ZUJI_CACHE=off keeps nothing. The libraries read their caches with pickle, so only a folder that
belongs to the user and that nobody else may write is used; any other is ignored.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


def folder(part: str) -> Path | None:
    """The cache folder for one kind of cache, made if need be, or None when there is none
    fit to use."""
    setting = os.environ.get("ZUJI_CACHE", "")
    if setting.strip().lower() in ("off", "no", "0", "false"):
        return None
    if setting:
        base = Path(setting)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME", "")
        base = (Path(xdg) if xdg else Path.home() / ".cache") / "zuji"
    path = base / part
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        return path if _private(path) and _private(base) else None
    except (OSError, RuntimeError):  # no home, a read-only disk: start without the cache
        return None


def _private(path: Path) -> bool:
    """Owned by this user and writable by nobody else."""
    info = path.stat()
    owner = getattr(os, "getuid", None)
    mine = owner is None or info.st_uid == owner()
    return mine and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
