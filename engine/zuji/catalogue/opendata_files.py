"""The open dataset's files, written whole and kept per publication state.

`write(session, folder)` writes the four files (footprints.csv, footprints.parquet,
dictionary.json, dictionary.csv) into a folder. `current(store)` gives the folder of the files
for the catalogue's present stamp (opendata.Stamp), building them first when the stamp has
moved since they were last built: a publication, a deprecation or a regrading is in the files
at the next request for them.

The files of a stamp are built in a new folder beside the cache's others and renamed into
place in one step once complete, so a reader finds a stamp's folder whole or not at all; two
worker processes building at once each build their own, and the first rename wins. The folders
of a file catalogue are kept beside it (`catalogue.db.open-data/`); those of a server's in the
temporary folder, under a name made from its address. The last few stamps are kept, so a
download started on an older one is not cut short.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from zuji.catalogue.opendata import Column, Dataset, Stamp, dataset, stamp
from zuji.catalogue.store import Store
from zuji.core.files import place_folder, write_atomic

FILES = ("footprints.csv", "footprints.parquet", "dictionary.json", "dictionary.csv")
_KEEP = 3  # stamps kept in the cache
# Excel opens a CSV in the machine's code page unless it starts with a byte-order mark.
CSV_ENCODING = "utf-8-sig"


@dataclass(frozen=True)
class Built:
    """The files of one stamp: their folder, the stamp, and when they were built."""

    folder: Path
    stamp: Stamp
    built_at: datetime
    rows: int

    def size(self, name: str) -> int:
        return (self.folder / name).stat().st_size


def write(session: Session, folder: Path) -> int:
    """Write the dataset's four files into `folder` (each atomically); the rows written."""
    found = dataset(session)
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / "footprints.csv", _csv(found).encode(CSV_ENCODING))
    write_atomic(folder / "footprints.parquet", _parquet(found))
    write_atomic(folder / "dictionary.json", _dictionary_json(found.columns))
    write_atomic(folder / "dictionary.csv", _dictionary_csv(found.columns).encode(CSV_ENCODING))
    return len(found.rows)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, float):
        return repr(value)  # the shortest text that reads back as the same float
    return str(value)


def _csv(found: Dataset) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180's line ends
    names = [c.name for c in found.columns]
    writer.writerow(names)
    for row in found.rows:
        writer.writerow([_text(row[name]) for name in names])
    return out.getvalue()


def _parquet(found: Dataset) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    kinds = {"string": pa.string(), "number": pa.float64(), "timestamp": pa.timestamp("us", "UTC")}
    schema = pa.schema(
        [
            pa.field(c.name, kinds[c.type], metadata={"unit": c.unit, "zh": c.zh, "en": c.en})
            for c in found.columns
        ]
    )
    columns = {c.name: [row[c.name] for row in found.rows] for c in found.columns}
    table = pa.Table.from_pydict(columns, schema=schema)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return bytes(sink.getvalue().to_pybytes())


def dictionary(columns: tuple[Column, ...]) -> list[dict[str, str]]:
    return [
        {"name": c.name, "type": c.type, "unit": c.unit, "meaning_zh": c.zh, "meaning_en": c.en}
        for c in columns
    ]


def _dictionary_json(columns: tuple[Column, ...]) -> str:
    document = {
        "dataset": "footprints",
        "files": {"csv": "footprints.csv (UTF-8 with BOM)", "parquet": "footprints.parquet"},
        "columns": dictionary(columns),
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _dictionary_csv(columns: tuple[Column, ...]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(
        out, ["name", "type", "unit", "meaning_zh", "meaning_en"], lineterminator="\r\n"
    )
    writer.writeheader()
    writer.writerows(dictionary(columns))
    return out.getvalue()


# ----------------------------------------------------------------------------- the cache


def cache_folder(store: Store) -> Path:
    """Where a catalogue's built files are kept."""
    if store.kind == "sqlite":
        return Path(f"{store.label}.open-data")
    named = hashlib.sha256(store.label.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"zuji-open-data-{named}"


def current(store: Store) -> Built:
    """The files of the catalogue's present stamp, built first if they are not there."""
    cache = cache_folder(store)
    with store.reading() as session:
        now_stamp = stamp(session)
        folder = cache / now_stamp.key
        if not (folder / "built.json").is_file():
            _build(session, cache, folder, now_stamp)
    return _read_built(folder, now_stamp)


def _build(session: Session, cache: Path, folder: Path, now_stamp: Stamp) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    building = cache / f".building-{uuid.uuid4().hex}"
    try:
        rows = write(session, building)
        from zuji.catalogue.tables import now

        facts = {"rows": rows, "built_at": now().isoformat(), "stamp": now_stamp.key}
        write_atomic(building / "built.json", json.dumps(facts) + "\n")
        place_folder(building, folder)  # whole, in one step; or another process was first
    finally:
        shutil.rmtree(building, ignore_errors=True)
    _prune(cache, folder)


def _read_built(folder: Path, now_stamp: Stamp) -> Built:
    facts = json.loads((folder / "built.json").read_text(encoding="utf-8"))
    return Built(folder, now_stamp, datetime.fromisoformat(facts["built_at"]), int(facts["rows"]))


def _prune(cache: Path, keep: Path) -> None:
    """Drop all but the newest few stamps' folders (and builds abandoned by a crash)."""
    folders = [p for p in cache.iterdir() if p.is_dir() and not p.name.startswith(".")]
    folders.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    for old in folders[_KEEP:]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)


# ----------------------------------------------------------------------------- the licence

_LICENCE = {"zh": "open_data_licence_zh", "en": "open_data_licence_en"}
# What the dataset's page says until the programme states its own terms.
DEFAULT_LICENCE = {
    "zh": "本数据集可自由使用、复制和再发布，须注明来源"
    "（知识共享署名 4.0 国际许可协议，CC BY 4.0），除非本项目另行声明。",
    "en": "This dataset may be used, copied and republished freely with attribution "
    "(Creative Commons Attribution 4.0 International, CC BY 4.0), unless the programme states "
    "otherwise.",
}


def licence(session: Session) -> dict[str, str]:
    """The dataset's licence statement in both languages: the programme's, else the default."""
    from zuji.catalogue.tables import Setting

    found = {lang: session.get(Setting, key) for lang, key in _LICENCE.items()}
    return {lang: row.value if row else DEFAULT_LICENCE[lang] for lang, row in found.items()}


def set_licence(store: Store, actor: str, zh: str | None, en: str | None) -> dict[str, str]:
    """State the dataset's licence (either language, or both); audited."""
    from zuji.catalogue.store import audit
    from zuji.catalogue.tables import Setting

    with store.transaction() as session:
        for lang, text in (("zh", zh), ("en", en)):
            if text is None or not text.strip():
                continue
            row = session.get(Setting, _LICENCE[lang])
            if row is None:
                session.add(Setting(key=_LICENCE[lang], value=text.strip()))
            else:
                row.value = text.strip()
            audit(session, actor, "setting", ("setting", _LICENCE[lang]), {"value": text.strip()})
        session.flush()
        return licence(session)
