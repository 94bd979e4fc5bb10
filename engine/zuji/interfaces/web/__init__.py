"""The public platform, served by `zuji serve --catalogue DB`: pages rendered on the server
(Jinja2 templates), readable with JavaScript off, Chinese by default with English beside.

- render: the template environment, the reader's language, the pages' security policy;
- the sections, each installing its routes: the public catalogue (search, product pages,
  comparison), the enterprise's and the verifier's portals, labels, the carbon-inclusion API
  and the open data.

Everything a page loads comes from this package (static/): no CDN, no font or script from
elsewhere.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from zuji.interfaces.web import labels, portals, public

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """The platform's routes, on the app serving a catalogue (app.state.store)."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    public.install(app)
    portals.install(app)
    labels.install(app)
    from zuji.interfaces.web import inclusion, opendata

    inclusion.install(app)
    opendata.install(app)
