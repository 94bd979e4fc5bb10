"""The published rule documentation: MkDocs pages generated from the parsed rules.

`zuji docs` writes, from the rules the engine executes:

- <docs_dir>/pcr/<id>.md           one page per PCR that checks without errors
- <docs_dir>/pcr/<module path>.md  one page per shared module (pcr/common/electricity.md)
- <docs_dir>/pcr/index.md          the PCRs grouped by industry
- mkdocs.generated.yml             beside mkdocs.yml: INHERITs it and adds the rules to the nav

The folder docs/pcr/ and the generated config are never committed; `make docs` and `make test`
regenerate them before every build, so the site cannot drift from the rules.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from zuji.core.errors import Diagnostic, UsageError
from zuji.interfaces.docsite import module_page, pcr_page
from zuji.interfaces.docsite.collect import Library, Skipped, collect, collect_all
from zuji.interfaces.docsite.index_page import render as render_index
from zuji.interfaces.docsite.nav import GENERATED_CONFIG, read_config, rules_nav, write_config
from zuji.lang import model as m

MARKER = ".zuji-generated"


@dataclass
class Generated:
    pages: list[Path] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    config: Path | None = None


def generate(config: Path, pcr_root: Path | list[Path] | None = None) -> Generated:
    """Write the rule pages and the generated config for the MkDocs config at `config`, from
    the rules under `pcr_root` (one folder or several; the active library's by default)."""
    settings = read_config(config)
    docs_dir = (config.parent / str(settings.get("docs_dir", "docs"))).resolve()
    out = docs_dir / "pcr"
    _clear(out)
    library = collect_all(pcr_root) if isinstance(pcr_root, list) else collect(pcr_root)
    done = Generated(skipped=library.skipped)

    module_files = {
        name: out / Path(*name.split(".")).with_suffix(".md") for name in library.modules
    }
    pcr_files = {p.id: out / f"{p.id}.md" for p in library.pcrs}
    texts = _render_all(library, pcr_files, module_files)
    for path, text in texts.items():
        done.pages.append(_write(path, text))
    index = out / "index.md"
    done.pages.append(_write(index, render_index(library, pcr_files, module_files, index)))
    relative = {k: v.relative_to(docs_dir).as_posix() for k, v in pcr_files.items()}
    modules = {k: v.relative_to(docs_dir).as_posix() for k, v in module_files.items()}
    nav = rules_nav(library, relative, modules, index.relative_to(docs_dir).as_posix())
    done.config = write_config(config, settings, nav)
    return done


def _render_all(
    library: Library, pcr_files: dict[str, Path], module_files: dict[str, Path]
) -> dict[Path, str]:
    """Every page's text. A page that cannot be written is dropped, with the links to it."""
    while True:
        failed: list[Skipped] = []
        texts = _render_pcrs(library, pcr_files, module_files, failed)
        texts.update(_render_modules(library, pcr_files, module_files, failed))
        if not failed:
            return texts
        _drop(library, pcr_files, module_files, failed)


def _render_pcrs(
    library: Library,
    pcr_files: dict[str, Path],
    module_files: dict[str, Path],
    failed: list[Skipped],
) -> dict[Path, str]:
    texts: dict[Path, str] = {}
    for pcr in library.pcrs:
        links = {name: _rel(path, pcr_files[pcr.id]) for name, path in module_files.items()}
        text = _render(lambda: pcr_page.render(pcr, links), pcr.rule, failed)  # noqa: B023
        if text is not None:
            texts[pcr_files[pcr.id]] = text
    return texts


def _render_modules(
    library: Library,
    pcr_files: dict[str, Path],
    module_files: dict[str, Path],
    failed: list[Skipped],
) -> dict[Path, str]:
    texts: dict[Path, str] = {}
    for name, module in library.modules.items():
        users = [
            (pcr_page.title(p.rule), _rel(pcr_files[p.id], module_files[name]))
            for p in library.pcrs
            if any(u.module == name for u in p.rule.uses)
        ]
        text = _render(
            lambda: module_page.render(name, module, users),  # noqa: B023
            module.rule,
            failed,
        )
        if text is not None:
            texts[module_files[name]] = text
    return texts


def _drop(
    library: Library,
    pcr_files: dict[str, Path],
    module_files: dict[str, Path],
    failed: list[Skipped],
) -> None:
    """Take the rules whose pages failed out of the library and of the page maps, so that the
    next pass writes no link to a page that will not exist."""
    library.skipped += failed
    gone = {s.path for s in failed}
    library.pcrs = [p for p in library.pcrs if Path(p.rule.path) not in gone]
    library.modules = {k: v for k, v in library.modules.items() if Path(v.rule.path) not in gone}
    for key in [k for k in pcr_files if k not in {p.id for p in library.pcrs}]:
        del pcr_files[key]
    for key in [k for k in module_files if k not in library.modules]:
        del module_files[key]


def _render(write: Callable[[], str], rule: m.RuleFile, failed: list[Skipped]) -> str | None:
    try:
        return write()
    except Exception as exc:  # one odd rule file must not stop the site
        failed.append(
            Skipped(
                Path(rule.path),
                rule.id,
                rule.kind,
                f"its page cannot be written: {type(exc).__name__}: {exc}",
                rule,
            )
        )
        return None


def _clear(out: Path) -> None:
    if out.exists():
        if not (out / MARKER).exists():
            raise UsageError(
                Diagnostic(
                    "E002",
                    f"{out} exists but was not written by "
                    "`zuji docs`; move it away, it would be overwritten",
                )
            )
        shutil.rmtree(out)
    out.mkdir(parents=True)
    # Marked first, so that a run that fails half-way can still be cleared by the next one.
    (out / MARKER).write_text(
        "Generated by `zuji docs`; rewritten on every build.\n", encoding="utf-8"
    )


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _rel(target: Path, page: Path) -> str:
    return Path(os.path.relpath(target, page.parent)).as_posix()


__all__ = ["GENERATED_CONFIG", "Generated", "generate"]
