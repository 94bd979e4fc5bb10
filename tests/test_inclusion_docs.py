"""The worked example client of docs/inclusion.md (and its English page), read from the page
and run as a reader would run it, against a served catalogue: it prints what the page says it
prints."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from inclusion_kit import FRESH_GTIN, UNKNOWN_GTIN, inventory, last_year_end, publish
from web_kit import seed
from web_kit import served as serving

from zuji.catalogue import baselines, clients, store

ROOT = Path(__file__).resolve().parent.parent
PAGES = (ROOT / "docs" / "inclusion.md", ROOT / "docs" / "inclusion.en.md")
# The baseline the page's example names: 750 kg CO2e/t, the upper end of the band typical_plant
# cites for P·O 42.5 (its published_range, from the domain fact sheet §4.4).
BASELINE = 750.0


def _block(page: Path, language: str) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 1, f"{page.name} has {len(blocks)} {language} blocks"
    return str(blocks[0])


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    folder = tmp_path_factory.mktemp("inclusion-docs")
    db = str(folder / "catalogue.db")
    seed(db, folder / "keys")
    publish(db, inventory("P·O 42.5 袋装", FRESH_GTIN, last_year_end()))
    with store.open_store(db) as opened:
        source = "the example of docs/inclusion.md"
        baselines.set_baseline(opened, "cement", BASELINE, source, "programme", date(2025, 1, 1))
        key = "green-points:" + clients.add_client(opened, "green-points", ["app"], "programme")
    with serving(db) as url:
        yield url, key


def test_both_pages_show_the_same_client() -> None:
    assert _block(PAGES[0], "python") == _block(PAGES[1], "python")
    assert _block(PAGES[0], "text") == _block(PAGES[1], "text")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_the_example_client_prints_what_the_page_says(
    catalogue: tuple[str, str], page: Path, tmp_path: Path
) -> None:
    url, key = catalogue
    script = tmp_path / "lookup.py"
    script.write_text(_block(page, "python"), encoding="utf-8")
    shown = _block(page, "text").splitlines()
    assert shown[0].endswith(f"python lookup.py {FRESH_GTIN} {UNKNOWN_GTIN}")
    environment = {**os.environ, "ZUJI_URL": url, "ZUJI_KEY": key}
    ran = subprocess.run(
        [sys.executable, str(script), FRESH_GTIN, UNKNOWN_GTIN],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines() == shown[1:]
    refused = subprocess.run(
        [sys.executable, str(script), "06901234500104"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 1
    assert refused.stdout.startswith("refused (E987): GTIN 06901234500104 has the check digit 4")
