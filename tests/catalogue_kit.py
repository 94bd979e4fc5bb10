"""Catalogues filled through the workflow, for the tests of re-evaluation, grades and notices."""

from __future__ import annotations

from pathlib import Path

import zuji
from zuji.catalogue import store, workflow

ROOT = Path(__file__).resolve().parents[1]
STAFF = workflow.programme_staff("staff")


def case(pcr_id: str, name: str) -> Path:
    return ROOT / "pcr" / pcr_id / "cases" / f"{name}.yaml"


def publish(
    db: store.Store,
    pcr: zuji.PCR,
    raw: bytes,
    name: str,
    region: str | None = None,
) -> str:
    """An inventory submitted, accepted and published; the footprint's id."""
    sub = workflow.submit(db, pcr, raw, name, STAFF, region=region)
    workflow.verify(db, sub.submission_id, STAFF, accept=True)
    return workflow.publish(db, sub.submission_id, STAFF)


def publish_case(db: store.Store, pcr_id: str, name: str, region: str | None = None) -> str:
    path = case(pcr_id, name)
    return publish(db, zuji.load(pcr_id), path.read_bytes(), path.name, region)


def renamed(path: Path, company: str, product: str) -> bytes:
    """A worked case's inventory filed under another company and product."""
    text = path.read_text(encoding="utf-8")
    lines = []
    for line in text.splitlines():
        if line.startswith("  company:"):
            line = f'  company: "{company}"'
        elif line.startswith("  product:"):
            line = f'  product: "{product}"'
        lines.append(line)
    return ("\n".join(lines) + "\n").encode("utf-8")


def committee_with(tmp_path: Path, pcr_id: str, old: str, new: str, version: str) -> Path:
    """A committee library holding a copy of a bundled PCR with one text replaced and a new
    version: the rule change a committee approves."""
    folder = tmp_path / "committee"
    (folder / "pcr" / pcr_id).mkdir(parents=True)
    source = ROOT / "pcr" / pcr_id / f"{pcr_id}.pcr"
    text = source.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not once in {source.name}"
    current = next(ln for ln in text.splitlines() if ln.strip().startswith("version"))
    text = text.replace(old, new).replace(current, f"  version   {version}", 1)
    # The changelog's last entry is followed by the block's closing brace: the new one goes
    # before it (a version without its entry does not pass the checks, E250).
    head, tail = text.rsplit("\n  }\n", 1)
    entry = f'    {version} 2026-12-07 "Test change" proposed "Tests" decision "approved"'
    text = f"{head}\n{entry}\n  }}\n{tail}"
    (folder / "pcr" / pcr_id / f"{pcr_id}.pcr").write_text(text, encoding="utf-8")
    return folder
