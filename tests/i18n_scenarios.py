"""What a clerk and a committee member meet on the command line, as scenarios for the language
tests: inventories with every common mistake, broken rule files, usage mistakes, and the reports
of every command. Each scenario is a command line run in a folder that holds the files it needs.

`english_sentences` finds English a Chinese reader would have to read: three or more English
words in a row, once what is not a sentence has been taken out (codes, the source line and its
caret, quoted names, paths, units, identifiers). A scenario's `allowed` lists texts that come from
a rule or a dataset as their authors wrote them (the English description of a factor's source),
which stay as written.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
CASE = ROOT / "pcr" / "cement" / "cases" / "typical_plant.yaml"
WIDGET = ROOT / "tests" / "fuzz" / "seeds" / "widget.pcr"


@dataclass(frozen=True)
class Scenario:
    """A command line (without --lang) and how to lay out its folder."""

    name: str
    args: tuple[str, ...]
    setup: Callable[[Path], None] = lambda folder: None
    # Texts of the library's rules, datasets and cases may stand in the output as written.
    authored: bool = False
    # JSON output for programs: its field names and identifiers are English by design.
    json: bool = False


# ---------------------------------------------------------------------------- what is English

_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"|`[^`\n]*`|‘[^’\n]*’|“[^”\n]*”|\[[^\]\n]*\]")
_SOURCE = re.compile(r"^\s*\d*\s?\| ")
_NAMEISH = re.compile(r"\S*[/_.=@:\\<>{}()0-9]\S*")
# A traced line's head (`name [file:line:col] = formula`) and rule code quoted in a report
# (`if route is hot then`, `region is shandong is true`): the rule language, not sentences.
_FORMULA = re.compile(r"^\S+ \[\S+\] = ")
_CODE = re.compile(
    r"\bif\b[^()]*?(?:\bthen\b|→)|\bsum over\b|\S+ is \S+ is (?:true|false)|\bzuji(?: [a-z][\w-]*)+"
)
_RUN = re.compile(r"\b[A-Za-z][a-z]+(?: [A-Za-z][a-z]+){2,}\b")


def english_sentences(text: str, allowed: tuple[str, ...] = ()) -> list[str]:
    """Runs of three or more English words left in `text` once the source and caret lines, a
    trace's formulas, quoted names, paths, identifiers, figures and the allowed texts are taken
    out. Lines are joined first, so a text wrapped over two lines is found whole."""
    kept = [line for line in text.splitlines() if not (_SOURCE.match(line) or _FORMULA.match(line))]
    joined = " ".join(" ".join(kept).split())
    for known in allowed:
        joined = joined.replace(" ".join(known.split()), " ")
    joined = _CODE.sub(" ", joined)
    joined = _QUOTED.sub(" ", joined)
    joined = _NAMEISH.sub(" ", joined)
    return [m.group(0) for m in _RUN.finditer(joined)]


# ---------------------------------------------------------------------------- the inventories


def _case_inventory() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(CASE.read_text(encoding="utf-8"))["inventory"]
    return document


def _write(folder: Path, name: str, document: Any) -> None:
    (folder / name).write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")


def _inventory(change: Callable[[dict[str, Any]], None], name: str = "inventory.yaml"):
    def setup(folder: Path) -> None:
        document = _case_inventory()
        change(document)
        _write(folder, name, document)

    return setup


def _text(name: str, text: str) -> Callable[[Path], None]:
    def setup(folder: Path) -> None:
        (folder / name).write_text(text, encoding="utf-8")

    return setup


def _set(**inputs: Any) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        document["inputs"].update(inputs)

    return change


def _drop(name: str) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        del document["inputs"][name]

    return change


def _top(**fields: Any) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        document.update(fields)

    return change


def _run(name: str, setup: Callable[[Path], None], file: str = "inventory.yaml") -> Scenario:
    return Scenario(name, ("run", "cement", "-i", file), setup)


_CASE_TEXT = CASE.read_text(encoding="utf-8")
_INVENTORY_TEXT = _CASE_TEXT[_CASE_TEXT.index("inventory:") :].split("\nexpected:")[0]
_INVENTORY_LINES = "\n".join(line[2:] for line in _INVENTORY_TEXT.splitlines()[1:]) + "\n"

INVENTORY_MISTAKES = [
    _run("missing input", _inventory(_drop("gypsum"))),
    _run("unknown input", _inventory(_set(gypsumm="5 t"))),
    _run("out of range", _inventory(_set(clinker_produced="-5 t"))),
    _run("wrong dimension", _inventory(_set(kiln_electricity="5 t"))),
    _run("unknown unit", _inventory(_set(gypsum="5 tonnes_of_gypsum"))),
    _run("no unit", _inventory(_set(gypsum=5))),
    _run("not an option", _inventory(_set(grid_region="martian"))),
    _run("thousands comma", _inventory(_set(gypsum="50,000 t"))),
    _run("not a number", _inventory(_set(gypsum="about 5 t"))),
    _run("true as amount", _inventory(_set(gypsum=True))),
    _run("unit twice", _inventory(_set(gypsum={"value": "5 t", "unit": "t"}))),
    _run("not a date", _inventory(_top(reference_period={"start": "2022-13-01"}))),
    _run(
        "period backwards",
        _inventory(_top(reference_period={"start": "2022-12-31", "end": "2022-01-01"})),
    ),
    _run("another pcr", _inventory(_top(pcr="steel"))),
    _run("another version", _inventory(_top(pcr_version=">=9"))),
    _run("list item field missing", _inventory(_set(kiln_fuels=[{"fuel": "raw_coal"}]))),
    _run(
        "list item unknown field",
        _inventory(_set(kiln_fuels=[{"fuel": "raw_coal", "amount": "5 t", "colour": "red"}])),
    ),
    _run("list option unknown", _inventory(_set(kiln_fuels=[{"fuel": "peat", "amount": "5 t"}]))),
    _run("cut-off share", _inventory(_top(cutoff=[{"flow": "oil", "share": "5 kg"}]))),
    _run("pact absolute", _inventory(_set(slag={"pact": "/tmp/slag.json"}))),
    _run("pact not json", _inventory(_set(slag={"pact": "slag.txt"}))),
    _run("pact missing", _inventory(_set(slag={"pact": "slag.json"}))),
    _run(
        "full-width colon", _text("inventory.yaml", _INVENTORY_LINES.replace("gypsum:", "gypsum："))
    ),
    _run(
        "full-width comma", _text("inventory.yaml", _INVENTORY_LINES.replace("50000 t", "5，0 t"))
    ),
    _run(
        "mapping values",
        _text("inventory.yaml", _INVENTORY_LINES.replace("gypsum: ", "gypsum: t: ")),
    ),
    _run("tab", _text("inventory.yaml", _INVENTORY_LINES.replace("  gypsum", "\tgypsum"))),
    _run("duplicate key", _text("inventory.yaml", _INVENTORY_LINES + "company: again\n")),
    _run(
        "json syntax",
        _text("inventory.json", '{"pcr": "cement", "inputs": {"cement": 1,}}'),
        "inventory.json",
    ),
    _run("not a mapping", _text("inventory.yaml", "- cement\n")),
    _run("no such file", lambda folder: None, "nowhere.yaml"),
    Scenario("no such pcr", ("run", "cemetn", "-i", "inventory.yaml"), _inventory(lambda d: None)),
]

# ---------------------------------------------------------------------------- rule files


def _rule(replace: dict[str, str]) -> Callable[[Path], None]:
    def setup(folder: Path) -> None:
        text = WIDGET.read_text(encoding="utf-8")
        for old, new in replace.items():
            text = text.replace(old, new)
        (folder / "widget.pcr").write_text(text, encoding="utf-8")

    return setup


RULE_MISTAKES = [
    Scenario(
        "unknown name and unit",
        ("check", "widget.pcr"),
        _rule({"heat * 0.1 [t CO2/GJ]": "heat * kiln_coal", "coal : t": "coal : tonnes"}),
    ),
    Scenario("syntax", ("check", "widget.pcr"), _rule({"stage making": "stage making making"})),
    Scenario("status", ("check", "widget.pcr"), _rule({"status draft": "status drafty"})),
    Scenario("unit mismatch", ("check", "widget.pcr"), _rule({"power * grid": "power * ncv"})),
]

# ---------------------------------------------------------------------------- usage mistakes

USAGE_MISTAKES = [
    Scenario("missing option", ("run", "cement")),
    Scenario("unknown option", ("run", "cement", "-i", "x.yaml", "--bogus")),
    Scenario("unknown command", ("frob",)),
    Scenario("bad integer", ("mc", "cement", "-i", "x.yaml", "-n", "many")),
    Scenario("option without value", ("run", "cement", "-i")),
    Scenario("extra argument", ("schema", "cement", "steel")),
    Scenario("unknown format", ("run", "cement", "-i", "x.yaml", "-f", "pdf")),
    Scenario("no command", ()),
]

# ---------------------------------------------------------------------------- reports


def _case(folder: Path) -> None:
    shutil.copy(CASE, folder / "case.yaml")


def _result(folder: Path) -> None:
    from cli_kit import zuji

    _case(folder)
    made = zuji("run", "cement", "-i", "case.yaml", "-f", "json", "--trace", cwd=folder)
    (folder / "result.json").write_text(made.stdout, encoding="utf-8")


def _batch(folder: Path) -> None:
    inputs = _case_inventory()["inputs"]
    flat = {k: v for k, v in inputs.items() if not isinstance(v, list)}
    rows = [flat, {**flat, "gypsum": "-1 t"}]
    header = list(flat)
    lines = [",".join(header)] + [",".join(str(r[h]) for h in header) for r in rows]
    (folder / "plants.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _uncertain(folder: Path) -> None:
    document = _case_inventory()
    document["inputs"]["kiln_electricity"] = {
        "value": "41250 MWh",
        "uncertainty": {"distribution": "normal", "sd": 1000},
    }
    _write(folder, "case.yaml", document)


def _tampered(folder: Path) -> None:
    """A traced result whose input was changed after it was written: replay names the cause."""
    _result(folder)
    result = json.loads((folder / "result.json").read_text(encoding="utf-8"))
    for item in result["trace"]["inputs"]:
        if item["name"] == "gypsum":
            item["value"] = 51000.0
    (folder / "result.json").write_text(json.dumps(result), encoding="utf-8")


def _bad_column(folder: Path) -> None:
    (folder / "plants.csv").write_text("cement,gypsumm\n1000000 t,5 t\n", encoding="utf-8")


def _strings(value: Any) -> list[str]:
    """Every text inside a model object, a document or a list of them."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for item in value.values() for t in _strings(item)]
    if isinstance(value, list | tuple):
        return [t for item in value for t in _strings(item)]
    if hasattr(value, "__dataclass_fields__"):
        return [t for name in value.__dataclass_fields__ for t in _strings(getattr(value, name))]
    return []


@lru_cache(maxsize=1)
def authored_texts() -> tuple[str, ...]:
    """What the rules, the datasets and the worked cases of the library say in their authors'
    words (an input's English description, a factor's source, an example company's name): a
    report shows them as written, so they are not sentences of Zuji's to translate. Longest
    first, so that a text is taken out before a shorter one inside it."""
    import zuji
    from zuji.core.library import rule_files

    found: set[str] = set()
    fixtures = [*ROOT.glob("tests/fixtures/diff/*.pcr"), *ROOT.glob("tests/fixtures/review/*.pcr")]
    for rule in [*rule_files(), *fixtures]:
        found.update(_strings(zuji.load(rule).rule))
    documents = ("standards/**/*.yaml", "pcr/*/cases/*.yaml", "pcr/*/cbam.yaml", "pcr/*/cbam/*")
    for path in (p for pattern in documents for p in ROOT.glob(pattern)):
        found.update(_strings(yaml.safe_load(path.read_text(encoding="utf-8"))))
    # A phrase, or any Chinese (an option's label 全国): single English words are names.
    texts = (t for t in found if " " in t.strip() or re.search(r"[\u4e00-\u9fff]", t))
    return tuple(sorted(texts, key=len, reverse=True))


REPORTS = [
    Scenario("list", ("list",), authored=True),
    Scenario("run table", ("run", "cement", "-i", "case.yaml"), _case, authored=True),
    Scenario(
        "run markdown", ("run", "cement", "-i", "case.yaml", "-f", "markdown"), _case, authored=True
    ),
    Scenario("run trace", ("run", "cement", "-i", "case.yaml", "--trace"), _case, authored=True),
    Scenario("test", ("test", "cement", "--coverage"), authored=True),
    Scenario("check library", ("check", str(ROOT / "pcr" / "cement"))),
    Scenario("history", ("history", "cement", "-f", "markdown"), authored=True),
    Scenario("replay", ("replay", "result.json"), _result),
    Scenario("verify", ("verify", "result.json", "-i", "case.yaml"), _result),
    Scenario("template yaml", ("template", "cement", "-f", "yaml"), authored=True),
    Scenario(
        "diff",
        (
            "diff",
            str(ROOT / "tests/fixtures/diff/widget.pcr"),
            str(ROOT / "tests/fixtures/review/widget_1_1.pcr"),
        ),
        authored=True,
    ),
    Scenario(
        "diff markdown",
        (
            "diff",
            str(ROOT / "tests/fixtures/diff/widget.pcr"),
            str(ROOT / "tests/fixtures/review/widget_1_1.pcr"),
            "-f",
            "markdown",
        ),
        authored=True,
    ),
    Scenario(
        "monte carlo", ("mc", "cement", "-i", "case.yaml", "-n", "500", "--seed", "1"), _uncertain
    ),
    Scenario(
        "sensitivity", ("run", "cement", "-i", "case.yaml", "--sensitivity"), _case, authored=True
    ),
    Scenario(
        "cbam table", ("run", "cement", "-i", "case.yaml", "-f", "cbam-table"), _case, authored=True
    ),
    Scenario("replay tampered", ("replay", "result.json"), _tampered),
    Scenario("verify tampered", ("verify", "result.json", "-i", "case.yaml"), _tampered),
    Scenario("batch column", ("batch", "cement", "plants.csv", "-o", "out.csv"), _bad_column),
    Scenario("batch", ("batch", "cement", "plants.csv", "-o", "out.csv"), _batch),
    Scenario("keys", ("keys", "new", "--out", "keys")),
    Scenario("init", ("init", "committee")),
    Scenario("clients", ("clients", "list", "--clients", "clients.json")),
]

ALL = INVENTORY_MISTAKES + RULE_MISTAKES + USAGE_MISTAKES + REPORTS


def as_json(text: str) -> Any:
    return json.loads(text)
