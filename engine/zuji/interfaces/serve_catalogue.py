"""The catalogue in the HTTP service (`zuji serve --catalogue DB`): the store each worker
process opens, the clients it authenticates (the catalogue's, not a clients file), the
routes of the workflow, the administrator and the PACT v3 host, and the public platform."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from zuji.catalogue.clients import registry
from zuji.catalogue.programme import programme
from zuji.catalogue.store import Store, open_store
from zuji.core.access import Gate
from zuji.interfaces import serve_admin
from zuji.interfaces.serve_pact import install as install_pact


def install(app: FastAPI, catalogue: str) -> None:
    store = open_store(catalogue, create=False)
    app.state.store = store
    app.state.gate = Gate.reading(lambda: registry(store))
    # The PACT sender's lifespan is wrapped first, so that the store closes after it stops.
    install_pact(app, store)
    _closed_at_shutdown(app, store)
    from zuji.interfaces.serve_workflow import install as install_workflow

    install_workflow(app)
    serve_admin.install(app)
    # Every page shows the programme's names, which `zuji catalogue programme` may change while
    # the service runs (its settings move the revision).
    app.state.programme = store.while_unchanged(programme)
    from zuji.interfaces import web

    web.install(app)


def _closed_at_shutdown(app: FastAPI, store: Store) -> None:
    """The store's connections are closed when the service stops, after the app's own
    shutdown: a PostgreSQL server otherwise keeps them until it notices they are gone."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(served: FastAPI) -> AsyncIterator[Any]:
        try:
            async with inner(served) as state:
                yield state
        finally:
            store.close()

    app.router.lifespan_context = lifespan
