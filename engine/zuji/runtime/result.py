"""The result of an evaluation, as pydantic models (JSON out with .model_dump_json()).

Footprint figures are kilograms of CO2e per declared unit. Credits and removals are reported apart
from the total and never netted into it silently. The trace holds, for every line, its formula,
the values substituted and where each came from: enough to recompute every number from the result
file alone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

# The PEF data-quality indicators a value is scored on, 1 best to 5 worst: technological,
# geographical and time representativeness, and precision.
DQ_KEYS = ("ter", "ger", "tir", "p")
SHA256 = "^[0-9a-f]{64}$"


def iso_date(value: date | None) -> str | None:
    """A date as a result writes it (2024-01-01), or None."""
    return value.isoformat() if value else None


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


M = TypeVar("M", bound=BaseModel)


class _Fields:
    """A model's fields in order, and how to make the default of one not given."""

    __slots__ = ("defaults", "names", "private")

    def __init__(self, model: type[BaseModel]) -> None:
        self.names = tuple(model.model_fields)
        self.defaults = tuple(_default_of(model, n, i) for n, i in model.model_fields.items())
        # Private attributes as validation sets them (None for a model without any).
        attributes = model.__private_attributes__
        self.private = {n: a.get_default() for n, a in attributes.items()} if attributes else None


def _default_of(model: type[BaseModel], name: str, info: Any) -> Callable[[], Any]:
    def default() -> Any:
        if info.is_required():
            raise TypeError(f"{model.__name__} needs {name}")
        return info.get_default(call_default_factory=True)

    return default


_FIELDS: dict[type[BaseModel], _Fields] = {}
# The slots pydantic keeps beside a model's __dict__, set as its own construction sets them.
_NEW = object.__new__
_SET_DICT = object.__setattr__
_SET_FIELDS_SET = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_SET_EXTRA = BaseModel.__dict__["__pydantic_extra__"].__set__
_SET_PRIVATE = BaseModel.__dict__["__pydantic_private__"].__set__


def made(model: type[M], /, **values: Any) -> M:
    """A model of figures the engine worked out itself, already of the declared types (floats
    as floats, lists as lists, models as models), built without validating them again: several
    times faster than validation, which evaluation pays for dozens of times per result. What
    comes from a document (an inventory's names, a rule's texts) is validated as it is read;
    tests rebuild results with validation and compare them field for field and byte for byte.
    """
    fields = _FIELDS.get(model)
    if fields is None:
        fields = _FIELDS[model] = _Fields(model)
    state = values
    if len(values) != len(fields.names) or tuple(values) != fields.names:
        if not values.keys() <= set(fields.names):
            raise TypeError(f"{model.__name__} has no field {sorted(values.keys() - fields.names)}")
        state = {
            name: values[name] if name in values else default()
            for name, default in zip(fields.names, fields.defaults, strict=True)
        }
    built = _NEW(model)
    _SET_DICT(built, "__dict__", state)
    _SET_FIELDS_SET(built, set(values))
    _SET_EXTRA(built, None)
    _SET_PRIVATE(built, None if fields.private is None else dict(fields.private))
    return built


class PcrInfo(_Model):
    id: str
    version: str
    status: str
    name_en: str
    name_zh: str
    source_hash: str
    gwp: str
    standards: list[str]
    boundary: str
    stages: list[str]
    stage_titles: dict[str, str] = Field(default_factory=dict)
    exclusions: dict[str, str] = Field(
        default_factory=dict, description="What the boundary leaves out, and why"
    )
    classification: list[str] = Field(default_factory=list)
    geography: list[str] = Field(default_factory=list)


class DatasetInfo(_Model):
    id: str
    version: str
    publisher: str


class DeclaredUnitInfo(_Model):
    amount: float
    unit: str
    description: str = Field(description="What the declared unit is, in English")
    # A default, so that results written before the rules gave it are read as they were.
    description_zh: str = Field(
        default="", description="What the declared unit is, in Chinese (empty when not given)"
    )
    product: str
    reference_flow: float = Field(
        description="How many declared units the inventory's period produced"
    )
    product_mass_kg: float | None = Field(
        default=None,
        description="kg of product per declared unit, when the declared unit is a mass",
    )

    def described(self, lang: str) -> str:
        """The description in `lang` ('zh' or 'en'), else in the other language."""
        first, second = (
            (self.description_zh, self.description)
            if lang == "zh"
            else (self.description, self.description_zh)
        )
        return first or second


class ReadingInfo(_Model):
    where: str
    given: str
    read_as: str


class InventoryInfo(_Model):
    file: str
    company: str
    product: str
    site: str
    period_start: str | None
    period_end: str | None
    company_ids: list[str] = Field(default_factory=list)
    product_ids: list[str] = Field(default_factory=list)
    read_as: list[ReadingInfo] = Field(
        default_factory=list,
        description="Where the inventory was read other than as written: a Chinese input name "
        "read as the input's identifier, a full-width figure as its ASCII twin",
    )


class GasFigure(_Model):
    mass_kg: float = Field(description="kg of the gas per declared unit")
    co2e_kg: float
    gwp: float


class LineFigure(_Model):
    name: str
    stage: str
    kind: str
    gas: str
    origin: str
    co2e_kg: float = Field(description="kg CO2e per declared unit, after allocation")
    share_of_total: float | None


class AllocationFigure(_Model):
    stages: list[str]
    method: str
    shares: dict[str, float]
    reference_product: str
    reference_share: float


class DataQuality(_Model):
    dqr: float | None = Field(description="PEF-style data-quality rating, 1 best to 5 worst")
    rating: str | None
    primary_data_share: float = Field(description="Percent of the footprint from primary data")
    inputs: dict[str, dict[str, Any]]
    indicators: dict[str, float] = Field(
        default_factory=dict,
        description="Each PEF indicator (ter, ger, tir, p), weighted as dqr is",
    )


class CutoffFigure(_Model):
    flow: str
    share: float = Field(description="Percent of the footprint left out")
    reason: str = ""


class Finding(_Model):
    code: str
    level: str
    message: str
    where: str | None = None


class TraceValue(_Model):
    name: str
    value: Any
    unit: str
    origin: str
    source: str


class TraceLine(_Model):
    name: str
    kind: str
    stage: str
    where: str
    formula: str
    values: list[TraceValue]
    value: float
    unit: str
    mass_kg: float
    gwp: float
    co2e_kg: float
    allocation_share: float
    reference_flow: float
    co2e_per_declared_unit: float


class TraceInput(_Model):
    """One input as the evaluation used it, in the PCR's unit: enough to evaluate it again."""

    name: str
    value: Any
    unit: str
    origin: str = Field(description="inventory, default, factor-default or not-given")
    source: str = Field(description="primary or secondary data")
    written: str = ""
    dq: dict[str, int] = Field(default_factory=dict)
    note: str = ""
    supplier: dict[str, Any] = Field(
        default_factory=dict, description="The supplier's PACT ProductFootprint the value came from"
    )


class TraceFactor(_Model):
    """One factor value the evaluation read, with the dataset version it was read from."""

    name: str
    reference: str
    dataset: str
    dataset_version: str
    value: float
    unit: str
    valid_from: str | None = None
    confirmed: bool = True
    source: str = ""


class Trace(_Model):
    values: list[TraceLine]
    lines: list[TraceLine]
    inputs: list[TraceInput] = Field(default_factory=list)
    factors: list[TraceFactor] = Field(default_factory=list)
    inventory: InventoryInfo | None = Field(
        default=None,
        description="The inventory's description as the evaluation read it: replay takes it "
        "from here, so a company, product or period changed in the result's inventory shows",
    )


class SourceHash(_Model):
    """One file the result was computed from, pinned by the sha256 of its content."""

    id: str
    file: str = Field(description="Where it was read, as diagnostics name it (not pinned)")
    sha256: str = Field(pattern=SHA256)
    version: str = ""


class InventoryHash(_Model):
    sha256: str = Field(pattern=SHA256)
    of: Literal["bytes", "rfc8785"] = Field(
        description="bytes: of the exact bytes read (a file, a request body); "
        "rfc8785: of the RFC 8785 canonical JSON of a mapping given in Python"
    )


class Provenance(_Model):
    """What the result was computed from, pinned by hashes, so that a verifier can prove it.

    The PCR's and modules' sha256 are of their text as UTF-8 with a leading byte-order mark
    dropped and CRLF line ends read as LF (so a Windows checkout pins the same rule); datasets'
    and the GWP set's, of the files' exact bytes."""

    engine_version: str
    inventory: InventoryHash
    pcr: SourceHash
    modules: list[SourceHash] = Field(default_factory=list)
    datasets: list[SourceHash] = Field(default_factory=list)
    gwp: SourceHash


class Signature(_Model):
    """An Ed25519 signature over the RFC 8785 canonical JSON of the result without this block."""

    alg: Literal["Ed25519"]
    key_id: str = Field(
        pattern="^sha256:[0-9a-f]{64}$", description="sha256 of the raw 32-byte public key"
    )
    value: str = Field(
        pattern="^[A-Za-z0-9_-]{86}$", description="The 64-byte signature, base64url unpadded"
    )
    canonicalization: Literal["RFC 8785"] = "RFC 8785"


class SensitivityFigure(_Model):
    """How the total moves with one input or factor value, at the inventory's values."""

    name: str = Field(description="The input (kiln_fuels[0].amount for a list item) or factor")
    kind: str = Field(description="input or factor")
    reference: str | None = Field(default=None, description="A factor's dataset entry")
    value: float = Field(description="Its value in this evaluation, in the PCR's unit")
    unit: str
    derivative: float = Field(description="d total / d value: kg CO2e per declared unit per unit")
    elasticity: float | None = Field(
        description="Percent change of the total per percent change of the value"
    )


class Contribution(_Model):
    line: str
    stage: str
    co2e_kg: float
    share: float | None = Field(description="Fraction of the total, 0 to 1")


class Sensitivity(_Model):
    """Exact sensitivities of the total and each line's contribution (asked for with
    `zuji run --sensitivity`)."""

    method: str
    total: float
    parameters: list[SensitivityFigure] = Field(
        description="Ranked by the size of the elasticity, largest first"
    )
    contributions: list[Contribution] = Field(description="Emission lines, largest share first")


class Result(_Model):
    """A product carbon footprint, traceable to the rule, the inventory and the datasets."""

    engine: str
    pcr: PcrInfo
    datasets: list[DatasetInfo]
    inventory: InventoryInfo
    declared_unit: DeclaredUnitInfo
    unit: str = "kg CO2e"
    total: float = Field(description="Emissions per declared unit, excluding credits and removals")
    removals: float
    total_including_removals: float
    credits: float
    by_stage: dict[str, float]
    by_gas: dict[str, GasFigure]
    by_origin: dict[str, float]
    lines: list[LineFigure]
    allocation: list[AllocationFigure]
    data_quality: DataQuality
    cutoff_total_percent: float
    cutoff_flows: list[CutoffFigure] = Field(default_factory=list)
    warnings: list[Finding]
    assertions: list[Finding]
    trace: Trace | None = None
    sensitivity: Sensitivity | None = None
    provenance: Provenance | None = None
    signature: Signature | None = None

    # What the fields not made yet are made from (made_lazily): all of them when the first of
    # them, or the model's __dict__ or private attributes, is read. Pydantic reads those to
    # serialize, compare, copy, pickle or print a model (this one alone, or nested in another),
    # so each of these completes it first. None once complete.
    _pending: Callable[[], dict[str, Any]] | None = PrivateAttr(default=None)

    def _complete(self) -> None:
        """Make the fields still to be made, once (whichever thread asks first)."""
        with _COMPLETING:
            private = object.__getattribute__(self, "__pydantic_private__")
            pending = private.get("_pending") if private else None
            if pending is None:
                return
            made_now = {**object.__getattribute__(self, "__dict__"), **pending()}
            ordered = {name: made_now[name] for name in _RESULT_FIELDS}
            object.__setattr__(self, "__dict__", ordered)
            private["_pending"] = None

    if not TYPE_CHECKING:  # at run time only, so that mypy still checks each name read

        def __getattribute__(self, name: str) -> Any:
            if name in _COMPLETING_NAMES:
                try:
                    private = object.__getattribute__(self, "__pydantic_private__")
                except AttributeError:  # a result pydantic is still making
                    private = None
                if (
                    private
                    and private.get("_pending") is not None
                    and (
                        name in _MODEL_STATE
                        or name not in object.__getattribute__(self, "__dict__")
                    )
                ):
                    self._complete()
            return object.__getattribute__(self, name)


_COMPLETING = threading.RLock()
_RESULT_FIELDS = tuple(Result.model_fields)
# What pydantic reads of a model's state, and every name whose reading completes a result.
_MODEL_STATE = frozenset({"__dict__", "__pydantic_private__"})
_COMPLETING_NAMES = _MODEL_STATE | frozenset(_RESULT_FIELDS)


def made_lazily(eager: dict[str, Any], rest: Callable[[], dict[str, Any]]) -> Result:
    """A result with the fields of `eager` made now and those `rest()` gives made at their first
    read (Result._pending): an evaluation refuses an inventory before it returns, so what is
    left is only putting figures already worked out into their models. The fields an evaluation
    leaves to their defaults (_UNSET) are made now."""
    fields = _FIELDS.get(Result)
    if fields is None:
        fields = _FIELDS[Result] = _Fields(Result)
    state = {**eager, **_UNSET_VALUES}
    given = tuple(eager)
    named = _NAMED.get(given)
    if named is None:  # those made now and those made later: every field but the defaults
        later = frozenset(fields.names) - set(eager) - _UNSET
        named = _NAMED[given] = later | set(given)
    built = _NEW(Result)
    _SET_DICT(built, "__dict__", state)
    _SET_FIELDS_SET(built, set(named))
    _SET_EXTRA(built, None)
    _SET_PRIVATE(built, {"_pending": rest})
    return built


# The fields an evaluation leaves to their defaults; and, per set of fields made at once, every
# field the result is made with (those made now and those made later).
_UNSET = frozenset({"unit", "sensitivity", "signature"})
_UNSET_VALUES = {"unit": "kg CO2e", "sensitivity": None, "signature": None}  # their defaults
_NAMED: dict[tuple[str, ...], frozenset[str]] = {}
