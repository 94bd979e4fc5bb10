"""A footprint label drawn as SVG: 90 x 60 mm, bilingual (the reader's language first, the
other beside it), with the programme's names, the product and company, the footprint per
declared unit, the grades as badges, the validity, the PCR, and the QR code of the product's
public page, drawn as one path from segno's matrix. A footprint not in force is stamped
"已废止 Deprecated" or "已过期 Expired" across its figure and its colours are greyed; the QR code
stays readable, since the page it leads to says why.

Coordinates are tenths of a millimetre (viewBox 0 0 900 600). SVG cannot measure text, so
widths are estimated (a CJK character is one em, others about 0.53 em) and a text that would
not fit is set smaller, then shortened with an ellipsis: nothing overflows the label.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from zuji.catalogue.labels import DEPRECATED, Label, LabelGrade
from zuji.core import i18n
from zuji.core.i18n import N_
from zuji.core.text import printable

WIDTH, HEIGHT = 900, 600
# cairosvg takes the first family only: the one Debian's fonts-wqy-microhei installs, whose
# glyphs cover Chinese and Latin both; browsers fall back along the list.
FONT = "WenQuanYi Micro Hei, Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"
GREEN, GREEN_WASH = "#17603a", "#e3f1e8"  # zuji.css: 7.3:1 on white
GREY, GREY_WASH = "#4a5560", "#eceff1"
RED, INK, MUTED = "#a1231b", "#1b1f23", "#4a5560"
LEFT, COLUMN = 34, 566  # the left column's start and width; the QR code is on the right
FULL = WIDTH - 2 * LEFT
QR_X, QR_Y, QR_SIZE = 650, 128, 220
_NUMBERED = re.compile(r"grade_(\d+)")
# What XML 1.0 cannot hold (controls, lone surrogates, U+FFFE and U+FFFF): a name holding one
# must not make the label an ill-formed document.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Words:
    """The label's words in its first language and in the other one."""

    first: str
    other: str

    def text(self, msgid: str, **values: str) -> tuple[str, str]:
        return (_word(self.first, msgid, values), _word(self.other, msgid, values))

    def pair(self, msgid: str, **values: str) -> str:
        """Both languages side by side: "有效期 Valid"."""
        first, other = self.text(msgid, **values)
        return first if first == other else f"{first} {other}"


def _word(lang: str, msgid: str, values: dict[str, str]) -> str:
    text = i18n.translations(lang).gettext(msgid)
    return text.format(**values) if values else text


def words(lang: str) -> Words:
    return Words("zh", "en") if lang == "zh" else Words("en", "zh")


# ----------------------------------------------------------------------------- text sizes


def shown(text: str) -> str:
    """A text as a label may show it: hidden characters (core.text) and what XML cannot hold
    replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", printable(text))


def estimate(text: str, size: float) -> float:
    """The width a text takes at a font size: one em a wide (CJK) character, 0.53 em others."""
    wide = sum(1 for c in text if unicodedata.east_asian_width(c) in ("W", "F"))
    return size * (wide + 0.53 * (len(text) - wide))


def fit(text: str, size: float, width: float, smallest: float) -> tuple[str, float]:
    """The text and the font size it fits `width` at: set smaller down to `smallest`, then
    shortened with an ellipsis."""
    text = shown(text).replace("\n", " ").replace("\t", " ")
    while size > smallest and estimate(text, size) > width:
        size = max(smallest, size - 1)
    while len(text) > 1 and estimate(text, size) > width:
        text = text[:-2].rstrip() + "…"
    return text, size


def _text(x: float, y: float, text: str, size: float, fill: str = INK, **attributes: str) -> str:
    extra = "".join(f" {k.replace('_', '-')}={quoteattr(v)}" for k, v in attributes.items())
    return (
        f'<text x="{x:g}" y="{y:g}" font-size="{size:g}" fill="{fill}"{extra}>{escape(text)}</text>'
    )


def _fitted(x: float, y: float, text: str, size: float, width: float, **attributes: str) -> str:
    shown, fitted = fit(text, size, width, smallest=size * 0.7)
    return _text(x, y, shown, fitted, **attributes)


# ----------------------------------------------------------------------------- the label


def svg(label: Label, qr_path: str, qr_modules: int, lang: str = "zh") -> str:
    """The label as an SVG document. `qr_path` is the QR code's dark modules as path data in
    module units, `qr_modules` its width in modules with its quiet zone."""
    said = words(lang)
    accent = GREEN if label.in_force else GREY
    parts = [
        _open(label, said),
        f'<rect x="4" y="4" width="892" height="592" rx="24" fill="#fff" stroke="{accent}" '
        'stroke-width="8"/>',
        *_header(label, said, accent),
        *_product(label, said, accent),
        *_figure(label),
        *_grades(label, said, accent),
        *_footer(label, said),
        *_qr(qr_path, qr_modules, said),
    ]
    if not label.in_force:
        parts.extend(_stamp(label, said))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _open(label: Label, said: Words) -> str:
    key = escape(shown(label.footprint_id[:36]), {'"': "&quot;"})
    tag = "zh-CN" if said.first == "zh" else "en"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="90mm" height="60mm" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" lang="{tag}" xml:lang="{tag}" '
        f'aria-labelledby="label-title-{key} label-desc-{key}" '
        f'font-family="{FONT}">\n'
        f'<title id="label-title-{key}">{escape(title(label, said))}</title>\n'
        f'<desc id="label-desc-{key}">{escape(description(label, said))}</desc>'
    )


def title(label: Label, said: Words) -> str:
    first, _ = said.text(N_("Product carbon footprint"))
    return shown(f"{first}: {label.product} {label.footprint_text}")


def description(label: Label, said: Words) -> str:
    """What the label says, as one text for those who cannot see it."""
    first = said.first
    lines = [
        _programme(label, first),
        _company(label, first),
        *(" ".join(_grade_words(g, said)[0::2]) for g in shown_grades(label)),
        _word(first, N_("Valid {start} to {end}"), _validity(label)),
        _status_words(label, said)[0],
        _word(first, N_("PCR {pcr}"), {"pcr": _pcr(label, first)}),
        label.url,
    ]
    return shown("; ".join(line for line in lines if line))


def _programme(label: Label, lang: str) -> str:
    return label.programme_zh if lang == "zh" else label.programme_en


def _company(label: Label, lang: str) -> str:
    return (label.company_zh or label.company) if lang == "zh" else label.company


def _pcr(label: Label, lang: str) -> str:
    name = label.pcr_name_zh if lang == "zh" else label.pcr_name_en
    return f"{label.pcr_id} {label.pcr_version} {name}"


def _validity(label: Label) -> dict[str, str]:
    return {"start": label.valid_from.isoformat(), "end": label.valid_until.isoformat()}


def _header(label: Label, said: Words, accent: str) -> Iterator[str]:
    yield (f'<path d="M4,116V28A24,24 0 0 1 28,4H872A24,24 0 0 1 896,28V116Z" fill="{accent}"/>')
    # The mark: a leaf in a white disc, the programme's sign of a lower-carbon product.
    yield '<circle cx="70" cy="60" r="38" fill="#fff"/>'
    yield (
        f'<path d="M50,82C46,52 62,34 94,34C96,64 80,82 50,82ZM52,80L82,48" fill="{accent}" '
        f'stroke="{accent}" stroke-width="3" stroke-linecap="round"/>'
    )
    yield '<path d="M54,78L84,46" stroke="#fff" stroke-width="3" stroke-linecap="round"/>'
    yield _fitted(126, 54, _programme(label, said.first), 32, 750, font_weight="bold", fill="#fff")
    yield _fitted(126, 92, _programme(label, said.other), 21, 750, fill="#fff")


def _product(label: Label, said: Words, accent: str) -> Iterator[str]:
    first, other = said.text(N_("Product carbon footprint"))
    yield (
        f'<text x="{LEFT}" y="160" font-size="26" fill="{accent}" font-weight="bold">'
        f'{escape(first)}<tspan font-size="19" font-weight="normal" fill="{MUTED}" dx="10">'
        f"{escape(other)}</tspan></text>"
    )
    yield _fitted(LEFT, 212, label.product, 36, COLUMN, font_weight="bold")
    company = _company(label, said.first)
    other_company = _company(label, said.other)
    if other_company != company and estimate(f"{company}  {other_company}", 21) <= COLUMN:
        company = f"{company}  {other_company}"
    yield _fitted(LEFT, 250, company, 21, COLUMN, fill=MUTED)


def _figure(label: Label) -> Iterator[str]:
    number, size = fit(label.figure, 100, COLUMN - 230, smallest=60)
    per = escape(shown(label.per))
    # CO2 with its 2 set below the line: the label's font has no subscript two.
    yield (
        f'<text x="{LEFT}" y="352" fill="{INK}">'
        f'<tspan font-size="{size:g}" font-weight="bold">{escape(number)}</tspan>'
        f'<tspan font-size="30" dx="14">kg CO</tspan>'
        f'<tspan font-size="20" dy="7">2</tspan>'
        f'<tspan font-size="30" dy="-7">e / {per}</tspan></text>'
    )


def shown_grades(label: Label) -> list[LabelGrade]:
    """The grades a label has room for: the first benchmark's, then the distribution's."""
    chosen = []
    for basis in ("benchmark", "distribution"):
        found = next((g for g in label.grades if g.basis == basis), None)
        if found is not None:
            chosen.append(found)
    return chosen


def _grades(label: Label, said: Words, accent: str) -> Iterator[str]:
    shown = shown_grades(label)
    if not shown:
        yield _text(LEFT, 420, said.pair(N_("not yet graded")), 20, fill=MUTED)
    for row, grade in enumerate(shown):
        yield from _badge(grade, said, accent, 392 + 52 * row)


def _badge(grade: LabelGrade, said: Words, accent: str, top: float) -> Iterator[str]:
    first, other, against = _grade_words(grade, said)
    badge = f"{first} {other}" if first != other else first
    text, size = fit(badge, 21, 300, smallest=16)
    width = estimate(text, size) + 28
    wash = GREEN_WASH if accent == GREEN else GREY_WASH
    yield (
        f'<rect x="{LEFT}" y="{top}" width="{width:.0f}" height="40" rx="20" fill="{wash}" '
        f'stroke="{accent}" stroke-width="3"/>'
    )
    yield _text(LEFT + 14, top + 28, text, size, fill=accent, font_weight="bold")
    room = COLUMN - width - 14
    yield _fitted(LEFT + width + 14, top + 27, against, 17, room, fill=MUTED)


# The words of a benchmark's levels; other level names are shown as the benchmark gives them.
_LEVELS = {
    "benchmark": N_("meets the benchmark"),
    "default": N_("meets the default value"),
    "reference": N_("meets the reference value"),
    "none": N_("above every level"),
}
_PLACES = {"advanced": N_("advanced"), "ordinary": N_("ordinary")}


def _grade_words(grade: LabelGrade, said: Words) -> tuple[str, str, str]:
    """The badge's words in both languages, and what it was graded against (first language)."""
    if grade.basis == "distribution":
        first, other = said.text(_PLACES.get(grade.grade, grade.grade))
        pcr = grade.against_zh if said.first == "zh" else grade.against_en
        return first, other, said.text(N_("among the catalogue's {pcr} products"), pcr=pcr)[0]
    numbered = _NUMBERED.fullmatch(grade.grade)
    if numbered:
        first, other = said.text(N_("meets grade {n}"), n=numbered.group(1))
    elif grade.grade in _LEVELS:
        first, other = said.text(_LEVELS[grade.grade])
    else:
        first, other = said.text(N_("meets {level}"), level=grade.grade)
    benchmark = grade.against_zh if said.first == "zh" else grade.against_en
    return first, other, said.text(N_("against {benchmark}"), benchmark=benchmark)[0]


def _status_words(label: Label, said: Words) -> tuple[str, str]:
    if label.in_force:
        return said.text(N_("In force"))
    return said.text(N_("Deprecated") if label.status == DEPRECATED else N_("Expired"))


def _footer(label: Label, said: Words) -> Iterator[str]:
    yield f'<path d="M{LEFT},506H{WIDTH - LEFT}" stroke="#c9d2cc" stroke-width="2"/>'
    valid = [said.text(N_("Valid {start} to {end}"), **_validity(label))[0]]
    status = _status_words(label, said)
    valid.append(f"{status[0]} {status[1]}")
    yield _fitted(LEFT, 538, "   ·   ".join(valid), 19, FULL, font_weight="bold")
    pcr = said.text(N_("PCR {pcr}"), pcr=_pcr(label, said.first))[0]
    yield _fitted(LEFT, 564, pcr, 17, FULL, fill=MUTED)
    footprint = said.pair(N_("Footprint"))
    ident = f"{footprint}  {label.footprint_id}"
    yield _fitted(LEFT, 588, ident, 14, FULL, fill=MUTED)


def _qr(path: str, modules: int, said: Words) -> Iterator[str]:
    scale = QR_SIZE / modules
    yield f'<rect x="{QR_X}" y="{QR_Y}" width="{QR_SIZE}" height="{QR_SIZE}" fill="#fff"/>'
    yield (
        f'<path transform="translate({QR_X} {QR_Y}) scale({scale:.6g})" d="{path}" '
        f'fill="{INK}" shape-rendering="crispEdges"/>'
    )
    first, other = said.text(N_("Scan to view and verify"))
    middle = QR_X + QR_SIZE / 2
    for y, text, size in ((QR_Y + QR_SIZE + 30, first, 19), (QR_Y + QR_SIZE + 54, other, 15)):
        shown, fitted = fit(text, size, 240, smallest=size * 0.75)
        yield _text(middle, y, shown, fitted, fill=MUTED, text_anchor="middle")


def _stamp(label: Label, said: Words) -> Iterator[str]:
    """The overprint of a footprint not in force: a stamp across its figure."""
    first, other = _status_words(label, said)
    yield '<g transform="rotate(-8 320 345)">'
    yield (
        f'<rect x="44" y="287" width="552" height="116" rx="14" fill="#fff" '
        f'fill-opacity="0.8" stroke="{RED}" stroke-width="8"/>'
    )
    yield _text(320, 355, first, 56, fill=RED, font_weight="bold", text_anchor="middle")
    yield _text(320, 389, other.upper(), 26, fill=RED, font_weight="bold", text_anchor="middle")
    yield "</g>"
