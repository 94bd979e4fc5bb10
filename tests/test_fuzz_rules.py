"""Hostile rule files: whatever a committee's file contains, Zuji answers with a model or with
diagnostics that say where, never with another exception.

Texts come from the grammar itself (hypothesis' Lark strategy) and from mutations of a seed
corpus (tests/fuzz/seeds plus the bundled library): tokens deleted, duplicated and swapped,
truncation, random characters, bytes in other encodings, byte-order marks, Windows line ends and
the full-width punctuation and spaces a Chinese keyboard types. Inputs that once broke the engine
are kept in tests/fuzz/found and run on every test run.

`make test` runs a few hundred examples per property; `make fuzz` runs 20 000 each
(ZUJI_FUZZ_EXAMPLES).
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

import zuji
from zuji.core import library
from zuji.core.errors import ZujiError
from zuji.lang.build import load_file
from zuji.lang.parse import parser

FUZZ = Path(__file__).parent / "fuzz"
EXAMPLES = int(os.environ.get("ZUJI_FUZZ_EXAMPLES", "150"))
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=EXAMPLES <= 1000,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)

SEEDS = sorted(FUZZ.glob("seeds/*.pcr")) + sorted(library.pcr_root().rglob("*.pcr"))
SEED_TEXTS = [p.read_text(encoding="utf-8") for p in SEEDS]
TOKEN = re.compile(r"\s+|\w+|[^\w\s]")

# As a Chinese input method types them, beside the ASCII the language expects.
FULL_WIDTH = {
    ",": "，",
    ":": "：",
    "(": "（",
    ")": "）",
    " ": "\u3000",
    '"': "“",
    "%": "％",
    ".": "。",
    ";": "；",
    "[": "【",
    "]": "】",
    "{": "｛",
    "}": "｝",
    "=": "＝",
    "<": "＜",
    ">": "＞",
    "-": "－",
    "+": "＋",
    "*": "×",
    "/": "／",
}
NASTY = [
    "(",
    ")",
    "^",
    "/ 0",
    "1e308",
    "9" * 400,
    " if ",
    " then ",
    " else ",
    "[t]",
    "[%]",
    "-",
    "*",
    ".*",
    " factor ",
    " sum over ",
    "given(",
    "\r\n",
    "\ufeff",
    "\x00",
    "\u202e",
    "\\",
    '"',
    "{",
    "}",
    " is ",
    " not ",
    "1e-400",
    " at 2020-02-30 ",
    " ^ 99999",
    " use ",
    "common.",
    "../",
    " optional ",
    "＝",
    "　",
    "0",
    " 0 ",
    "-1",
    "1e-320",
    " max(",
    " min(",
]


def assert_answered(text: str, file: str = "fuzz.pcr") -> zuji.PCR | None:
    """The engine's whole answer to a rule text: a PCR, or a RuleError with positions."""
    try:
        pcr = zuji.load_text(text, file)
    except ZujiError as exc:
        assert exc.diagnostics, "an error without diagnostics"
        for diagnostic in exc.diagnostics:
            assert diagnostic.code and diagnostic.message
            assert diagnostic.span is not None and diagnostic.span.line >= 1, diagnostic.render()
        return None
    for diagnostic in pcr.errors:
        assert diagnostic.span is not None and diagnostic.span.line >= 1, diagnostic.render()
        diagnostic.render()  # rendering with its source line must not fail either
    return pcr


@st.composite
def mutated(draw: st.DrawFn) -> str:
    tokens = TOKEN.findall(draw(st.sampled_from(SEED_TEXTS)))
    for _ in range(draw(st.integers(1, 4))):
        if not tokens:
            break
        i = draw(st.integers(0, len(tokens) - 1))
        operation = draw(
            st.sampled_from(
                ["delete", "duplicate", "swap", "truncate", "char", "full-width", "nasty", "number"]
            )
        )
        if operation == "delete":
            del tokens[i]
        elif operation == "duplicate":
            tokens.insert(i, tokens[draw(st.integers(0, len(tokens) - 1))])
        elif operation == "swap":
            j = draw(st.integers(0, len(tokens) - 1))
            tokens[i], tokens[j] = tokens[j], tokens[i]
        elif operation == "truncate":
            tokens = tokens[:i]
        elif operation == "char":
            tokens.insert(i, draw(st.characters(codec="utf-8")))
        elif operation == "number":  # a figure of the rule replaced by an awkward one
            numbers = [k for k, token in enumerate(tokens) if token.isdigit()]
            if numbers:
                tokens[draw(st.sampled_from(numbers))] = draw(
                    st.sampled_from(["0", "00", "1" + "0" * 400, "-0", "0.0"])
                )
        elif operation == "full-width":
            tokens[i] = "".join(FULL_WIDTH.get(c, c) for c in tokens[i])
        else:
            tokens.insert(i, draw(st.sampled_from(NASTY)))
    return "".join(tokens)


@FUZZ_SETTINGS
@given(mutated())
def test_mutated_rule_files_get_a_model_or_positioned_diagnostics(text: str) -> None:
    assert_answered(text)


@FUZZ_SETTINGS
@given(from_lark(parser()))
def test_texts_generated_from_the_grammar_get_an_answer(text: str) -> None:
    assert_answered(text)


@FUZZ_SETTINGS
@given(st.binary(max_size=2000), st.sampled_from(["", "\ufeff", "\r\n"]))
@example(b"\xff\xfepcr", "")
@example(b"\x00" * 10, "")
def test_random_bytes_in_a_rule_file(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, extra: str
) -> None:
    path = tmp_path_factory.mktemp("rules") / "fuzz.pcr"
    path.write_bytes(extra.encode("utf-8") + data)
    try:
        load_file(path)
    except ZujiError as exc:
        assert all(d.span is not None for d in exc.diagnostics), exc


@FUZZ_SETTINGS
@given(st.sampled_from(SEED_TEXTS), st.sampled_from(["gbk", "utf-16", "latin-1", "big5"]))
def test_rule_files_saved_in_another_encoding(
    tmp_path_factory: pytest.TempPathFactory, text: str, encoding: str
) -> None:
    path = tmp_path_factory.mktemp("rules") / "encoded.pcr"
    path.write_bytes(text.encode(encoding, errors="replace"))
    try:
        load_file(path)
    except ZujiError as exc:
        assert exc.code in ("E001", "E003") or exc.diagnostics[0].span is not None
        if text.isascii() and encoding in ("gbk", "latin-1", "big5"):
            return  # ASCII text is the same in these encodings: a syntax error is possible only
        # if the seed itself has one, which no seed does
    else:
        assert text.isascii() or encoding not in ("utf-16",), "UTF-16 bytes read as a rule"


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_bom_and_windows_line_ends_read_as_the_same_rule(seed: Path) -> None:
    text = seed.read_text(encoding="utf-8")
    plain = zuji.load_text(text, "same.pcr")
    for variant in ("\ufeff" + text, text.replace("\n", "\r\n"), text.replace("\n", "\r")):
        other = zuji.load_text(variant, "same.pcr")
        assert other.rule == plain.rule  # spans stay out of the comparison
        assert [d.code for d in other.diagnostics] == [d.code for d in plain.diagnostics]


@pytest.mark.parametrize(
    "ascii_mark, full_width, on",
    [
        (":", "：", "input power"),
        (",", "，", "cutoff"),
        ('"', "“", "input power"),
        (" ", "\u3000", "input power"),
        ("=", "＝", "let heat"),
        ("*", "×", "let heat"),
    ],
)
def test_full_width_punctuation_is_named_at_its_place(
    ascii_mark: str, full_width: str, on: str
) -> None:
    lines = (FUZZ / "seeds" / "widget.pcr").read_text(encoding="utf-8").split("\n")
    line = next(i for i, text in enumerate(lines, 1) if on in text)
    at = lines[line - 1].index(ascii_mark, len(lines[line - 1]) - len(lines[line - 1].lstrip()))
    lines[line - 1] = lines[line - 1][:at] + full_width + lines[line - 1][at + 1 :]
    with pytest.raises(zuji.RuleError) as info:
        zuji.load_text("\n".join(lines), "typed.pcr")
    diagnostic = info.value.diagnostics[0]
    assert diagnostic.code == "E001" and diagnostic.span is not None
    assert (diagnostic.span.line, diagnostic.span.column) == (line, at + 1)
    assert ascii_mark.strip() in diagnostic.hint or "full-width" in diagnostic.hint, diagnostic.hint


@pytest.mark.parametrize("found", sorted(FUZZ.glob("found/*.pcr")), ids=lambda p: p.stem)
def test_inputs_that_once_broke_the_engine(found: Path) -> None:
    """Each file says in its first comment what broke and the code it must now get."""
    text = found.read_text(encoding="utf-8")
    expected = re.search(r"Expected: (E\d{3})", text.replace("\n#", ""))
    pcr = assert_answered(text, found.name)
    codes = [d.code for d in pcr.errors] if pcr is not None else []
    if expected:
        assert expected.group(1) in codes


# ------------------------------------------------------------------- well-formed expressions
# Random texts seldom get past the parser; these are expressions the parser accepts, built from
# the seed's names, units and constructs, so the compiler's typing and the evaluation's
# arithmetic meet every combination: mismatched units in max/if/comparisons, powers, divisions
# by zero, percentages, optional inputs, huge and tiny numbers.

ATOMS = [
    "product",
    "power",
    "share",
    "spare",
    "burned",
    "heat",
    "extra",
    "scaled",
    "0",
    "1",
    "2.5",
    "1e308",
    "1e-300",
    "0 [t]",
    "2 [t]",
    "1e308 [t]",
    "3 [MWh]",
    "50 [%]",
    "1 [km]",
    "4 [GJ/t]",
    "0.1 [t CO2/t]",
    "0 [MWh]",
    "doubled(product)",
    "doubled(spare)",
    "sum over fuels (amount)",
    "sum over fuels (combustion.energy(amount, fuel))",
    "grid.co2(power, region)",
    "factor cn_grid.national",
    "(product - product)",
]
CONDITIONS = [
    "path is long",
    "path is not short",
    "given(spare)",
    "product > 1 [t]",
    "share == 50 [%]",
    "burned >= heat",
    "power < product",
    "not given(fuels)",
]

expressions = st.recursive(
    st.sampled_from(ATOMS),
    lambda inner: st.one_of(
        st.builds(
            lambda a, op, b: f"({a} {op} {b})",
            inner,
            st.sampled_from(["+", "-", "*", "/", "^"]),
            inner,
        ),
        st.builds(lambda a: f"-{a}", inner),
        st.builds(lambda f, a, b: f"{f}({a}, {b})", st.sampled_from(["max", "min"]), inner, inner),
        st.builds(
            lambda c, a, b: f"(if {c} then {a} else {b})",
            st.one_of(
                st.sampled_from(CONDITIONS),
                st.builds(
                    lambda a, op, b: f"{a} {op} {b}",
                    inner,
                    st.sampled_from([">", "<=", "=="]),
                    inner,
                ),
            ),
            inner,
            inner,
        ),
    ),
    max_leaves=8,
)

EXPRESSION_SEED = (FUZZ / "seeds" / "expressions.pcr").read_text(encoding="utf-8")
EXPRESSION_INVENTORY = {
    "pcr": "expressions",
    "inputs": {
        "product": "2 t",
        "power": "3 MWh",
        "fuels": [{"fuel": "raw_coal", "amount": "1 t"}],
    },
}


@FUZZ_SETTINGS
@given(expressions)
@example("max(product, 1 [km])")
@example("(product ^ 1e308)")
def test_well_formed_expressions_compile_and_evaluate_honestly(expression: str) -> None:
    # An assertion evaluates the expression whatever its unit: it compares it with itself.
    text = EXPRESSION_SEED.replace(
        "  changelog {",
        f'  assert ({expression}) == ({expression}) otherwise warning "Probe"\n  changelog {{',
    )
    pcr = assert_answered(text, "expression.pcr")
    if pcr is None or pcr.errors:
        return
    try:
        result = pcr.evaluate(EXPRESSION_INVENTORY)
    except ZujiError as exc:
        assert exc.diagnostics and exc.diagnostics[0].code.startswith("E6"), exc
        return
    assert all(math.isfinite(line.co2e_kg) for line in result.lines)
