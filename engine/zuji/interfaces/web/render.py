"""Pages from templates, in the reader's language.

The language is chosen by `?lang=zh|en` (remembered in a cookie), then that cookie, then the
browser's Accept-Language when it prefers English; Chinese otherwise. Texts in templates are
English message ids translated through the engine's one message catalogue (zuji.po), with
`{{ _("…") }}`. The page's other language is one link away on every page.

Every page is sent with a content security policy that lets it load only this service's own
styles, scripts and images, and submit forms only to it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream

from zuji.core import i18n

LANGUAGES = ("zh", "en")
COOKIE = "zuji_lang"
# Pages load what this service serves, nothing else; forms post back to it; nothing frames them.
PAGE_POLICY = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


class _Translated(Extension):
    """Translates at compile time each `_("text")` called with a constant text and nothing
    else, so that each language's templates hold their texts already written: a page has some
    fifty of them, and translating each at every view (jinja's gettext call, the catalogue's
    lookup, the Markup it makes) was a third of the time a product page took to render. The
    text is written `"…"|safe`, as the runtime call marks a translation safe, so the page is the
    same to the byte. A call with values (`_("… %(day)s", day=…)`), or a text holding `%`
    (which the runtime call formats), is left to the runtime call."""

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        tokens = list(stream)
        lang: str = self.environment.zuji_language  # type: ignore[attr-defined]  # set below
        i = 0
        while i < len(tokens):
            window = tokens[i : i + 4]
            if (
                [t.type for t in window] == ["name", "lparen", "string", "rparen"]
                and window[0].value == "_"
                and "%" not in window[2].value
            ):
                with i18n.use_language(lang):
                    text = i18n.gettext(window[2].value)
                if "%" not in text:
                    line = window[0].lineno
                    yield Token(line, "string", text)
                    yield Token(line, "pipe", "|")
                    yield Token(line, "name", "safe")
                    i += 4
                    continue
            yield tokens[i]
            i += 1


def figure(value: float) -> str:
    """A footprint's figure as pages show it: thousands grouped, one decimal."""
    return f"{value:,.1f}"


def day(moment: datetime) -> str:
    return moment.date().isoformat()


def _either_zh(zh: str | None, en: str | None) -> str | None:
    """`a|either(b)`: a text given in both languages, in the reader's, or the other."""
    return zh or en


def _either_en(zh: str | None, en: str | None) -> str | None:
    return en or zh


def add_filters(filters: Mapping[str, Callable[..., Any]]) -> None:
    """Filters a section's templates use, in every language's environment."""
    for made in _environments.values():
        made.filters.update(filters)


def _made(lang: str) -> jinja2.Environment:
    made = jinja2.Environment(
        loader=jinja2.PackageLoader("zuji.interfaces.web", "templates"),
        autoescape=True,
        extensions=["jinja2.ext.i18n", _Translated],
        undefined=jinja2.StrictUndefined,  # a misspelt name is an error in the tests, not a blank
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # the templates are the package's: no file to stat at every page
    )
    made.extend(zuji_language=lang)
    # Filters, not functions in the context: jinja calls a filter directly, and a function
    # through the context's call, which a page of twenty rows did some two hundred times.
    made.filters["figure"] = figure
    made.filters["day"] = day
    made.filters["either"] = _either_zh if lang == "zh" else _either_en
    made.install_gettext_callables(  # type: ignore[attr-defined]  # added by the extension
        i18n.gettext, lambda one, many, n: i18n.gettext(one if n == 1 else many), newstyle=True
    )
    return made


# One environment per language: each compiles the templates with its own texts (_Translated).
_environments = {lang: _made(lang) for lang in LANGUAGES}


def environment(lang: str) -> jinja2.Environment:
    return _environments[lang]


def reader_language(request: Request) -> str:
    asked = request.query_params.get("lang", "")
    if asked in LANGUAGES:
        return asked
    remembered = request.cookies.get(COOKIE, "")
    if remembered in LANGUAGES:
        return remembered
    header = request.headers.get("accept-language", "")
    return "en" if i18n.from_accept_language(header) == "en" and header else "zh"


def in_language(request: Request, lang: str) -> str:
    """This page's address in another language (its query kept, `lang` replaced)."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    query.append(("lang", lang))
    return f"{request.url.path}?{urlencode(query)}"


def page(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """The template rendered in the reader's language, with the context every page has:
    `lang`, `other` (the other language), `other_url`, `request` and `programme` (set by the
    catalogue's install)."""
    lang = reader_language(request)
    other = "en" if lang == "zh" else "zh"
    values = {
        "lang": lang,
        "other": other,
        "other_url": in_language(request, other),
        "request": request,
        "programme": request.app.state.programme(),
        **context,
    }
    with i18n.use_language(lang):
        body = _environments[lang].get_template(template).render(values)
    response = HTMLResponse(body, status_code=status, headers=dict(headers or {}))
    response.headers["content-security-policy"] = PAGE_POLICY
    response.headers["content-language"] = "zh-CN" if lang == "zh" else "en"
    response.headers["vary"] = "Accept-Language, Cookie"
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True)
    return response
