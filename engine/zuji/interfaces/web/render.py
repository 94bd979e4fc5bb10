"""Pages from templates, in the reader's language.

The language is chosen by `?lang=zh|en` (remembered in a cookie), then that cookie, then the
browser's Accept-Language when it prefers English; Chinese otherwise. Texts in templates are
English message ids translated through the engine's one message catalogue (zuji.po), with
`{{ _("…") }}`. The page's other language is one link away on every page.

Every page is sent with a content security policy that lets it load only this service's own
styles, scripts and images, and submit forms only to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from zuji.core import i18n

LANGUAGES = ("zh", "en")
COOKIE = "zuji_lang"
# Pages load what this service serves, nothing else; forms post back to it; nothing frames them.
PAGE_POLICY = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

_environment = jinja2.Environment(
    loader=jinja2.PackageLoader("zuji.interfaces.web", "templates"),
    autoescape=True,
    extensions=["jinja2.ext.i18n"],
    undefined=jinja2.StrictUndefined,  # a misspelt name is an error in the tests, not a blank
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.install_gettext_callables(  # type: ignore[attr-defined]  # added by the extension
    i18n.gettext, lambda one, many, n: i18n.gettext(one if n == 1 else many), newstyle=True
)


def environment() -> jinja2.Environment:
    return _environment


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
        "either": lambda zh, en: (zh or en) if lang == "zh" else (en or zh),
        **context,
    }
    with i18n.use_language(lang):
        body = _environment.get_template(template).render(values)
    response = HTMLResponse(body, status_code=status, headers=dict(headers or {}))
    response.headers["content-security-policy"] = PAGE_POLICY
    response.headers["content-language"] = "zh-CN" if lang == "zh" else "en"
    response.headers["vary"] = "Accept-Language, Cookie"
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True)
    return response
