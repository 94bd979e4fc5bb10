"""The public platform under test: a catalogue filled through the workflow (enterprises, their
clients in each role, signed footprints), served by uvicorn on 127.0.0.1, and Debian's
Chromium driven by Playwright, with axe-core (from the axe-playwright-python wheel) for
accessibility and screenshots kept under build/screenshots/platform as the tests' artefacts."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from serve_kit import free_port

import zuji
from zuji.catalogue import clients, programme, publishing, store, workflow
from zuji.exchange.signing import new_keys
from zuji.interfaces.serve import create_app
from zuji.interfaces.serve_config import ServiceConfig

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
SCREENSHOTS = ROOT / "build" / "screenshots" / "platform"
STAFF = workflow.programme_staff("programme")

# The enterprises of the seeded catalogue: (name, Chinese name, region). Invented examples.
CEMENT_CO = "Example Cement Co. (invented example company)"
STEEL_CO = "Example Steel Co. (invented example company)"
# Each footprint seeded: (PCR, worked case, company, product name, GTIN). The product names are
# Chinese, as a Chinese enterprise files them; the GTINs are made-up numbers with a valid check
# digit (GS1's mod-10), under the 690–699 prefixes GS1 China allocates.
SEEDED = (
    ("cement", "typical_plant", CEMENT_CO, "普通硅酸盐水泥 P·O 42.5", "06901234500011"),
    ("cement", "efficient_plant", CEMENT_CO, "低碳硅酸盐水泥 P·O 52.5", "06901234500035"),
    ("steel", "typical_bf_bof", STEEL_CO, "热轧卷板 Q235B", "06901234500028"),
)


@dataclass
class Platform:
    """A served catalogue: its address, database, clients' secrets and seeded footprints'
    ids by product name."""

    url: str
    db: str
    secrets: dict[str, str]
    footprints: dict[str, str] = field(default_factory=dict)
    key_folder: Path | None = None

    def as_(self, client: str) -> httpx.Client:
        headers = {"X-API-Key": f"{client}:{self.secrets[client]}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)


def _named(pcr_id: str, case: str, company: str, product: str, gtin: str) -> bytes:
    """A worked case's inventory filed under another company, product name and GTIN."""
    path = ROOT / "pcr" / pcr_id / "cases" / f"{case}.yaml"
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("  company:"):
            line = f'  company: "{company}"'
        elif line.startswith("  product:"):
            line = f'  product: "{product}"\n  product_ids: ["urn:gtin:{gtin}"]'
        elif line.startswith("  product_ids:"):
            continue
        lines.append(line)
    return ("\n".join(lines) + "\n").encode("utf-8")


def seed(db: str, keys: Path) -> tuple[dict[str, str], dict[str, str]]:
    """The catalogue of the platform's tests: two enterprises, a client in each role, a
    signing key, and SEEDED published. The clients' secrets, and the footprints by product."""
    footprints: dict[str, str] = {}
    with store.open_store(db) as opened:
        programme.set_programme(
            opened,
            "programme",
            name_zh="山东省产品碳足迹公共服务平台",
            name_en="Shandong Product Carbon Footprint Platform",
        )
        for name, region in ((CEMENT_CO, "CN-SD"), (STEEL_CO, "CN-SD")):
            workflow.register_enterprise(opened, name, STAFF, region=region)
        made = {
            "acme": (["enterprise"], CEMENT_CO),
            "v1": (["verifier"], None),
            "a1": (["admin"], None),
        }
        secrets = {
            name: clients.add_client(opened, name, roles, "programme", enterprise)
            for name, (roles, enterprise) in made.items()
        }
        pair = new_keys(keys)
        publishing.set_signing_key(opened, pair.private, "programme")
        sign = publishing.signer(opened)
        for pcr_id, case, company, product, gtin in SEEDED:
            raw = _named(pcr_id, case, company, product, gtin)
            sub = workflow.submit(opened, zuji.load(pcr_id), raw, f"{case}.yaml", STAFF)
            workflow.verify(opened, sub.submission_id, STAFF, accept=True)
            footprints[product] = workflow.publish(opened, sub.submission_id, STAFF, sign=sign)
    return secrets, footprints


@contextmanager
def served(db: str, **settings: Any) -> Iterator[str]:
    """The service on a free port of 127.0.0.1 with the catalogue `db` and these settings of
    ServiceConfig; its base URL."""
    with serving_config(ServiceConfig(catalogue=db, **settings)) as url:
        yield url


@contextmanager
def serving_config(config: ServiceConfig) -> Iterator[str]:
    """The service with `config`, by uvicorn in a thread on a free port of 127.0.0.1."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(config=config), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (which never downloads a browser)."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).is_file(), "install Debian's chromium (make browser)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def tab(browser: Any, base: str, lang: str = "zh-CN") -> Iterator[Any]:
    """A page whose requests may go only to the served platform (others are blocked, and the
    test fails naming them), in a browser asking for `lang`."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale=lang, accept_downloads=True
    )
    page = context.new_page()
    outside: list[str] = []

    def only_local(route: Any) -> None:
        url = route.request.url
        if url.startswith(base) or url.startswith("data:"):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    page.route("**/*", only_local)
    try:
        yield page
    finally:
        context.close()
    assert outside == [], f"the platform asked the network for {outside}"


def screenshot(page: Any, name: str) -> Path:
    """The page as it stands, kept as an artefact of the run."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """axe-core's violations of the page at the given impacts, each as 'rule: target'."""
    import axe_playwright_python

    script = Path(axe_playwright_python.__file__).with_name("axe.min.js").read_text("utf-8")
    page.evaluate(script)
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{v['id']} ({v['impact']}): {', '.join(str(n['target']) for n in v['nodes'][:3])}"
        for v in found
        if v.get("impact") in impacts
    ]
