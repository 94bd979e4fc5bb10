"""Who may call the carbon-inclusion API, and how often.

An app presents `X-API-Key: CLIENT_ID:SECRET`, a catalogue client with the role `app`
(`zuji catalogue client add NAME --role app`). The secret is checked once per key in each
worker process (scrypt: ~50 ms by design) by the service's gate (core.access.Gate), which then
remembers the key's fingerprint with the client's stored hash; the gate reads the catalogue's
clients again every second, so a removed client, or one given a new secret, is refused within
a second, without a request ever paying scrypt twice.

Each key is limited to N requests a minute (`zuji serve --inclusion-rate N`, 600 by default) by
a token bucket in each worker process: N tokens, refilled at N/60 a second, one per request. A
request over the limit gets 429 with Retry-After and the RateLimit-* headers (the IETF httpapi
draft's fields: the limit, what remains, seconds until a token returns). The buckets are not
shared between processes: with W workers an app may get up to W×N a minute, as the connections
it opens are spread over the workers. A programme that needs one limit across workers sets
N to its limit divided by W (or puts a limit in front of the service, at its proxy).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response, Security
from fastapi.security import APIKeyHeader

from zuji.core.access import Gate, Grant
from zuji.core.errors import AccessError, Diagnostic, UsageError
from zuji.core.i18n import N_
from zuji.interfaces.serve_problems import ProblemError

ROLE = "app"
DEFAULT_RATE = 600  # requests a minute per key: ten a second, a busy checkout's scanner

api_key = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="CLIENT_ID:SECRET of a catalogue client with the role `app`",
)


@dataclass(frozen=True)
class Allowance:
    """What a key may still do: requests left in its bucket now, seconds until one more."""

    allowed: bool
    limit: int
    remaining: int
    reset: int

    def headers(self) -> dict[str, str]:
        values = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset),
            "RateLimit-Policy": f"{self.limit};w=60",
        }
        if not self.allowed:
            values["Retry-After"] = str(self.reset)
        return values


class Buckets:
    """A token bucket per key in this process: `rate` requests a minute, as a burst too."""

    _MOST_KEYS = 10_000  # the least recently seen beyond this are dropped (they refill anyway)

    def __init__(self, rate: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.clock = rate, clock
        self._lock = threading.Lock()
        self._held: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, key: str) -> Allowance:
        per_second = self.rate / 60.0
        with self._lock:
            now = self.clock()
            tokens, then = self._held.pop(key, (float(self.rate), now))
            tokens = min(float(self.rate), tokens + (now - then) * per_second)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            self._held[key] = (tokens, now)
            while len(self._held) > self._MOST_KEYS:
                self._held.popitem(last=False)
        wait = 0 if tokens >= 1.0 else math.ceil((1.0 - tokens) / per_second)
        return Allowance(allowed, self.rate, int(tokens), max(wait, 0 if allowed else 1))


def app_client(
    buckets: Buckets, hashing: Callable[[Request], Any]
) -> Callable[..., Awaitable[str]]:
    """The route dependency: the calling app's client id, once its key is checked and its
    bucket has a token (headers saying what remains are added to the answer)."""

    async def caller(
        request: Request, response: Response, key: str | None = Security(api_key)
    ) -> str:
        if not key:
            raise _refused(
                Diagnostic(
                    "E906",
                    f"{request.url.path} needs an app's key",
                    hint="send `X-API-Key: CLIENT_ID:SECRET`; `zuji catalogue client add NAME "
                    "--role app` makes one",
                ),
            )
        gate: Gate = request.app.state.gate
        try:
            grant: Grant = await hashing(request).run(gate.api_key, key)
        except AccessError as exc:
            raise _refused(exc.diagnostics[0]) from None
        except UsageError as exc:  # the clients cannot be read: nobody is let in
            raise ProblemError(
                503, N_("Authentication unavailable"), "clients", exc.diagnostics
            ) from None
        if not grant.allows(ROLE):
            raise ProblemError(
                403,
                N_("Not allowed"),
                "forbidden",
                [Diagnostic("E908", f"client '{grant.client_id}' has no 'app' role")],
            )
        allowance = buckets.take(grant.client_id)
        if not allowance.allowed:
            raise ProblemError(
                429,
                N_("Too many requests"),
                "rate-limit",
                [
                    Diagnostic(
                        "E989",
                        f"the key of '{grant.client_id}' is over its {buckets.rate} requests a "
                        f"minute; the next is allowed in {allowance.reset} s",
                        hint="wait for Retry-After, or send a basket (?gtin=…&gtin=…) "
                        "instead of one request per product",
                    )
                ],
                allowance.headers(),
            )
        response.headers.update(allowance.headers())
        return grant.client_id

    return caller


def _refused(diagnostic: Diagnostic) -> ProblemError:
    challenge = 'ApiKey realm="zuji", header="X-API-Key"'
    return ProblemError(
        401,
        N_("Authentication needed"),
        "unauthorized",
        [diagnostic],
        {"WWW-Authenticate": challenge},
    )
