"""The site of a committee's own library, built with the engine's site configuration.

A committee's repository holds rules, datasets and cases, not a copy of the engine's MkDocs
setup: `zuji docs` writes, under the library's .zuji/site/ (never committed), a config made
from the engine's own mkdocs.yml (found beside the package, in a wheel inside it) with the
engine's hooks named by their installed path, a home page, the engine's stylesheets and the rule
pages. The bundled PCRs are published only when asked for; the bundled shared modules the
committee's PCRs use always are, so that every link on their pages has a target.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from zuji.core import library as lib
from zuji.core.errors import Diagnostic, UsageError
from zuji.core.files import write_atomic
from zuji.interfaces.docsite import Generated, generate
from zuji.interfaces.docsite.nav import read_config

SITE = Path(".zuji") / "site"


def engine_config() -> Path:
    """The engine's own mkdocs.yml: in a checkout beside the library, in a wheel inside it."""
    config = lib.root() / "mkdocs.yml"
    if not config.is_file():
        raise UsageError(
            Diagnostic("E002", "the engine's site configuration (mkdocs.yml) is not installed")
        )
    return config


def generate_committee(committee: lib.Library, with_bundled: bool = False) -> Generated:
    """Write the committee's site sources and config; build with mkdocs build -f <config>."""
    site = committee.root / SITE
    docs = site / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    assets = lib.root() / "docs" / "assets"
    if assets.is_dir():
        shutil.copytree(assets, docs / "assets", dirs_exist_ok=True)
    write_atomic(docs / "index.md", _home(committee, with_bundled))
    config = site / "mkdocs.yml"
    write_atomic(config, _config_text(committee))
    roots = [committee.pcr] + ([lib.bundled_pcr_root()] if with_bundled else [])
    return generate(config, roots)


def _config_text(committee: lib.Library) -> str:
    settings = read_config(engine_config())
    hooks = Path(__file__).resolve().parent / "hooks.py"
    settings.update(
        {
            "site_name": f"{committee.name} · Product Category Rules",
            "docs_dir": "docs",
            # The built site goes to site/ at the top of the committee's repository.
            "site_dir": str(committee.root.resolve() / "site"),
            "hooks": [str(hooks)],
            "nav": [{"Home": "index.md"}, {"Rules": "pcr/index.md"}],
        }
    )
    settings.pop("copyright", None)
    # The theme's overrides (the search's "no PCR" wording) are the engine's, wherever it lies.
    theme = dict(settings.get("theme") or {})
    if "custom_dir" in theme:
        theme["custom_dir"] = str(lib.root().resolve() / str(theme["custom_dir"]))
        settings["theme"] = theme
    header = (
        "# Written by `zuji docs` from the engine's site configuration: do not edit, do not "
        "commit.\n"
    )
    return header + yaml.safe_dump(settings, allow_unicode=True, sort_keys=False, width=100)


def _home(committee: lib.Library, with_bundled: bool) -> str:
    also = " and the rules bundled with the engine" if with_bundled else ""
    return (
        f"# {committee.name}\n\n"
        f"The Product Category Rules of {committee.name}{also}, generated from the rule files "
        "the Zuji engine executes.\n\n[The rules](pcr/index.md)\n"
    )


__all__ = ["engine_config", "generate_committee"]
