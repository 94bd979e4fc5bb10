"""The public pages a worker keeps (interfaces/web/page_cache.py): served again while the
catalogue is unchanged, never after a change, whoever made it, and never past the moment a
footprint expires. The catalogue's revision is moved by the database's triggers (migration
0005), on SQLite and PostgreSQL alike."""

from __future__ import annotations

import importlib
import sqlite3
import time
from datetime import timedelta
from pathlib import Path

import httpx
from public_kit import CHLOR_ALKALI, LYE, publish_recent_lye
from sqlalchemy import inspect, text, update
from web_kit import STAFF, seed, served, serving_config

from zuji.catalogue import store, workflow
from zuji.catalogue.tables import Footprint, now
from zuji.interfaces.serve_config import ServiceConfig

REVISION_MIGRATION = "zuji.catalogue.migrations.versions.0005_revision"
# Tables no public page reads: what changes in them leaves every page as it was.
UNWATCHED = {
    "alembic_version",
    "audit",
    "catalogue_revision",
    "clients",
    "shares",
    "notices",
    "notice_recipients",
    "reevaluations",
    "reevaluation_items",
    "pact_events",
}


def _get(url: str, lang: str = "en") -> httpx.Response:
    return httpx.get(url, headers={"accept-language": lang}, timeout=60)


def test_every_table_is_watched_or_said_to_be_unread(catalogue_db: str) -> None:
    with store.open_store(catalogue_db) as opened:
        tables = set(inspect(opened.engine).get_table_names())
    watched = set(importlib.import_module(REVISION_MIGRATION).WATCHED)
    assert not watched & UNWATCHED
    assert tables - UNWATCHED == watched, "a new table: watch it (a migration) or list it here"


def test_the_revision_moves_on_with_every_change(catalogue_db: str) -> None:
    with store.open_store(catalogue_db) as opened:
        first = opened.revision()
        workflow.register_enterprise(opened, "示例水泥有限公司", STAFF, region="CN-SD")
        registered = opened.revision()
        assert registered > first
        # A change by hand in SQL, past the code that writes: the trigger still sees it.
        with opened.engine.begin() as connection:
            connection.execute(text("UPDATE enterprises SET name_zh = '改名的公司'"))
        assert opened.revision() > registered
        moved = opened.revision()
        with opened.engine.begin() as connection:
            connection.execute(text("DELETE FROM audit"))  # not a table any page reads
        assert opened.revision() == moved


def test_a_kept_page_is_served_until_the_catalogue_changes(tmp_path: Path) -> None:
    db = str(tmp_path / "catalogue.db")
    seed(db, tmp_path / "keys")
    lye = publish_recent_lye(db)  # in force: a search lists it
    address = f"/products/{lye}"
    with served(db) as url:
        first = _get(url + address)
        second = _get(url + address)
        # Served again, as first written, with its age (RFC 9111): not written anew.
        assert "age" not in first.headers and int(second.headers["age"]) <= 1
        assert second.content == first.content
        assert {**second.headers, "age": "", "date": ""} == {**first.headers, "age": "", "date": ""}
        assert "This footprint has been withdrawn" not in first.text
        listed = _get(f"{url}/?q=烧碱").text
        assert "age" in _get(f"{url}/?q=烧碱").headers
        # Another process's tool deprecates it: the next view says so, and a search hides it.
        with store.open_store(db) as opened:
            workflow.deprecate(opened, lye, STAFF, "withdrawn (test)")
        assert "This footprint has been withdrawn" in _get(url + address).text
        assert address in listed and address not in _get(f"{url}/?q=烧碱").text
        # A company renamed in SQL, by a connection the service knows nothing of.
        with sqlite3.connect(db) as connection:
            connection.execute(
                "UPDATE enterprises SET name = 'Renamed Chlor-Alkali Co.' WHERE name = ?",
                (CHLOR_ALKALI,),
            )
        assert "Renamed Chlor-Alkali Co." in _get(url + address).text
        # Each language is kept apart.
        assert '<html lang="zh-CN">' in _get(url + address, lang="zh-CN").text
        assert '<html lang="en">' in _get(url + address).text


def test_a_kept_page_is_not_served_past_its_footprints_expiry(tmp_path: Path) -> None:
    db = str(tmp_path / "catalogue.db")
    seed(db, tmp_path / "keys")
    lye = publish_recent_lye(db)
    with served(db) as url:
        # Eight seconds left once the service runs (a change, which the revision records): room
        # for the first page of a worker on a loaded machine.
        expires = now() + timedelta(seconds=8)
        with store.open_store(db) as opened, opened.transaction() as session:
            session.execute(
                update(Footprint).where(Footprint.id == lye).values(valid_until=expires)
            )
        in_force = _get(f"{url}/products/{lye}").text
        assert LYE in in_force and "This footprint has expired" not in in_force
        # Kept, for the seconds it had left.
        assert "age" in _get(f"{url}/products/{lye}").headers
        time.sleep(max(0.0, (expires - now()).total_seconds()) + 0.5)
        # Nothing in the catalogue changed; the clock alone made it expire.
        assert "This footprint has expired" in _get(f"{url}/products/{lye}").text


def test_a_service_told_to_keep_no_pages_writes_each_afresh(tmp_path: Path) -> None:
    db = str(tmp_path / "catalogue.db")
    _, footprints = seed(db, tmp_path / "keys")
    with serving_config(ServiceConfig(catalogue=db, page_cache_mb=0)) as url:
        pages = [_get(f"{url}/products/{next(iter(footprints.values()))}") for _ in range(2)]
    assert all(p.status_code == 200 and "age" not in p.headers for p in pages)
    assert pages[0].text == pages[1].text
