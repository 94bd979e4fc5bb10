"""Inventories written in Chinese: input names, option names and full-width characters.

A clerk writes `水泥产量: １２０ 万吨` where the PCR declares `input cement : t ... zh "水泥产量"`.
Before an inventory is checked against its PCR, its Chinese input names are read as the inputs'
identifiers, option labels as the options, and full-width digits, percent signs and thousands
commas as their ASCII twins, wherever that reading is unambiguous. What cannot be read so (a
full-width colon that breaks the YAML, a comma that does not group thousands, a name two inputs
share) is refused with a positioned hint naming the ASCII character. Units and magnitudes (吨, 万吨)
are the unit registry's business (lang.units), not a rewriting of the text.

Each change is kept as a Reading (where, as given, as read), so that the result records the
inventory both as given and as normalised.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from zuji.core.errors import Diagnostic, InventoryError, Span
from zuji.lang import model as m

# Full-width forms read as their ASCII twins wherever they stand in a value: none of them can
# mean anything else in an amount. The ideographic space is a space.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．％－＋　", "0123456789.%-+ ")
_FULL_WIDTH_CHARS = frozenset("０１２３４５６７８９．％－＋　，")
# 1，200，000 or １，２００.５: full-width commas that only group thousands, read as no separator.
_GROUPED = re.compile(r"^\s*[-+]?\d{1,3}(?:，\d{3})+(?:\.\d+)?(?=\s|[^\d，.]|$)")
# A YAML key written with a full-width colon (`cement：` or `- fuel：`), before any ASCII colon
# or comment on its line, so `description: "说明：..."` is left alone.
_KEY_COLON = re.compile(r"^(\s*(?:-\s+)?)([^\s:#'\"{}\[\]：][^:#'\"{}\[\]：]*?)\s*：")


class Choices(dict[str, tuple[str, ...]]):
    """The options of every named choice (`grid_region` -> national, north, ...), and, for
    those whose options carry labels, the way a clerk may write each label, with the options
    it names (`labels["electricity.grid_region"]["华东"] == ("east",)`)."""

    def __init__(
        self,
        options: Mapping[str, tuple[str, ...]],
        chinese: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        super().__init__(options)
        # The Chinese label of each labelled option, by choice type and option.
        self.chinese = {name: dict(found) for name, found in (chinese or {}).items()}
        self.labels = {name: label_index(found) for name, found in self.chinese.items()}

    @staticmethod
    def of(choices: Mapping[str, m.ChoiceType]) -> Choices:
        """The options and Chinese labels of choice types, by the names formulas use."""
        return Choices(
            {name: c.options for name, c in choices.items()},
            {
                name: {option: label.zh for option, label in c.labels if label.zh}
                for name, c in choices.items()
                if c.labels
            },
        )


def label_key(text: str) -> str:
    """A label as compared: NFKC (full-width brackets and digits as ASCII) without spaces, so
    that 公路货车（30 吨） and 公路货车(30吨) are one label."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def label_index(chinese: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """Each option's Chinese label, as compared (label_key), with the option it names; two
    options whose labels read the same once normalised both stand under it, an ambiguity the
    reader reports naming both."""
    index: dict[str, tuple[str, ...]] = {}
    for option, label in chinese.items():
        key = label_key(label)
        index[key] = (*index.get(key, ()), option)
    return index


class Reporter(Protocol):
    def error(self, where: str, message: str, hint: str = "", code: str = "E501") -> None: ...


@dataclass(frozen=True)
class Reading:
    """One place where the inventory was read other than as written: a Chinese name, a
    full-width figure."""

    where: str
    given: str
    read_as: str


def refuse_full_width_colons(text: str, label: str) -> None:
    """Raise E502 at the first YAML key written with a full-width colon ('：'): YAML would read the
    line as text and complain about the next one, far from the mistake."""
    if "：" not in text:
        return
    for number, line in enumerate(text.lstrip("\ufeff").split("\n"), start=1):
        found = _KEY_COLON.match(line)
        if found is None:
            continue
        column = line.index("：", found.end(2)) + 1
        raise InventoryError(
            Diagnostic(
                "E502",
                f"{label}: '{found.group(2)}' is followed by a full-width colon '：'",
                Span(label, number, column, number, column + 1),
                hint=f"write an ASCII colon ':' followed by a space, e.g. '{found.group(2)}: ...'",
                source_line=line,
            )
        )


def normalised(
    document: dict[str, Any],
    pcr: m.RuleFile,
    reporter: Reporter,
    labels: Mapping[str, Mapping[str, tuple[str, ...]]] | None = None,
    ascii_inputs: bool = False,
) -> tuple[dict[str, Any], tuple[Reading, ...]]:
    """The document with Chinese names read as identifiers, options given by their Chinese
    labels as the options, and full-width figures as ASCII ones, and what was read so. `labels`
    gives, per choice type (electricity.grid_region), its label index (`label_index`);
    `ascii_inputs` says the caller found the inputs' text ASCII already."""
    inputs = document.get("inputs")
    if not isinstance(inputs, dict) or ascii_inputs or _plain(inputs):
        return document, ()
    readings: list[Reading] = []
    names = _names(pcr.inputs)
    read: dict[str, Any] = {}
    for key, value in inputs.items():
        name = _name(str(key), names, inputs, reporter, "")
        if name != key:
            readings.append(Reading(str(key), str(key), name))
        inp = next((i for i in pcr.inputs if i.name == name), None)
        read[name] = _value(value, inp, str(key), readings, reporter, labels or {})
    return {**document, "inputs": read}, tuple(readings)


_JSON = json.JSONEncoder(ensure_ascii=False)


def _plain(inputs: dict[str, Any]) -> bool:
    """Whether every name and text in the inputs is ASCII: nothing to read (the common case).
    Their JSON, written in C, is ASCII exactly when they are; a value JSON cannot hold is
    looked at in a walk over the document."""
    try:
        if _JSON.encode(inputs).isascii():
            return True
    except (TypeError, ValueError):
        pass
    for key, value in inputs.items():
        if not (key.__class__ is str and key.isascii()) or not _ascii(value):
            return False
    return True


def _ascii(value: Any) -> bool:
    kind = value.__class__
    if kind is str:
        return bool(value.isascii())
    if kind is dict:
        for key, item in value.items():
            if not (key.__class__ is str and key.isascii()) or not _ascii(item):
                return False
    elif kind is list:
        for item in value:
            if not _ascii(item):
                return False
    return True


def _names(inputs: tuple[m.Input, ...]) -> dict[str, list[str]]:
    """Chinese name -> the identifiers of the inputs (or fields) that carry it."""
    names: dict[str, list[str]] = {}
    for inp in inputs:
        if inp.description.zh:
            names.setdefault(inp.description.zh.strip(), []).append(inp.name)
    return names


def _name(
    key: str, names: dict[str, list[str]], given: Mapping[str, Any], reporter: Reporter, at: str
) -> str:
    owners = names.get(key.strip())
    if not owners:
        return key
    where = f"{at}.{key}" if at else key
    if len(owners) > 1:
        reporter.error(
            where,
            f"'{key}' is the Chinese name of {' and '.join(repr(o) for o in owners)}",
            f"write the identifier of the one meant ({' or '.join(owners)})",
        )
        return key
    if owners[0] in given:
        reporter.error(
            where,
            f"'{key}' and '{owners[0]}' name the same input",
            f"give it once, as '{owners[0]}' or as '{key}'",
        )
        return key
    return owners[0]


def _value(
    value: Any,
    inp: m.Input | None,
    where: str,
    readings: list[Reading],
    reporter: Reporter,
    labels: Mapping[str, Mapping[str, tuple[str, ...]]],
) -> Any:
    if isinstance(value, str):
        return _text(value, inp, where, readings, reporter, labels)
    if isinstance(value, dict) and inp is not None and inp.kind != "list":
        return {
            k: _value(v, inp, where, readings, reporter, labels) if k in ("value", "unit") else v
            for k, v in value.items()
        }
    if isinstance(value, list) and inp is not None and inp.kind == "list":
        return [
            _item(item, inp, f"{where}[{i}]", readings, reporter, labels)
            for i, item in enumerate(value)
        ]
    return value


def _item(
    item: Any,
    inp: m.Input,
    where: str,
    readings: list[Reading],
    reporter: Reporter,
    labels: Mapping[str, Mapping[str, tuple[str, ...]]],
) -> Any:
    if not isinstance(item, dict):
        return item
    names = _names(inp.fields)
    read: dict[str, Any] = {}
    for key, value in item.items():
        name = _name(str(key), names, item, reporter, where)
        if name != key:
            readings.append(Reading(f"{where}.{key}", str(key), name))
        field = next((f for f in inp.fields if f.name == name), None)
        read[name] = _value(value, field, f"{where}.{key}", readings, reporter, labels)
    return read


def _text(
    text: str,
    inp: m.Input | None,
    where: str,
    readings: list[Reading],
    reporter: Reporter,
    labels: Mapping[str, Mapping[str, tuple[str, ...]]],
) -> str:
    if text.isascii():
        return text
    if inp is not None and inp.kind == "choice":
        option = _labelled(text, inp, where, reporter, labels)
        if option is not None:
            readings.append(Reading(where, text, option))
            return option
    if not _FULL_WIDTH_CHARS.intersection(text):
        return text
    read = text.translate(_FULL_WIDTH)
    grouped = _GROUPED.match(read)
    if grouped:
        read = read[: grouped.end()].replace("，", "") + read[grouped.end() :]
    if "，" in read:
        column = read.index("，")
        reporter.error(
            where,
            f"'{text}' has a full-width comma '，' at character {column + 1} that does not group "
            "thousands",
            "write the number with an ASCII '.' for a decimal point and no separator "
            "(1200000 or 1 200 000)",
            "E502",
        )
        return text
    readings.append(Reading(where, text, read))
    return read


def _labelled(
    text: str,
    inp: m.Input,
    where: str,
    reporter: Reporter,
    labels: Mapping[str, Mapping[str, tuple[str, ...]]],
) -> str | None:
    """The option a Chinese label names, or None when the text is no label of the input's
    choice (it is then judged as an option, and refused as one if it is not). A label two
    options share once normalised is an error naming both."""
    owners = labels.get(inp.choice_type or "", {}).get(label_key(text))
    if not owners:
        return None
    if len(owners) > 1:
        reporter.error(
            where,
            f"'{text}' is the label of {' and '.join(repr(o) for o in owners)}",
            f"write the identifier of the one meant ({' or '.join(owners)})",
        )
        return text
    return owners[0]
