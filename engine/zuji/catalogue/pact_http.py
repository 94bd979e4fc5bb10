"""Calling another PACT host: a bearer token from its token endpoint, and its pagination links.

Used by the sender of the catalogue's answers (pact_delivery) and by `zuji catalogue pull`
(pact_client). The token endpoint is the one the host's OpenID configuration names, else
`{base}/auth/token` (Tech Specs 3.0.3, §Authentication Flow); credentials go in HTTP Basic, the
body is `grant_type=client_credentials`. Every URL called must be HTTPS, or plain HTTP on this
machine (partners.checked_url), so no token or secret crosses a network in clear.
"""

from __future__ import annotations

import re
import ssl

import httpx

from zuji.catalogue.partners import is_loopback_url
from zuji.core.version import __version__

# Seconds one call to another host may take: PACT's conformance tool gives a host 2-5 s per
# synchronous call; ten leaves room for a slow partner without holding a sender for long.
TIMEOUT = 10.0
_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")


class HostError(Exception):
    """Another PACT host could not be reached, or answered what PACT does not allow."""


def client(ca: str | None = None) -> httpx.Client:
    """An HTTP client that trusts the system's CAs, and `ca` (PEM) besides when given."""
    context = ssl.create_default_context()
    if ca:
        context.load_verify_locations(cadata=ca)
    return httpx.Client(
        verify=context,
        timeout=TIMEOUT,
        follow_redirects=False,
        headers={"User-Agent": f"zuji/{__version__}"},
    )


def safe(url: str) -> bool:
    """Whether credentials may be sent to `url`: HTTPS, or plain HTTP on this machine."""
    return url.startswith("https://") or (url.startswith("http://") and is_loopback_url(url))


def token_endpoint(http: httpx.Client, base: str) -> str:
    """The token endpoint the host's OpenID configuration names, else {base}/auth/token."""
    try:
        found = http.get(base + "/.well-known/openid-configuration")
        endpoint = found.json().get("token_endpoint") if found.status_code == 200 else None
    except (httpx.HTTPError, ValueError, AttributeError):
        endpoint = None
    if isinstance(endpoint, str) and safe(endpoint):
        return endpoint
    return base + "/auth/token"


def token(http: httpx.Client, base: str, client_id: str, secret: str) -> str:
    """A bearer token from the host at `base` for these credentials."""
    endpoint = token_endpoint(http, base)
    try:
        answer = http.post(
            endpoint,
            data={"grant_type": "client_credentials"},
            auth=(client_id, secret),
            headers={"Accept": "application/json"},
        )
    except httpx.HTTPError as exc:
        raise HostError(f"{endpoint} cannot be reached: {describe(exc)}") from None
    if answer.status_code != 200:
        raise HostError(
            f"{endpoint} refused the credentials of '{client_id}' "
            f"({answer.status_code}: {answer.text[:200]})"
        )
    try:
        issued = answer.json()["access_token"]
    except (ValueError, KeyError, TypeError):
        issued = None
    if not isinstance(issued, str) or not issued:
        raise HostError(f"{endpoint} answered without an access_token")
    return issued


def describe(exc: Exception) -> str:
    """A transport error in a few words (httpx's own text can be empty)."""
    return str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__


def next_link(header: str | None) -> str | None:
    """The target of the RFC 8288 Link header's rel="next", if any."""
    if not header:
        return None
    for match in _LINK.finditer(header):
        target, parameters = match.group(1), match.group(2)
        for parameter in parameters.split(";"):
            name, _, value = parameter.strip().partition("=")
            if name.strip().lower() == "rel" and "next" in value.strip().strip('"').lower().split():
                return target.strip()
    return None
