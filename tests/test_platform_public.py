"""The public catalogue's pages in Chromium: a search in Chinese finds the product, its page shows
the charts, grade, verification and a valid signature, a deprecated footprint's page says so,
the English switch, the keyboard (the search form is reached by Tab and submits with Enter),
the pages with JavaScript off, a screenshot of every page kept as an artefact of the run, and
axe-core finds no serious or critical violation on any of them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from public_kit import LYE, publish_recent_lye
from web_kit import STAFF, axe_violations, chromium, screenshot, seed, served, tab

from zuji.catalogue import store, workflow

pytestmark = pytest.mark.slow

STEEL = "热轧卷板 Q235B"
LOW_CARBON = "低碳硅酸盐水泥 P·O 52.5"


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str], str]]:
    folder = tmp_path_factory.mktemp("platform")
    db = str(folder / "catalogue.db")
    _, footprints = seed(db, folder / "keys")
    footprints[LYE] = publish_recent_lye(db)
    with served(db) as url:
        yield url, footprints, db


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as opened:
        yield opened


def _clean(page: Any, name: str) -> None:
    """Every page checked alike: kept as a screenshot, and no serious axe violation."""
    assert screenshot(page, name).stat().st_size > 0
    assert axe_violations(page) == [], name


def test_a_chinese_search_finds_the_product_and_opens_its_page(
    platform: tuple[str, dict[str, str], str], browser: Any
) -> None:
    url, footprints, _ = platform
    with tab(browser, url) as page:
        page.goto(url + "/")
        assert page.locator("h1").inner_text() == "查找产品"
        _clean(page, "search")
        page.get_by_label("产品、企业或编码").fill("烧碱")
        page.get_by_role("button", name="搜索").click()
        page.wait_for_load_state()
        assert page.get_by_role("link", name=LYE).is_visible()
        _clean(page, "search-results")
        page.get_by_role("link", name=LYE).click()
        page.wait_for_url(f"**/products/{footprints[LYE]}")
        assert page.locator("h1").inner_text() == LYE


def test_a_company_is_chosen_from_its_list_and_dropped_again(
    platform: tuple[str, dict[str, str], str], browser: Any
) -> None:
    url, _, _ = platform
    with tab(browser, url) as page:
        page.goto(url + "/?expired=1")
        page.get_by_role("link", name="选择企业").click()
        page.wait_for_url("**/companies")
        assert page.locator("h1").inner_text() == "企业名录"
        _clean(page, "companies")
        page.get_by_role("link", name=re.compile("Example Cement Co")).click()
        page.wait_for_load_state()
        assert "Example Cement Co" in page.locator("form.search .chosen").inner_text()
        assert "company=" in page.url
        page.get_by_role("link", name="不限企业").click()
        page.wait_for_load_state()
        assert "company=" not in page.url
        assert page.locator("form.search .chosen").count() == 0
        assert page.get_by_role("link", name="选择企业").is_visible()


def test_nothing_found_is_said_plainly(
    platform: tuple[str, dict[str, str], str], browser: Any
) -> None:
    url, _, _ = platform
    with tab(browser, url) as page:
        page.goto(url + "/?q=不存在的产品")
        assert "没有找到产品。" in page.get_by_role("status").inner_text()
        _clean(page, "search-nothing")


def test_the_product_page_shows_charts_grade_verification_and_a_valid_signature(
    platform: tuple[str, dict[str, str], str], browser: Any
) -> None:
    url, footprints, _ = platform
    with tab(browser, url) as page:
        page.goto(f"{url}/products/{footprints[STEEL]}")
        charts = page.get_by_role("img")
        assert charts.count() == 2
        assert page.get_by_role("img", name="按生命周期阶段的碳足迹").is_visible()
        assert page.get_by_role("img", name="按温室气体的碳足迹").is_visible()
        grades = page.locator("ul.grades").inner_text()
        assert "对标" in grades and "目录分布" in grades
        assert page.locator("#verification + p .badge").inner_text() == "验证通过"
        signature = page.locator("#signature + p").inner_text()
        assert "有效" in signature and "目录公钥验证无误" in signature
        # The steel footprint's reference period ended in 2022: expired, and it says so.
        assert page.get_by_role("heading", name="此碳足迹已过期").is_visible()
        _clean(page, "product")


def test_the_english_switch_reads_the_page_in_english(
    platform: tuple[str, dict[str, str], str], browser: Any
) -> None:
    url, footprints, _ = platform
    with tab(browser, url) as page:
        page.goto(f"{url}/products/{footprints[LYE]}")
        page.get_by_role("link", name="English").click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", name="By life-cycle stage").is_visible()
        assert page.get_by_role("img", name="Footprint by life-cycle stage").is_visible()
        assert page.locator("html").get_attribute("lang") == "en"
        _clean(page, "product-en")
        page.goto(url + "/")  # the choice is remembered
        assert page.locator("h1").inner_text() == "Find products"


def test_a_deprecated_footprint_says_so_and_leads_nowhere_else(
    platform: tuple[str, dict[str, str], str], browser: Any
) -> None:
    url, footprints, db = platform
    with store.open_store(db) as opened:
        workflow.deprecate(opened, footprints[LOW_CARBON], STAFF, "withdrawn by the maker (test)")
    with tab(browser, url) as page:
        page.goto(f"{url}/products/{footprints[LOW_CARBON]}")
        banner = page.get_by_role("heading", name="此碳足迹已撤销")
        assert banner.is_visible()
        _clean(page, "product-deprecated")
        page.goto(url + "/?q=低碳")
        assert page.get_by_role("link", name=LOW_CARBON).count() == 0


def test_the_search_form_is_reached_by_keyboard_and_submits_with_enter(
    platform: tuple[str, dict[str, str], str], browser: Any
) -> None:
    url, _footprints, _ = platform
    with tab(browser, url) as page:
        page.goto(url + "/")
        for _ in range(20):  # skip link, brand, language, the navigation, then the form
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "q":
                break
        assert page.evaluate("document.activeElement.id") == "q"
        page.keyboard.type("烧碱")
        page.keyboard.press("Enter")
        page.wait_for_url("**/?q=*")
        assert page.get_by_role("link", name=LYE).is_visible()


def test_the_pages_work_with_javascript_off(
    platform: tuple[str, dict[str, str], str], browser: Any
) -> None:
    url, _footprints, _ = platform
    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(url + "/")
        page.get_by_label("产品、企业或编码").fill("烧碱")
        page.get_by_role("button", name="搜索").click()
        page.wait_for_load_state()
        page.get_by_role("link", name=LYE).click()
        page.wait_for_load_state()
        assert page.get_by_role("img", name="按生命周期阶段的碳足迹").is_visible()
        page.goto(f"{url}/compare")
        page.get_by_label("产品类别").select_option("caustic_soda")
        page.get_by_role("button", name="显示").click()
        page.wait_for_load_state()
        assert page.get_by_role("link", name=LYE).is_visible()
        screenshot(page, "compare-no-javascript")
    finally:
        context.close()


def test_the_comparison_and_the_404_page(
    platform: tuple[str, dict[str, str], str], browser: Any
) -> None:
    url, footprints, _ = platform
    with tab(browser, url) as page:
        page.goto(f"{url}/compare")
        _clean(page, "compare-picker")
        page.goto(f"{url}/compare?pcr=caustic_soda&ids={footprints[LYE]}")
        assert page.get_by_role("img").count() == 1
        assert page.get_by_role("link", name=LYE).is_visible()
        _clean(page, "compare")
        response = page.goto(f"{url}/products/no-such-footprint")
        assert response is not None and response.status == 404
        assert page.locator("h1").inner_text() == "未找到"
        _clean(page, "not-found")
