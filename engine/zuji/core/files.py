"""Writing files so that a reader never sees one half written.

Every file Zuji writes (results, reports, PACT documents, keys, documentation pages, batch
outputs, plots) goes through :func:`write_atomic`, or for a file a library writes or streams
:func:`atomic_path` and begin/finish: the bytes go to a temporary file in the same folder, are
flushed to disk, and the temporary file then takes the target's name with ``os.replace``, which
is atomic on one file system. A crash or a full disk leaves either the old file or the new one,
never a mix, and no temporary file behind.

A folder of generated files (the rule pages under docs/pcr) is swapped in whole by
:func:`swap_folder`: it is built beside the target under a hidden name, and the target is a
symbolic link that is replaced atomically to point at the new build.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def write_atomic(
    path: Path, data: str | bytes, mode: int | None = None, durable: bool = True
) -> Path:
    """Write `data` (text as UTF-8) to `path` atomically; `mode` sets the permission bits the
    file has from its creation (0o600 for a private key), before any byte is written.
    `durable=False` for a file only kept to save work (a cache): readers still see it whole or
    not at all, but it is not flushed to the disk, which a crash may then lose."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = _temporary_file(path.name, ".tmp", folder)
    try:
        if mode is not None:
            os.fchmod(handle, mode)
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
        if mode is None:
            # mkstemp creates 0600; an ordinary output file gets the usual umask-based mode.
            os.chmod(temporary, 0o666 & ~_UMASK)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    if durable:
        _sync_folder(folder)
    return path


def begin(path: Path) -> Path:
    """A new empty temporary file beside `path`, with its suffix (so that a library choosing the
    format by the name still sees it), for a writer that streams its output; end with finish()
    or abandon()."""
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = _temporary_file(path.name, path.suffix or ".tmp", folder)
    os.close(handle)
    return Path(temporary)


def finish(temporary: Path, path: Path) -> Path:
    """The finished temporary file flushed to disk and given `path`'s name atomically."""
    try:
        with temporary.open("rb+") as stream:
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o666 & ~_UMASK)
        os.replace(temporary, path)
    except BaseException:
        abandon(temporary)
        raise
    _sync_folder(path.parent)
    return path


def abandon(temporary: Path) -> None:
    """A temporary file given up: removed, so that nothing half written is left."""
    temporary.unlink(missing_ok=True)


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside `path` for a library to write to (a plot, a workbook); it takes
    `path`'s name when the block ends without an error, and is removed when it does not."""
    temporary = begin(path)
    try:
        yield temporary
    except BaseException:
        abandon(temporary)
        raise
    finish(temporary, path)


def _temporary_file(name: str, suffix: str, folder: Path) -> tuple[int, str]:
    """A new private file beside the one it stands in for (tempfile is imported when a file is
    first written: `zuji --help` writes none)."""
    import tempfile

    return tempfile.mkstemp(prefix=f".{name}.", suffix=suffix, dir=folder)


def swap_folder(built: Path, target: Path) -> None:
    """Make `target` show the folder `built` (a sibling of it) in one atomic step.

    `target` becomes (or stays) a symbolic link to `built`; the link is replaced with
    ``os.replace``, so at every moment `target` shows either the previous build or the new one.
    The previous build is removed afterwards. A plain folder left at `target` by an older Zuji
    is moved aside first (the one moment the name is briefly absent, once per site)."""
    import shutil

    if built.parent != target.parent:
        raise ValueError("a folder is swapped in from beside its target")
    previous = target.resolve() if target.is_symlink() else None
    if target.exists() and not target.is_symlink():
        aside = target.with_name(f".{target.name}.old")
        shutil.rmtree(aside, ignore_errors=True)
        os.replace(target, aside)
        previous = aside
    # A name of its own for the new link, so that two builds at once cannot trip over it.
    link = target.with_name(f".{target.name}.link.{os.getpid()}.{os.urandom(4).hex()}")
    os.symlink(built.name, link, target_is_directory=True)
    try:
        os.replace(link, target)
    except BaseException:
        link.unlink(missing_ok=True)
        raise
    _sync_folder(target.parent)
    if previous is not None and previous != built.resolve() and previous.parent == target.parent:
        shutil.rmtree(previous, ignore_errors=True)


def place_folder(built: Path, target: Path) -> bool:
    """Give the complete folder `built` (a sibling) the name `target` in one step, unless a
    folder has that name already (another process placed the same content first): whether
    this one was placed. A folder named by its content never changes once placed, so a reader
    finds it whole or not at all."""
    if built.parent != target.parent:
        raise ValueError("a folder is placed from beside its target")
    _sync_folder(built)
    try:
        os.rename(built, target)  # refuses (on POSIX) to replace a folder that is not empty
    except OSError:
        if not target.is_dir():
            raise
        return False
    _sync_folder(target.parent)
    return True


def new_build_folder(target: Path) -> Path:
    """A new, empty, hidden folder beside `target` to build its next content in."""
    target.parent.mkdir(parents=True, exist_ok=True)
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    folder.chmod(0o777 & ~_UMASK)  # mkdtemp makes it private; a site's pages are for readers
    return folder


def _read_umask() -> int:
    # Read once, at import: os.umask can only be read by setting it, which is not thread-safe.
    current = os.umask(0o022)
    os.umask(current)
    return current


_UMASK = _read_umask()


def _sync_folder(folder: Path) -> None:
    """Flush the folder's entry for the renamed file, so the rename itself survives a crash."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:  # some platforms cannot open a folder; the rename is still atomic
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


__all__ = [
    "abandon",
    "atomic_path",
    "begin",
    "finish",
    "new_build_folder",
    "swap_folder",
    "write_atomic",
]
