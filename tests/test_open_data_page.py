"""The open-data page and the carbon-inclusion API's reference page in Chromium: read in
Chinese by default with English one link away, their downloads and dictionary there, a file
downloaded from the page, screenshots kept, and no serious or critical axe-core violation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from web_kit import SEEDED, axe_violations, chromium, screenshot, seed, served, tab

from zuji.catalogue.opendata import COLUMNS


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("open-data-page")
    db = str(folder / "catalogue.db")
    seed(db, folder / "keys")
    with served(db) as url:
        yield url


def test_the_open_data_page_in_chinese_then_english(platform: str, tmp_path: Path) -> None:
    with chromium() as browser, tab(browser, platform) as page:
        page.goto(f"{platform}/open-data")
        assert page.locator("h1").inner_text().startswith("开放数据")
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        assert f"共 {len(SEEDED)} 个碳足迹" in page.locator("main").inner_text()
        links = page.locator("main a[download]")
        assert links.count() == 4
        dictionary = page.locator("table[aria-labelledby=dictionary] tbody tr")
        assert dictionary.count() >= len(COLUMNS)
        assert "碳足迹（每声明单位）" in page.locator("main").inner_text()
        assert "CC BY 4.0" in page.locator("#licence + p").inner_text()
        screenshot(page, "open-data-zh")
        assert axe_violations(page) == []
        with page.expect_download() as download:
            page.get_by_role("link", name="footprints.csv").click()
        saved = tmp_path / "footprints.csv"
        download.value.save_as(saved)
        assert saved.read_bytes().startswith("\ufefffootprint_id,".encode())
        page.get_by_role("link", name="English").click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text().startswith("Open data")
        assert "The footprint per declared unit" in page.locator("main").inner_text()
        screenshot(page, "open-data-en")
        assert axe_violations(page) == []


def test_the_api_reference_page(platform: str) -> None:
    with chromium() as browser, tab(browser, platform) as page:
        page.goto(f"{platform}/inclusion/v1/docs")
        assert page.locator("h1").inner_text().startswith("碳普惠接口")
        headings = page.locator("main h3").all_inner_texts()
        assert headings == [
            "GET /inclusion/v1/products/{gtin}",
            "GET /inclusion/v1/products",
            "GET /inclusion/v1/categories",
        ]
        assert "按条码（GTIN）查询产品" in page.locator("main").inner_text()
        screenshot(page, "inclusion-docs-zh")
        assert axe_violations(page) == []


def test_every_text_of_these_pages_has_its_chinese() -> None:
    """Each English message id of the open-data and API reference templates (read as Babel
    reads Jinja templates) has a Chinese msgstr in the catalogue."""
    from babel.messages.extract import extract_from_file
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parent.parent / "engine" / "zuji"
    with (root / "locale" / "zh_CN" / "LC_MESSAGES" / "zuji.po").open("rb") as handle:
        translated = {str(m.id): str(m.string) for m in read_po(handle) if m.id and not m.context}
    options = {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}
    templates = root / "interfaces" / "web" / "templates"
    found = [
        message
        for name in ("opendata/index.html", "inclusion/docs.html")
        for _line, message, _comments, _context in extract_from_file(
            "jinja2", templates / name, options=options
        )
    ]
    assert len(found) > 30
    assert [m for m in found if not translated.get(m)] == []
