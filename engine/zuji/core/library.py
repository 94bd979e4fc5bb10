"""Where the grammar, the PCR library and the reference data live.

The bundled library ships inside the package (zuji/_library) in a wheel; in a checkout it is the
repository's own grammar/, pcr/ and standards/ folders.

A committee keeps its own library in its own repository: a folder holding pcr/ (and perhaps its
own standards/), or a zuji.toml naming its folders. The command line makes the nearest such
folder (the working folder upwards; --library or ZUJI_LIBRARY say otherwise) the active library:
PCR ids, listings and default targets are then the committee's. A program that imports Zuji uses
the bundled library unless it calls `use()` or sets ZUJI_LIBRARY, so an installed engine never
picks up stray files from the working folder by itself. Which datasets a rule file is evaluated
with follows from where the file lies (`library_of`), whoever loads it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from zuji.core.errors import Diagnostic, UsageError

CONFIG = "zuji.toml"
ENVIRONMENT = "ZUJI_LIBRARY"

# This module lies in zuji/core/; the package folder is its parent.
_PACKAGE = Path(__file__).resolve().parent.parent


@cache
def root() -> Path:
    """The folder holding grammar/, pcr/ and standards/."""
    bundled = _PACKAGE / "_library"
    if (bundled / "grammar").is_dir():
        return bundled
    checkout = _PACKAGE.parent.parent
    if (checkout / "grammar" / "pcr.lark").is_file():
        return checkout
    raise RuntimeError("Zuji's library (grammar, pcr, standards) is missing from this installation")


def grammar_path() -> Path:
    return root() / "grammar" / "pcr.lark"


@cache
def bundled_pcr_root() -> Path:
    return root() / "pcr"  # asked for by every public page's categories: made once


def pcr_root() -> Path:
    """The rule folder of the active library: the committee's, or the bundled one."""
    committee = active()
    return committee.pcr if committee is not None else bundled_pcr_root()


@dataclass(frozen=True)
class Library:
    """A committee's library: its rule folder, its own standards folder (if it has one), and
    whether the bundled GWP sets and shared modules are available beside its own."""

    root: Path
    pcr: Path
    standards: Path | None
    bundled_gwp: bool = True
    bundled_modules: bool = True
    name: str = ""


def discover(start: Path) -> Path | None:
    """The nearest folder, from `start` upwards, holding a zuji.toml or a pcr/ folder."""
    try:
        here = start.resolve()
    except OSError:
        return None
    for folder in (here, *here.parents):
        if _is_file(folder / CONFIG) or (folder / "pcr").is_dir():
            return folder
    return None


def library_at(folder: Path) -> Library | None:
    """The committee library whose root is `folder`; None when it is the bundled library."""
    return _library_at(folder.resolve())


@cache
def _library_at(folder: Path) -> Library | None:
    if folder == root().resolve():
        return None
    settings = _settings(folder / CONFIG)
    pcr = folder / str(settings.get("pcr", "pcr"))
    standards = folder / str(settings.get("standards", "standards"))
    has_standards = (standards / "factors").is_dir() or (standards / "gwp").is_dir()
    return Library(
        folder,
        pcr,
        standards if has_standards else None,
        bool(settings.get("bundled_gwp", True)),
        bool(settings.get("bundled_modules", True)),
        str(settings.get("name", folder.name)),
    )


def _settings(config: Path) -> dict[str, object]:
    """The [library] table of a zuji.toml (empty without one); a mistake is a usage error."""
    if not _is_file(config):
        return {}
    import tomllib  # only a committee's library has a zuji.toml to read

    try:
        document = tomllib.loads(config.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(Diagnostic("E016", f"{config}: not a valid zuji.toml ({exc})")) from None
    table = document.get("library", {})
    known = {"name", "pcr", "standards", "bundled_gwp", "bundled_modules"}
    if not isinstance(table, dict) or set(table) - known:
        unknown = ", ".join(sorted(set(table) - known)) if isinstance(table, dict) else "library"
        raise UsageError(
            Diagnostic(
                "E016",
                f"{config}: unknown setting {unknown} in [library]; "
                f"known: {', '.join(sorted(known))}",
            )
        )
    for key in ("pcr", "standards"):
        value = table.get(key, key)
        if not isinstance(value, str) or Path(value).is_absolute() or ".." in Path(value).parts:
            raise UsageError(
                Diagnostic("E016", f"{config}: {key} must be a folder inside the library")
            )
    return table


def library_of(rule_file: Path) -> Library | None:
    """The committee library a rule file belongs to (None: the bundled library, or none)."""
    found = discover(rule_file.parent)
    if found is None:
        return None
    committee = library_at(found)
    if committee is None:
        return None
    try:
        inside = rule_file.resolve().is_relative_to(committee.pcr.resolve())
    except OSError:
        inside = False
    return committee if inside else None


_ACTIVE: list[Library | None] = []  # set by use(); empty: decided by ZUJI_LIBRARY


def use(folder: Path | None) -> Library | None:
    """Make the library at `folder` (None: the bundled one) the active library."""
    committee = library_at(folder) if folder is not None else None
    _ACTIVE[:] = [committee]
    return committee


def active() -> Library | None:
    """The active committee library, or None when the bundled library is active."""
    if _ACTIVE:
        return _ACTIVE[0]
    named = os.environ.get(ENVIRONMENT)
    return library_at(Path(named)) if named else None


def standards_root() -> Path:
    return root() / "standards"


def own_standards(rule_file: Path) -> Path | None:
    """The standards folder of the committee library a rule file belongs to, if it has one."""
    committee = library_of(rule_file)
    return committee.standards if committee is not None else None


def factors_root() -> Path:
    return standards_root() / "factors"


def gwp_root() -> Path:
    return standards_root() / "gwp"


def schemas_root() -> Path:
    return standards_root() / "schemas"


def rule_files(folder: Path | None = None) -> list[Path]:
    """Every rule file below a folder (the library by default), sorted."""
    return sorted((folder or pcr_root()).rglob("*.pcr"))


# Set while a rule text that came over the network is loaded: its file name is the caller's
# choice, not a place on this machine, so its modules may come from the bundled library only.
_LIBRARY_ONLY: ContextVar[bool] = ContextVar("library_only", default=False)


@contextmanager
def library_only() -> Iterator[None]:
    """Within the block, `use` finds modules in the bundled library and nowhere else."""
    token = _LIBRARY_ONLY.set(True)
    try:
        yield
    finally:
        _LIBRARY_ONLY.reset(token)


def module_path(dotted: str, near: Path | None = None) -> Path | None:
    """The file of a module named like common.electricity: pcr/common/electricity.pcr.

    A module is looked for first in the library of the PCR that uses it (the folder above the
    PCR's own), then in the bundled library; inside `library_only()` only in the bundled one,
    and never outside it (a dotted name cannot climb out, and symlinks are resolved).
    """
    relative = Path(*dotted.split(".")).with_suffix(".pcr")
    if _LIBRARY_ONLY.get():
        return next(filter(None, (_inside(r, relative) for r in _module_roots(None))), None)
    candidates = []
    if near is not None:
        candidates.append(near.resolve().parent.parent / relative)
    candidates.extend(r / relative for r in _module_roots(near))
    return next((c for c in candidates if _is_file(c)), None)


def _module_roots(near: Path | None) -> list[Path]:
    """Where modules are looked for: the committee's rule folder (the rule file's library, else
    the active one), then the bundled one unless the committee pinned its own modules."""
    committee = library_of(near) if near is not None else None
    committee = committee or active()
    if committee is None:
        return [bundled_pcr_root()]
    return [committee.pcr] + ([bundled_pcr_root()] if committee.bundled_modules else [])


def _inside(library: Path, relative: Path) -> Path | None:
    try:
        library = library.resolve()
        candidate = (library / relative).resolve()
    except (OSError, RuntimeError):
        return None
    if not candidate.is_relative_to(library) or not _is_file(candidate):
        return None
    return library / relative


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a name longer than the file system allows is simply not there
        return False


def find_pcr(name: str) -> Path | None:
    """A PCR given by path, by folder, or by id from the library."""
    path = Path(name)
    if path.is_file():
        return path
    if path.is_dir():
        own = path / f"{path.name}.pcr"
        return own if own.is_file() else None
    if "/" in name or "\\" in name or name.startswith("."):
        return None  # an id names a folder of the library, never a way out of it
    candidate = pcr_root() / name / f"{name}.pcr"
    return candidate if _is_file(candidate) else None
