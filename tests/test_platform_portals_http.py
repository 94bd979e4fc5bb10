"""The portals' sign-in and forms over real HTTP (uvicorn on 127.0.0.1), on SQLite and on
PostgreSQL: the session cookie's flags and lifetime, the login form's own token, `next` that
leads only into this service, the wait after a failed login, an enterprise that reads only its
own submissions, uploads that are not inventories (nothing stored), and every text of the
portals' templates in Chinese."""

from __future__ import annotations

import re
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract
from serve_kit import free_port
from sqlalchemy import func, select, update
from web_kit import CEMENT_CO, ROOT, STEEL_CO, Platform, seed, served

import zuji
from zuji.catalogue import clients, store, workflow
from zuji.catalogue.tables import Submission
from zuji.core import i18n
from zuji.interfaces.serve import create_app
from zuji.interfaces.serve_config import ServiceConfig
from zuji.interfaces.serve_tls import self_signed
from zuji.interfaces.web.session import FAILED_WAIT

TEMPLATES = ROOT / "engine" / "zuji" / "interfaces" / "web" / "templates" / "portal"


@pytest.fixture
def platform(catalogue_db: str, tmp_path: Path) -> Iterator[Platform]:
    secrets, footprints = seed(catalogue_db, tmp_path / "keys")
    with store.open_store(catalogue_db) as opened:
        secrets["steel"] = clients.add_client(
            opened, "steel", ["enterprise"], "programme", STEEL_CO
        )
    with served(catalogue_db) as url:
        yield Platform(url, catalogue_db, secrets, footprints)


def login_form(http: httpx.Client) -> str:
    """The login page's form token (its cookie is kept by the client)."""
    page = http.get("/portal/login")
    assert page.status_code == 200
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


@contextmanager
def signed_in(platform: Platform, client: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=platform.url, timeout=60) as http:
        token = login_form(http)
        answer = http.post(
            "/portal/login",
            data={"client_id": client, "secret": platform.secrets[client], "csrf": token},
        )
        assert answer.status_code == 303, answer.text
        yield http


def page_token(http: httpx.Client, path: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', http.get(path).text)
    assert found is not None
    return found.group(1)


def stored(db: str) -> int:
    with store.open_store(db) as opened, opened.reading() as session:
        return session.scalar(select(func.count()).select_from(Submission)) or 0


def test_the_session_cookie_is_http_only_strict_and_lives_as_its_token(
    platform: Platform,
) -> None:
    with httpx.Client(base_url=platform.url, timeout=60) as http:
        token = login_form(http)
        answer = http.post(
            "/portal/login",
            data={"client_id": "acme", "secret": platform.secrets["acme"], "csrf": token},
        )
    assert (answer.status_code, answer.headers["location"]) == (303, "/portal/enterprise")
    [cookie] = [c for c in answer.headers.get_list("set-cookie") if c.startswith("zuji_session=")]
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    # core.access.TOKEN_LIFETIME: the cookie lasts as long as the token it holds.
    assert {"httponly", "samesite=strict", "max-age=3600", "path=/"} <= flags
    assert "secure" not in flags  # plain HTTP here; over TLS it is Secure (the next test)


def test_the_session_cookie_is_secure_over_tls(platform: Platform, tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path / "tls")
    port = free_port()
    app = create_app(config=ServiceConfig(catalogue=platform.db, tls=True))
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            ssl_certfile=str(cert),
            ssl_keyfile=str(key),
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        with httpx.Client(
            base_url=f"https://127.0.0.1:{port}",
            verify=ssl.create_default_context(cafile=str(cert)),
        ) as https:
            token = login_form(https)
            answer = https.post(
                "/portal/login",
                data={"client_id": "a1", "secret": platform.secrets["a1"], "csrf": token},
            )
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert answer.headers["location"] == "/portal/admin"
    [cookie] = [c for c in answer.headers.get_list("set-cookie") if c.startswith("zuji_session=")]
    assert "secure" in {part.strip().lower() for part in cookie.split(";")}


def test_a_login_without_its_forms_token_is_refused(platform: Platform) -> None:
    with httpx.Client(base_url=platform.url, timeout=60) as http:
        answer = http.post(
            "/portal/login",
            data={"client_id": "acme", "secret": platform.secrets["acme"], "csrf": "guessed"},
        )
    assert answer.status_code == 403
    assert "E976" in answer.text and "zuji_session" not in answer.headers.get("set-cookie", "")


@pytest.mark.parametrize(
    ("asked", "landing"),
    [
        ("https://elsewhere.example/", "/portal/verifier"),
        ("//elsewhere.example/portal", "/portal/verifier"),
        ("/\\elsewhere.example", "/portal/verifier"),
        ("/portal/verifier?state=submitted", "/portal/verifier?state=submitted"),
    ],
)
def test_next_leads_only_into_this_service(platform: Platform, asked: str, landing: str) -> None:
    with httpx.Client(base_url=platform.url, timeout=60) as http:
        token = login_form(http)
        answer = http.post(
            "/portal/login",
            data={
                "client_id": "v1",
                "secret": platform.secrets["v1"],
                "csrf": token,
                "next": asked,
            },
        )
    assert (answer.status_code, answer.headers["location"]) == (303, landing)


def test_a_failed_login_waits_and_says_the_same_for_either_mistake(platform: Platform) -> None:
    said = []
    with httpx.Client(base_url=platform.url, timeout=60) as http:
        for client, secret in (("acme", "wrong"), ("nobody", "wrong")):
            token = login_form(http)
            started = time.monotonic()
            answer = http.post(
                "/portal/login", data={"client_id": client, "secret": secret, "csrf": token}
            )
            assert time.monotonic() - started >= FAILED_WAIT
            assert answer.status_code == 401
            said.append(re.sub(r'value="[^"]*"', "", answer.text))
    assert said[0] == said[1] and "客户端不存在或密钥错误" in said[0]


def test_a_page_without_a_valid_session_leads_to_the_login(platform: Platform) -> None:
    with httpx.Client(base_url=platform.url, timeout=60) as http:
        for cookie in ("", "zuji1.e30.forged", "not-a-token"):
            http.cookies.set("zuji_session", cookie)
            answer = http.get("/portal/verifier/submissions/x")
            assert answer.status_code == 303
            assert answer.headers["location"] == "/portal/login?next=/portal/verifier/submissions/x"


def test_an_enterprise_reads_only_its_own_submissions(platform: Platform) -> None:
    raw = (ROOT / "pcr" / "cement" / "cases" / "typical_plant.yaml").read_bytes()
    with store.open_store(platform.db) as opened:
        acme = workflow.Actor("client:acme", frozenset({"enterprise"}))
        filed = workflow.submit(opened, zuji.load("cement"), raw, "plant.yaml", acme)
    assert filed.enterprise == CEMENT_CO
    path = f"/portal/enterprise/submissions/{filed.submission_id}"
    with signed_in(platform, "acme") as own, signed_in(platform, "steel") as other:
        assert own.get(path).status_code == 200
        refused = other.get(path)
        assert refused.status_code == 404 and "E947" in refused.text
        assert filed.submission_id not in other.get("/portal/enterprise").text
    with signed_in(platform, "v1") as verifier:
        assert verifier.get(path).status_code == 403  # a verifier has its own pages
        assert (
            verifier.get(f"/portal/verifier/submissions/{filed.submission_id}").status_code == 200
        )


def test_an_upload_that_is_not_an_inventory_stores_nothing(platform: Platform) -> None:
    before = stored(platform.db)
    with signed_in(platform, "acme") as http:
        token = page_token(http, "/portal/enterprise")
        cases = [
            ({"pcr": "cement"}, {"inventory": ("notes.txt", b"not an inventory")}),
            ({"pcr": "no_such_rule"}, {"inventory": ("plant.yaml", b"inventory: {}")}),
            ({"pcr": "cement"}, {"inventory": ("plant.yaml", b"inventory: [")}),
        ]
        codes = []
        for fields, files in cases:
            answer = http.post(
                "/portal/enterprise/submissions", data={**fields, "csrf": token}, files=files
            )
            assert answer.status_code == 422, answer.text
            codes.append(re.findall(r'<tr class="finding">\s*<td><code>(E\d+)', answer.text))
        forged = http.post(
            "/portal/enterprise/submissions",
            data={"pcr": "cement", "csrf": "x"},
            files={
                "inventory": (
                    "plant.yaml",
                    (ROOT / "pcr/cement/cases/typical_plant.yaml").read_bytes(),
                )
            },
        )
    assert codes[:2] == [["E975"], ["E975"]] and codes[2] and codes[2][0].startswith("E")
    assert forged.status_code == 403 and "E976" in forged.text
    assert stored(platform.db) == before


def test_the_template_is_the_pcrs_workbook_in_the_readers_language(platform: Platform) -> None:
    with signed_in(platform, "acme") as http:
        english = http.get("/portal/enterprise/template", params={"pcr": "cement", "lang": "en"})
        assert english.headers["content-disposition"].endswith('"cement-template-en.xlsx"')
        assert english.content[:2] == b"PK"  # a zip: an xlsx workbook
        assert "Enterprise portal" in http.get("/portal/enterprise?lang=en").text
        assert "Enterprise portal" in http.get("/portal/enterprise").text  # the cookie keeps it
        missing = http.get("/portal/enterprise/template", params={"pcr": "no_such_rule"})
        assert missing.status_code == 404 and "E975" in missing.text


def test_every_text_of_the_portals_reads_in_chinese() -> None:
    with i18n.po_path("zh").open("rb") as handle:
        catalogue = read_po(handle)
    missing = []
    for template in sorted(TEMPLATES.glob("*.html")):
        with template.open("rb") as handle:
            for _, _, message, _ in babel_extract(handle, ("_",), [], {}):
                entry = catalogue.get(message)
                if entry is None or not entry.string:
                    missing.append(f"{template.name}: {message}")
    assert missing == []


def test_a_submission_whose_pcr_changed_shows_its_stored_result(platform: Platform) -> None:
    raw = (ROOT / "pcr" / "cement" / "cases" / "typical_plant.yaml").read_bytes()
    with store.open_store(platform.db) as opened:
        acme = workflow.Actor("client:acme", frozenset({"enterprise"}))
        filed = workflow.submit(opened, zuji.load("cement"), raw, "plant.yaml", acme)
        with opened.transaction() as session:  # as if filed under another text of the rule
            session.execute(
                update(Submission)
                .where(Submission.id == filed.submission_id)
                .values(pcr_sha256="0" * 64)
            )
    with signed_in(platform, "v1") as http:
        shown = http.get(f"/portal/verifier/submissions/{filed.submission_id}")
    assert shown.status_code == 200
    assert "E954" in shown.text and 'class="trace"' not in shown.text
    assert f"{filed.total:.2f}" in shown.text  # the stored figures stand


def test_the_verifier_reads_the_declared_unit_in_its_language_with_the_other_beside(
    platform: Platform,
) -> None:
    raw = (ROOT / "pcr" / "cement" / "cases" / "typical_plant.yaml").read_bytes()
    with store.open_store(platform.db) as opened:
        acme = workflow.Actor("client:acme", frozenset({"enterprise"}))
        filed = workflow.submit(opened, zuji.load("cement"), raw, "plant.yaml", acme)
    english = "Cement, such as P·O 42.5, in bulk at the plant gate"
    chinese = "散装水泥（如 P·O 42.5 普通硅酸盐水泥），出厂"
    path = f"/portal/verifier/submissions/{filed.submission_id}"
    with signed_in(platform, "v1") as http:
        in_chinese, in_english = http.get(path).text, http.get(path + "?lang=en").text
    assert (
        f'<dt>声明单位</dt><dd>1 t {chinese} <span class="other" lang="en">{english}</span></dd>'
        in in_chinese
    )
    assert (
        f'<dt>Declared unit</dt><dd>1 t {english} <span class="other" lang="zh-CN">{chinese}'
        "</span></dd>" in in_english
    )
