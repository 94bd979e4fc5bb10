"""What the carbon-inclusion and open-data tests share: footprints filed and published through
the workflow under a product name and GTIN of the test's choosing (and, where a footprint must
be valid today, a reference period ending last year), and the service on 127.0.0.1 with the
settings a test needs (a low rate limit)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from web_kit import _named

import zuji
from zuji.catalogue import publishing, store, workflow
from zuji.runtime.cases import load_case

ROOT = Path(__file__).resolve().parent.parent
STAFF = workflow.programme_staff("programme")
TYPICAL = ROOT / "pcr" / "cement" / "cases" / "typical_plant.yaml"
# typical_plant.yaml's total, kg CO2e per t cement, computed by hand in the case file (its
# `calculation` section) and given there to 4 decimals.
TYPICAL_TOTAL = float(load_case(TYPICAL)["expected"]["total"])
# GTINs of the tests' own products: made-up numbers under GS1 China's 690–699 prefixes, each
# with its mod-10 check digit (the first 13 digits weighted 3, 1, 3, … from the right; the
# check digit brings the sum up to a multiple of 10):
# 0690123450010: 0×3+1×1+0×3+0×1+5×3+4×1+3×3+2×1+1×3+0×1+9×3+6×1+0×3 = 67 → 3;
# 0690123450011: 1×3 instead of 0×3 → 70 → 0;
# 0690123459999: 9×3+9×1+9×3+9×1 instead of 0, 1, 0, 0 → 67 − 1 + 72 = 138 → 2.
FRESH_GTIN = "06901234500103"
DEPRECATED_GTIN = "06901234500110"
UNKNOWN_GTIN = "06901234599992"


def last_year_end() -> str:
    """The last day of last year: a reference period ending then makes a footprint valid for
    three more years from the day after (PACT's default validity), so valid today."""
    return f"{datetime.now(UTC).year - 1}-12-31"


def inventory(product: str, gtin: str, end: str | None = None) -> bytes:
    """typical_plant's inventory under another product name and GTIN. With `end`, its
    reference period runs from 2022-01-01 (so every dated factor is the one the case's hand
    calculation takes, in force on 2022-01-01) to `end`."""
    raw = _named("cement", "typical_plant", workflow_company(), product, gtin).decode("utf-8")
    if end is not None:
        lines = raw.splitlines()
        lines = [
            f"  reference_period: {{start: 2022-01-01, end: {end}}}"
            if line.startswith("  reference_period:")
            else line
            for line in lines
        ]
        raw = "\n".join(lines) + "\n"
    return raw.encode("utf-8")


def workflow_company() -> str:
    from web_kit import CEMENT_CO

    return CEMENT_CO


def publish(db: str, raw: bytes, name: str = "filed.yaml") -> str:
    """Submit, accept and publish (signed) an inventory of the cement PCR; the footprint's id."""
    with store.open_store(db) as opened:
        sign = publishing.signer(opened)
        sub = workflow.submit(opened, zuji.load("cement"), raw, name, STAFF)
        workflow.verify(opened, sub.submission_id, STAFF, accept=True)
        return workflow.publish(opened, sub.submission_id, STAFF, sign=sign)
