"""The catalogue in the HTTP service (`zuji serve --catalogue DB`): the store each worker
process opens, the clients it authenticates (the catalogue's, not a clients file), and the
routes of the workflow, the administrator and the PACT v3 host."""

from __future__ import annotations

from fastapi import FastAPI

from zuji.catalogue.clients import registry
from zuji.catalogue.store import open_store
from zuji.core.access import Gate
from zuji.interfaces.serve_pact import install as install_pact


def install(app: FastAPI, catalogue: str) -> None:
    store = open_store(catalogue, create=False)
    app.state.store = store
    app.state.gate = Gate.reading(lambda: registry(store))
    install_pact(app, store)
