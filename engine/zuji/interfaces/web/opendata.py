"""The open data (/open-data): the published catalogue as files to download, and a page saying
what they hold, under which licence, each column's meaning, and when they were last refreshed.

The files are those of the catalogue's present publication state (catalogue.opendata_files),
rebuilt at the first request after a publication, deprecation or regrading; each is served
whole from its stamp's folder, never while being written.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse

from zuji.catalogue.opendata_files import CSV_ENCODING, FILES, Built, current, licence
from zuji.catalogue.store import Store
from zuji.interfaces.web.render import page

_MEDIA = {
    "footprints.csv": "text/csv; charset=utf-8",
    "footprints.parquet": "application/vnd.apache.parquet",
    "dictionary.json": "application/json",
    "dictionary.csv": "text/csv; charset=utf-8",
}


def install(app: FastAPI) -> None:
    @app.get("/open-data", include_in_schema=False)
    def open_data_page(request: Request) -> HTMLResponse:
        store: Store = request.app.state.store
        built = current(store)
        with store.reading() as session:
            terms = licence(session)
        return page(request, "opendata/index.html", _context(built, terms))

    for name in FILES:
        _file_route(app, name)


def _file_route(app: FastAPI, name: str) -> None:
    @app.get(f"/open-data/{name}", include_in_schema=False, name=f"open-data {name}")
    def download(request: Request) -> FileResponse:
        built = current(request.app.state.store)
        # The stamp names the file's content: a cache may keep it until the catalogue moves.
        headers = {"ETag": f'"{built.stamp.key}"', "Cache-Control": "public, max-age=60"}
        return FileResponse(
            built.folder / name, media_type=_MEDIA[name], filename=name, headers=headers
        )


def _context(built: Built, terms: dict[str, str]) -> dict[str, object]:
    import json

    document = json.loads((built.folder / "dictionary.json").read_text(encoding="utf-8"))
    downloads = [
        {"name": name, "href": f"/open-data/{name}", "size": built.size(name)} for name in FILES
    ]
    return {
        "nav": "open-data",
        "built": built,
        "rows": built.rows,
        "columns": document["columns"],
        "downloads": downloads,
        "licence": terms,
        "csv_encoding": CSV_ENCODING,
    }
