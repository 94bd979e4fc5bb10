"""Where the grammar, the PCR library and the reference data live.

In a wheel they ship inside the package (zuji/_library); in a checkout they are the repository's
own grammar/, pcr/ and standards/ folders. Nothing else is searched, so an installed engine never
picks up stray files from the working folder unless a path is given explicitly.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

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


def pcr_root() -> Path:
    return root() / "pcr"


def standards_root() -> Path:
    return root() / "standards"


def own_standards(rule_file: Path) -> Path | None:
    """The standards folder of the library a rule file belongs to, when that library is not the
    bundled one: a committee's repository keeps pcr/<name>/<name>.pcr beside its own standards/.
    """
    try:
        library = rule_file.resolve().parent.parent.parent
        own = library / "standards"
        if rule_file.resolve().parent.parent.name != "pcr" or not (own / "factors").is_dir():
            return None
        return None if own.resolve() == standards_root().resolve() else own
    except OSError:
        return None


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
        return _inside_library(relative)
    candidates = []
    if near is not None:
        candidates.append(near.resolve().parent.parent / relative)
    candidates.append(pcr_root() / relative)
    return next((c for c in candidates if _is_file(c)), None)


def _inside_library(relative: Path) -> Path | None:
    library = pcr_root().resolve()
    try:
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
    candidate = pcr_root() / name / f"{name}.pcr"
    return candidate if candidate.is_file() else None
