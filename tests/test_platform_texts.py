"""Every text the platform's templates show has its Chinese in the one message catalogue
(zuji.po): the templates are read with Jinja2's own Babel extractor, as `pybabel extract` would
read them, and each message id must have a non-empty Chinese translation that keeps its
placeholders."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

from zuji.core import i18n
from zuji.interfaces import web

TEMPLATES = Path(web.__file__).with_name("templates")
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _template_messages() -> dict[str, str]:
    """Each message id of the templates, with the template and line it is first used on."""
    found: dict[str, str] = {}
    for path in sorted(TEMPLATES.rglob("*.html")) + sorted(TEMPLATES.rglob("*.svg")):
        with path.open("rb") as handle:
            options = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true"}
            for line, _function, message, _comments in babel_extract(
                handle, ["_", "gettext", "ngettext"], [], options
            ):
                ids = message if isinstance(message, tuple) else (message,)
                for text in ids:
                    if text:
                        found.setdefault(text, f"{path.relative_to(TEMPLATES)}:{line}")
    return found


def test_the_templates_have_texts_to_translate() -> None:
    texts = _template_messages()
    assert "Find products" in texts, "the base template's navigation was not read"


def test_every_template_text_has_its_chinese() -> None:
    with i18n.po_path("zh").open("rb") as handle:
        catalogue = read_po(handle)
    missing, broken = [], []
    for text, where in _template_messages().items():
        entry = catalogue.get(text)
        chinese = entry.string if entry is not None else ""
        if not chinese:
            missing.append(f"{where}: {text!r}")
        elif set(_PLACEHOLDER.findall(text)) != set(_PLACEHOLDER.findall(str(chinese))):
            broken.append(f"{where}: {text!r} → {chinese!r}")
    assert not missing, "no Chinese in zuji.po for:\n" + "\n".join(missing)
    assert not broken, "the Chinese loses or adds a placeholder:\n" + "\n".join(broken)
