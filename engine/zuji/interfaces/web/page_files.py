"""The public pages the service's workers on one machine have written, kept in a folder they
share, so that a page one worker wrote is sent by the others instead of written again.

`zuji serve --workers 4` runs four processes, each with its own kept pages (page_cache.py): a
page asked of each in turn was written four times, and a catalogue of 10^5 products is seldom
asked the same page twice by one worker. Here the first worker to write a page leaves it in the
folder, and the others read it there (a file read, a tenth of a millisecond) instead of writing
it (a few milliseconds of queries, signature and template).

The folder is the user's cache folder (core/cachedir.py: private to the user, ZUJI_CACHE=off
keeps nothing), one sub-folder per catalogue: its random name (migration 0006) with its address,
so neither another catalogue nor one made again at the same path reads a page not its own. A
page's file is named by the revision it was written at (a page is found only under the
catalogue's revision now) and a hash of its key; its first line says its key, the moment it
was written, the moment it must no longer be sent, its status, headers and length, so a file
cut short, or one for another key, is not sent. Files of other revisions, and the oldest past
the folder's share of bytes, are removed now and then by the worker writing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from zuji.core import cachedir
from zuji.core.files import write_atomic

Key = tuple[str, str, str]  # path, query, reader's language
PRUNED_EVERY = 200  # pages written between two looks at the folder's size
ABANDONED = 60.0  # seconds after which a file being written is taken as abandoned
FORGOTTEN = 7 * 86400.0  # seconds after which a catalogue's folder nobody wrote in is removed


@dataclass(frozen=True)
class Kept:
    """A page as it was sent, with the times (seconds since the epoch, as a footprint's validity
    is counted) between which it may be sent again."""

    revision: int
    written: float
    until: float
    status: int
    body: bytes
    headers: tuple[tuple[bytes, bytes], ...]


class PageFiles:
    """One catalogue's shared pages, at most `most_bytes` of them."""

    def __init__(self, folder: Path, most_bytes: int) -> None:
        self.folder = folder
        self.most_bytes = most_bytes
        self._written = 0
        self._lock = threading.Lock()

    @classmethod
    def of(cls, instance: str, address: str, most_bytes: int) -> PageFiles | None:
        """The shared pages of the catalogue named `instance` at `address`, or None where there
        is no private cache folder to keep them in."""
        pages = cachedir.folder("pages")
        if pages is None or not most_bytes:
            return None
        name = hashlib.sha256(f"{instance}\0{address}".encode()).hexdigest()[:24]
        folder = pages / name
        try:
            folder.mkdir(mode=0o700, exist_ok=True)
        except OSError:
            return None
        _forget_unserved(pages, keep=folder)
        return cls(folder, most_bytes)

    def _file(self, revision: int, key: Key) -> Path:
        digest = hashlib.sha256("\0".join(key).encode("utf-8", "surrogatepass")).hexdigest()
        return self.folder / f"{revision}-{digest[:40]}.page"

    def read(self, revision: int, key: Key, now: float) -> Kept | None:
        """The page kept for `key` at `revision`, if it is there, whole, its own and in time."""
        try:
            with self._file(revision, key).open("rb") as stream:
                head, body = stream.readline(), stream.read()
            said = json.loads(head)
            if said["key"] != list(key) or said["length"] != len(body) or now >= said["until"]:
                return None
            headers = tuple(
                (name.encode("latin-1"), value.encode("latin-1")) for name, value in said["headers"]
            )
            return Kept(revision, said["written"], said["until"], said["status"], body, headers)
        except (OSError, ValueError, KeyError, TypeError):
            return None  # not there, or cut short, or not a page of ours: written afresh

    def write(self, key: Key, kept: Kept) -> None:
        """Leave `kept` for the other workers; a folder that cannot be written only costs them
        the page written again."""
        said = {
            "key": list(key),
            "written": kept.written,
            "until": kept.until,
            "status": kept.status,
            "headers": [[n.decode("latin-1"), v.decode("latin-1")] for n, v in kept.headers],
            "length": len(kept.body),
        }
        head = json.dumps(said, ensure_ascii=True).encode("ascii") + b"\n"
        try:
            # Moved into its place whole, so a reader sees all or nothing; not flushed to the
            # disk: a page a crash loses is only written again.
            write_atomic(self._file(kept.revision, key), head + kept.body, durable=False)
        except OSError:
            return
        with self._lock:
            self._written += 1
            due = self._written % PRUNED_EVERY == 0
        if due:
            self.prune(kept.revision)

    def prune(self, revision: int) -> None:
        """Remove the pages of any other revision (never to be sent again: the revision only
        grows, and one that went back, a catalogue restored from a copy, must not find pages
        written after the copy was made), then the oldest written while the rest pass the
        folder's share of bytes."""
        mine = f"{revision}-"
        left: list[tuple[float, int, str]] = []
        abandoned = time.time() - ABANDONED
        try:
            with os.scandir(self.folder) as entries:
                for entry in entries:
                    if entry.name.endswith(".tmp") and entry.stat().st_mtime < abandoned:
                        _remove(entry.path)  # left by a worker stopped while writing
                    elif entry.name.endswith(".page") and not entry.name.startswith(mine):
                        _remove(entry.path)
                    elif entry.name.endswith(".page"):
                        info = entry.stat()
                        left.append((info.st_mtime, info.st_size, entry.path))
        except OSError:
            return
        total = sum(size for _, size, _ in left)
        if total <= self.most_bytes:
            return
        left.sort()
        for _, size, path in left:
            if total <= self.most_bytes * 4 // 5:
                break
            _remove(path)
            total -= size


def _forget_unserved(pages: Path, keep: Path) -> None:
    """Remove the folders of catalogues no service has written a page of for FORGOTTEN seconds
    (a catalogue removed, moved, or made again): nothing else would."""
    long_ago = time.time() - FORGOTTEN
    try:
        with os.scandir(pages) as entries:
            old = [Path(e.path) for e in entries if e.is_dir() and e.stat().st_mtime < long_ago]
    except OSError:
        return
    for folder in old:
        if folder != keep:
            shutil.rmtree(folder, ignore_errors=True)


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):  # removed by another worker first
        os.unlink(path)
