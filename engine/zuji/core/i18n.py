"""The language Zuji speaks: one gettext catalogue, zh-CN and en, for diagnostics, headings, help
texts and HTTP problems.

English is the source language: every text is written in English in the code (the msgid) and the
catalogue `locale/zh_CN/LC_MESSAGES/zuji.po` gives its Chinese. The .po file is the one source;
its .mo is compiled with Babel at first use and kept in the user's cache, keyed by a hash of the
.po, so the wheel carries only the .po and a changed .po is compiled afresh.

The language is chosen by `--lang zh|en`, else ZUJI_LANG, else LC_ALL, LC_MESSAGES or LANG; the
HTTP service chooses per request from Accept-Language. Codes, spans, carets and JSON field names
never change with the language: only the words do.

Diagnostics keep their English message as made (an f-string at the call site); the catalogue holds,
under the context of each code, message templates with named placeholders
(``factor {family}[{member}] has no value in force``). Rendered in Chinese, a message is matched
against its code's templates and the placeholders' values are put into the Chinese template. A
message no template matches still reads well: the Chinese sentence of its code (context
``code:E610``, the text of the code table) followed by the English message as given. A code that
has no entry at all (one added since the catalogue was last filled) prints in English.
"""

from __future__ import annotations

import contextlib
import gettext as _gettext
import io
import os
import re
import struct
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

LANGUAGES = ("en", "zh")
DOMAIN = "zuji"
LOCALE_FOLDER = Path(__file__).resolve().parent.parent / "locale"
# The gettext locale folder of each language Zuji translates into (English is the msgids).
_LOCALES = {"zh": "zh_CN"}
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

_chosen: ContextVar[str | None] = ContextVar("zuji_language", default=None)


def normalise(tag: str | None) -> str | None:
    """The language of a tag as users write it (zh, zh_CN.UTF-8, zh-Hans, en-GB, C), or None
    when it names neither of Zuji's languages."""
    if not tag:
        return None
    head = re.split(r"[-_.@]", tag.strip().lower(), maxsplit=1)[0]
    if head == "zh":
        return "zh"
    if head in ("en", "c", "posix"):
        return "en"
    return None


def from_environment(environ: Mapping[str, str] | None = None) -> str:
    """ZUJI_LANG, else the locale (LC_ALL, LC_MESSAGES, LANG, in POSIX's order), else English."""
    env = os.environ if environ is None else environ
    for name in ("ZUJI_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:
            found = normalise(value)
            # A set locale Zuji has no catalogue for (fr_FR) means English, not the next variable.
            return found or "en"
    return "en"


def from_accept_language(header: str | None) -> str:
    """The language an HTTP client asks for (``zh-CN,zh;q=0.9,en;q=0.8``), by its weights."""
    best, best_q = "en", -1.0
    for part in (header or "").split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        match = re.search(r"q\s*=\s*([0-9.]+)", params)
        if match:
            try:
                q = float(match.group(1))
            except ValueError:
                q = 0.0
        language = normalise(tag) if tag.strip() != "*" else None
        if language and q > best_q and q > 0:
            best, best_q = language, q
    return best


def language() -> str:
    """The language in use now: the one chosen (--lang, a request's header), else the
    environment's."""
    return _chosen.get() or from_environment()


def chosen() -> str | None:
    """The language chosen for this run (--lang, a request's header), or None."""
    return _chosen.get()


def set_language(lang: str | None) -> None:
    """Choose the language for the rest of this run (the command line's --lang)."""
    _chosen.set(normalise(lang) if lang else None)


@contextmanager
def use_language(lang: str | None) -> Iterator[None]:
    """Speak `lang` within the block (one command, one HTTP request, one test); None speaks the
    environment's. Whatever is chosen inside the block ends with it."""
    token = _chosen.set((normalise(lang) or "en") if lang else None)
    try:
        yield
    finally:
        _chosen.reset(token)


def language_option(args: list[str]) -> tuple[str | None, list[str]]:
    """The value of --lang wherever it stands on a command line (``zuji run cement -i x --lang
    zh`` as well as ``zuji --lang zh run ...``), and the arguments without it. The command line
    reads it before typer does, so that help texts, made as the commands are defined, are
    already in that language."""
    chosen: str | None = None
    rest: list[str] = []
    items = iter(args)
    for arg in items:
        if arg == "--":
            rest.append(arg)
            rest.extend(items)
            break
        if arg == "--lang":
            chosen = next(items, "")
        elif arg.startswith("--lang="):
            chosen = arg.partition("=")[2]
        else:
            rest.append(arg)
    return chosen, rest


# ----------------------------------------------------------------------------- the catalogue


def po_path(lang: str) -> Path:
    return LOCALE_FOLDER / _LOCALES[lang] / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=4)
def translations(lang: str) -> _gettext.NullTranslations:
    """The compiled catalogue of a language; English (and a missing catalogue) translate nothing."""
    if lang not in _LOCALES:
        return _gettext.NullTranslations()
    source = po_path(lang)
    if not source.is_file():
        return _gettext.NullTranslations()
    try:
        return _gettext.GNUTranslations(io.BytesIO(_compiled(source)))
    except (OSError, ValueError, struct.error):  # a damaged cache file: compile afresh
        return _gettext.GNUTranslations(io.BytesIO(compile_po(source.read_bytes())))


def _compiled(source: Path) -> bytes:
    import hashlib  # only a language other than English needs its catalogue compiled

    from zuji.core import cachedir
    from zuji.core.files import write_atomic

    data = source.read_bytes()
    key = hashlib.sha256(data).hexdigest()[:24]
    folder = cachedir.folder("locale")
    kept = folder / f"{source.parent.parent.name}-{key}.mo" if folder else None
    if kept is not None and kept.is_file():
        return kept.read_bytes()
    mo = compile_po(data)
    if kept is not None:
        with contextlib.suppress(OSError):  # a full or read-only disk: kept in memory only
            write_atomic(kept, mo, mode=0o600)
    return mo


def compile_po(data: bytes) -> bytes:
    """A .po file's text compiled to .mo with Babel (fuzzy entries left out, as msgfmt does)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    catalog = read_po(io.BytesIO(data))
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def gettext(message: str) -> str:
    """`message` (English) in the current language."""
    return translations(language()).gettext(message)


_ = gettext


def N_(message: str) -> str:
    """Marks a text for the catalogue where it is defined; it is translated where it is shown."""
    return message


def pgettext(context: str, message: str) -> str:
    return translations(language()).pgettext(context, message)


# ----------------------------------------------------------------------------- diagnostics


@lru_cache(maxsize=4)
def _entries(lang: str) -> dict[str, list[tuple[str, str]]]:
    """The catalogue's entries that have a context (a code, ``hint:`` and a code, ``code:`` and
    a code), as (English, translation) per context; templates longest first, so that the most
    specific wins. Read from the compiled catalogue gettext has already loaded: gettext keeps
    each entry under "context\x04msgid" and offers no other way to list them."""
    catalog: dict[object, str] = getattr(translations(lang), "_catalog", {})
    found: dict[str, list[tuple[str, str]]] = {}
    for key, translated in catalog.items():
        if isinstance(key, str) and "\x04" in key and translated:
            context, _sep, english = key.partition("\x04")
            found.setdefault(context, []).append((english, translated))
    for entries in found.values():
        entries.sort(key=lambda entry: -len(entry[0]))
    return found


@lru_cache(maxsize=2048)
def template_pattern(template: str) -> re.Pattern[str]:
    """A message template as a pattern whose groups are its placeholders; a placeholder used
    twice must hold the same text both times."""
    parts: list[str] = []
    seen: set[str] = set()
    last = 0
    for match in _PLACEHOLDER.finditer(template):
        parts.append(re.escape(template[last : match.start()]))
        name = match.group(1)
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
        seen.add(name)
        last = match.end()
    parts.append(re.escape(template[last:]))
    return re.compile("".join(parts), re.DOTALL)


def fill(template: str, values: Mapping[str, str]) -> str:
    """Put values into a template's placeholders; other braces (a '}' in a hint) stay as text."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def placeholders(template: str) -> set[str]:
    return set(_PLACEHOLDER.findall(template))


def localise(code: str, message: str, kind: str = "") -> str:
    """A diagnostic's message (kind "") or hint (kind "hint") in the current language."""
    lang = language()
    if lang == "en" or not message:
        return message
    entries = _entries(lang)
    # A hint may also fit a template every code shares (context "hint": "did you mean ...").
    contexts = (f"{kind}:{code}", kind) if kind else (code,)
    for context in contexts:
        for english, translated in entries.get(context, ()):
            match = template_pattern(english).fullmatch(message)
            if match:
                return fill(translated, match.groupdict())
    if kind:
        return message
    title = next((zh for _english, zh in entries.get(f"code:{code}", ())), "")
    return f"{title.rstrip('。')}：{message}" if title else message
