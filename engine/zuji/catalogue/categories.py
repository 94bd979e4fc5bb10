"""The product categories the catalogue files footprints under: its PCRs' names in both
languages and their stages' titles, read from the library's rule files once per PCR id per
process (parsing a header costs milliseconds; the pages and every publication need it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from zuji.core import library
from zuji.core.errors import ZujiError
from zuji.lang.load import load_file


@dataclass(frozen=True)
class Category:
    """A PCR as the public pages name it. A PCR the library no longer holds keeps its id only."""

    id: str
    name_zh: str = ""
    name_en: str = ""
    version: str = ""
    # Stage name → (Chinese title, English title), in the rule's order.
    stages: tuple[tuple[str, str, str], ...] = field(default=())

    def name(self, lang: str) -> str:
        """The name in `lang`, else the other, else the id."""
        first, second = (
            (self.name_zh, self.name_en) if lang == "zh" else (self.name_en, self.name_zh)
        )
        return first or second or self.id

    def stage_title(self, stage: str, lang: str) -> str:
        for name, zh, en in self.stages:
            if name == stage:
                return (zh or en) if lang == "zh" else (en or zh)
        return stage


def category(pcr_id: str) -> Category:
    """The PCR `pcr_id` of the active library, read once per process."""
    return _category(library.pcr_root(), pcr_id)


@cache
def _category(root: Path, pcr_id: str) -> Category:
    path = root / pcr_id / f"{pcr_id}.pcr"
    if not path.is_file():
        return Category(pcr_id)
    try:
        rule, _ = load_file(path)
    except ZujiError:
        return Category(pcr_id)
    stages = tuple((s.name, s.description.zh or "", s.description.en or "") for s in rule.stages)
    return Category(pcr_id, rule.name.zh or "", rule.name.en or "", rule.version, stages)


def categories() -> tuple[Category, ...]:
    """Every PCR of the active library (modules left out), by id."""
    return _categories(library.pcr_root())


@cache
def _categories(root: Path) -> tuple[Category, ...]:
    ids = sorted(
        p.stem
        for p in library.rule_files()
        if p.parent.name != "common" and p.parent.name == p.stem
    )
    return tuple(_category(root, pcr_id) for pcr_id in ids)
