"""The label route: `/labels/{footprint_id}.svg`, `.png` and `.pdf`, public (a label is
printed on a product; anyone may fetch it again). `?lang=en` puts English first; Chinese is
first otherwise, whatever the browser asks, so that a label's address always gives the same
label.

The QR code leads to the product's page under the programme's public address, or under the
address this request came to when the programme has set none.

An Active footprint's label is cached as immutable until the sooner of a day and the end of
its validity: within a day a deprecation or a new grade shows. A label not in force is sent
with `no-cache` and revalidated by its ETag: whoever looks at it again sees its status now.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime

from fastapi import FastAPI, Request
from fastapi.responses import Response

from zuji.catalogue.labels import label
from zuji.catalogue.tables import now
from zuji.interfaces.label_render import MEDIA_TYPES, check_format, convert, label_svg

ACTIVE_SECONDS = 86_400
# A label is an image: it loads nothing, runs nothing, and may be framed by any page.
LABEL_POLICY = "default-src 'none'"


def install(app: FastAPI) -> None:
    @app.get("/labels/{footprint_id}.{fmt}", include_in_schema=False)
    def label_file(request: Request, footprint_id: str, fmt: str) -> Response:
        check_format(fmt)
        lang = "en" if request.query_params.get("lang") == "en" else "zh"
        named = request.app.state.programme()
        with request.app.state.store.reading() as session:
            made = label(session, footprint_id, str(request.base_url), named=named)
        drawn = label_svg(made, lang).encode("utf-8")
        # The tag is the SVG's, which every format is converted from: a revalidation is
        # answered without converting, and a PDF (whose bytes hold the time it was made) keeps
        # its tag while what it shows is the same.
        tag = '"' + hashlib.sha256(drawn + fmt.encode()).hexdigest()[:32] + '"'
        headers = {
            "etag": tag,
            "cache-control": _cache_control(made.in_force, made.ends),
            "content-disposition": f'inline; filename="label-{made.footprint_id}.{fmt}"',
            "content-security-policy": LABEL_POLICY,
            "x-content-type-options": "nosniff",
        }
        if tag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return Response(convert(drawn, fmt), media_type=MEDIA_TYPES[fmt], headers=headers)


def _cache_control(in_force: bool, ends: datetime) -> str:
    if not in_force:
        return "public, no-cache"
    seconds = max(0, min(ACTIVE_SECONDS, math.floor((ends - now()).total_seconds())))
    return f"public, max-age={seconds}, immutable"
