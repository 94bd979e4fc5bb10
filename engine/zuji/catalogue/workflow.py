"""The catalogue's workflow: an enterprise submits an inventory for a product under a PCR, Zuji
evaluates it, a verifier accepts or returns it, the administrator publishes it, and it is listed
and exchanged until it is deprecated or superseded by a newer version.

Each step checks the actor's role and the record's state, then writes its rows and the audit
entry in one transaction. A step that fails (a bad inventory, a step out of order, a role that
may not take it) raises CatalogueError or the engine's own error and stores nothing.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zuji.catalogue.grades import grade_published
from zuji.catalogue.search import index_footprint
from zuji.catalogue.store import Store, audit
from zuji.catalogue.tables import (
    Enterprise,
    Footprint,
    FootprintKey,
    Product,
    Submission,
    Verification,
    now,
)
from zuji.core.canonical import sha256_hex
from zuji.core.documents import decode_utf8
from zuji.core.errors import CatalogueError, Diagnostic, InventoryError, read_as
from zuji.exchange.pact import to_pact
from zuji.runtime.inventory import inventory_from_text
from zuji.runtime.inventory_sheets import SHEET_SUFFIXES, sheet_inventory_from_bytes
from zuji.runtime.pcr import PCR
from zuji.runtime.result import Result

ROLES = ("enterprise", "verifier", "admin")
# PACT: when a footprint states no validity period, it is valid for three years from the end
# of its reference period (Tech Specs 3.0, §Validity Period): calendar years, as PACT's
# conformance tool counts them, so a filter by validBefore agrees with it to the day.
DEFAULT_VALIDITY_YEARS = 3


@dataclass(frozen=True)
class Actor:
    """Who takes a step: a name for the audit log, the roles they hold, and for an enterprise's
    user the enterprise they act for (None: any, as the programme's staff)."""

    name: str
    roles: frozenset[str] = field(default_factory=frozenset)
    enterprise_id: int | None = None

    def require(self, role: str, step: str) -> None:
        if role not in self.roles and "admin" not in self.roles:
            raise CatalogueError(
                Diagnostic(
                    "E945",
                    f"{self.name} may not {step}: it needs the '{role}' role",
                    hint="`zuji catalogue client add NAME --role …` gives a client its roles",
                ),
                status=403,
            )


def programme_staff(name: str) -> Actor:
    """The actor of the command line: whoever holds the database holds every role."""
    return Actor(name, frozenset(ROLES))


# ----------------------------------------------------------------------------- submit


@dataclass(frozen=True)
class Submitted:
    submission_id: str
    enterprise: str
    product: str
    total: float
    declared_unit: str


def submit(
    store: Store,
    pcr: PCR,
    raw: bytes,
    name: str,
    actor: Actor,
    hs_code: str | None = None,
    region: str | None = None,
) -> Submitted:
    """Evaluate an inventory (its exact bytes, as the file `name`) and file it as submitted.
    The enterprise and product are the inventory's own `company` and `product`."""
    actor.require("enterprise", "submit inventories")
    result = _evaluate(pcr, raw, name)
    company = result.inventory.company.strip()
    if not company:
        raise InventoryError(
            Diagnostic(
                "E944",
                f"{name}: the inventory names no company",
                hint="add `company: NAME` (the enterprise the footprint is filed under)",
            )
        )
    product_name = result.inventory.product.strip() or str(pcr.rule.name)
    with store.transaction() as session:
        enterprise = _enterprise(session, company, result, region, actor)
        if actor.enterprise_id is not None and enterprise.id != actor.enterprise_id:
            raise CatalogueError(
                Diagnostic("E945", f"{actor.name} may not submit for '{company}'"), status=403
            )
        product = _product(session, enterprise, pcr.id, product_name, result, hs_code)
        submission = Submission(
            id=str(uuid.uuid4()),
            product_id=product.id,
            pcr_id=pcr.id,
            pcr_version=pcr.version,
            pcr_sha256=result.pcr.source_hash,
            inventory=raw,
            inventory_name=name[-200:],
            inventory_sha256=sha256_hex(raw),
            result=result_json(result),
            total=result.total,
            declared_unit=f"{result.declared_unit.amount:g} {result.declared_unit.unit}",
            period_start=_day(result.inventory.period_start),
            period_end=_day(result.inventory.period_end),
            state="submitted",
            submitted_by=actor.name,
        )
        session.add(submission)
        session.flush()
        audit(
            session,
            actor.name,
            "submit",
            ("submission", submission.id),
            {"pcr": f"{pcr.id} {pcr.version}", "inventory_sha256": submission.inventory_sha256},
        )
        return Submitted(
            submission.id, company, product_name, result.total, submission.declared_unit
        )


def _evaluate(pcr: PCR, raw: bytes, name: str, trace: bool = False) -> Result:
    """The result of an inventory's bytes: a workbook or CSV file (by the suffix of `name`)
    through the sheet reader, else YAML or JSON text; findings are positioned in `name`."""
    if name.lower().endswith(SHEET_SUFFIXES):
        inventory = sheet_inventory_from_bytes(
            raw, name, pcr.rule, pcr.standards, pcr.choices, pcr.plan.item_units
        )
        return pcr.evaluate(inventory, trace=trace)
    with read_as(InventoryError):
        text = decode_utf8(raw, name)
    inventory = inventory_from_text(
        text, name, pcr.rule, pcr.standards, pcr.choices, item_units=pcr.plan.item_units
    )
    return pcr.evaluate(inventory, trace=trace)


def traced(pcr: PCR, submission: Submission) -> Result:
    """A submission's result computed again with every line's trace, for its verifier. Results
    are stored without their trace (it is many times their size, and it is determined by the
    inventory and the rule text), so it is recomputed, under the very rule text it was
    submitted under: a rule that has changed since cannot give its trace."""
    if pcr.rule.source_hash != submission.pcr_sha256:
        raise CatalogueError(
            Diagnostic(
                "E954",
                f"PCR {pcr.id} has changed since submission {submission.id} was evaluated "
                f"under version {submission.pcr_version}: its trace cannot be recomputed",
                hint=f"the stored result stands; its trace needs the rule text of {pcr.id} "
                f"{submission.pcr_version}",
            ),
            status=409,
        )
    return _evaluate(pcr, submission.inventory, submission.inventory_name, trace=True)


def result_json(result: Result) -> str:
    """A result as its file holds it (the sensitivity section only when it was asked for)."""
    left_out = {"sensitivity"} if result.sensitivity is None else None
    return result.model_dump_json(exclude=left_out)


def _day(value: Any) -> str | None:
    return str(value) if value else None


def _enterprise(
    session: Session, company: str, result: Result, region: str | None, actor: Actor
) -> Enterprise:
    found = session.scalars(select(Enterprise).where(Enterprise.name == company)).first()
    ids = list(result.inventory.company_ids)
    if found is None:
        found = Enterprise(name=company, company_ids=ids, region=region)
        session.add(found)
        session.flush()
        audit(session, actor.name, "register", ("enterprise", str(found.id)), {"name": company})
    elif set(ids) - set(found.company_ids):
        found.company_ids = sorted(set(found.company_ids) | set(ids))
    return found


def register_enterprise(
    store: Store,
    name: str,
    actor: Actor,
    region: str | None = None,
    company_ids: tuple[str, ...] = (),
) -> tuple[int, bool]:
    """File an enterprise before its first submission, so that a client can be made to act for
    it (`client add --enterprise`). One filed already is left as it is. Its id, and whether it
    is new."""
    actor.require("admin", "register enterprises")
    name = name.strip()
    wrong = [c for c in company_ids if not c.lower().startswith("urn:")]
    if not name or wrong:
        raise CatalogueError(
            Diagnostic(
                "E952",
                f"'{wrong[0]}' is not a URN" if wrong else "an enterprise needs a name",
                hint="give the name its inventories use, and company ids as URNs "
                "(urn:uscc:…, urn:lei:…)",
            )
        )
    with store.transaction() as session:
        found = session.scalars(select(Enterprise).where(Enterprise.name == name)).first()
        if found is not None:
            return found.id, False
        found = Enterprise(name=name, company_ids=sorted(set(company_ids)), region=region)
        session.add(found)
        session.flush()
        audit(session, actor.name, "register", ("enterprise", str(found.id)), {"name": name})
        return found.id, True


def _product(
    session: Session,
    enterprise: Enterprise,
    pcr_id: str,
    name: str,
    result: Result,
    hs_code: str | None,
) -> Product:
    found = session.scalars(
        select(Product).where(
            Product.enterprise_id == enterprise.id,
            Product.pcr_id == pcr_id,
            Product.name == name,
        )
    ).first()
    ids = list(result.inventory.product_ids)
    if found is None:
        found = Product(
            enterprise_id=enterprise.id,
            pcr_id=pcr_id,
            name=name,
            hs_code=hs_code,
            product_ids=ids,
        )
        session.add(found)
        session.flush()
    else:
        if set(ids) - set(found.product_ids):
            found.product_ids = sorted(set(found.product_ids) | set(ids))
        if hs_code and not found.hs_code:
            found.hs_code = hs_code
    return found


# ----------------------------------------------------------------------------- verify


def verify(store: Store, submission_id: str, actor: Actor, accept: bool, comments: str = "") -> str:
    """A verifier's decision on a submission: accepted, or returned with comments."""
    actor.require("verifier", "verify submissions")
    if not accept and not comments.strip():
        raise CatalogueError(
            Diagnostic(
                "E946",
                "a submission is returned with comments saying what to fix",
                hint="give --comments (over HTTP, the `comments` field)",
            )
        )
    with store.transaction() as session:
        submission = _submission(session, submission_id)
        _in_state(submission, "submitted", "verified")
        decision = "accepted" if accept else "returned"
        submission.state = decision
        session.add(
            Verification(
                submission_id=submission.id,
                verifier=actor.name,
                decision=decision,
                comments=comments,
            )
        )
        audit(
            session,
            actor.name,
            "accept" if accept else "return",
            ("submission", submission.id),
            reason=comments,
        )
        return decision


def _submission(session: Session, submission_id: str) -> Submission:
    found = session.get(Submission, submission_id)
    if found is None:
        raise CatalogueError(
            Diagnostic(
                "E947",
                f"no submission {submission_id} in the catalogue",
                hint="`zuji catalogue list --submissions` lists them",
            ),
            status=404,
        )
    return found


def _in_state(submission: Submission, state: str, step: str) -> None:
    if submission.state != state:
        raise CatalogueError(
            Diagnostic(
                "E948",
                f"submission {submission.id} is {submission.state}; only a {state} one "
                f"can be {step}",
            ),
            status=409,
        )


# ----------------------------------------------------------------------------- publish


def publish(
    store: Store,
    submission_id: str,
    actor: Actor,
    sign: Any = None,
    reason: str = "",
) -> str:
    """Publish an accepted submission as a PACT ProductFootprint; the product's footprint in
    force under the same PCR, if any, becomes Deprecated and is named in precedingPfIds.

    `sign`, when given, turns a result into a signed one (exchange.signing): the result is
    signed at publication, by the programme."""
    actor.require("admin", "publish footprints")
    with store.transaction() as session:
        submission = _submission(session, submission_id)
        _in_state(submission, "accepted", "published")
        result = Result.model_validate_json(submission.result)
        if sign is not None:
            result = sign(result)
            submission.result = result_json(result)
        return publish_within(session, submission, result, actor, reason).id


def _footprint(session: Session, submission: Submission, result: Result, actor: Actor) -> Footprint:
    product = session.get(Product, submission.product_id)
    assert product is not None  # a foreign key
    earlier = list(
        session.scalars(
            select(Footprint).where(
                Footprint.product_id == product.id,
                Footprint.pcr_id == submission.pcr_id,
                Footprint.status == "Active",
            )
        )
    )
    published = now()
    document = to_pact(result, created=published)
    # The catalogue's ids are random: the same figures filed again are another footprint.
    document["id"] = str(uuid.uuid4())
    if earlier:
        document["precedingPfIds"] = sorted(f.id for f in earlier)
    start, until = validity(document)
    footprint = Footprint(
        id=document["id"],
        submission_id=submission.id,
        product_id=product.id,
        enterprise_id=product.enterprise_id,
        pcr_id=submission.pcr_id,
        pcr_version=submission.pcr_version,
        status="Active",
        document=json.dumps(document, ensure_ascii=False, separators=(",", ":")),
        total=submission.total,
        declared_unit=submission.declared_unit,
        valid_from=start,
        valid_until=until,
        preceding=document.get("precedingPfIds", []),
        published_by=actor.name,
        published_at=published,
    )
    session.add(footprint)
    session.flush()
    session.add_all(
        FootprintKey(footprint_id=footprint.id, kind=k, value=v) for k, v in keys(document)
    )
    index_footprint(session, footprint)  # the words the public platform finds it by
    for old in earlier:
        old.status = "Deprecated"
        old.superseded_by = footprint.id
        audit(session, actor.name, "deprecate", ("footprint", old.id), {"by": footprint.id})
    session.flush()
    grade_published(session, footprint)  # graded at publication, against the Active ones
    # The signature checked once, for every view of the product's page (public imports this
    # module's neighbours, so it is imported where it is used).
    from zuji.catalogue.public import remember_signature_check

    remember_signature_check(session, submission.result)
    return footprint


def validity(document: dict[str, Any]) -> tuple[datetime, datetime]:
    """A PACT document's validity period: as it states, else from the end of its reference
    period for three years."""
    pcf = document["pcf"]
    start = _instant(document.get("validityPeriodStart") or pcf["referencePeriodEnd"])
    end = document.get("validityPeriodEnd")
    return start, _instant(end) if end else years_later(start, DEFAULT_VALIDITY_YEARS)


def years_later(moment: datetime, years: int) -> datetime:
    """The same day and time `years` later (29 February becomes 28 February)."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def _instant(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def keys(document: dict[str, Any]) -> set[tuple[str, str]]:
    """The values PACT's ListFootprints filters match a document on, lower-cased."""
    pcf = document["pcf"]
    found = {("productId", p.lower()) for p in document.get("productIds", [])}
    found |= {("companyId", c.lower()) for c in document.get("companyIds", [])}
    found |= {("classification", c.lower()) for c in document.get("productClassifications", [])}
    for name in ("geographyCountry", "geographyRegionOrSubregion", "geographyCountrySubdivision"):
        if pcf.get(name):
            found.add(("geography", str(pcf[name]).lower()))
    return found


def deprecate(store: Store, footprint_id: str, actor: Actor, reason: str) -> None:
    """Withdraw a published footprint (it stays readable, as PACT wants, with status
    Deprecated)."""
    actor.require("admin", "deprecate footprints")
    if not reason.strip():
        raise CatalogueError(
            Diagnostic(
                "E946",
                "a footprint is deprecated with a reason",
                hint="give --reason (over HTTP, the `reason` field)",
            )
        )
    with store.transaction() as session:
        footprint = session.get(Footprint, footprint_id)
        if footprint is None:
            raise CatalogueError(
                Diagnostic("E949", f"no footprint {footprint_id} in the catalogue"), status=404
            )
        if footprint.status == "Deprecated":
            raise CatalogueError(
                Diagnostic("E948", f"footprint {footprint_id} is already Deprecated"), status=409
            )
        footprint.status = "Deprecated"
        audit(session, actor.name, "deprecate", ("footprint", footprint.id), reason=reason)


def publish_within(
    session: Session, submission: Submission, result: Result, actor: Actor, reason: str = ""
) -> Footprint:
    """Publish an accepted submission inside a transaction the caller holds, as `publish`
    does (the product's footprint in force is deprecated and named in precedingPfIds): a
    re-evaluation's approval writes its own rows in the same transaction."""
    actor.require("admin", "publish footprints")
    _in_state(submission, "accepted", "published")
    footprint = _footprint(session, submission, result, actor)
    submission.state = "published"
    audit(
        session,
        actor.name,
        "publish",
        ("footprint", footprint.id),
        {"submission": submission.id, "preceding": footprint.preceding},
        reason,
    )
    return footprint
