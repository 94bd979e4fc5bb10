"""The people's side of the workflow: signing in (session), the enterprise's portal, the
verifier's portal and the administrator's page, each on the catalogue's workflow functions."""

from __future__ import annotations

from fastapi import FastAPI

from zuji.interfaces.web import admin, enterprise, session, verifier


def install(app: FastAPI) -> None:
    session.install(app)
    enterprise.install(app)
    verifier.install(app)
    admin.install(app)
