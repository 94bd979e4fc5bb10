"""The public catalogue's routes over HTTP, without a browser: the search, a product's page with
its charts, grade, verification and signature, the PACT document and the signed result, the
comparison, the 404 page in the reader's language, and the rule pages at /rules/ when `zuji
serve --docs-site` gives a built site. The catalogue is web_kit's, served by uvicorn."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import jinja2
import pytest
from cli_kit import zuji
from public_kit import LYE, LYE_GTIN, publish_recent_lye
from sqlalchemy import select
from web_kit import CEMENT_CO, STAFF, seed, served, serving_config

from zuji.catalogue import store, workflow
from zuji.catalogue.tables import Enterprise, Footprint, Submission
from zuji.core import i18n
from zuji.exchange.signing import PUBLIC_NAME, check_signature, load_public
from zuji.interfaces.serve_config import ServiceConfig
from zuji.interfaces.web import render
from zuji.runtime.result import Signature

STEEL = "热轧卷板 Q235B"
OPC = "普通硅酸盐水泥 P·O 42.5"
LOW_CARBON = "低碳硅酸盐水泥 P·O 52.5"


@pytest.fixture(scope="module")
def platform(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, dict[str, str], Path]]:
    folder = tmp_path_factory.mktemp("public")
    db = str(folder / "catalogue.db")
    _, footprints = seed(db, folder / "keys")
    footprints[LYE] = publish_recent_lye(db)
    with served(db) as url:
        yield url, footprints, folder / "keys"


def _get(url: str, lang: str = "zh-CN") -> httpx.Response:
    return httpx.get(url, headers={"accept-language": lang}, timeout=60, follow_redirects=False)


def test_a_chinese_search_finds_the_product_and_not_the_others(
    platform: tuple[str, dict[str, str], Path],
) -> None:
    url, footprints, _ = platform
    # The seeded reference periods end in 2022 and 2023: some have expired; include them.
    found = _get(f"{url}/?q=热轧&expired=1")
    assert found.status_code == 200
    assert "text/html" in found.headers["content-type"]
    assert f'href="/products/{footprints[STEEL]}"' in found.text
    assert OPC not in found.text and LOW_CARBON not in found.text
    cement = _get(f"{url}/?q=水泥&expired=1").text
    assert OPC in cement and LOW_CARBON in cement and STEEL not in cement
    assert "default-src 'none'" in found.headers["content-security-policy"]
    # In force now (last year's reference period), so found without asking for expired ones.
    lye = _get(f"{url}/?q=烧碱").text
    assert f"/products/{footprints[LYE]}" in lye and STEEL not in lye
    assert f"/products/{footprints[LYE]}" in _get(f"{url}/?q={LYE_GTIN}").text


def test_nothing_found_is_said_plainly_in_each_language(
    platform: tuple[str, dict[str, str], Path],
) -> None:
    url, _, _ = platform
    chinese = _get(f"{url}/?q=不存在的产品")
    assert chinese.status_code == 200 and "没有找到产品。" in chinese.text
    english = _get(f"{url}/?q=nothing+like+this", lang="en")
    assert "No products found." in english.text
    assert '<html lang="en">' in english.text


def test_the_filters_of_the_form_narrow_the_list(
    platform: tuple[str, dict[str, str], Path],
) -> None:
    url, _, _ = platform
    steel_only = _get(f"{url}/?pcr=steel&expired=1").text
    assert STEEL in steel_only and OPC not in steel_only
    in_jiangsu = _get(f"{url}/?region=CN-JS&expired=1").text
    assert LYE in in_jiangsu and STEEL not in in_jiangsu
    assert LYE in _get(f"{url}/?hs=2815").text
    none_graded = _get(f"{url}/?grade=none&expired=1").text  # the steel is above its levels
    assert STEEL in none_graded and OPC not in none_graded
    assert "没有找到产品" in _get(f"{url}/?hs=9999&expired=1").text


def test_a_company_is_chosen_from_the_list_of_companies_and_named_on_the_search(
    platform: tuple[str, dict[str, str], Path],
) -> None:
    url, _, _ = platform
    listed = _get(f"{url}/companies", lang="en")
    assert listed.status_code == 200
    links = dict(
        (html.unescape(name), int(i))
        for i, name in re.findall(r'<a href="/\?company=(\d+)">([^<]*)</a>', listed.text)
    )
    assert CEMENT_CO in links, listed.text
    cement_co = links[CEMENT_CO]
    narrowed = _get(f"{url}/?company={cement_co}&expired=1&q=水泥", lang="en").text
    # The form names the company, keeps it for the next search, and offers to drop it while
    # keeping the rest of the search.
    assert f'<input type="hidden" name="company" value="{cement_co}">' in narrowed
    assert f'<span class="chosen">{html.escape(CEMENT_CO)}</span>' in narrowed
    dropped = re.search(r'<a href="([^"]*)">any company</a>', narrowed)
    assert dropped is not None and "company=" not in dropped.group(1)
    assert "expired=1" in html.unescape(dropped.group(1))
    assert OPC in narrowed and STEEL not in narrowed
    # Not narrowed: a link to the list, and no company written into the page.
    plain = _get(f"{url}/?q=水泥&expired=1", lang="zh-CN").text
    assert '<a href="/companies">选择企业</a>' in plain and '<option value="1"' not in plain
    assert "企业名录" in _get(f"{url}/companies").text


def test_pages_of_results_follow_one_another(
    platform: tuple[str, dict[str, str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from zuji.interfaces.web import public

    url, footprints, _ = platform
    monkeypatch.setattr(public, "PAGE", 1)  # the served app reads it per request
    seen: list[str] = []
    path: str | None = "/?expired=1"
    pages = 0
    while path:
        text = _get(url + path).text
        seen += [i for i in footprints.values() if f"/products/{i}" in text]
        following = re.search(r'href="([^"]+)" rel="next"', text)
        path = html.unescape(following.group(1)) if following else None
        pages += 1
    assert sorted(seen) == sorted(footprints.values())
    assert pages == len(footprints)


def test_a_product_page_shows_charts_grade_verification_and_a_valid_signature(
    platform: tuple[str, dict[str, str], Path],
) -> None:
    url, footprints, _ = platform
    page = _get(f"{url}/products/{footprints[STEEL]}", lang="en")
    assert page.status_code == 200
    text = page.text
    assert text.count('role="img"') == 2 and '<title id="stages-title">' in text
    assert "Footprint by life-cycle stage" in text and "Footprint by greenhouse gas" in text
    assert "2,210.8 kg CO2e" in text  # the steel worked case's total, 2 210.77 kg per t
    assert "benchmark: none" in text and "distribution: advanced" in text
    assert "verified" in text and "programme: accepted on" in text
    assert "its signature checks against the catalogue's public key" in text
    assert "sha256:" in text
    for link in (
        f"/products/{footprints[STEEL]}/pact.json",
        f"/products/{footprints[STEEL]}/result.json",
        f"/labels/{footprints[STEEL]}.svg",
        "/pcrs/steel",
    ):
        assert f'href="{link}"' in text, link
    chinese = _get(f"{url}/products/{footprints[STEEL]}").text
    assert "按生命周期阶段的碳足迹" in chinese and "签名" in chinese
    # what the declared unit is, in the reader's language (the steel PCR's words)
    english_unit = "Cast crude steel (slab, bloom, billet) or hot-rolled product, at the plant gate"
    chinese_unit = "粗钢（连铸板坯、大方坯、小方坯）或热轧钢材，出厂"
    assert f"per declared unit: 1 t ({english_unit})" in text and chinese_unit not in text
    assert f"每声明单位：1 t（{chinese_unit}）" in chinese and english_unit not in chinese


def test_the_pact_document_and_the_signed_result_are_served(
    platform: tuple[str, dict[str, str], Path],
) -> None:
    url, footprints, keys = platform
    document = _get(f"{url}/products/{footprints[STEEL]}/pact.json").json()
    assert document["id"] == footprints[STEEL] and document["status"] == "Active"
    result = _get(f"{url}/products/{footprints[STEEL]}/result.json").json()
    signature = Signature.model_validate(result.pop("signature"))
    assert check_signature(result, signature, load_public(keys / PUBLIC_NAME), "result") == ""


def test_an_unknown_id_gets_a_404_page_in_the_readers_language(
    platform: tuple[str, dict[str, str], Path],
) -> None:
    url, _, _ = platform
    for path in ("/products/no-such-id", "/products/no-such-id/pact.json", "/compare?pcr=nope"):
        chinese = _get(url + path)
        assert chinese.status_code == 404, path
        assert "text/html" in chinese.headers["content-type"]
        assert "未找到" in chinese.text
        english = _get(url + path, lang="en")
        assert english.status_code == 404 and "Not found" in english.text


def test_the_comparison_sets_a_categorys_products_against_its_distribution(
    platform: tuple[str, dict[str, str], Path],
) -> None:
    url, footprints, _ = platform
    picker = _get(f"{url}/compare").text
    assert 'value="cement"' in picker and 'value="caustic_soda"' in picker
    compared = _get(f"{url}/compare?pcr=caustic_soda&ids={footprints[LYE]}", lang="en").text
    assert "Products side by side" in compared and 'role="img"' in compared
    assert f'href="/products/{footprints[LYE]}"' in compared
    assert "1 footprints in force" in compared
    assert 'class="num">Footprints</th>' in compared  # the histogram's table
    chinese = _get(f"{url}/compare?pcr=caustic_soda").text
    assert "产品并列比较" in chinese


def test_a_changed_result_shows_an_invalid_signature(tmp_path: Path) -> None:
    db = str(tmp_path / "catalogue.db")
    _, footprints = seed(db, tmp_path / "keys")
    with store.open_store(db) as opened, opened.transaction() as session:
        footprint = session.get(Footprint, footprints[OPC])
        assert footprint is not None
        submission = session.get(Submission, footprint.submission_id)
        assert submission is not None
        changed = json.loads(submission.result)
        changed["total"] = 1.0  # a figure changed after signing
        submission.result = json.dumps(changed)
    with served(db) as url:
        text = _get(f"{url}/products/{footprints[OPC]}", lang="en").text
    assert "does not check against the catalogue's public key" in text


def test_a_deprecated_footprint_says_so_and_search_hides_it(tmp_path: Path) -> None:
    db = str(tmp_path / "catalogue.db")
    _, footprints = seed(db, tmp_path / "keys")
    with store.open_store(db) as opened:
        workflow.deprecate(opened, footprints[LOW_CARBON], STAFF, "withdrawn (test)")
        with opened.reading() as session:
            cement_co = session.scalar(select(Enterprise.id).where(Enterprise.name == CEMENT_CO))
    with served(db) as url:
        page = _get(f"{url}/products/{footprints[LOW_CARBON]}", lang="en").text
        listed = _get(f"{url}/?company={cement_co}").text
        everything = _get(f"{url}/?company={cement_co}&expired=1").text
    assert "This footprint has been withdrawn" in page
    assert LOW_CARBON not in listed and LOW_CARBON in everything


# ----------------------------------------------------------------------------- the rule pages


def test_the_docs_site_is_served_at_rules_and_product_pages_link_it(tmp_path: Path) -> None:
    db = str(tmp_path / "catalogue.db")
    _, footprints = seed(db, tmp_path / "keys")
    site = tmp_path / "site"
    for page in (site / "pcr" / "steel", site / "en" / "pcr" / "steel"):
        page.mkdir(parents=True)
        (page / "index.html").write_text("<h1>steel</h1>", encoding="utf-8")
    (site / "index.html").write_text("<h1>rules</h1>", encoding="utf-8")
    with serving_config(ServiceConfig(catalogue=db, docs_site=str(site))) as url:
        product = _get(f"{url}/products/{footprints[STEEL]}").text
        english = _get(f"{url}/products/{footprints[STEEL]}", lang="en").text
        rule = _get(f"{url}/rules/pcr/steel/")
    assert 'href="/rules/pcr/steel/"' in product
    assert 'href="/rules/en/pcr/steel/"' in english
    assert rule.status_code == 200 and "<h1>steel</h1>" in rule.text
    assert "'unsafe-inline'" in rule.headers["content-security-policy"]


def test_a_docs_site_without_a_built_site_is_refused(tmp_path: Path) -> None:
    ran = zuji("serve", "--docs-site", str(tmp_path))
    assert ran.returncode == 2
    assert "error[E970]" in ran.stderr and "make docs" in ran.stderr


def _translated_at_each_view(lang: str) -> jinja2.Environment:
    """The templates as they were rendered before render._Translated: every `_()` a call at
    each view, through jinja's gettext (the environment every language shared)."""
    made = jinja2.Environment(
        loader=jinja2.PackageLoader("zuji.interfaces.web", "templates"),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    made.filters.update(render.environment(lang).filters)
    made.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, lambda one, many, n: i18n.gettext(one if n == 1 else many), newstyle=True
    )
    return made


def test_pages_translated_when_compiled_are_the_pages_translated_at_each_view(
    platform: tuple[str, dict[str, str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, footprints, _ = platform
    paths = [
        "/?q=水泥&expired=1",
        "/?expired=1",
        f"/products/{footprints[STEEL]}",
        f"/products/{footprints[OPC]}",
        "/compare?pcr=cement",
        "/compare",
        "/products/no-such-footprint",
    ]
    pages = {(p, lang): _get(f"{url}{p}", lang).text for p in paths for lang in ("zh-CN", "en")}
    assert "验证通过" in pages[(f"/products/{footprints[STEEL]}", "zh-CN")]
    monkeypatch.setattr(
        render, "_environments", {lang: _translated_at_each_view(lang) for lang in ("zh", "en")}
    )
    for (path, lang), compiled in pages.items():
        assert _get(f"{url}{path}", lang).text == compiled, (path, lang)
