"""Where Zuji keeps what is slow to build and the same on every start: the parser tables of the
grammar (lark) and the parsed unit definitions (pint). Each is keyed by a hash of what it was built
from, so a changed grammar or library version builds afresh.

The built models of rule files and the loaded reference data are kept there too, each keyed by a
hash of its input and of the code that made it.

The folder is ZUJI_CACHE, else the user's cache folder ($XDG_CACHE_HOME/zuji or ~/.cache/zuji).
ZUJI_CACHE=off keeps nothing. The libraries read their caches with pickle, so only a folder that
belongs to the user and that nobody else may write is used; any other is ignored.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
from pathlib import Path
from typing import Any

from zuji.core.files import write_atomic


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


# ------------------------------------------------------------- objects kept between processes

_KEPT_MOST = 1000  # per kind; past it the oldest go (a library has tens of rule files)


def code_hash(*paths: Path) -> str:
    """A hash of files (code, grammar, schemas) that what is kept was made by: a change to any
    of them makes the next process build afresh."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _path(part: str, key: str) -> Path | None:
    where = folder(part)
    if where is None:
        return None
    return where / f"{hashlib.sha256(key.encode()).hexdigest()[:40]}.pickle"


def read_kept(part: str, key: str, kind: type) -> Any:
    """What a process kept under `key`, if it is there, whole, and of the `kind` expected."""
    path = _path(part, key)
    if path is None or not path.is_file():
        return None
    try:
        with path.open("rb") as stream:
            found = pickle.load(stream)  # only from a private folder (see folder())
    except Exception:  # a file cut short, or written by another Python: made afresh
        return None
    return found if isinstance(found, kind) else None


def keep(part: str, key: str, value: object) -> None:
    """Keep `value` under `key` for the next process; nothing is kept where there is no folder."""
    path = _path(part, key)
    if path is None:
        return
    try:
        # Whole or not at all, even with processes side by side; private to this user.
        write_atomic(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), mode=0o600)
        _prune(path.parent)
    except OSError:
        pass  # a cache that cannot be written is only a slower next start


def _prune(where: Path) -> None:
    kept = list(where.glob("*.pickle"))
    if len(kept) <= _KEPT_MOST:
        return
    kept.sort(key=lambda p: p.stat().st_mtime)
    for old in kept[: len(kept) - _KEPT_MOST * 4 // 5]:
        old.unlink(missing_ok=True)
