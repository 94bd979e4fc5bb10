"""A footprint label in the format asked for: SVG drawn by label_svg, PNG and PDF converted from
that SVG by cairosvg, so that the three always say the same.

segno and cairosvg are imported when a label is made, not when the command line starts.
cairosvg needs the system's cairo library (Debian's libcairo2) and, for the Chinese text, a
CJK font (fonts-wqy-microhei); without the library a label is refused with E982 naming the
package, not a traceback.
"""

from __future__ import annotations

import importlib
from functools import lru_cache
from typing import Any

from zuji.catalogue.labels import Label
from zuji.core.errors import CatalogueError, Diagnostic
from zuji.interfaces.label_svg import svg

FORMATS = ("svg", "png", "pdf")
MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png", "pdf": "application/pdf"}
# 300 dots per inch: the PNG prints sharp at the label's size (90 mm is 1063 pixels), and each
# module of its QR code is several pixels wide.
PNG_DPI = 300


def render(label: Label, fmt: str, lang: str = "zh") -> bytes:
    """The label as SVG, PNG or PDF bytes, its first language `lang` (zh or en)."""
    check_format(fmt)
    return convert(label_svg(label, lang).encode("utf-8"), fmt)


def check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise CatalogueError(
            Diagnostic(
                "E983",
                f"a label is made as svg, png or pdf, not '{fmt[:20]}'",
                hint="use --format svg, --format png or --format pdf",
            ),
            status=404,  # over HTTP: /labels/ID.svg, .png and .pdf exist, no other
        )


def convert(drawn: bytes, fmt: str) -> bytes:
    """A label's SVG as the format asked for (svg, png or pdf). The same SVG gives the same
    picture; a PDF's bytes differ by the time cairo writes into it."""
    if fmt == "svg":
        return drawn
    cairosvg = _cairosvg()
    if fmt == "png":
        return bytes(cairosvg.svg2png(bytestring=drawn, dpi=PNG_DPI))
    return bytes(cairosvg.svg2pdf(bytestring=drawn))


def label_svg(label: Label, lang: str = "zh") -> str:
    path, modules = qr_path(label.url)
    return svg(label, path, modules, "en" if lang == "en" else "zh")


# Making a QR code takes segno tens of milliseconds (it scores all eight masks); a product's
# address never changes, so each is made once per process. An entry is about 10 kB.
@lru_cache(maxsize=512)
def qr_path(url: str, quiet: int = 4) -> tuple[str, int]:
    """The QR code of `url` as SVG path data in module units (one closed rectangle per run of
    dark modules in a row), and its width in modules with its quiet zone of `quiet` modules
    (four, as ISO/IEC 18004 asks)."""
    import segno

    code = segno.make(url, error="m", micro=False)
    runs = []
    rows = [list(row) for row in code.matrix_iter(border=quiet)]
    for y, row in enumerate(rows):
        x = 0
        while x < len(row):
            if not row[x]:
                x += 1
                continue
            start = x
            while x < len(row) and row[x]:
                x += 1
            runs.append(f"M{start},{y}h{x - start}v1h{start - x}z")
    return "".join(runs), len(rows)


def _cairosvg() -> Any:
    try:
        # Imported by name: cairosvg ships no type information, and three calls need none.
        cairosvg = importlib.import_module("cairosvg")
    except (ImportError, OSError) as exc:  # cairocffi raises OSError when libcairo is missing
        reason = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        raise CatalogueError(
            Diagnostic(
                "E982",
                "PNG and PDF labels need the cairo graphics library, which cannot be loaded: "
                f"{reason}",
                hint="install it with `apt-get install libcairo2` (and fonts-wqy-microhei for "
                "the Chinese text), or make the label as --format svg",
            ),
            status=503,
        ) from None
    return cairosvg
