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
_HAN = re.compile(r"[\u4e00-\u9fff]")

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


def gettext_locale(lang: str) -> str:
    """The locale name gettext files a language's catalogue under (zh -> zh_CN)."""
    return _LOCALES.get(lang, lang)


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


@lru_cache(maxsize=4)
def gettext_folder(lang: str) -> Path | None:
    """A folder laid out as the standard gettext module looks for a catalogue
    (``<folder>/zh_CN/LC_MESSAGES/zuji.mo``) holding the compiled catalogue of `lang`, or None
    for English. Libraries that mark their words with that module (typer's "Options",
    "Commands", "required") find them there once the command line binds the process's text
    domain to it. Kept in the cache folder under the catalogue's hash; without a cache folder,
    in a temporary one removed when the process ends."""
    if lang not in _LOCALES or not po_path(lang).is_file():
        return None
    import atexit
    import hashlib
    import shutil
    import tempfile

    from zuji.core import cachedir
    from zuji.core.files import write_atomic

    source = po_path(lang)
    key = hashlib.sha256(source.read_bytes()).hexdigest()[:24]
    cache = cachedir.folder("locale")
    base = cache / f"tree-{key}" if cache else Path(tempfile.mkdtemp(prefix="zuji-locale-"))
    if cache is None:
        atexit.register(shutil.rmtree, base, True)
    target = base / _LOCALES[lang] / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if not target.is_file():
        try:
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            write_atomic(target, _compiled(source), mode=0o600)
        except OSError:  # a full or read-only disk: the library's words stay English
            return None
    return base


def compile_po(data: bytes) -> bytes:
    """A .po file's text compiled to .mo with Babel (fuzzy entries left out, as msgfmt does)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    catalog = read_po(io.BytesIO(data))
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def either(en: str, zh: str) -> str:
    """A text a rule or a dataset gives in both languages, in the reader's; the other language
    when the reader's is missing."""
    if language() == "zh":
        return zh or en
    return en or zh


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
        # The most specific first: the template with the most words of its own, then the longest.
        entries.sort(key=lambda entry: (-len(_PLACEHOLDER.sub("", entry[0])), -len(entry[0])))
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
        found = _by_template(lang, context, message)
        if found is not None:
            return found
    if kind or _HAN.search(message):
        return message  # a hint no template fits; or a message already in Chinese (a library's)
    title = next((zh for _english, zh in entries.get(f"code:{code}", ())), "")
    return f"{title.rstrip('。')}：{message}" if title else message


def localise_text(context: str, text: str) -> str:
    """A text made in English as data (a review's change summary, a click usage message) in the
    current language, by the templates of its context; the English as made when none fits."""
    lang = language()
    if lang == "en" or not text:
        return text
    found = _by_template(lang, context, text)
    return text if found is None else found


# How deep a part may sit inside a part: a message wraps a reader's words, which wrap a unit's.
_PART_DEPTH = 3


def _by_template(lang: str, context: str, text: str, depth: int = 0) -> str | None:
    """`text` put into the translation of the first (longest) template of `context` it fits,
    or None. Each placeholder's value is itself translated when it is a part the catalogue
    knows (context "part"; for a text made as data, such as a review's change summary, its own
    context too)."""
    own = "" if context == "part" or _is_code(context) else context
    for english, translated in _entries(lang).get(context, ()):
        match = template_pattern(english).fullmatch(text)
        if match:
            values = {k: _part(lang, v, depth + 1, k, own) for k, v in match.groupdict().items()}
            return fill(translated, values)
    return None


def _is_code(context: str) -> bool:
    return bool(re.fullmatch(r"(?:hint:|code:)?[EW]\d{3}", context))


# Placeholders that hold names (of inputs, lines, files, units ...): a name is never translated,
# even when it is also an English word ('power', 'mass').
_NAMES = frozenset(
    [
        "name",
        "names",
        "input",
        "inputs",
        "line",
        "lines",
        "stage",
        "stages",
        "file",
        "where",
        "unit",
        "units",
        "pcr",
        "id",
        "key",
        "keys",
        "option",
        "options",
        "factor",
        "family",
        "member",
        "version",
        "code",
        "path",
        "folder",
        "config",
        "column",
        "field",
        "fields",
        "known",
        "given",
        "module",
        "function",
        "first",
        "second",
        "other",
        "owners",
        "char",
        "tag",
        "command",
        "args",
        "target",
        "source",
        "sources",
        "alias",
        "method",
        "formula",
        "expr",
        "value",
        "values",
        "number",
        "digits",
        "count",
    ]
)
# Placeholders whose value may be a single word of the catalogue (context "word").
_WORDY = frozenset(["dimension", "wanted", "kind", "item", "verb", "level", "status", "origin"])


@lru_cache(maxsize=4096)
def _part(lang: str, value: str, depth: int, slot: str = "", own: str = "") -> str:
    """A placeholder's value in the current language when it is a text made elsewhere and folded
    into a message: a library's words (PyYAML's "mapping values are not allowed here"), an inner
    message of the engine ("'x' does not start with a number"), a dimension in words ("energy
    per mass"), or a list of such ("'{' or a text in double quotes"). Names, figures and units
    are none of these, so they stay as they are."""
    if depth > _PART_DEPTH or slot in _NAMES or not _ENGLISH.search(value):
        return value
    if slot in _FINDINGS:
        return _by_findings(lang, value, depth, slot)
    # A list of parts ("quantity in %, range >= 0") is split before a template can take it whole.
    found = _by_items(lang, value, depth, own) if ", " in value else None
    if found is None and own:  # the context's own texts first: a summary inside a summary
        found = _by_template(lang, own, value, depth)
    if found is None:
        found = _by_template(lang, "part", value, depth)
    if found is None and (slot in _WORDY or " " in value.strip()):
        found = _by_words(lang, value)
    if found is None:
        found = _by_items(lang, value, depth, own)
    return value if found is None else found


# Placeholders whose values are findings made elsewhere, read only by the templates of their own
# context, never by the parts: "{field}: required, missing" or "{value} is too long" would fit
# far too much of any other text. A list is split first and each finding translated alone (one
# no template knows stays as made): a supplier's PACT document's problems ("id: 'x' is not a
# UUID; pcf.dqi.temporalDQR: required, a decimal string"), the places of its fields at fault
# ("id (line 1, column 2), status (line 4, column 3)"), jsonschema's one finding.
_FINDINGS = {
    "problems": (re.compile(r"; "), "；", "pact"),
    "places": (re.compile(r", (?![^()]*\))"), "、", "place"),
    "finding": (re.compile(r"(?!)"), "", "jsonschema"),  # one finding: never split
}


def _by_findings(lang: str, value: str, depth: int, slot: str) -> str:
    separator, joiner, context = _FINDINGS[slot]
    found = [(f, _by_template(lang, context, f, depth)) for f in separator.split(value)]
    return joiner.join(f if said is None else said for f, said in found)


def _by_words(lang: str, value: str) -> str | None:
    """A phrase of the catalogue's single words (context "word": mass, energy, per), each put
    into the language; None unless every English word of it is one of them."""
    words = dict(_entries(lang).get("word", ()))
    out, changed = [], False
    for token in value.split(" "):
        if token in words:
            out.append(words[token])
            changed = True
        elif _ENGLISH.search(token):
            return None
        else:
            out.append(token)
    return " ".join(out) if changed else None


def _by_items(lang: str, value: str, depth: int, own: str = "") -> str | None:
    """A list ("a, b or c") whose items are parts or names, with the language's separators."""
    pieces = _SEPARATORS.split(value)
    if len(pieces) < 3:
        return None
    out, changed = [], False
    for i, piece in enumerate(pieces):
        if i % 2:
            out.append(_LIST_WORDS.get(piece, piece))
            continue
        translated = _part(lang, piece, depth + 1, "", own)
        if translated == piece and _SENTENCE.search(piece):
            return None  # an English phrase no part knows: the list stays as made
        changed = changed or translated != piece
        out.append(translated)
    return "".join(out) if changed else None


# Any English word; two in a row, a phrase that only a part or a word list can translate.
_ENGLISH = re.compile(r"[A-Za-z]{2,}")
_SENTENCE = re.compile(r"\b[a-z]{2,} [a-z]{2,}\b")
# A separator inside brackets is part of an item (jsonschema's "'x' is not one of ['a', 'b']").
_SEPARATORS = re.compile(r"(, | or | and )(?![^\[\]()]*[\])])")
_LIST_WORDS = {", ": "、", " or ": " 或 ", " and ": " 和 "}
