"""The programme a catalogue serves: its name in both languages, and the public address its
platform is reached at (what a label's QR code leads to). Kept in the catalogue's settings, so
that every worker process and the command line agree on them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from zuji.catalogue.store import Store, audit
from zuji.catalogue.tables import Setting
from zuji.core.errors import CatalogueError, Diagnostic

_KEYS = {"name_zh": "programme_name_zh", "name_en": "programme_name_en", "url": "public_url"}
# What a catalogue is called before its programme names itself.
DEFAULT_ZH = "产品碳足迹公共服务平台"
DEFAULT_EN = "Product Carbon Footprint Platform"


@dataclass(frozen=True)
class Programme:
    name_zh: str = DEFAULT_ZH
    name_en: str = DEFAULT_EN
    # The platform's public address without a trailing slash (https://pcf.example.cn), or ""
    # when none is set: labels then lead to the address the request came to.
    url: str = ""

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en


def programme(session: Session) -> Programme:
    values = {
        field: found.value
        for field, key in _KEYS.items()
        if (found := session.get(Setting, key)) is not None
    }
    return Programme(**values)


def set_programme(
    store: Store,
    actor: str,
    name_zh: str | None = None,
    name_en: str | None = None,
    url: str | None = None,
) -> Programme:
    """Set any of the programme's names and its public address; the others stay."""
    given = {"name_zh": name_zh, "name_en": name_en, "url": url}
    for field, value in given.items():
        if value is not None:
            _check(field, value)
    with store.transaction() as session:
        for field, value in given.items():
            if value is None:
                continue
            value = value.strip().rstrip("/") if field == "url" else value.strip()
            found = session.get(Setting, _KEYS[field])
            if found is None:
                session.add(Setting(key=_KEYS[field], value=value))
            else:
                found.value = value
            audit(session, actor, "setting", ("setting", _KEYS[field]), {"value": value})
        session.flush()
        return programme(session)


def _check(field: str, value: str) -> None:
    text = value.strip()
    if field == "url":
        if not text.lower().startswith(("https://", "http://")) or any(c.isspace() for c in text):
            raise CatalogueError(
                Diagnostic(
                    "E969",
                    f"the public address '{text[:100]}' is not an http(s) URL",
                    hint="give the address the public reaches the platform at, "
                    "e.g. --url https://pcf.example.cn",
                )
            )
    elif not text or len(text) > 100:
        raise CatalogueError(
            Diagnostic(
                "E969",
                "a programme name must have 1 to 100 characters",
                hint="give the programme's name as its notices write it",
            )
        )
