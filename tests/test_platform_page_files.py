"""The public pages the workers of one machine share (interfaces/web/page_files.py): a page one
worker wrote is sent by another; a file cut short, another key's, another catalogue's or of a
revision the catalogue has not reached is never sent; the folder keeps to its bytes; a page is
kept until the next footprint expires, and no page is left where no cache folder is allowed."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from public_kit import LYE, publish_recent_lye
from sqlalchemy import update
from web_kit import seed, served

from zuji.catalogue import store
from zuji.catalogue.tables import Footprint, now
from zuji.interfaces.web import page_files
from zuji.interfaces.web.page_files import Kept, PageFiles
from zuji.interfaces.web.public import KEPT_LONGEST


def _get(url: str) -> httpx.Response:
    return httpx.get(url, headers={"accept-language": "en"}, timeout=60)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("ZUJI_CACHE", str(folder))
    return folder / "pages"


@pytest.fixture
def lye_catalogue(tmp_path: Path) -> Iterator[tuple[str, str]]:
    db = str(tmp_path / "catalogue.db")
    seed(db, tmp_path / "keys")
    yield db, publish_recent_lye(db)


def _pages(cache: Path) -> list[Path]:
    return sorted(cache.glob("*/*.page"))


def _said(file: Path) -> dict[str, object]:
    said: dict[str, object] = json.loads(file.read_bytes().split(b"\n", 1)[0])
    return said


def test_a_page_one_worker_wrote_is_sent_by_another(
    cache: Path, lye_catalogue: tuple[str, str]
) -> None:
    db, lye = lye_catalogue
    # Two services on one catalogue stand for two worker processes: each keeps its own pages.
    with served(db) as first, served(db) as second:
        written = _get(f"{first}/products/{lye}")
        assert "age" not in written.headers and LYE in written.text
        (file,) = _pages(cache)
        assert _said(file)["key"] == [f"/products/{lye}", "", "en"]
        # The second never wrote it: its age says it was found, as the first wrote it.
        found = _get(f"{second}/products/{lye}")
        assert "age" in found.headers and found.content == written.content
        assert found.headers["content-type"] == written.headers["content-type"]


def test_a_file_cut_short_or_another_keys_is_not_sent(
    cache: Path, lye_catalogue: tuple[str, str]
) -> None:
    db, lye = lye_catalogue
    with served(db) as first:
        whole = _get(f"{first}/products/{lye}")
        _get(f"{first}/?q=烧碱")
    product, search = (
        next(f for f in _pages(cache) if _said(f)["key"][0] == path)  # type: ignore[index]
        for path in (f"/products/{lye}", "/")
    )
    text = product.read_bytes()
    product.write_bytes(text[: len(text) - 100])  # a worker stopped while it wrote
    search.write_bytes(text)  # the product's page under the search's name
    with served(db) as second:
        again = _get(f"{second}/products/{lye}")
        listed = _get(f"{second}/?q=烧碱")
    assert "age" not in again.headers and again.content == whole.content
    assert "age" not in listed.headers and LYE in listed.text
    assert _said(search)["key"] == ["/", "q=%E7%83%A7%E7%A2%B1", "en"]  # written again


def test_pages_of_a_revision_not_reached_are_removed_at_start(
    cache: Path, lye_catalogue: tuple[str, str]
) -> None:
    db, lye = lye_catalogue
    with served(db) as url:
        _get(f"{url}/products/{lye}")
    (file,) = _pages(cache)
    revision = int(file.name.split("-")[0])
    # As if written before the catalogue was restored from an older copy of itself.
    ahead = file.with_name(f"{revision + 5}-{file.name.split('-', 1)[1]}")
    ahead.write_bytes(file.read_bytes().replace(LYE.encode(), b"not the restored page"))
    with served(db) as url:
        assert not ahead.exists()
        assert LYE in _get(f"{url}/products/{lye}").text


def test_each_catalogue_has_its_own_folder_even_one_made_again_at_the_same_path(
    cache: Path, tmp_path: Path
) -> None:
    path = tmp_path / "again.db"
    with store.open_store(str(path)) as opened:
        before = opened.instance()
    path.unlink()
    with store.open_store(str(path)) as opened:
        after = opened.instance()
    assert len(before) == len(after) == 32 and before != after
    folders = {PageFiles.of(name, str(path), 1 << 20).folder for name in (before, after)}  # type: ignore[union-attr]
    assert len(folders) == 2


def test_the_folder_keeps_to_its_bytes_and_to_the_revision(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(page_files, "PRUNED_EVERY", 10)
    shared = PageFiles.of("a" * 32, "catalogue.db", 10_000)
    assert shared is not None
    body = b"x" * 990
    shared.write(("/old", "", "en"), Kept(6, time.time(), time.time() + 60, 200, body, ()))
    for n in range(30):
        page = Kept(7, time.time(), time.time() + 60, 200, body, ((b"x-n", b"%d" % n),))
        shared.write((f"/{n}", "", "en"), page)
        os.utime(shared._file(7, (f"/{n}", "", "en")), (n, n))  # written in this order
    left = _pages(cache)
    # The older revision's page went at the first look; past 10 000 bytes, the oldest went.
    assert not shared._file(6, ("/old", "", "en")).exists()
    assert sum(f.stat().st_size for f in left) <= 10_000
    kept = sorted(int(_said(f)["headers"][0][1]) for f in left)  # type: ignore[index]
    assert kept == list(range(30 - len(kept), 30)) and len(kept) >= 5
    assert shared.read(7, ("/29", "", "en"), time.time()) is not None
    assert shared.read(7, ("/29", "", "en"), time.time() + 61) is None  # past its time


def test_a_search_is_kept_until_the_next_footprint_expires(
    cache: Path, lye_catalogue: tuple[str, str]
) -> None:
    db, lye = lye_catalogue
    expires = now() + timedelta(seconds=600)
    with store.open_store(db) as opened, opened.transaction() as session:
        session.execute(update(Footprint).where(Footprint.id == lye).values(valid_until=expires))
    with served(db) as url:
        started = time.time()
        _get(f"{url}/?q=烧碱")
        _get(f"{url}/products/{lye}")
        _get(f"{url}/products/not-a-footprint")
    said = {tuple(_said(f)["key"]): _said(f) for f in _pages(cache)}  # type: ignore[arg-type]
    # A search and a product's page until the lye expires; a page no clock changes, an hour.
    for key in (("/", "q=%E7%83%A7%E7%A2%B1", "en"), (f"/products/{lye}", "", "en")):
        assert abs(float(said[key]["until"]) - expires.timestamp()) < 2  # type: ignore[arg-type]
    missing = said[("/products/not-a-footprint", "", "en")]
    assert 0 <= float(missing["until"]) - started - KEPT_LONGEST < 60  # type: ignore[arg-type]


def test_no_folder_where_the_cache_is_off_or_pages_are_not_kept(
    tmp_path: Path, lye_catalogue: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, lye = lye_catalogue
    monkeypatch.setenv("ZUJI_CACHE", "off")
    with served(db) as url:
        pages = [_get(f"{url}/products/{lye}") for _ in range(2)]
    assert "age" not in pages[0].headers and "age" in pages[1].headers  # its own, in memory
    monkeypatch.setenv("ZUJI_CACHE", str(tmp_path / "cache"))
    with served(db, page_cache_mb=0) as url:
        assert "age" not in _get(f"{url}/products/{lye}").headers
    assert not (tmp_path / "cache" / "pages").exists()
