"""The service's sender of PACT events: a task beside each worker's event loop that answers the
pending requests and sends the answers (catalogue.pact_delivery.drain), every second and at once
when a request arrives.

The work itself is blocking (the database, httpx) and runs in a thread, so the event loop keeps
answering. At shutdown the sender finishes the event it is sending and stops; an event it had
claimed but not sent is sent again after its lease, by this or another worker. Several workers
each run a sender: the claims in the catalogue keep them from sending one event twice at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.to_thread
from fastapi import FastAPI

from zuji.catalogue.pact_delivery import drain
from zuji.catalogue.store import Store
from zuji.interfaces.serve_problems import log

PERIOD = 1.0  # seconds between rounds when nothing wakes the sender (back-off starts at 1 s)


async def _send_forever(store: Store, wake: asyncio.Event, stop: threading.Event) -> None:
    while not stop.is_set():
        with anyio.move_on_after(PERIOD):
            await wake.wait()
        wake.clear()
        try:
            await anyio.to_thread.run_sync(functools.partial(drain, store, stop=stop))
        except Exception:  # a failed round is tried again
            log.exception("sending PACT events failed; the next round tries again")


def install_sender(app: FastAPI) -> None:
    """Run the sender while the application runs (within its lifespan)."""
    original = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(running: Any) -> AsyncIterator[Any]:
        async with original(running) as state:
            wake, stop = asyncio.Event(), threading.Event()
            app.state.pact_wake = wake
            task = asyncio.create_task(_send_forever(app.state.store, wake, stop))
            try:
                yield state
            finally:
                stop.set()
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app.router.lifespan_context = lifespan
