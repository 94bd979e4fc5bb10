"""Footprint labels: what a label says (read from the catalogue, on SQLite and PostgreSQL), the
label drawn as SVG, PNG and PDF (its QR code decoded from the PNG to the product's page), the
stamp of a footprint no longer in force, `zuji label` and `zuji catalogue programme`, the label
route over HTTP, and the SVG label opened in Chromium."""

from __future__ import annotations

import io
import re
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import web_kit
from cli_kit import ROOT, Ran, zuji
from sqlalchemy import update

import zuji as engine
from zuji.catalogue import labels, programme, store, workflow
from zuji.catalogue.tables import Footprint
from zuji.core.errors import CatalogueError
from zuji.interfaces.label_render import render
from zuji.runtime.cases import load_case

CEMENT, LOW_CARBON, STEEL = (product for _, _, _, product, _ in web_kit.SEEDED)
BASE = "http://label.test"
SVG = "{http://www.w3.org/2000/svg}"
# The worked cases' totals, kg CO2e per t, computed by hand in each case file (its
# `calculation` section). A label prints whole kg from 100 kg up, with a thousands separator.
CEMENT_TOTAL = float(load_case(ROOT / "pcr/cement/cases/typical_plant.yaml")["expected"]["total"])
STEEL_TOTAL = float(load_case(ROOT / "pcr/steel/cases/typical_bf_bof.yaml")["expected"]["total"])
# A day inside every seeded footprint's validity (their reference periods end on 2023-01-01
# and they are valid three years from then) and one after it.
WITHIN, AFTER = datetime(2024, 6, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)
FUTURE = datetime(2099, 1, 1, tzinfo=UTC)


def seeded(db: str, folder: Path) -> dict[str, str]:
    """The platform's test catalogue in `db`; the cement footprint valid until 2099 (its own
    validity ends in 2026, which has passed), the low-carbon one deprecated by a new version
    of itself, published through the workflow as any new version is."""
    _, footprints = web_kit.seed(db, folder / "keys")
    with store.open_store(db) as opened:
        with opened.transaction() as session:
            session.execute(
                update(Footprint)
                .where(Footprint.id == footprints[CEMENT])
                .values(valid_until=FUTURE)
            )
        row = next(s for s in web_kit.SEEDED if s[3] == LOW_CARBON)
        raw = web_kit._named(*row)
        sub = workflow.submit(opened, engine.load("cement"), raw, "again.yaml", web_kit.STAFF)
        workflow.verify(opened, sub.submission_id, web_kit.STAFF, accept=True)
        footprints["new version"] = workflow.publish(opened, sub.submission_id, web_kit.STAFF)
    return footprints


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, str]]:
    """One seeded SQLite catalogue for the drawing, command-line and HTTP tests."""
    folder = tmp_path_factory.mktemp("labels")
    db = str(folder / "catalogue.db")
    return db, seeded(db, folder)


def read(db: str, footprint_id: str, base: str = BASE, at: datetime | None = None) -> labels.Label:
    with store.open_store(db, create=False) as opened, opened.reading() as session:
        return labels.label(session, footprint_id, base, at=at)


def qr_text(png: bytes) -> str:
    """The text of the one QR code in a PNG image."""
    import zxingcpp
    from PIL import Image

    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)).convert("L"))
    assert len(found) == 1, found
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    return str(found[0].text)


def svg_text(svg: bytes) -> str:
    """Every text the SVG shows, its title and description included, joined by spaces."""
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    return " ".join(" ".join(node.itertext()) for node in root.iter() if node.text)


# ----------------------------------------------------------------------------- the record


def test_a_label_says_what_its_footprint_is(catalogue_db: str, tmp_path: Path) -> None:
    found = seeded(catalogue_db, tmp_path)
    steel = read(catalogue_db, found[STEEL], at=WITHIN)
    assert (steel.product, steel.company) == (STEEL, web_kit.STEEL_CO)
    assert steel.total == pytest.approx(STEEL_TOTAL, rel=1e-6)
    assert steel.figure == f"{round(STEEL_TOTAL):,}" and steel.per == "t"
    assert steel.footprint_text == f"{round(STEEL_TOTAL):,} kg CO2e / t"
    # grades.grade_lines: benchmarks first, then the place in the catalogue's distribution.
    assert [g.basis for g in steel.grades][-1] == "distribution"
    assert steel.grades[0].basis == "benchmark" and steel.grades[0].against_zh
    # pcr/steel/steel.pcr's own name, read from the library.
    assert (steel.pcr_id, steel.pcr_name_zh) == ("steel", "粗钢及热轧钢材（出厂）")
    assert (steel.valid_from.isoformat(), steel.valid_until.isoformat()) == (
        "2023-01-01",
        "2025-12-31",
    )
    assert (steel.status, steel.programme_zh) == ("Active", "山东省产品碳足迹公共服务平台")
    assert steel.url == f"{BASE}/products/{found[STEEL]}"
    assert read(catalogue_db, found[STEEL], at=AFTER).status == "expired"
    assert read(catalogue_db, found[LOW_CARBON], at=WITHIN).status == "Deprecated"
    assert read(catalogue_db, found[CEMENT]).status == "Active"


def test_the_programme_address_comes_before_the_callers(catalogue_db: str, tmp_path: Path) -> None:
    found = seeded(catalogue_db, tmp_path)
    with store.open_store(catalogue_db) as opened:
        programme.set_programme(opened, "programme", url="https://pcf.example.cn/")
    assert read(catalogue_db, found[STEEL]).url == f"https://pcf.example.cn/products/{found[STEEL]}"


def test_an_unknown_footprint_or_no_address_is_refused(
    catalogue: tuple[str, dict[str, str]],
) -> None:
    db, found = catalogue
    with pytest.raises(CatalogueError) as unknown:
        read(db, "00000000-0000-0000-0000-000000000000")
    assert (unknown.value.code, unknown.value.status) == ("E980", 404)
    for base in ("", "ftp://example.cn", "http://a b"):
        with pytest.raises(CatalogueError) as no_address:
            read(db, found[STEEL], base)
        assert no_address.value.code == "E981"


# ----------------------------------------------------------------------------- the drawing


def test_the_svg_label_is_well_formed_and_says_it_all(
    catalogue: tuple[str, dict[str, str]],
) -> None:
    db, found = catalogue
    made = read(db, found[CEMENT])
    shown = svg_text(render(made, "svg"))
    for said in (
        f"{round(CEMENT_TOTAL):,}",
        "kg CO",
        "山东省产品碳足迹公共服务平台",
        "Shandong Product Carbon Footprint Platform",
        CEMENT,
        "产品碳足迹",
        "有效期 2023-01-01 至 2098-12-31",
        "cement 1.3.0",
        "扫码查看并验证",
        made.url,
    ):
        assert said in shown, said
    assert "已废止" not in shown and "已过期" not in shown
    english = svg_text(render(made, "svg", "en"))
    assert ET.fromstring(render(made, "svg", "en")).get("lang") == "en"
    assert english.index("Product carbon footprint") < english.index("产品碳足迹")


def test_the_png_labels_qr_code_leads_to_the_product_page(
    catalogue: tuple[str, dict[str, str]],
) -> None:
    db, found = catalogue
    for product in (CEMENT, STEEL, LOW_CARBON):
        made = read(db, found[product])
        png = render(made, "png")
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        # 90 x 60 mm at 300 dpi: 1063 x 709 pixels.
        assert (int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")) == (
            1063,
            709,
        )
        assert qr_text(png) == f"{BASE}/products/{found[product]}"


def test_the_pdf_label_is_one_page_with_its_chinese_font(
    catalogue: tuple[str, dict[str, str]],
) -> None:
    db, found = catalogue
    pdf = render(read(db, found[CEMENT]), "pdf")
    assert pdf.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1
    # The Chinese text is set in the CJK font, embedded, not left to the reader's machine.
    assert b"WenQuanYi" in pdf and b"/FontFile" in pdf


def test_a_label_not_in_force_is_stamped_so(catalogue: tuple[str, dict[str, str]]) -> None:
    db, found = catalogue
    deprecated = svg_text(render(read(db, found[LOW_CARBON]), "svg"))
    assert "已废止" in deprecated and "DEPRECATED" in deprecated
    expired = svg_text(render(read(db, found[STEEL]), "svg", "en"))
    assert "Expired" in expired and "已过期" in expired
    assert "Deprecated" not in expired
    # The QR code of a stamped label still reads: the page it leads to says why.
    assert qr_text(render(read(db, found[LOW_CARBON]), "png")).endswith(found[LOW_CARBON])


def test_hidden_characters_in_a_name_leave_the_svg_well_formed(
    catalogue: tuple[str, dict[str, str]],
) -> None:
    db, found = catalogue
    # An enterprise files what it files: escape sequences, a bidirectional override, what XML
    # 1.0 cannot hold, and markup.
    hostile = '水泥\x1b]0;x\x07\u202e<b>&"\uffff'
    made = replace(read(db, found[CEMENT]), product=hostile, company_zh=hostile)
    shown = svg_text(render(made, "svg"))
    assert '水泥\ufffd]0;x\ufffd\ufffd<b>&"\ufffd' in shown
    assert qr_text(render(made, "png")) == made.url


def test_without_cairo_a_png_label_names_the_package_to_install(
    catalogue: tuple[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, found = catalogue
    made = read(db, found[CEMENT])
    # As on a machine without Debian's libcairo2: the import of cairosvg fails.
    monkeypatch.setitem(sys.modules, "cairosvg", None)
    with pytest.raises(CatalogueError) as missing:
        render(made, "png")
    assert missing.value.code == "E982"
    assert "apt-get install libcairo2" in (missing.value.diagnostics[0].hint or "")
    assert render(made, "svg").startswith(b"<?xml")  # an SVG label needs no cairo


# ----------------------------------------------------------------------------- the commands


def label_cli(db: str, *args: str, cwd: Path = ROOT) -> Ran:
    return zuji("label", *args, "--catalogue", db, cwd=cwd)


def test_zuji_label_writes_each_format(
    catalogue: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    db, found = catalogue
    starts = {"svg": b"<?xml", "png": b"\x89PNG", "pdf": b"%PDF-"}
    for fmt, start in starts.items():
        target = tmp_path / f"cement.{fmt}"
        ran = label_cli(db, found[CEMENT], "--format", fmt, "-o", str(target), "--base-url", BASE)
        assert ran.returncode == 0, ran.stderr
        assert target.read_bytes().startswith(start)
    assert qr_text((tmp_path / "cement.png").read_bytes()) == f"{BASE}/products/{found[CEMENT]}"
    default = label_cli(db, found[STEEL], "--base-url", BASE, cwd=tmp_path)
    assert default.returncode == 0, default.stderr
    assert (tmp_path / f"label-{found[STEEL]}.svg").is_file()
    out = label_cli(db, found[STEEL], "-o", "-", "--base-url", BASE, "--lang", "en")
    assert out.returncode == 0 and "Expired" in svg_text(out.stdout.encode("utf-8"))


def test_zuji_label_refuses_with_a_clear_error(
    catalogue: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    db, found = catalogue
    unknown = label_cli(db, "no-such-footprint", "--base-url", BASE)
    assert unknown.returncode == 1 and "error[E980]" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    in_chinese = zuji("--lang", "zh", "label", "no-such-footprint", "--catalogue", db)
    assert "目录中没有已发布的碳足迹 no-such-footprint" in in_chinese.stderr
    no_address = label_cli(db, found[CEMENT])
    assert no_address.returncode == 1 and "error[E981]" in no_address.stderr
    assert "zuji catalogue programme --url" in no_address.stderr
    gif = label_cli(db, found[CEMENT], "--format", "gif", "--base-url", BASE)
    assert gif.returncode == 2 and "error[E004]" in gif.stderr
    missing = label_cli(str(tmp_path / "none.db"), found[CEMENT])
    assert missing.returncode == 2 and "error[E941]" in missing.stderr


def test_zuji_catalogue_programme_sets_and_shows(tmp_path: Path) -> None:
    db = str(tmp_path / "programme.db")
    store.open_store(db).close()
    shown = zuji("--lang", "en", "catalogue", "programme", "--db", db)
    assert shown.returncode == 0 and "public address: (none set)" in shown.stdout
    assert programme.DEFAULT_ZH in shown.stdout
    set_ = zuji(
        "catalogue",
        "programme",
        "--db",
        db,
        "--name-zh",
        "测试平台",
        "--url",
        "https://pcf.example.cn/",
    )
    assert set_.returncode == 0, set_.stderr
    shown = zuji("--lang", "zh", "catalogue", "programme", "--db", db)
    assert (
        "中文名称：测试平台" in shown.stdout and "公开地址：https://pcf.example.cn" in shown.stdout
    )
    bad = zuji("catalogue", "programme", "--db", db, "--url", "pcf.example.cn")
    assert bad.returncode == 1 and "error[E969]" in bad.stderr


# ----------------------------------------------------------------------------- the route


@pytest.fixture(scope="module")
def platform(catalogue: tuple[str, dict[str, str]]) -> Iterator[str]:
    with web_kit.served(catalogue[0]) as url:
        yield url


def test_the_route_serves_each_format(catalogue: tuple[str, dict[str, str]], platform: str) -> None:
    _, found = catalogue
    types = {"svg": "image/svg+xml", "png": "image/png", "pdf": "application/pdf"}
    with httpx.Client(base_url=platform, timeout=60) as http:
        for fmt, media in types.items():
            got = http.get(f"/labels/{found[CEMENT]}.{fmt}")
            assert got.status_code == 200
            assert got.headers["content-type"].split(";")[0] == media
            assert got.headers["cache-control"].endswith("max-age=86400, immutable")
            again = http.get(
                f"/labels/{found[CEMENT]}.{fmt}", headers={"if-none-match": got.headers["etag"]}
            )
            assert again.status_code == 304 and again.content == b""
        # A PDF's bytes hold the second cairo wrote it, its tag only what it shows.
        first = http.get(f"/labels/{found[CEMENT]}.pdf")
        time.sleep(1.1)
        later = http.get(
            f"/labels/{found[CEMENT]}.pdf", headers={"if-none-match": first.headers["etag"]}
        )
        assert later.status_code == 304
        # No public address set: the QR code leads to the address the request came to.
        png = http.get(f"/labels/{found[CEMENT]}.png").content
        assert qr_text(png) == f"{platform}/products/{found[CEMENT]}"
        stamped = http.get(f"/labels/{found[LOW_CARBON]}.svg?lang=en")
        assert stamped.headers["cache-control"] == "public, no-cache"
        assert "Deprecated" in svg_text(stamped.content)
        unknown = http.get("/labels/no-such-footprint.svg")
        assert unknown.status_code == 404 and unknown.json()["code"] == "E980"
        other = http.get(f"/labels/{found[CEMENT]}.gif")
        assert other.status_code == 404 and other.json()["code"] == "E983"


def test_the_svg_label_opens_in_chromium(
    catalogue: tuple[str, dict[str, str]], platform: str
) -> None:
    _, found = catalogue
    with web_kit.chromium() as browser, web_kit.tab(browser, platform) as page:
        opened = page.goto(f"{platform}/labels/{found[CEMENT]}.svg")
        assert opened is not None and opened.status == 200
        assert page.evaluate("document.documentElement.localName") == "svg"
        title = page.evaluate("document.querySelector('title').textContent")
        assert title.startswith("产品碳足迹") and CEMENT in title
        # The browser lays the text out in its own fonts: nothing runs past the label's edge.
        widest = page.evaluate(
            "Math.max(...[...document.querySelectorAll('text')].map(t => {"
            " const b = t.getBBox(); return b.x + b.width; }))"
        )
        assert widest <= 900
        # Not web_kit.screenshot: Chromium cannot measure a full page of an SVG document.
        shot = web_kit.SCREENSHOTS / "label-svg.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.set_viewport_size({"width": 344, "height": 230})  # 90 x 60 mm at 96 dpi
        page.screenshot(path=str(shot))
        assert qr_text(shot.read_bytes()) == f"{platform}/products/{found[CEMENT]}"
