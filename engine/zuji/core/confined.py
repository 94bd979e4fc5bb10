"""Files that a document names, read only from where the document may reach.

An inventory may name a supplier's PACT document by file (`{pact: supplier.json}`). The name is
written by whoever wrote the inventory, who may not be whoever runs Zuji (a platform that takes
enterprises' inventories, a verifier's shared folder): `../../etc/passwd`, a symbolic link to
`/proc/self/environ`, `/dev/zero` or a FIFO that never ends are all names. A named file is read
only when

- its real path (symbolic links resolved) lies inside the allowed root, which is the folder of
  the document that names it unless a wider one is configured;
- it is a regular file (no device, FIFO, socket or folder), judged on the opened file itself;
- the file opened is still the one inside the root (a link swapped in between the check and the
  open is caught on the open file descriptor); and
- at most the byte limit plus one byte is read, whatever size the file claims.

A refusal names the file as the document wrote it and says why, never what the file holds.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from zuji.core import limits
from zuji.core.errors import Diagnostic, DocumentError

# Opened without following a final link, without waiting on a FIFO and without adopting a
# terminal; each flag is left out where the platform has none.
_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


def _refused(message: str, hint: str = "", code: str = "E015") -> DocumentError:
    return DocumentError(Diagnostic(code, message, hint=hint))


def confined_path(given: str, base: Path, root: Path) -> Path:
    """The real path of the file `given` names relative to `base`, refused unless it lies inside
    the real path of `root`."""
    if "\x00" in given or not given.strip():
        raise _refused("the file name is empty or holds a NUL character")
    if Path(given).is_absolute():
        raise _refused(
            f"'{given}' is an absolute path", "name the file relative to the inventory file"
        )
    allowed = Path(os.path.realpath(root))
    real = Path(os.path.realpath(base / given))
    if not real.is_relative_to(allowed):
        raise _refused(
            f"'{given}' lies outside the folder documents may be read from",
            "put the file in the inventory's folder or below it (or name a wider folder with "
            "--documents-root)",
        )
    return real


def read_confined(given: str, base: Path, root: Path, limit: str = "document_bytes") -> bytes:
    """The bytes of the regular file `given` names (relative to `base`), inside `root`, at most
    the named limit; any other file is a DocumentError (E015, E010 or E086) naming `given`."""
    real = confined_path(given, base, root)
    try:
        descriptor = os.open(real, _FLAGS)
    except OSError as exc:
        raise _refused(f"cannot read '{given}': {exc.strerror}", code="E010") from None
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise _refused(
                f"'{given}' is not a regular file (a folder, device, FIFO or socket)",
                "name a JSON file",
            )
        _still_inside(descriptor, status, real, Path(os.path.realpath(root)), given)
        most = getattr(limits.current(), limit)
        raw = _read_at_most(descriptor, most + 1)
    finally:
        os.close(descriptor)
    if len(raw) > most:
        raise _refused(
            f"'{given}' is larger than the {limits.current().describe(limit)}",
            f"raise the limit if the file is genuine: ZUJI_LIMITS={limit}=...",
            code="E086",
        )
    return raw


def read_regular(path: Path, most: int) -> bytes | None:
    """At most `most` + 1 bytes of a regular file, opened without waiting on a FIFO; None when
    the path is no regular file (a device, FIFO, socket or folder). OSError when unreadable."""
    descriptor = os.open(path, _FLAGS & ~getattr(os, "O_NOFOLLOW", 0))
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return None
        return _read_at_most(descriptor, most + 1)
    finally:
        os.close(descriptor)


def _still_inside(
    descriptor: int, status: os.stat_result, real: Path, root: Path, given: str
) -> None:
    """The open file is the one checked: where the system can say which file a descriptor is
    (Linux's /proc/self/fd), its path lies inside the root; elsewhere, it is the same file
    (device and inode) as the checked path."""
    try:
        opened = Path(os.readlink(f"/proc/self/fd/{descriptor}"))
        inside = opened.is_relative_to(root)
    except OSError:
        try:
            now = os.stat(real, follow_symlinks=False)
        except OSError:
            now = None
        inside = now is not None and (now.st_dev, now.st_ino) == (status.st_dev, status.st_ino)
    if not inside:
        raise _refused(
            f"'{given}' changed while it was being opened (a link to a file elsewhere?)",
            "put the file itself in the inventory's folder",
        )


def _read_at_most(descriptor: int, count: int) -> bytes:
    chunks: list[bytes] = []
    left = count
    while left > 0:
        chunk = os.read(descriptor, min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
