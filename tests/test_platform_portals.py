"""The enterprise's and the verifier's portals and the administrator's page, in Chromium: an
enterprise's clerk signs in, downloads the cement template in Chinese, uploads it filled wrongly
and reads each error with its sheet, row and column in Chinese, fixes it and files it; the
verifier reads the inventory beside the result and its trace and accepts it; the administrator
publishes it. Also: a returned submission's comments reach the enterprise, a wrong secret, a
forged form, a role's page refused to another role, and the login form by keyboard alone.
Every page is kept as a screenshot and checked with axe-core (no serious or critical finding).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from sheet_kit import fill_xlsx
from web_kit import CEMENT_CO, ROOT, Platform, axe_violations, chromium, screenshot, seed, served
from web_kit import tab as browser_tab

import zuji
from zuji.catalogue import notices, store, workflow
from zuji.catalogue.tables import Footprint
from zuji.runtime.cases import load_case

pytestmark = pytest.mark.slow

CASE = load_case(ROOT / "pcr" / "cement" / "cases" / "typical_plant.yaml")
# typical_plant.yaml's total, kg CO2e per t cement, computed by hand in the case file (its
# `calculation` section): the footprint the filed workbook must come to.
TYPICAL_TOTAL = float(CASE["expected"]["total"])


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    folder = tmp_path_factory.mktemp("portals")
    db = str(folder / "catalogue.db")
    secrets, footprints = seed(db, folder / "keys")
    with store.open_store(db) as opened:
        notices.send(
            opened,
            workflow.programme_staff("programme"),
            "policy",
            "水泥行业碳足迹核算通知",
            "请于本季度内提交 2022 年度清单。",
            notices.Audience(region="CN-SD"),
        )
    with served(db) as url:
        yield Platform(url, db, secrets, footprints, folder / "keys")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as opened:
        yield opened


def checked(page: Any, name: str) -> None:
    """The page kept as an artefact, and accessible: axe-core finds nothing serious."""
    screenshot(page, f"portal-{name}")
    assert axe_violations(page) == [], name


def sign_in(page: Any, base: str, client: str, secret: str, start: str) -> None:
    page.goto(base + start)
    assert "/portal/login" in page.url  # the portal asks who it is first
    page.fill("#client_id", client)
    page.fill("#secret", secret)
    page.click("form.login button[type=submit]")
    page.wait_for_url(base + start)


def workbook(tmp_path: Path, page: Any, product: str) -> tuple[Path, dict[str, Any]]:
    """The cement template downloaded from the portal (Chinese), filled from the worked case
    for the clerk's company and `product`; the inventory it was filled from."""
    page.select_option("#template-pcr", "cement")
    with page.expect_download() as download:
        page.click("text=下载 xlsx 模板")
    assert download.value.suggested_filename == "cement-template-zh.xlsx"
    path = tmp_path / f"{product}.xlsx"
    download.value.save_as(path)
    assert load_workbook(path).sheetnames[0] == "清单"  # the Chinese template
    inventory = copy.deepcopy(CASE["inventory"])
    inventory["company"], inventory["product"] = CEMENT_CO, product
    fill_xlsx(path, zuji.load("cement"), inventory, "zh")
    return path, inventory


def main_row(path: Path, input_name: str) -> int:
    sheet = load_workbook(path).worksheets[0]
    return next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value == input_name)


def spoil(path: Path, cells: dict[tuple[str, str], Any]) -> None:
    book = load_workbook(path)
    for (sheet, cell), value in cells.items():
        book[sheet][cell] = value
    book.save(path)


def upload(page: Any, path: Path) -> None:
    page.select_option("#upload-pcr", "cement")
    page.set_input_files("#inventory", str(path))
    page.click("text=上传并提交")
    page.wait_for_load_state()


def findings(page: Any) -> list[list[str]]:
    """The errors table: code, place, sheet, row, column, message, hint."""
    return [
        [cell.strip() for cell in row.locator("td").all_inner_texts()]
        for row in page.locator("tr.finding").all()
    ]


def test_an_inventory_from_template_to_publication(
    platform: Platform, browser: Any, tmp_path: Path
) -> None:
    base, product = platform.url, "P·O 42.5 水泥（门户测试）"
    with browser_tab(browser, base) as clerk:
        clerk.goto(base + "/portal/enterprise")
        checked(clerk, "login")
        sign_in(clerk, base, "acme", platform.secrets["acme"], "/portal/enterprise")
        assert clerk.locator("h1").inner_text() == "企业门户"
        assert "水泥行业碳足迹核算通知" in clerk.locator("#notices li.unread").inner_text()
        checked(clerk, "enterprise")
        path, _ = workbook(tmp_path, clerk, product)
        clinker, cement = main_row(path, "clinker_produced"), main_row(path, "cement")

        # A required input left blank: found before any figure is read, on its own cell.
        spoil(path, {("清单", f"D{cement}"): None})
        upload(clerk, path)
        title = clerk.locator("#problems-title").inner_text()
        assert title == "清单未提交：请改正以下问题后重新上传"
        [missing] = findings(clerk)
        assert missing[:5] == ["E501", f"清单!D{cement}", "清单", str(cement), "D"]
        assert "缺少必填输入 'cement'" in missing[5] and "水泥产量" in missing[5]
        checked(clerk, "enterprise-errors")

        # Text in number cells of the main sheet and of a list sheet: each named by its cell.
        spoil(path, {("清单", f"D{cement}"): "1000000 t", ("清单", f"D{clinker}"): "七十五万"})
        spoil(path, {("窑用化石燃料", "B4"): "很多"})
        upload(clerk, path)
        found = {row[1]: row for row in findings(clerk)}
        assert set(found) == {f"清单!D{clinker}", "窑用化石燃料!B4"}
        assert found["窑用化石燃料!B4"][2:5] == ["窑用化石燃料", "4", "B"]
        assert "'七十五万' 不是以数字开头" in found[f"清单!D{clinker}"][5]
        with store.open_store(platform.db) as opened, opened.reading() as session:
            assert session.query(Footprint).count() == 3  # nothing filed, nothing published

        # Fixed: filed, and its page follows it.
        spoil(path, {("清单", f"D{clinker}"): "750000 t", ("窑用化石燃料", "B4"): "110250 t"})
        upload(clerk, path)
        assert "/portal/enterprise/submissions/" in clerk.url
        submission = clerk.url.split("/")[-1].split("?")[0]
        assert clerk.locator("#state").inner_text() == "已提交，等待核查"
        checked(clerk, "submission")

        with browser_tab(browser, base) as verifier:
            sign_in(verifier, base, "v1", platform.secrets["v1"], "/portal/verifier")
            checked(verifier, "queue")
            verifier.click(f"a[href='/portal/verifier/submissions/{submission}']")
            inventory = verifier.locator("table.inventory").inner_text()
            assert "熟料产量" in inventory and "clinker_produced" in inventory
            assert "750,000" in inventory
            assert f"{TYPICAL_TOTAL:.2f}" in verifier.locator(".figure-line").inner_text()
            assert verifier.locator("h3", has_text="熟料煅烧").count() == 1
            trace = verifier.locator("details.trace").first
            trace.locator("summary").click()
            assert "limestone * limestone_supply" in trace.inner_text()
            checked(verifier, "review")
            verifier.click("button[value=accept]")
            assert "核查通过" in verifier.locator("p[role=status]").inner_text()

        clerk.reload()
        assert clerk.locator("#state").inner_text() == "核查通过"

    with browser_tab(browser, base) as admin:
        sign_in(admin, base, "a1", platform.secrets["a1"], "/portal/admin")
        checked(admin, "admin")
        admin.click(f"button:has-text('{product}')")
        said = admin.locator("p[role=status]").inner_text()
        assert "其结果已用本方案的密钥签名" in said
        footprint = said.split("已发布碳足迹 ")[1].split("。")[0]
        checked(admin, "admin-published")
    with platform.as_("a1") as client:
        published = client.get(f"/catalogue/footprints/{footprint}").json()
    assert (published["status"], published["submission"]) == ("Active", submission)
    assert (published["product"], published["published_by"]) == (product, "client:a1")
    assert published["total"] == pytest.approx(TYPICAL_TOTAL, rel=1e-6)
    public_side(browser, base, product, footprint)


def public_side(browser: Any, base: str, product: str, footprint: str) -> None:
    """What the public sees of a footprint just published: searching its name in Chinese
    finds it (the worked case's reference period may have run out: expired ones included),
    its page shows it verified, and its label's QR code leads to that page."""
    with browser_tab(browser, base) as reader:
        reader.goto(base + "/")
        reader.fill("#q", "门户测试")
        reader.check("#expired")
        reader.press("#q", "Enter")
        reader.wait_for_load_state()
        reader.click(f"a[href='/products/{footprint}']")
        assert reader.locator("h1").inner_text().startswith(product)
        assert reader.locator("#verification + p .badge").inner_text() == "验证通过"
        assert reader.locator("#signature + p .badge").inner_text() == "有效"
        checked(reader, "public-after-publication")
    with httpx.Client(base_url=base, timeout=60) as client:
        png = client.get(f"/labels/{footprint}.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    import io

    import zxingcpp
    from PIL import Image

    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)).convert("L"))
    assert code.text == f"{base}/products/{footprint}"


def test_returned_with_comments_reaches_the_enterprise(platform: Platform, browser: Any) -> None:
    base = platform.url
    raw = (ROOT / "pcr" / "cement" / "cases" / "typical_plant.yaml").read_text("utf-8")
    raw = raw.replace("Example Cement Co. (invented example company)", CEMENT_CO)
    with store.open_store(platform.db) as opened:
        enterprise = workflow.Actor("client:acme", frozenset({"enterprise"}))
        filed = workflow.submit(
            opened, zuji.load("cement"), raw.encode(), "returned.yaml", enterprise
        )
    with browser_tab(browser, base) as verifier:
        start = f"/portal/verifier/submissions/{filed.submission_id}"
        sign_in(verifier, base, "v1", platform.secrets["v1"], start)
        verifier.click("button[value=return]")  # returned without comments: refused
        assert findings(verifier)[0][0] == "E946"
        assert "退回提交时须附意见" in findings(verifier)[0][5]
        checked(verifier, "review-refused")
        verifier.fill("#comments", "熟料产量与窑的运行记录不符，请核对。")
        verifier.click("button[value=return]")
        assert "已退回" in verifier.locator("p[role=status]").inner_text()
    with browser_tab(browser, base) as clerk:
        sign_in(clerk, base, "acme", platform.secrets["acme"], "/portal/enterprise")
        row = clerk.locator("tr", has=clerk.locator(f"a[href$='{filed.submission_id}']"))
        assert "熟料产量与窑的运行记录不符" in row.locator("td.comments").inner_text()
        row.locator("a").click()
        assert "熟料产量与窑的运行记录不符" in clerk.locator("tr.decision").inner_text()
        checked(clerk, "submission-returned")


def test_a_wrong_secret_and_an_unknown_client_are_told_alike(
    platform: Platform, browser: Any
) -> None:
    said = []
    with browser_tab(browser, platform.url) as page:
        for client, secret in (("acme", "not-the-secret"), ("nobody", "whatever")):
            page.goto(platform.url + "/portal/login")
            page.fill("#client_id", client)
            page.fill("#secret", secret)
            with page.expect_response(lambda r: r.request.method == "POST") as answer:
                page.click("form.login button[type=submit]")
            assert answer.value.status == 401
            said.append(page.locator("#login-problem").inner_text())
        checked(page, "login-refused")
    assert said[0] == said[1] and "客户端不存在或密钥错误" in said[0]


def test_a_forged_form_is_refused(platform: Platform, browser: Any) -> None:
    with browser_tab(browser, platform.url) as page:
        sign_in(page, platform.url, "acme", platform.secrets["acme"], "/portal/enterprise")
        unread = page.locator("#notices li.unread form")
        assert unread.count() == 1
        # Another site's page cannot know the session's token: a form without it is refused.
        page.evaluate("document.querySelector('#notices li.unread input[name=csrf]').value='x'")
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            unread.locator("button").click()
        assert answer.value.status == 403
        assert "E976" in page.locator("main").inner_text()
        checked(page, "forged")
        page.goto(platform.url + "/portal/enterprise")
        assert page.locator("#notices li.unread").count() == 1  # nothing was done
        page.locator("#notices li.unread button").click()  # the page's own form works
        assert page.locator("#notices li.unread").count() == 0
        assert "已读于" in page.locator("#notices li.read").inner_text()


def test_each_role_has_its_own_pages(platform: Platform, browser: Any) -> None:
    with browser_tab(browser, platform.url) as page:
        sign_in(page, platform.url, "acme", platform.secrets["acme"], "/portal/enterprise")
        for path in ("/portal/verifier", "/portal/admin"):
            answer = page.goto(platform.url + path)
            assert answer is not None and answer.status == 403, path
            assert page.locator("h1").inner_text() == "您无权打开此页面"
        checked(page, "refused")
    with browser_tab(browser, platform.url) as page:
        sign_in(page, platform.url, "v1", platform.secrets["v1"], "/portal/verifier")
        answer = page.goto(platform.url + "/portal/enterprise")
        assert answer is not None and answer.status == 403


def test_the_login_form_by_keyboard_alone(platform: Platform, browser: Any) -> None:
    with browser_tab(browser, platform.url) as page:
        page.goto(platform.url + "/portal/login?next=/portal/verifier")
        for _ in range(30):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "client_id":
                break
        assert page.evaluate("document.activeElement.id") == "client_id"
        page.keyboard.type("v1")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "secret"
        page.keyboard.type(platform.secrets["v1"])
        page.keyboard.press("Enter")
        page.wait_for_url(platform.url + "/portal/verifier")
        assert page.locator("h1").inner_text() == "核查门户"
        page.locator("form[action='/portal/logout'] button").focus()
        page.keyboard.press("Enter")
        page.wait_for_url(platform.url + "/portal/login")
        assert page.goto(platform.url + "/portal/verifier") is not None
        assert "/portal/login?next=/portal/verifier" in page.url  # signed out


def test_the_administrator_deprecates_with_a_reason(platform: Platform, browser: Any) -> None:
    steel = platform.footprints["热轧卷板 Q235B"]
    with browser_tab(browser, platform.url) as page:
        sign_in(page, platform.url, "a1", platform.secrets["a1"], "/portal/admin")
        form = page.locator(f"form[action='/portal/admin/footprints/{steel}/deprecate']")
        form.locator("input[name=reason]").fill("企业申请撤回：产品已停产。")
        form.locator("button").click()
        assert f"碳足迹 {steel} 已废止" in page.locator("p[role=status]").inner_text()
        assert form.count() == 0  # no longer in force, no longer offered
        checked(page, "admin-deprecated")
    with platform.as_("a1") as client:
        assert client.get(f"/catalogue/footprints/{steel}").json()["status"] == "Deprecated"
    assert httpx.get(platform.url + "/portal/admin", follow_redirects=False).status_code == 303
