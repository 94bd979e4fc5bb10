"""Which rule files the site documents: every one that checks without errors, loaded once.

A rule file that does not parse or check (a PCR half-written by a committee) is skipped with the
reason, never allowed to stop the site: the index still names it, unlinked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from zuji.core import library as lib
from zuji.core.errors import Diagnostic, ZujiError
from zuji.lang import model as m
from zuji.lang.build import load_file
from zuji.runtime.pcr import PCR
from zuji.runtime.pcr import load as load_pcr


@dataclass
class Skipped:
    path: Path
    id: str
    kind: str
    reason: str
    rule: m.RuleFile | None = None


@dataclass
class Library:
    pcrs: list[PCR] = field(default_factory=list)
    modules: dict[str, PCR] = field(default_factory=dict)  # dotted name -> loaded module
    skipped: list[Skipped] = field(default_factory=list)


def module_name(path: Path, root: Path) -> str:
    """common.electricity for pcr/common/electricity.pcr: the name `use` writes."""
    return ".".join(path.relative_to(root).with_suffix("").parts)


def collect_all(roots: list[Path]) -> Library:
    """The rules under several folders (a committee's first), and the modules their PCRs use
    from elsewhere (the bundled shared modules), so that every page's links have a target."""
    found = Library()
    for root in roots:
        more = collect(root)
        found.pcrs += [p for p in more.pcrs if p.id not in {q.id for q in found.pcrs}]
        found.modules = {**more.modules, **found.modules}
        found.skipped += more.skipped
    used = {u.module for p in found.pcrs for u in p.rule.uses} - set(found.modules)
    for name in sorted(used):
        path = lib.module_path(name)
        loaded = _load(path)[0] if path is not None else None
        if loaded is not None:
            found.modules[name] = loaded
    found.pcrs.sort(key=lambda p: p.id)
    return found


def collect(root: Path | None = None) -> Library:
    root = root or lib.pcr_root()
    found = Library()
    for path in lib.rule_files(root):
        loaded, problem = _load(path)
        if loaded is None:
            rule = _parse_only(path)
            found.skipped.append(
                Skipped(
                    path,
                    rule.id if rule else path.stem,
                    rule.kind if rule else "pcr",
                    problem,
                    rule,
                )
            )
        elif loaded.rule.kind == "module":
            found.modules[module_name(path, root)] = loaded
        else:
            found.pcrs.append(loaded)
    found.pcrs.sort(key=lambda p: p.id)
    return found


def _load(path: Path) -> tuple[PCR | None, str]:
    try:
        loaded = load_pcr(path)
    except ZujiError as exc:
        return None, _first(exc.diagnostics)
    except Exception as exc:  # a broken rule file must not stop the site
        return None, f"{type(exc).__name__}: {exc}"
    if loaded.errors:
        return None, _first(loaded.errors) + (
            f" (and {len(loaded.errors) - 1} more)" if len(loaded.errors) > 1 else ""
        )
    return loaded, ""


def _first(diagnostics: list[Diagnostic]) -> str:
    if not diagnostics:
        return "does not load"
    diag = diagnostics[0]
    where = f"{diag.span}: " if diag.span else ""
    return f"{where}error[{diag.code}]: {diag.message}"


def _parse_only(path: Path) -> m.RuleFile | None:
    try:
        return load_file(path)[0]
    except Exception:  # only used to name what was skipped
        return None


# HS chapters (the first two digits of an HS code) and the industry they belong to, for the index.
INDUSTRIES: list[tuple[tuple[int, ...], str, str]] = [
    ((25, 68, 69, 70), "Building materials", "建材"),
    ((72, 73), "Iron and steel", "钢铁"),
    ((74, 75, 76, 78, 79, 80, 81), "Non-ferrous metals", "有色金属"),
    ((27,), "Energy and coking", "能源与焦化"),
    ((28,), "Inorganic chemicals", "无机化工"),
    ((29,), "Organic chemicals", "有机化工"),
    ((31,), "Fertilisers", "化肥"),
    ((39,), "Plastics", "塑料"),
    ((40,), "Rubber", "橡胶"),
]
OTHER = ("Other products", "其他产品")


def industry(rule: m.RuleFile) -> tuple[str, str]:
    """The industry of a PCR, from the HS code of its classification."""
    for code in rule.classification:
        hit = re.search(r"\bHS\s*(\d{2})", code, re.IGNORECASE)
        if hit:
            chapter = int(hit[1])
            for chapters, en, zh in INDUSTRIES:
                if chapter in chapters:
                    return en, zh
    return OTHER


def industry_order(key: tuple[str, str]) -> int:
    names = [(en, zh) for _, en, zh in INDUSTRIES] + [OTHER]
    return names.index(key) if key in names else len(names)
