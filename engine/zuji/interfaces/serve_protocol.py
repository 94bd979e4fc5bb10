"""uvicorn's HTTP/1.1 protocol with a deadline on request heads.

uvicorn times out a connection idle between requests (keep-alive), but not one that sends a
request's head a byte at a time: each byte resets nothing and nothing ever fires, so such
clients could pile up until the process runs out of file descriptors. Here a request head must
be complete within the service's body timeout of the connection opening or of the previous
response; after that the body deadline (serve_problems.BodyLimit) and the time budget take over.
`zuji serve` names this class to uvicorn by its import string, so worker processes find it.

It is uvicorn's protocol over httptools (llhttp, in C) rather than h11 (pure Python): on the
evaluation benchmark a request cost the worker about a quarter less CPU (2.2-2.6 ms against
3.0-3.3 ms, in runs alternated on one machine).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from zuji.interfaces.serve_config import ServiceConfig


class HeadDeadline(HttpToolsProtocol):
    head_timeout = ServiceConfig.from_environment().body_timeout

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_head_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._request_under_way():
            self._stop_head_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._start_head_timer()  # the next request's head, on a kept-alive connection

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def _request_under_way(self) -> bool:
        return self.cycle is not None and not self.cycle.response_complete

    def _start_head_timer(self) -> None:
        self._stop_head_timer()
        self._head_timer = self.loop.call_later(self.head_timeout, self._head_overdue)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_overdue(self) -> None:
        self._head_timer = None
        if not self._request_under_way() and not self.transport.is_closing():
            self.transport.close()
