"""The published rule documentation, built as `make docs` builds it and read in a real browser.

The site is generated (`zuji docs`), built with `mkdocs build --strict`, served on 127.0.0.1 and
opened in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright; Playwright never
downloads a browser). Every request that leaves 127.0.0.1 is blocked and recorded, so a page that
needs a CDN fails here.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_kit import zuji as zuji_cli

import zuji
from zuji.interfaces.docsite import generate
from zuji.interfaces.docsite.collect import industry

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "build" / "screenshots"


# ------------------------------------------------------------------------------ the build


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """zuji docs, then mkdocs build --strict into a private folder, as make docs does."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    started = time.monotonic()
    zuji_docs = zuji_cli("docs")
    assert zuji_docs.returncode == 0, zuji_docs.stderr
    site = tmp_path_factory.mktemp("site")
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-f",
            "mkdocs.generated.yml",
            "-d",
            str(site),
        ],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return {
        "site": site,
        "build": build,
        "zuji_docs": zuji_docs,
        "seconds": time.monotonic() - started,
    }


def test_site_builds_strictly_without_warnings(built: dict[str, Any]) -> None:
    build = built["build"]
    assert build.returncode == 0, build.stdout + build.stderr
    assert "WARNING" not in build.stdout + build.stderr
    assert (built["site"] / "pcr" / "cement" / "index.html").is_file()
    assert (built["site"] / "assets" / "mathjax" / "tex-svg.js").is_file()


def test_generated_pages_are_never_committed() -> None:
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "/docs/pcr/" in ignored and "/mkdocs.generated.yml" in ignored


# ------------------------------------------------------------------------------ the server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(built: dict[str, Any]) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "http.server",
            str(port),
            "--bind",
            "127.0.0.1",
            "--directory",
            str(built["site"]),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url, timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    assert Path(CHROMIUM).is_file(), "install Debian's chromium (see .ci/run)"
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    """A page whose requests may only go to the local server; others are blocked and listed."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.outside = []

    def only_local(route: Any) -> None:
        if route.request.url.startswith(server) or route.request.url.startswith("data:"):
            route.continue_()
        else:
            tab.outside.append(route.request.url)
            route.abort()

    tab.route("**/*", only_local)
    tab.base = server
    yield tab
    assert tab.outside == [], f"the site asked the network for {tab.outside}"
    context.close()


def _wait_for_math(tab: Any) -> int:
    """Wait until MathJax has typeset every formula arithmatex marked; their number."""
    tab.wait_for_function(
        "() => { const all = document.querySelectorAll('.arithmatex');"
        " return all.length > 0 && [...all].every(e => e.querySelector('mjx-container svg')); }",
        timeout=30_000,
    )
    return int(tab.locator(".arithmatex").count())


# ------------------------------------------------------------------------------ as a reader


def test_index_lists_every_pcr_by_industry(page: Any) -> None:
    page.goto(page.base + "pcr/")
    text = page.inner_text("article")
    documented = {p.name for p in (ROOT / "docs" / "pcr").glob("*.md")} - {"index.md"}
    for rule in zuji.list_pcrs():
        assert f"{rule.id}" in text, f"{rule.id} missing from the index"
        if f"{rule.id}.md" in documented:
            assert page.locator(f'article a[href$="{rule.id}/"]').count() >= 1
            assert industry(rule)[0] in text
    nav = page.locator("nav.md-nav--primary").first.text_content()
    cement = zuji.load("cement").rule
    assert industry(cement)[0] in nav and cement.name.zh in nav


def test_pcr_page_shows_formulas_inputs_and_boundary(page: Any) -> None:
    cement = zuji.load("cement").rule
    page.goto(page.base + "pcr/cement/")
    formulas = _wait_for_math(page)
    assert formulas >= len(cement.lines) + len(cement.lets)
    visible = page.inner_text("article")
    for raw in ("\\frac", "\\mathrm", "\\operatorname", "$$"):
        assert raw not in visible, f"raw TeX {raw} is visible"

    inputs = page.locator("article table", has=page.locator("th", has_text="Data quality"))
    assert inputs.count() == 1
    rows = inputs.locator("tbody tr")
    expected_rows = sum(1 + len(i.fields) for i in cement.inputs)
    assert rows.count() == expected_rows
    for inp in cement.inputs:
        if inp.quality == "primary":
            row = rows.filter(has=page.locator("code", has_text=inp.name))
            assert "primary" in row.first.inner_text()

    diagram = page.locator("svg.zuji-boundary")
    diagram.scroll_into_view_if_needed()
    box = diagram.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100
    assert diagram.locator("rect.stage").count() == len(cement.boundary.stages)
    labels = diagram.locator("text").evaluate_all("ts => ts.map(t => t.textContent)")
    for stage in cement.boundary.stages:
        assert any(stage.startswith(label) or label.startswith(stage) for label in labels)

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("h2#calculation").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "cement.png"))
    assert (SCREENSHOTS / "cement.png").stat().st_size > 10_000


def test_pcr_page_links_its_shared_modules(page: Any) -> None:
    cement = zuji.load("cement").rule
    page.goto(page.base + "pcr/cement/")
    for use in cement.uses:
        link = page.locator("article a", has_text=use.module)
        assert link.count() >= 1, f"no link to {use.module}"
    page.locator("article a", has_text=cement.uses[0].module).first.click()
    page.wait_for_load_state()
    assert "/pcr/common/" in page.url
    _wait_for_math(page)
    assert page.locator("article a[href*='cement/']").count() >= 1  # used by: cement


def test_worked_cases_show_expected_and_engine_results(page: Any) -> None:
    page.goto(page.base + "pcr/cement/")
    text = page.inner_text("article")
    from zuji.runtime.cases import case_files, load_case

    for path in case_files(zuji.load("cement")):
        case = load_case(path)
        assert str(case.get("case", path.stem)) in text
        assert f"{float(case['expected']['total']):.6g}" in text
    assert page.locator("article th", has_text="Engine").count() == len(
        case_files(zuji.load("cement"))
    )


def test_search_finds_a_pcr_by_its_chinese_name(page: Any) -> None:
    name = zuji.load("cement").rule.name.zh
    full = name.split("（")[0]
    for query in (full, full[2:5]):
        page.goto(page.base)
        page.locator("input.md-search__input").click()
        # The index is built in a web worker; a query typed before it is ready is dropped.
        page.wait_for_function(
            "() => { const meta = document.querySelector('.md-search-result__meta');"
            " return meta && !/Initializing/i.test(meta.textContent); }",
            timeout=60_000,
        )
        box = page.locator("input.md-search__input")
        # Chinese comes from an input method: the text lands at once, then a key is released
        # (Material reads the query on keyup).
        box.fill(query)
        box.press("End")
        page.locator(".md-search-result__item").first.wait_for(timeout=30_000)
        hrefs = page.locator(".md-search-result__item > a").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
        assert any("pcr/cement/" in h for h in hrefs[:3]), (query, hrefs[:5])


def _search(page: Any, url: str, query: str) -> list[str]:
    """The result links the site's own search gives for `query`, typed as an input method does;
    [] when it finds nothing."""
    page.goto(url)
    page.locator("input.md-search__input").click()
    page.wait_for_function(
        "() => { const meta = document.querySelector('.md-search-result__meta');"
        " return meta && !/Initializing|正在初始化/i.test(meta.textContent); }",
        timeout=60_000,
    )
    box = page.locator("input.md-search__input")
    box.fill(query)
    box.press("End")
    page.wait_for_function(
        "() => { const meta = document.querySelector('.md-search-result__meta');"
        " return meta && !/键入|Type to start/i.test(meta.textContent); }",
        timeout=30_000,
    )
    page.wait_for_timeout(300)
    return list(
        page.locator(".md-search-result__item > a").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
    )


@pytest.mark.parametrize("site", ["", "en/"])
def test_searching_cement_in_chinese_lists_the_cement_pcr_first(page: Any, site: str) -> None:
    """One index serves both languages (mkdocs-static-i18n with Material's search): the cement
    page comes first, and the page in the site's own language is among the results."""
    hrefs = [
        h.split("?")[0].removeprefix(page.base) for h in _search(page, page.base + site, "水泥")
    ]
    assert hrefs, "水泥 found nothing"
    assert hrefs[0] in ("pcr/cement/", "en/pcr/cement/"), hrefs[:5]
    assert f"{site}pcr/cement/" in hrefs


@pytest.mark.parametrize(
    ("site", "wording"), [("", "该产品可能还没有 PCR"), ("en/", "no PCR for this product")]
)
def test_a_product_with_no_pcr_says_so_on_the_results_page(
    page: Any, site: str, wording: str
) -> None:
    hrefs = _search(page, page.base + site, "平板玻璃")
    assert hrefs == []
    assert wording in page.locator(".md-search-result__meta").inner_text()


@pytest.mark.parametrize(
    ("site", "first", "second"),
    [("", "系统边界", "System boundary"), ("en/", "System boundary", "系统边界")],
)
def test_the_cement_page_reads_in_both_languages(
    page: Any, site: str, first: str, second: str
) -> None:
    cement = zuji.load("cement").rule
    page.goto(page.base + site + "pcr/cement/")
    assert _wait_for_math(page) >= len(cement.lines) + len(cement.lets)
    heading = page.locator("article h2", has_text=first).first.inner_text()
    assert heading.index(first) < heading.index(second)
    title = page.locator("article h1").inner_text()
    zh_first = title.index(cement.name.zh) < title.index(cement.name.en)
    assert zh_first == (site == "")
    # option labels beside the identifiers, and the assertions' Chinese messages
    article = page.inner_text("article")
    assert "east 华东" in article
    assert "自产熟料用量不能超过熟料产量" in article
    # the declared unit's description, the reader's language first
    unit = cement.declared_unit
    assert unit is not None
    described = article.index(unit.description.zh), article.index(unit.description.en)
    assert (described[0] < described[1]) == (site == "")
    # the boundary diagram names each stage in both languages
    labels = page.locator("svg.zuji-boundary text").evaluate_all("ts => ts.map(t => t.textContent)")
    for stage in cement.stages:
        assert stage.description.zh[:11] in " ".join(labels), stage.name
    assert any("系统边界" in t and "System boundary" in t for t in labels)
    # the switch to the other language
    assert page.locator(".md-select__link", has_text="English").count() == 1


@pytest.mark.parametrize(("site", "heading"), [("", "编写新的 PCR"), ("en/", "Writing a new PCR")])
def test_the_committee_guide_is_written_in_each_language(
    page: Any, site: str, heading: str
) -> None:
    page.goto(page.base + site + "guides/writing-a-pcr/")
    assert page.locator("article h1").inner_text().startswith(heading)
    nav = page.locator("nav.md-nav--primary").first.text_content()
    assert ("入门" in nav, "Getting started" in nav) == (
        (True, False) if site == "" else (False, True)
    )


GUIDES = [
    ("getting-started/", "入门", "Getting started"),
    ("language/", "足迹 PCR 规则语言", "The Zuji PCR language"),
    ("formats/inventory/", "清单格式", "Inventory format"),
    ("guides/reviewing/", "审查规则修改", "Reviewing a rule change"),
    ("cli/", "命令行", "Command line"),
    ("languages/", "语言：中文与英文", "Languages: Chinese and English"),
    ("formats/result/", "结果格式", "Result format"),
    ("formats/benchmarks/", "基准水平", "Benchmark levels"),
    ("batches/", "批量与集群", "Batches and clusters"),
    ("cbam/", "CBAM 隐含排放", "CBAM embedded emissions"),
    ("integration/", "与其他系统对接", "For other systems"),
    ("architecture/", "引擎架构", "Architecture of the engine"),
]


@pytest.mark.parametrize(("path", "chinese", "english"), GUIDES, ids=[g[0] for g in GUIDES])
def test_the_guides_are_written_in_each_language(
    page: Any, path: str, chinese: str, english: str
) -> None:
    """Each guide reads in Chinese on the Chinese site and in English on the English one, its
    links between pages and to their sections kept (the build is strict about anchors)."""
    page.goto(page.base + path)
    assert page.locator("article h1").inner_text().startswith(chinese)
    article = _prose(page)
    han = sum(1 for c in article if "\u4e00" <= c <= "\u9fff")
    assert han > len(article) / 10, f"{path} reads mostly in English on the Chinese site"
    page.goto(page.base + "en/" + path)
    assert page.locator("article h1").inner_text().startswith(english)
    english_text = _prose(page)
    assert sum(1 for c in english_text if "\u4e00" <= c <= "\u9fff") < len(english_text) / 50


def _prose(page: Any) -> str:
    """The article's words without its code blocks: commands, examples and the embedded JSON
    Schemas stay as they are in both languages."""
    text: str = page.locator("article").evaluate(
        "a => { const c = a.cloneNode(true); c.querySelectorAll('pre').forEach(p => p.remove());"
        " return c.innerText; }"
    )
    assert len(text) > 200
    return text


def test_the_chinese_code_table_links_and_reads_in_chinese(page: Any) -> None:
    page.goto(page.base + "cli/")
    page.locator("article a[href$='language/#16-checks-and-their-codes']").first.click()
    page.wait_for_url("**/language/#16-checks-and-their-codes")
    heading = page.locator("[id='16-checks-and-their-codes']").inner_text()
    assert heading.startswith("16. 检查及其代码")
    row = page.locator("article tr", has_text="E210").first.inner_text()
    assert row.startswith("E210") and "未知" in row, row


def test_each_worked_case_is_charted_by_stage_against_the_published_range(page: Any) -> None:
    from zuji.interfaces.docsite.cases_chart import LABEL_W, PAD
    from zuji.runtime.cases import case_files, load_case, run_case

    pcr = zuji.load("cement")
    cases = [load_case(path) for path in case_files(pcr)]
    page.goto(page.base + "pcr/cement/")
    chart = page.locator("svg.zuji-cases-chart")
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300
    names = chart.locator("text").evaluate_all("ts => ts.map(t => t.textContent)")
    for case in cases:
        assert str(case["case"]) in names
    ranged = [c for c in cases if c.get("published_range")]
    assert chart.locator("rect.published").count() == len(ranged) > 0
    # hatching tells the stages apart without colour: every stage's fill is its own pattern
    fills = chart.locator("rect.stage").evaluate_all("rs => rs.map(r => r.getAttribute('fill'))")
    assert len(set(fills)) >= 3
    # the bars and the published band share one scale: where the first case's bar ends, against
    # where its band begins, is its stages' sum against the published low
    first = cases[0]
    low = float(first["published_range"]["low"])
    outcome = run_case(pcr, case_files(pcr)[0])
    assert outcome.result is not None
    drawn = sum(v for v in outcome.result.by_stage.values() if v > 0)
    x0 = PAD + LABEL_W
    row = chart.locator(f'rect.stage[y="{PAD + 24}"]').evaluate_all(
        "rs => rs.map(r => [+r.getAttribute('x'), +r.getAttribute('width')])"
    )
    end = max(x + w for x, w in row)
    band_x = float(chart.locator("rect.published").first.get_attribute("x"))
    assert (end - x0) / (band_x - x0) == pytest.approx(drawn / low, rel=0.01)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    chart.screenshot(path=str(SCREENSHOTS / "cement-cases.png"))
    assert (SCREENSHOTS / "cement-cases.png").stat().st_size > 5_000


def test_schemas_are_published_and_embedded(page: Any, server: str) -> None:
    for name in ("inventory.schema.json", "result.schema.json"):
        with urllib.request.urlopen(server + "schemas/" + name, timeout=5) as response:
            published = json.load(response)
        assert published == json.loads(
            (ROOT / "standards" / "schemas" / name).read_text(encoding="utf-8")
        )
    page.goto(page.base + "formats/inventory/")
    assert '"$schema"' in page.inner_text("article")


# ------------------------------------------------------------------------------ robustness


def test_a_broken_pcr_is_skipped_not_fatal(tmp_path: Path) -> None:
    """A PCR half-written by a committee must not stop the site; the index names it."""
    library = tmp_path / "pcr"
    shutil.copytree(ROOT / "pcr" / "common", library / "common")
    shutil.copytree(ROOT / "pcr" / "cement", library / "cement")
    (library / "broken").mkdir()
    (library / "broken" / "broken.pcr").write_text(
        'pcr broken {\n  name en "Broken" zh "坏的"\n  version 0.1.0\n  unit 1 t of nothing\n'
        "  stage oops {\n    x : CO2 = \n  }\n}\n",
        encoding="utf-8",
    )
    (tmp_path / "docs").mkdir()
    config = tmp_path / "mkdocs.yml"
    config.write_text("site_name: t\nnav:\n  - Rules: pcr/index.md\n", encoding="utf-8")

    done = generate(config, library)

    assert [s.id for s in done.skipped] == ["broken"]
    assert (tmp_path / "docs" / "pcr" / "cement.md").is_file()
    assert not (tmp_path / "docs" / "pcr" / "broken.md").exists()
    index = (tmp_path / "docs" / "pcr" / "index.md").read_text(encoding="utf-8")
    assert "broken" in index and "not published" in index
    nav = (tmp_path / "mkdocs.generated.yml").read_text(encoding="utf-8")
    assert "pcr/cement.md" in nav and "broken" not in nav
