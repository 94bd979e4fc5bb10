"""MkDocs hooks (mkdocs.yml `hooks:`): files the site needs that git must not hold twice.

- MathJax, from the pip package django-static-mathjax, so formulas render with no CDN;
- the JSON Schemas of standards/schemas/, published as files and embedded in the format pages
  wherever a page says <!-- schema: NAME -->.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from zuji.core import library

MATHJAX_FILES = {"es5/tex-svg.js": "assets/mathjax/tex-svg.js", "LICENSE": "assets/mathjax/LICENSE"}
SCHEMA_DIR = "schemas"
_SCHEMA_MARK = re.compile(r"<!--\s*schema:\s*([\w.\-]+)\s*-->")


def mathjax_root() -> Path:
    spec = importlib.util.find_spec("mathjax")
    if spec is None or not spec.submodule_search_locations:
        raise PluginError(
            "MathJax is missing: install the docs extra "
            "(pip install -e '.[docs]', which brings django-static-mathjax)"
        )
    root = Path(next(iter(spec.submodule_search_locations))) / "static" / "mathjax"
    if not (root / "es5" / "tex-svg.js").is_file():
        raise PluginError(f"MathJax's tex-svg.js is not in {root}")
    return root


def on_files(files: Files, config: MkDocsConfig) -> Files:
    root = mathjax_root()
    for source, target in MATHJAX_FILES.items():
        files.append(File.generated(config, target, abs_src_path=str(root / source)))
    for schema in sorted(library.schemas_root().glob("*.json")):
        files.append(
            File.generated(config, f"{SCHEMA_DIR}/{schema.name}", abs_src_path=str(schema))
        )
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    def embed(match: re.Match[str]) -> str:
        path = library.schemas_root() / match[1]
        if not path.is_file():
            raise PluginError(f"{page.file.src_uri}: no schema {match[1]} in standards/schemas")
        return "```json\n" + path.read_text(encoding="utf-8").rstrip() + "\n```"

    return _SCHEMA_MARK.sub(embed, markdown)
