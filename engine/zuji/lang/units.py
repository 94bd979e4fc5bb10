"""Units: one pint registry that knows the gases, carbon, energy equivalents and currencies.

Units are a compile-time matter. Each gas is a dimension of its own, so a mass of CH4 can never be
added to a mass of CO2, and turning either into CO2e takes a GWP set, not a unit conversion.
Rule files, datasets and inventories write units the same way (``t CO2/MWh``, ``kg CO2e/t km``,
``GJ/t``, ``%``); every name goes through one table before pint sees it, so pint's own spelling
quirks (``m3``, ``C`` for coulomb) never reach a user.
"""

from __future__ import annotations

import math
from functools import cache, lru_cache
from typing import cast

from zuji.core import cachedir, startup
from zuji.core.errors import UnitSyntaxError
from zuji.lang.build_exprs import build_unit
from zuji.lang.model import GASES, Gas, UnitExpr
from zuji.lang.parse import parse_unit_text

startup.import_without_arrays("pint")  # in the zuji command's process only (see core/startup)

import pint  # noqa: E402

# Our spelling -> pint's. Anything not here must be a unit pint knows by that exact name.
_NAMES = {
    "t": "tonne",
    "kt": "kilotonne",
    "Mt": "megatonne",
    "kg": "kilogram",
    "g": "gram",
    "mg": "milligram",
    "Wh": "watt_hour",
    "kWh": "kilowatt_hour",
    "MWh": "megawatt_hour",
    "GWh": "gigawatt_hour",
    "TWh": "terawatt_hour",
    "J": "joule",
    "kJ": "kilojoule",
    "MJ": "megajoule",
    "GJ": "gigajoule",
    "TJ": "terajoule",
    "PJ": "petajoule",
    "m": "meter",
    "km": "kilometer",
    "m2": "meter**2",
    "m3": "meter**3",
    "Nm3": "normal_m3",
    "L": "liter",
    "l": "liter",
    "tkm": "tonne_km",
    "pkm": "passenger_km",
    "kgce": "kg_coal_equivalent",
    "tce": "tonne_coal_equivalent",
    # Time: rates per hour, per day or per year (anode-effect minutes per cell-day, AEM).
    "s": "second",
    "min": "minute",
    "h": "hour",
    "d": "day",
    "day": "day",
    "yr": "year",
    "a": "year",
    "year": "year",
    "kW": "kilowatt",
    "MW": "megawatt",
    "%": "percent",
    "ppm": "ppm",
    "C": "carbon",
    "CNY": "CNY",
    "yuan": "CNY",
    "USD": "USD",
    "EUR": "EUR",
    "piece": "piece",
    "pcs": "piece",
    "tyre": "piece",
    "passenger": "passenger",
}
# Chinese unit names as clerks write them (GB 3100-1993 名称), mapped to the same pint units: a
# quantity in 吨 is a quantity in t, so results never depend on the language of the inventory.
_ZH_NAMES = {
    "吨": "tonne",
    "千克": "kilogram",
    "公斤": "kilogram",
    "克": "gram",
    "千瓦时": "kilowatt_hour",
    "兆瓦时": "megawatt_hour",
    "吉瓦时": "gigawatt_hour",
    "兆焦": "megajoule",
    "吉焦": "gigajoule",
    "太焦": "terajoule",
    "米": "meter",
    "公里": "kilometer",
    "千米": "kilometer",
    "平方米": "meter**2",
    "立方米": "meter**3",
    "标准立方米": "normal_m3",
    "升": "liter",
    "吨公里": "tonne_km",
    "人公里": "passenger_km",
    "千克标准煤": "kg_coal_equivalent",
    "吨标准煤": "tonne_coal_equivalent",
    "小时": "hour",
    "天": "day",
    "年": "year",
    "元": "CNY",
    "件": "piece",
    "个": "piece",
}
# Chinese magnitudes written straight before a unit (万吨, 5200 万kWh) or as a word of their own
# (120 万 吨): dimensionless units, so 万吨 is 10^4 t by pint's own arithmetic.
_ZH_MAGNITUDES = {"万": "zh_wan", "亿": "zh_yi"}
_GAS_UNIT: dict[str, str] = {gas: f"gas_{gas}" for gas in GASES}
_DISPLAY = {
    v: k for k, v in _NAMES.items() if k not in ("l", "yuan", "pcs", "tyre", "a", "day", "year")
}
_DISPLAY.update({v: k for k, v in _GAS_UNIT.items()})
_DISPLAY.update(
    {"metric_ton": "t", "kilogram": "kg", "megawatt_hour": "MWh", "kilowatt_hour": "kWh"}
)

_DEFINITIONS = [
    *(f"gas_{gas} = [{gas}]" for gas in GASES),
    "carbon = [carbon]",
    # Normal cubic metre: a volume of gas at 0 °C and 101.325 kPa; converts like a cubic metre.
    "normal_m3 = meter ** 3",
    "tonne_km = tonne * kilometer",
    "passenger = [passenger]",
    "passenger_km = passenger * kilometer",
    # Standard coal equivalent: 1 kgce = 29.307 MJ (GB/T 2589-2020, 2.5).
    "kg_coal_equivalent = 29.307 * megajoule",
    "tonne_coal_equivalent = 1000 * kg_coal_equivalent",
    "CNY = [currency_CNY]",
    "USD = [currency_USD]",
    "EUR = [currency_EUR]",
    "piece = [piece]",
    "zh_wan = 1e4",  # 万
    "zh_yi = 1e8",  # 亿
]


@cache
def registry() -> pint.UnitRegistry[float]:
    """The one unit registry of the process."""
    # pint's parsed definitions are kept in Zuji's cache folder: reading them back costs a
    # fraction of parsing pint's definition files on every start.
    where = cachedir.folder("units")
    ureg: pint.UnitRegistry[float] = pint.UnitRegistry(
        autoconvert_offset_to_baseunit=False, cache_folder=where
    )
    for definition in _DEFINITIONS:
        ureg.define(definition)
    return ureg


@cache
def unit_named(name: str) -> pint.Unit:
    """One unit name as written in a rule file, a dataset or an inventory."""
    if name in _GAS_UNIT:
        return registry().Unit(_GAS_UNIT[name])
    if not name.isascii():
        return _zh_unit(name)
    target = _NAMES.get(name, name)
    try:
        return registry().parse_units(target)
    except (
        pint.errors.UndefinedUnitError,
        pint.errors.DefinitionSyntaxError,
        ValueError,
        AttributeError,
        TypeError,
    ) as exc:
        raise UnitSyntaxError(f"unknown unit '{name}'") from exc


def _zh_unit(name: str) -> pint.Unit:
    """A unit written in Chinese (吨, 万吨, 万kWh, 吨标准煤): a magnitude, then a unit name."""
    if name in _ZH_NAMES:
        return registry().parse_units(_ZH_NAMES[name])
    if name in _ZH_MAGNITUDES:
        return registry().Unit(_ZH_MAGNITUDES[name])
    if name[0] in _ZH_MAGNITUDES and len(name) > 1:
        scaled: pint.Unit = registry().Unit(_ZH_MAGNITUDES[name[0]]) * unit_named(name[1:])
        return scaled
    known = "、".join(_ZH_NAMES)
    raise UnitSyntaxError(f"unknown unit '{name}' (Chinese units Zuji reads: {known})")


def chinese_unit_names() -> dict[str, str]:
    """The Chinese unit names the registry reads, each with the unit written our way."""
    return {zh: format_unit(registry().parse_units(name)) for zh, name in _ZH_NAMES.items()}


@lru_cache(maxsize=4096)  # model units are frozen and hash by value; inventories repeat them
def to_pint(unit: UnitExpr | None) -> pint.Unit:
    """A written unit (numerator and denominator names with powers) as a pint unit."""
    result = registry().Unit("")
    if unit is None:
        return result
    for name, power in unit.numerator:
        result = result * _term(name) ** power
    for name, power in unit.denominator:
        result = result / _term(name) ** power
    _within_range(result, unit)
    return result


# How far from 1 the scale of a unit may be (in decades): any two such units convert by a factor
# within float's range (about 1e308), so no conversion folded into a plan can overflow.
_MOST_DECADES = 150


def _within_range(result: pint.Unit, unit: UnitExpr) -> None:
    """Refuse a unit whose size in base units no float holds (Mt^99): E301 where it is written."""
    try:
        scale = abs(float(registry().Quantity(1.0, result).to_root_units().magnitude))
    except OverflowError:
        scale = math.inf
    if scale == 0 or not math.isfinite(scale) or abs(math.log10(scale)) > _MOST_DECADES:
        raise UnitSyntaxError(
            f"'{format_unit(result)}' is a unit beyond the range of the engine's numbers "
            f"(more than 1e{_MOST_DECADES} times its base unit, or less than its inverse)"
        )


def _term(name: str) -> pint.Unit:
    if _is_number(name):
        if float(name) != 1:
            raise UnitSyntaxError(f"a number ({name}) inside a unit; only 1 may stand there")
        return registry().Unit("")
    return unit_named(name)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def dimensionless() -> pint.Unit:
    return registry().Unit("")


def same_dimension(a: pint.Unit, b: pint.Unit) -> bool:
    return bool(a.dimensionality == b.dimensionality)


@cache
def _factor(source: pint.Unit, target: pint.Unit) -> float:
    return float(registry().Quantity(1.0, source).to(target).magnitude)


def conversion(source: pint.Unit, target: pint.Unit) -> float:
    """The number that turns a magnitude in source into one in target (same dimension)."""
    if source == target:
        return 1.0
    return _factor(source, target)


def gas_dimension(gas: str) -> pint.Unit:
    return registry().Unit(_GAS_UNIT[gas])


def mass_of(gas: str) -> pint.Unit:
    """The unit every line of that gas is converted to: kilograms of the gas."""
    kilograms: pint.Unit = registry().Unit("kilogram") * gas_dimension(gas)
    return kilograms


def is_mass_of(unit: pint.Unit, gas: str) -> bool:
    return same_dimension(unit, mass_of(gas))


def gas_of(unit: pint.Unit) -> Gas | None:
    """Which gas a mass unit is a mass of, if any."""
    return next((gas for gas in GASES if is_mass_of(unit, gas)), None)


_KINDS = {
    "mass": "kilogram",
    "energy": "joule",
    "length": "meter",
    "volume": "meter**3",
    "area": "meter**2",
    "time": "second",
    "power": "watt",
    "mass·distance": "tonne_km",
}


def describe_dimension(unit: pint.Unit) -> str:
    """A dimension in words a committee member reads: 'mass CO2 per energy'."""
    up: list[str] = []
    down: list[str] = []
    for name, power in _powers(unit):
        word = _kind(registry().Unit(name))
        if word:
            (up if power > 0 else down).append(word if abs(power) == 1 else f"{word}^{abs(power)}")
    text = " ".join(up) or "a pure number"
    return text + (" per " + " ".join(down) if down else "")


def _powers(unit: pint.Unit) -> list[tuple[str, float]]:
    """The unit's names with their exponents, as pint keeps them (its types allow any number; a
    unit's exponents are real)."""
    return [(name, cast(float, power)) for name, power in unit._units.items()]


def _kind(unit: pint.Unit) -> str:
    dims = unit.dimensionality
    if not dims:
        return ""
    for word, reference in _KINDS.items():
        if registry().Unit(reference).dimensionality == dims:
            return word
    return " ".join(d.strip("[]").replace("currency_", "") for d in dims)


def format_unit(unit: pint.Unit) -> str:
    """A pint unit written our way: t CO2/MWh."""
    up: list[str] = []
    down: list[str] = []
    for name, power in _powers(unit):
        shown = _DISPLAY.get(name, name)
        target = up if power > 0 else down
        target.append(shown if abs(power) == 1 else f"{shown}^{abs(int(power))}")
    top = " ".join(up) or "1"
    return top + ("/" + " ".join(down) if down else "")


@lru_cache(maxsize=4096)  # inventories write the same few units thousands of times
def unit_from_text(text: str, file: str = "<unit>") -> UnitExpr:
    """A unit written in a dataset or an inventory ('kg CO2/kWh') as a model UnitExpr.

    Raises ValueError with a plain message when the text is not a unit.
    """
    try:
        tree = parse_unit_text(text)
    except Exception as exc:  # lark's errors: report them as a bad unit, never a traceback
        raise ValueError(f"'{text}' is not a unit as Zuji writes them (e.g. 'kg CO2/kWh')") from exc
    return build_unit(tree, file)
