"""A footprint the public pages' tests can count on being in force whenever they run: web_kit's
seeded reference periods end in 2022 and 2023, so those are valid (three years, PACT's default)
only until 2026 and 2027. This one is a caustic soda product filed with the reference period of
last year, by another enterprise, in another region and with an HS code."""

from __future__ import annotations

from datetime import date

from web_kit import STAFF, _named

import zuji
from zuji.catalogue import store, workflow

CHLOR_ALKALI = "Example Chlor-Alkali Co. (invented example company)"
LYE = "离子膜烧碱 液碱 32%"
# HS 2022 subheading 2815.12: sodium hydroxide (caustic soda) in aqueous solution (soda lye).
LYE_HS = "2815.12"
LYE_GTIN = "06901234500042"  # made up under GS1 China's 690 prefix, check digit by GS1 mod-10
_PERIOD = "reference_period: {start: 2022-01-01, end: 2022-12-31}"


def publish_recent_lye(db: str) -> str:
    """Publish the caustic soda footprint of last year's reference period; its id."""
    year = date.today().year - 1
    raw = _named("caustic_soda", "typical_membrane_plant", CHLOR_ALKALI, LYE, LYE_GTIN)
    text = raw.decode("utf-8")
    assert _PERIOD in text  # the worked case's period, which this moves to last year
    text = text.replace(_PERIOD, f"reference_period: {{start: {year}-01-01, end: {year}-12-31}}")
    with store.open_store(db) as opened:
        made = workflow.submit(
            opened,
            zuji.load("caustic_soda"),
            text.encode("utf-8"),
            "typical_membrane_plant.yaml",
            STAFF,
            hs_code=LYE_HS,
            region="CN-JS",
        )
        workflow.verify(opened, made.submission_id, STAFF, accept=True)
        return workflow.publish(opened, made.submission_id, STAFF)
