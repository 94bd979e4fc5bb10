"""`zuji check` remembers its report, as ruff and mypy remember theirs: a library checked again
with nothing changed gets the same report without compiling a rule or reading a case.

The report is kept under a hash of everything it could depend on, taken in a few milliseconds
before anything of the engine is imported:

- the bytes of every file of the libraries the check can read: the bundled library's grammar,
  rules and standards, and for each path checked the library it lies in (its zuji.toml, rule
  folder and standards folder). A rule, a module, a dataset, a case or a supplier's file
  changed, added or removed is a new key;
- the engine: Zuji's version, every file of its package (name, size and time of change, as make
  tells a changed source), the versions of Python and of the libraries that parse rules,
  convert units and validate inventories;
- how it was asked: the paths, --format and --strict, the working folder (diagnostics name
  files relative to it), the language of the messages, the limits in force, the active library
  and every ZUJI_ setting.

A path that lies in no library, and a check against a git revision (--base, which reads git's
history), are checked afresh every time. `zuji check --no-cache` checks afresh and keeps the
new report; ZUJI_CACHE=off keeps nothing. Reports are kept in Zuji's cache folder (core/cachedir),
private to the user.
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from zuji.core import cachedir, i18n, limits
from zuji.core import library as lib
from zuji.core.version import __version__

KIND = "check-reports"
# Libraries whose versions change what a check finds (the grammar's parser, units, schemas).
_ENGINE_LIBRARIES = ("lark", "pint", "jsonschema_rs", "yaml", "pydantic", "sympy", "numpy")
_SKIPPED_FOLDERS = {"__pycache__", ".git", ".venv", "node_modules", "site", "build"}


@dataclass(frozen=True)
class Report:
    """What a check printed, and the exit code it ended with."""

    text: str
    code: int


def report_key(targets: list[Path], output: str, strict: bool) -> str | None:
    """The hash a check of `targets` is kept under; None when it must be checked afresh."""
    folders: set[Path] = {lib.root() / part for part in ("grammar", "pcr", "standards")}
    for target in targets:
        library = lib.discover(target if target.is_dir() else target.parent)
        if library is None:
            return None
        committee = lib.library_at(library)
        if committee is not None:
            folders |= {committee.root / lib.CONFIG, committee.pcr}
            if committee.standards is not None:
                folders.add(committee.standards)
    digest = hashlib.sha256()
    for part in _asked(targets, output, strict) + _engine():
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    for folder in sorted(folders):
        _add_files(digest, folder)
    return digest.hexdigest()


def _asked(targets: list[Path], output: str, strict: bool) -> list[str]:
    settings = sorted(f"{k}={v}" for k, v in os.environ.items() if k.startswith("ZUJI_"))
    return [
        "zuji check report 1",
        *(str(t.resolve()) for t in targets),
        output,
        str(strict),
        os.getcwd(),
        i18n.language(),
        repr(limits.current()),  # as ZUJI_LIMITS gave them, or a program's limits.configure()
        repr(lib.active()),  # the library a program chose with library.use()
        *settings,
    ]


def _engine() -> list[str]:
    parts = [__version__, sys.version]
    package = str(Path(__file__).resolve().parent.parent)
    for current, subfolders, files in os.walk(package):
        subfolders[:] = sorted(s for s in subfolders if s != "__pycache__")
        for name in sorted(files):
            info = os.stat(os.path.join(current, name))
            parts.append(f"{current[len(package) :]}/{name}:{info.st_size}:{info.st_mtime_ns}")
    for name in _ENGINE_LIBRARIES:
        spec = find_spec(name)
        origin = spec.origin if spec is not None else None
        if origin is not None:
            info = Path(origin).stat()
            parts.append(f"{name}:{origin}:{info.st_size}:{info.st_mtime_ns}")
    return parts


def _add_files(digest: hashlib._Hash, folder: Path) -> None:
    """Every file under `folder` (or the file itself), by its path and bytes; a missing one
    counts as missing."""
    if folder.is_file():
        digest.update(str(folder).encode("utf-8", "surrogateescape") + b"\0")
        digest.update(hashlib.sha256(folder.read_bytes()).digest())
        return
    if not folder.is_dir():
        digest.update(b"missing:" + str(folder).encode("utf-8", "surrogateescape") + b"\0")
        return
    for current, subfolders, files in os.walk(folder):
        subfolders[:] = sorted(s for s in subfolders if s not in _SKIPPED_FOLDERS)
        for name in sorted(files):
            path = Path(current) / name
            digest.update(str(path).encode("utf-8", "surrogateescape") + b"\0")
            try:
                digest.update(hashlib.sha256(path.read_bytes()).digest())
            except OSError:
                digest.update(b"unreadable\0")


def kept(key: str) -> Report | None:
    found = cachedir.read_kept(KIND, key, Report)
    return found if isinstance(found, Report) else None


def keep(key: str, report: Report) -> None:
    cachedir.keep(KIND, key, report)
