"""Every check of a rule file, one small broken PCR each.

Each test starts from MINIMAL, a small PCR that passes every check, breaks it in one place and
asserts the diagnostic's code, the line its span points at, and a key word of its message. The
checks are those of parse.py (E001), build.py (E1xx), resolve.py (E20x), check.py (E1xx, E2xx,
W2xx) and compile.py (E2xx, E3xx).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import zuji
from zuji.core.errors import Severity
from zuji.lang.build import load_file

FILE = "widget.pcr"

# A PCR that passes every check: no errors, no warnings. Tests break it in one place.
MINIMAL = """\
pcr widget {
  name en "Widget" zh "小部件"
  version 1.0.0
  status draft
  gwp AR6
  unit 1 t of widget
  boundary cradle_to_gate: making
  cutoff per_flow 1 %, total 5 %

  input widget : t "Widgets made" > 0
  input power : MWh "Electricity used" >= 0
  input coal : t "Coal burned" >= 0

  factor grid = cn_grid.national
  factor ncv = cn_fuels.ncv.raw_coal

  let heat : GJ = coal * ncv

  stage making "Making" {
    electricity : CO2 = power * grid
    burning : CO2 = heat * 0.1 [t CO2/GJ]
  }

  changelog {
    1.0.0 2026-01-01 "First edition"
  }
}
"""

# Declarations a test can add in one place (after the let) without breaking anything else.
LET = "  let heat : GJ = coal * ncv\n"


# ------------------------------------------------------------------------------------ helpers


def broken(old: str, new: str, text: str = MINIMAL) -> str:
    """The text with one unique passage replaced: the one place where a test breaks it."""
    assert text.count(old) == 1, f"{old!r} must occur exactly once"
    return text.replace(old, new)


def added(extra: str, text: str = MINIMAL) -> str:
    """The text with declarations added after the let."""
    return broken(LET, LET + extra, text)


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the one line of text that contains needle."""
    hits = [i for i, line in enumerate(text.split("\n"), start=1) if needle in line]
    assert len(hits) == 1, f"{needle!r} is on lines {hits}, not on one line"
    return hits[0]


def load(text: str) -> zuji.PCR:
    return zuji.load_text(text, FILE)


def errors(pcr: zuji.PCR) -> list[str]:
    return sorted({d.code for d in pcr.diagnostics if d.is_error})


def the(pcr: zuji.PCR, code: str) -> zuji.Diagnostic:
    """The one diagnostic with this code."""
    found = [d for d in pcr.diagnostics if d.code == code]
    assert len(found) == 1, f"expected one {code}, got: " + "\n".join(
        d.render() for d in pcr.diagnostics
    )
    return found[0]


def expect(
    text: str, code: str, needle: str, *words: str, severity: Severity = Severity.ERROR
) -> zuji.Diagnostic:
    """Load text and assert its one diagnostic with code points at the line holding needle,
    with the given words in its message."""
    pcr = load(text)
    diag = the(pcr, code)
    assert diag.severity is severity
    assert diag.span is not None, diag.render()
    assert diag.span.file == FILE
    assert diag.span.line == line_of(text, needle), diag.render()
    for word in words:
        assert word in diag.message, diag.render()
    return diag


def expect_only(text: str, code: str, needle: str, *words: str) -> zuji.Diagnostic:
    """As expect, and the mistake gives no other error."""
    diag = expect(text, code, needle, *words)
    assert errors(load(text)) == [code], "\n".join(d.render() for d in load(text).diagnostics)
    return diag


def syntax_error(text: str) -> zuji.Diagnostic:
    with pytest.raises(zuji.RuleError) as info:
        load(text)
    assert len(info.value.diagnostics) == 1
    diag = info.value.diagnostics[0]
    assert diag.code == "E001"
    return diag


# Words of lark that must never reach a committee member.
LARK_WORDS = re.compile(
    r"\$END|_NL|__ANON|\b(NAME|NUMBER|STRING|COLON|LBRACE|RBRACE|LPAR|RPAR|"
    r"LSQB|RSQB|EQUAL|COMMA|COMPARE|UNIT_NAME|VERSION|DATE|Token)\b"
)


# ------------------------------------------------------------------------------------ baseline


def test_minimal_pcr_passes_every_check() -> None:
    pcr = load(MINIMAL)
    assert pcr.diagnostics == []


# ------------------------------------------------------------------------------------ E001 syntax


def test_E001_missing_colon_in_words() -> None:
    text = broken("  input power : MWh", "  input power MWh")
    diag = syntax_error(text)
    assert diag.span.line == line_of(text, "input power MWh")
    assert diag.span.column == text.split("\n")[diag.span.line - 1].index("MWh") + 1
    assert "':'" in diag.message and "expected" in diag.message
    assert "'MWh'" in diag.message
    assert not LARK_WORDS.search(diag.message + diag.hint), diag.message
    assert diag.render().startswith(f"{FILE}:{diag.span.line}:{diag.span.column}: error[E001]: ")


@pytest.mark.parametrize(
    ("old", "new", "needle", "expected"),
    [
        ("  input power : MWh", "  input power MWh", "input power MWh", "expected ':'"),
        ("= power * grid", "= power * * grid", "power * * grid", "expected '('"),
    ],
    ids=["colon", "operand"],
)
def test_E001_expects_only_what_can_follow(old: str, new: str, needle: str, expected: str) -> None:
    """After 'input power' only ':' fits, and after '*' only an operand: the line cannot end
    there, so the message must not offer 'the end of the line'."""
    text = broken(old, new)
    diag = syntax_error(text)
    assert diag.span.line == line_of(text, needle)
    assert expected in diag.message
    assert "end of the line" not in diag.message, diag.message


def test_E001_missing_closing_brace_at_end_of_file() -> None:
    text = MINIMAL.rstrip("\n").removesuffix("}")
    diag = syntax_error(text)
    assert "end of file" in diag.message and "expected" in diag.message
    assert "'}'" in diag.message + diag.hint
    assert diag.span.line == len(text.rstrip("\n").split("\n"))
    assert not LARK_WORDS.search(diag.message + diag.hint), diag.message


def test_E001_unexpected_token_lists_expected_words() -> None:
    text = broken("  status draft", "  status draft review")
    diag = syntax_error(text)
    assert diag.span.line == line_of(text, "status draft review")
    assert "'review'" in diag.message
    assert "the end of the line" in diag.message
    assert not LARK_WORDS.search(diag.message + diag.hint), diag.message


def test_E001_missing_expression_after_equals() -> None:
    text = broken("electricity : CO2 = power * grid", "electricity : CO2 =")
    diag = syntax_error(text)
    assert diag.span.line == line_of(text, "electricity : CO2 =")
    assert "end of line" in diag.message
    assert "a number" in diag.message and "a name" in diag.message
    assert not LARK_WORDS.search(diag.message + diag.hint), diag.message


def test_E001_full_width_colon_has_a_hint() -> None:
    text = broken("  input power : MWh", "  input power ： MWh")
    diag = syntax_error(text)
    assert diag.span.line == line_of(text, "input power ：")
    assert "unexpected character" in diag.message
    assert "full-width" in diag.hint and "':'" in diag.hint


def test_E001_single_quotes_have_a_hint() -> None:
    text = broken('"Widgets made"', "'Widgets made'")
    diag = syntax_error(text)
    assert diag.span.line == line_of(text, "'Widgets made'")
    assert "double quotes" in diag.hint


# ------------------------------------------------------------------------------------ build.py


def test_E002_rule_file_that_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(zuji.RuleError) as info:
        load_file(tmp_path / "missing.pcr")
    diag = info.value.diagnostics[0]
    assert diag.code == "E002"
    assert diag.span is None  # no file, no line to point at
    assert "cannot read" in diag.message and "missing.pcr" in diag.message


def test_E003_rule_text_with_a_lone_surrogate() -> None:
    # A rule sent as JSON may carry "\\ud800", which decodes to no character at all.
    text = broken('"Widgets made"', '"Widgets \ud800"')
    with pytest.raises(zuji.RuleError) as info:
        load(text)
    diagnostic = info.value.diagnostics[0]
    assert diagnostic.code == "E003" and "surrogate" in diagnostic.message
    assert diagnostic.span is not None and diagnostic.span.line == line_of(text, "input widget")


def test_E003_rule_file_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "widget.pcr"
    data = broken('zh "小部件"', 'zh "\u00e9"').encode("utf-8")
    data = data.replace("é".encode(), b"\xe9")  # Latin-1 on line 2
    path.write_bytes(data)
    with pytest.raises(zuji.RuleError) as info:
        load_file(path)
    diag = info.value.diagnostics[0]
    assert diag.code == "E003"
    assert diag.span is not None and diag.span.line == 2
    assert "UTF-8" in diag.message


def test_E101_missing_header_item() -> None:
    text = broken("  gwp AR6\n", "")
    diag = expect_only(text, "E101", "pcr widget {", "'gwp'")
    assert "gwp" in diag.hint


def test_E101_missing_declared_unit() -> None:
    text = broken("  unit 1 t of widget\n", "")
    expect(text, "E101", "pcr widget {", "'unit'")


def test_E102_header_given_twice() -> None:
    text = broken("  status draft\n", "  status draft\n  version 1.0.0\n")
    lines = [i for i, x in enumerate(text.split("\n"), 1) if x.strip() == "version 1.0.0"]
    pcr = load(text)
    diag = the(pcr, "E102")
    assert diag.span.line == lines[1]  # the second one
    assert "'version'" in diag.message and "twice" in diag.message
    assert errors(pcr) == ["E102"]


def test_E102_input_option_given_twice() -> None:
    text = broken('"Coal burned" >= 0', '"Coal burned" >= 0 primary secondary')
    expect_only(text, "E102", "input coal", "'coal'", "quality")


def test_E103_unknown_status() -> None:
    text = broken("  status draft", "  status drafted")
    diag = expect_only(text, "E103", "status drafted", "unknown status", "'drafted'")
    assert diag.span.column == len("  status ") + 1
    assert "draft" in diag.hint and "approved" in diag.hint


def test_E104_unknown_boundary() -> None:
    text = broken("boundary cradle_to_gate:", "boundary cradle_to_door:")
    expect_only(text, "E104", "cradle_to_door", "unknown boundary", "'cradle_to_door'")


def test_E105_unknown_cutoff_criterion() -> None:
    text = broken("cutoff per_flow 1 %", "cutoff per_item 1 %")
    expect_only(text, "E105", "cutoff per_item", "cut-off", "'per_item'")


@pytest.mark.parametrize(
    ("cutoff", "words"),
    [
        ("cutoff per_flow 150 %, total 500 %", ("per_flow", "150 %", "0 to 100")),
        ("cutoff per_flow 1 %, total 101 %", ("total", "101 %", "0 to 100")),
        ("cutoff per_flow 6 %, total 5 %", ("per_flow", "above the total")),
    ],
)
def test_E113_cutoff_out_of_range(cutoff: str, words: tuple[str, ...]) -> None:
    text = broken("cutoff per_flow 1 %, total 5 %", cutoff)
    expect_only(text, "E113", "cutoff per_flow", *words)


def test_E114_two_labels_in_one_language_on_an_option() -> None:
    text = added('choice kiln : rotary "回转窑" "旋窑", shaft "立窑"\n')
    expect(text, "E114", "choice kiln", "'rotary'", "two zh labels", "'旋窑'")


def test_E115_one_label_on_two_options() -> None:
    text = added('choice kiln : rotary "Rotary kiln", shaft en "Rotary kiln" zh "立窑"\n')
    expect(text, "E115", "choice kiln", "'rotary' and 'shaft'", "same en label")


def test_E113_cutoff_at_the_bounds_is_accepted() -> None:
    text = broken("cutoff per_flow 1 %, total 5 %", "cutoff per_flow 0 %, total 100 %")
    assert errors(load(text)) == []


@pytest.mark.parametrize(
    "number", ["1e400", "1" * 100_000, "1e999999999999999999", "17976931348623159" + "0" * 292]
)
def test_E112_number_beyond_float_range(number: str) -> None:
    text = broken("heat * 0.1 [t CO2/GJ]", f"heat * {number} [t CO2/GJ]")
    diag = expect_only(text, "E112", "burning", "beyond the range")
    assert diag.span is not None
    assert diag.span.column == len("    burning : CO2 = heat * ") + 1
    assert number not in diag.message  # a long literal is pointed at, not repeated


def test_E112_largest_float_is_accepted() -> None:
    text = broken("heat * 0.1 [t CO2/GJ]", "heat * 1.7e308 [t CO2/GJ]")
    assert "E112" not in errors(load(text))


def test_E112_in_a_bound() -> None:
    text = broken('"Widgets made" > 0', '"Widgets made" > 1e400')
    expect_only(text, "E112", "Widgets made", "beyond the range")


def test_E112_in_the_declared_unit() -> None:
    text = broken("unit 1 t of widget", "unit 1e999 t of widget")
    expect_only(text, "E112", "unit 1e999", "beyond the range")


def test_E112_unit_power_with_many_digits() -> None:
    text = broken("[t CO2/GJ]", "[t CO2/GJ^" + "9" * 30 + "]")
    expect_only(text, "E112", "burning", "power", "30")


@pytest.mark.parametrize(
    ("character", "name"),
    [
        ("\u202e", "RIGHT-TO-LEFT OVERRIDE"),
        ("\u2066", "LEFT-TO-RIGHT ISOLATE"),
        ("\x00", "NUL"),
        ("\x1b", "ESCAPE"),
        ("\x85", "NEXT LINE"),
        ("\x0c", "FORM FEED"),
    ],
)
def test_E005_hidden_character_outside_a_comment(character: str, name: str) -> None:
    text = broken('"Widgets made"', f'"Widgets {character}made"')
    with pytest.raises(zuji.RuleError) as info:
        load(text)
    diag = info.value.diagnostics[0]
    assert diag.code == "E005" and name in diag.message
    assert diag.span is not None and diag.span.line == line_of(text, "Widgets")
    assert diag.span.column == len('  input widget : t "Widgets ') + 1
    assert character not in diag.render()  # shown as U+FFFD, never sent to the terminal


def test_E005_hidden_character_between_tokens() -> None:
    text = broken("  let heat : GJ", "  let heat\u202e : GJ")
    with pytest.raises(zuji.RuleError) as info:
        load(text)
    assert info.value.code == "E005"


def test_E005_hidden_characters_in_comments_are_allowed() -> None:
    text = added('  # a "quoted \u202e text" in a comment \x1b \x00\n')
    text = broken('"Widgets made"', '"Widgets # made"', text)  # a '#' in a text is no comment
    assert errors(load(text)) == []
    with pytest.raises(zuji.RuleError, match="E005"):
        load(broken('"Widgets # made"', '"Widgets # \u202emade"', text))


def test_E106_factor_naming_no_entry() -> None:
    text = broken("factor grid = cn_grid.national", "factor grid = cn_grid")
    expect(text, "E106", "factor grid = cn_grid", "'grid'", "no dataset entry")


def test_E107_unknown_gas() -> None:
    text = broken("electricity : CO2 =", "electricity : CO3 =")
    diag = expect_only(text, "E107", "electricity : CO3", "unknown gas", "'CO3'")
    assert "CO2" in diag.hint


def test_E108_gas_without_biogenic_origin() -> None:
    text = added(
        "",
        broken(
            "burning : CO2 = heat * 0.1 [t CO2/GJ]",
            "burning : N2O biogenic = heat * 0.1 [kg N2O/GJ]",
        ),
    )
    expect_only(text, "E108", "burning : N2O", "N2O", "biogenic")


def test_E109_unknown_allocation_method() -> None:
    text = added(
        '  input slag : t "Slag sold" >= 0\n'
        "  allocate making by volume { product widget\n product slag }\n"
    )
    expect(text, "E109", "by volume", "unknown allocation method", "'volume'")


def test_E110_impossible_date() -> None:
    text = broken("  status draft\n", "  status draft\n  effective 2026-02-30\n")
    expect_only(text, "E110", "effective 2026-02-30", "'2026-02-30'", "not a date")


# ------------------------------------------------------------------------------------ resolve.py


def test_E201_module_not_found() -> None:
    text = broken(
        "  cutoff per_flow 1 %, total 5 %\n",
        "  cutoff per_flow 1 %, total 5 %\n  use common.nothing\n",
    )
    diag = expect_only(
        text, "E201", "use common.nothing", "module", "'common.nothing'", "not found"
    )
    assert "pcr/common/nothing.pcr" in diag.hint


def test_E202_using_a_pcr_as_module() -> None:
    text = broken(
        "  cutoff per_flow 1 %, total 5 %\n",
        "  cutoff per_flow 1 %, total 5 %\n  use cement.cement\n",
    )
    expect_only(text, "E202", "use cement.cement", "'cement.cement'", "not a module")


def _library(tmp_path: Path, module: str, pcr_text: str) -> Path:
    """A small library: lib/mod.pcr and widget/widget.pcr, which uses it as lib.mod."""
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "mod.pcr").write_text(module, encoding="utf-8")
    (tmp_path / "widget").mkdir()
    path = tmp_path / "widget" / "widget.pcr"
    path.write_text(pcr_text, encoding="utf-8")
    return path


USING_MOD = broken(
    "  cutoff per_flow 1 %, total 5 %\n", "  cutoff per_flow 1 %, total 5 %\n  use lib.mod\n"
)


def test_module_from_the_pcr_library_is_found(tmp_path: Path) -> None:
    module = "module mod {\n  version 1.0.0\n  factor grid2 = cn_grid.national\n}\n"
    path = _library(tmp_path, module, USING_MOD)
    assert zuji.load(path).errors == []


def test_E203_module_that_uses_modules(tmp_path: Path) -> None:
    module = "module mod {\n  version 1.0.0\n  use common.electricity\n}\n"
    pcr = zuji.load(_library(tmp_path, module, USING_MOD))
    diag = the(pcr, "E203")
    assert diag.span.file.endswith("mod.pcr")
    assert diag.span.line == 3
    assert "'lib.mod'" in diag.message and "uses other modules" in diag.message


def test_E305_in_a_module_formula_that_no_pcr_calls(tmp_path: Path) -> None:
    # Checking a module compiles each formula with its parameters standing for any value of
    # their declared types, so the mistake is found at the formula, before any PCR calls it.
    path = tmp_path / "mod.pcr"
    path.write_text(
        "module mod {\n  version 1.0.0\n  choice kind : a, b\n"
        "  formula fine(x: t, k: one of kind) : t = x * (if k is a then 1 else 2)\n"
        "  formula mix(x: t, e: MWh) : t = x + e\n}\n",
        encoding="utf-8",
    )
    module = zuji.load(path)
    diag = the(module, "E305")
    assert diag.span.line == 5 and "'+' joins t" in diag.message and "MWh" in diag.message
    assert errors(module) == ["E305"]


def test_E302_module_formula_that_gives_a_condition(tmp_path: Path) -> None:
    path = tmp_path / "mod.pcr"
    path.write_text(
        "module mod {\n  version 1.0.0\n  formula big(x: t) : t = x > 1 [t]\n}\n", encoding="utf-8"
    )
    diag = the(zuji.load(path), "E302")
    assert diag.span.line == 3 and "formula 'big'" in diag.message and "condition" in diag.message


def test_E204_module_with_inputs(tmp_path: Path) -> None:
    module = (
        'module mod {\n  version 1.0.0\n  input power : MWh "Electricity"\n'
        "  formula double(x: t) : t = 2 * x\n}\n"
    )
    pcr = zuji.load(_library(tmp_path, module, USING_MOD))
    diag = the(pcr, "E204")
    assert diag.span.file.endswith("mod.pcr")
    assert diag.span.line == 3
    assert "module cannot declare inputs" in diag.message


def test_E205_duplicate_names() -> None:
    text = added('  input heat : GJ "Heat" >= 0\n')
    pcr = load(text)
    diag = the(pcr, "E205")
    # the input comes second in the file; whichever the engine tables first, the report points at
    # one of the two declarations and names the other
    assert diag.span.line in (line_of(text, "let heat"), line_of(text, "input heat"))
    assert "'heat'" in diag.message and "declared twice" in diag.message
    first = (
        line_of(text, "let heat")
        if diag.span.line != line_of(text, "let heat")
        else line_of(text, "input heat")
    )
    assert f"{FILE}:{first}:" in diag.message


def test_E205_duplicate_input() -> None:
    text = added('  input coal : t "Coal again" >= 0\n')
    diag = expect_only(text, "E205", "Coal again", "'coal'", "declared twice")
    assert f"{FILE}:{line_of(text, 'Coal burned')}:" in diag.message


def test_E206_unknown_dataset() -> None:
    text = broken("factor grid = cn_grid.national", "factor grid = cn_power.national")
    diag = expect_only(text, "E206", "factor grid = cn_power", "'cn_power'", "dataset")
    assert "cn_grid" in diag.hint


def test_E207_dataset_entry_that_does_not_exist() -> None:
    text = broken("factor grid = cn_grid.national", "factor grid = cn_grid.nationl")
    diag = expect_only(text, "E207", "cn_grid.nationl", "'cn_grid'", "'nationl'")
    assert "did you mean" in diag.hint and "'national'" in diag.hint


def test_E207_factor_family_with_no_members() -> None:
    text = added(
        "  factor heating = cn_fuels.ncvv.*\n"
        "  input fuel : one of raw_coal, coke\n"
        "  let fuel_heat : GJ = coal * heating[fuel]\n",
        broken(
            "burning : CO2 = heat * 0.1 [t CO2/GJ]",
            "burning : CO2 = (heat + fuel_heat) * 0.1 [t CO2/GJ]",
        ),
    )
    expect(text, "E207", "factor heating", "'cn_fuels'", "'ncvv.<member>'", "'heating'")


def test_E207_inline_factor_entry_that_does_not_exist() -> None:
    text = broken("power * grid", "power * factor cn_grid.nationl")
    text = broken("  factor grid = cn_grid.national\n", "", text)
    expect_only(text, "E207", "factor cn_grid.nationl", "'nationl'")


# ------------------------------------------------------------------------------------ check.py


def test_W101_name_only_in_english() -> None:
    text = broken('name en "Widget" zh "小部件"', 'name en "Widget"')
    expect(text, "W101", 'name en "Widget"', "English and Chinese", severity=Severity.WARNING)


def test_E111_unknown_gwp_set() -> None:
    text = broken("  gwp AR6", "  gwp AR7")
    diag = expect_only(text, "E111", "gwp AR7", "unknown GWP set", "'AR7'")
    assert "AR6" in diag.hint


def test_E230_stage_written_twice() -> None:
    text = broken(
        "  changelog {",
        '  stage making "Again" {\n    more : CO2 = power * grid\n  }\n\n  changelog {',
    )
    expect_only(text, "E230", 'stage making "Again"', "'making'", "twice")


def test_E231_stage_not_in_boundary() -> None:
    text = broken(
        "  changelog {",
        '  stage packing "Packing" {\n    wrap : CO2 = power * grid\n  }\n\n  changelog {',
    )
    expect_only(text, "E231", "stage packing", "'packing'", "not in the boundary")


def test_E232_boundary_stage_without_stage() -> None:
    text = broken("boundary cradle_to_gate: making", "boundary cradle_to_gate: making, packing")
    expect_only(text, "E232", "boundary cradle_to_gate", "'packing'", "no stage")


def test_W232_cradle_to_grave_without_use_and_end_of_life() -> None:
    text = broken("boundary cradle_to_gate:", "boundary cradle_to_grave:")
    pcr = load(text)
    found = [d for d in pcr.diagnostics if d.code == "W232"]
    assert {("'use'" in d.message, "'end_of_life'" in d.message) for d in found} == {
        (True, False),
        (False, True),
    }
    assert all(d.span.line == line_of(text, "cradle_to_grave") for d in found)
    assert all(d.severity is Severity.WARNING for d in found)
    assert errors(pcr) == []


CO_PRODUCT = '  input slag : t "Slag sold" >= 0\n'


def test_E240_allocation_of_unknown_stage() -> None:
    text = added(CO_PRODUCT + "  allocate packing by mass { product widget\n product slag }\n")
    expect_only(text, "E240", "allocate packing", "'packing'", "not a stage")


def test_E241_stage_allocated_twice() -> None:
    text = added(
        CO_PRODUCT + "  allocate making by mass { product widget\n product slag }\n"
        "  allocate making by economic { product widget price 1 [CNY/t]\n"
        "    product slag price 1 [CNY/t] }\n"
    )
    expect_only(text, "E241", "by economic", "'making'", "allocated twice")


def test_E242_allocation_naming_no_reference_product() -> None:
    text = added(
        CO_PRODUCT + '  input ash : t "Ash sold" >= 0\n'
        "  allocate making by mass { product slag\n product ash }\n"
    )
    diag = expect_only(text, "E242", "allocate making", "no reference product", "'widget'")
    assert "product widget" in diag.hint


def test_E243_co_product_named_twice() -> None:
    text = added(
        CO_PRODUCT + "  allocate making by mass { product widget\n product slag\n product slag }\n"
    )
    expect_only(text, "E243", "allocate making", "named twice")


def test_E244_property_the_method_does_not_take() -> None:
    text = added(
        CO_PRODUCT + "  allocate making by mass {\n    product widget price 2 [CNY/t]\n"
        "    product slag\n  }\n"
    )
    expect_only(text, "E244", "product widget price", "by mass", "'price'")


def test_E245_allocation_weight_missing() -> None:
    text = added(
        CO_PRODUCT + "  allocate making by economic {\n"
        "    product widget price 900 [CNY/t]\n    product slag\n  }\n"
    )
    expect(text, "E245", "product slag", "by economic", "price", "'slag'")


def test_E246_fixed_shares_not_adding_to_one() -> None:
    text = added(
        CO_PRODUCT + "  allocate making by fixed {\n    product widget share 0.7\n"
        "    product slag share 0.2\n  }\n"
    )
    expect_only(text, "E246", "allocate making by fixed", "0.9", "not 1")


def test_fixed_shares_adding_to_one_pass() -> None:
    text = added(
        CO_PRODUCT + "  allocate making by fixed {\n    product widget share 0.8\n"
        "    product slag share 0.2\n  }\n"
    )
    assert errors(load(text)) == []


def test_W250_no_changelog() -> None:
    text = broken('  changelog {\n    1.0.0 2026-01-01 "First edition"\n  }\n', "")
    expect(text, "W250", "pcr widget {", "no changelog", severity=Severity.WARNING)


def test_E250_version_without_changelog_entry() -> None:
    text = broken("  version 1.0.0", "  version 1.1.0")
    pcr = load(text)
    diag = the(pcr, "E250")
    assert "1.1.0" in diag.message and "no changelog entry" in diag.message
    # The mistake is on the version line or in the changelog, not on the PCR's first line.
    assert diag.span.line in (line_of(text, "version 1.1.0"), line_of(text, "changelog {")), (
        diag.render()
    )
    assert errors(pcr) == ["E250"]


CHOICE = "  input fuel : one of raw_coal, coke{rest}\n"
USES_FUEL = (
    "burning : CO2 = heat * 0.1 [t CO2/GJ]",
    "burning : CO2 = heat * (if fuel is coke then 0.11 [t CO2/GJ] else 0.1 [t CO2/GJ])",
)


def with_choice(rest: str) -> str:
    return added(CHOICE.format(rest=rest), broken(*USES_FUEL))


def test_choice_input_passes() -> None:
    assert load(with_choice(" = raw_coal")).diagnostics == []


def test_E260_option_listed_twice() -> None:
    text = with_choice(", coke")
    expect_only(text, "E260", "input fuel", "'fuel'", "option twice")


def test_E261_choice_default_that_is_a_number() -> None:
    text = with_choice(" = 3")
    expect_only(text, "E261", "input fuel", "default", "'fuel'", "one of its options")


def test_E262_choice_default_not_among_choices() -> None:
    text = with_choice(" = diesel")
    expect_only(text, "E262", "input fuel", "'diesel'", "not among the choices", "raw_coal")


def test_E263_choice_with_range() -> None:
    text = with_choice(" >= 0")
    expect_only(text, "E263", "input fuel", "'fuel'", "range")


def test_E264_quantity_default_that_is_a_choice() -> None:
    text = broken('input coal : t "Coal burned" >= 0', 'input coal : t "Coal burned" >= 0 = lots')
    expect_only(text, "E264", "input coal", "'coal'", "'lots'")


LIST = '  input deliveries : list "Deliveries" {{\n    mass : t >= 0\n{inner}  }}{after}\n'
USES_LIST = (
    "electricity : CO2 = power * grid",
    "electricity : CO2 = power * grid + sum over deliveries (mass) * 1 [kg CO2/t]",
)


def test_E265_list_inside_list() -> None:
    inner = "    legs : list {\n      km : km\n    }\n"
    text = added(LIST.format(inner=inner, after=""), broken(*USES_LIST))
    expect(text, "E265", "legs : list", "list", "another list")


def test_E266_list_with_default() -> None:
    text = added(LIST.format(inner="", after=" = 0"), broken(*USES_LIST))
    expect_only(text, "E266", "} = 0", "'deliveries'", "default")


def test_W267_optional_input_with_default() -> None:
    text = broken('"Coal burned" >= 0', '"Coal burned" >= 0 = 0 optional')
    expect(text, "W267", "input coal", "'coal'", "optional", "default", severity=Severity.WARNING)
    assert errors(load(text)) == []


def test_W268_primary_input_with_default() -> None:
    text = broken('"Coal burned" >= 0', '"Coal burned" >= 0 = 0 primary')
    expect(text, "W268", "input coal", "'coal'", "primary", "E611", severity=Severity.WARNING)
    assert errors(load(text)) == []


def test_E270_line_written_twice() -> None:
    text = broken(
        "    burning : CO2 = heat * 0.1 [t CO2/GJ]\n",
        "    burning : CO2 = heat * 0.1 [t CO2/GJ]\n    electricity : CO2 = power * grid\n",
    )
    lines = [i for i, x in enumerate(text.split("\n"), 1) if "electricity : CO2" in x]
    diag = the(load(text), "E270")
    assert diag.span.line == lines[1]
    assert "'electricity'" in diag.message and "twice" in diag.message
    assert "'making'" in diag.message


def test_W271_removal_that_is_not_biogenic() -> None:
    text = broken(
        "    burning : CO2 = heat * 0.1 [t CO2/GJ]\n",
        "    burning : CO2 = heat * 0.1 [t CO2/GJ]\n"
        "    removal planting : CO2 = widget * 0.01 [t CO2/t]\n",
    )
    expect(
        text, "W271", "removal planting", "'planting'", "not biogenic", severity=Severity.WARNING
    )


def test_W280_unused_input() -> None:
    text = added('  input water : m3 "Water used" >= 0\n')
    diag = expect(text, "W280", "input water", "'water'", "never used", severity=Severity.WARNING)
    assert errors(load(text)) == []
    assert diag.render().startswith(f"{FILE}:{line_of(text, 'input water')}:3: warning[W280]: ")


def test_W281_unused_value() -> None:
    text = added("  let heat_mwh : MWh = heat\n")
    expect(text, "W281", "let heat_mwh", "'heat_mwh'", "never used", severity=Severity.WARNING)


def test_W282_unused_factor() -> None:
    text = added("  factor coke_ncv = cn_fuels.ncv.coke\n")
    expect(text, "W282", "factor coke_ncv", "'coke_ncv'", "never used", severity=Severity.WARNING)


# ------------------------------------------------------------------------------------ compile.py


def test_E210_undefined_name_with_did_you_mean() -> None:
    text = broken("power * grid", "power * gird")
    diag = expect_only(text, "E210", "power * gird", "unknown name", "'gird'")
    assert "did you mean" in diag.hint and "'grid'" in diag.hint
    assert diag.span.column == line_of_text(text, "power * gird").index("gird") + 1
    rendered = diag.render()
    assert rendered.startswith(f"{FILE}:{diag.span.line}:{diag.span.column}: error[E210]: ")
    assert "power * gird" in rendered and "^^^^" in rendered


def test_same_text_in_two_files_is_reported_under_each_name() -> None:
    """Plans are cached by source; the findings of one file must never be shown under another's
    name when both hold the same text."""
    text = broken("power * grid", "power * gird")
    first, second = zuji.load_text(text, "first.pcr"), zuji.load_text(text, "second.pcr")
    assert [d.span.file for d in first.errors] == ["first.pcr"]
    assert [d.span.file for d in second.errors] == ["second.pcr"]
    assert first.errors[0].render().replace("first", "second") == second.errors[0].render()


def line_of_text(text: str, needle: str) -> str:
    return text.split("\n")[line_of(text, needle) - 1]


def test_E210_undefined_name_without_close_match() -> None:
    text = broken("power * grid", "power * zzz")
    diag = expect_only(text, "E210", "power * zzz", "'zzz'")
    assert "declare it" in diag.hint


def test_E211_list_used_as_a_number() -> None:
    text = added(
        LIST.format(inner="", after=""),
        broken(
            "electricity : CO2 = power * grid",
            "electricity : CO2 = power * grid + deliveries * 1 [kg CO2/t]",
        ),
    )
    expect_only(text, "E211", "deliveries * 1", "'deliveries'", "sum over")


def test_E212_family_used_without_index() -> None:
    text = added(
        "  factor ncvs = cn_fuels.ncv.*\n  let bad : GJ = coal * ncvs\n",
        broken(
            "burning : CO2 = heat * 0.1 [t CO2/GJ]", "burning : CO2 = (heat + bad) * 0.1 [t CO2/GJ]"
        ),
    )
    expect_only(text, "E212", "let bad", "'ncvs'", "family")


def test_E213_unknown_choice_type() -> None:
    text = added("  input fuel : one of fuels.kind\n", broken(*USES_FUEL))
    expect(text, "E213", "input fuel", "unknown choice", "'fuels.kind'")


def test_E214_indexing_a_single_factor() -> None:
    text = added(
        "  input fuel : one of raw_coal, coke\n", broken("power * grid", "power * grid[fuel]")
    )
    expect_only(text, "E214", "grid[fuel]", "'grid'", "not a factor family")


def test_E215_family_indexed_by_a_number() -> None:
    text = added(
        "  factor ncvs = cn_fuels.ncv.*\n  let bad : GJ = coal * ncvs[coal]\n",
        broken(
            "burning : CO2 = heat * 0.1 [t CO2/GJ]", "burning : CO2 = (heat + bad) * 0.1 [t CO2/GJ]"
        ),
    )
    expect_only(text, "E215", "let bad", "indexed by a choice")


def test_family_indexed_by_choice_passes() -> None:
    text = added(
        "  factor ncvs = cn_fuels.ncv.*\n  input fuel : one of raw_coal, coke\n"
        "  let fuel_heat : GJ = coal * ncvs[fuel]\n",
        broken(
            "burning : CO2 = heat * 0.1 [t CO2/GJ]",
            "burning : CO2 = (heat + fuel_heat) * 0.1 [t CO2/GJ]",
        ),
    )
    assert load(text).diagnostics == []


def test_E216_family_indexed_by_choice_with_missing_option() -> None:
    text = added(
        "  factor ncvs = cn_fuels.ncv.*\n  input fuel : one of raw_coal, wood\n"
        "  let fuel_heat : GJ = coal * ncvs[fuel]\n",
        broken(
            "burning : CO2 = heat * 0.1 [t CO2/GJ]",
            "burning : CO2 = (heat + fuel_heat) * 0.1 [t CO2/GJ]",
        ),
    )
    diag = expect_only(text, "E216", "let fuel_heat", "'ncvs'", "'wood'")
    assert "raw_coal" in diag.hint


def test_E217_family_members_of_different_dimensions() -> None:
    # cn_fuels ncv.raw_coal is GJ/t but ncv.natural_gas is MJ/Nm3
    text = added(
        "  factor ncvs = cn_fuels.ncv.*\n  input fuel : one of raw_coal, natural_gas\n"
        "  let fuel_heat : GJ = coal * ncvs[fuel]\n",
        broken(
            "burning : CO2 = heat * 0.1 [t CO2/GJ]",
            "burning : CO2 = (heat + fuel_heat) * 0.1 [t CO2/GJ]",
        ),
    )
    expect_only(text, "E217", "factor ncvs", "'ncvs'", "dimension")


def test_E218_is_with_unknown_option() -> None:
    text = added(
        "  input fuel : one of raw_coal, coke\n",
        broken(USES_FUEL[0], USES_FUEL[1].replace("is coke", "is cokes")),
    )
    diag = expect_only(text, "E218", "is cokes", "'cokes'", "not one of the options")
    assert "'coke'" in diag.hint


def test_E219_sum_over_a_quantity() -> None:
    text = broken("power * grid", "power * grid + sum over coal (coal) * 1 [kg CO2/t]")
    expect_only(text, "E219", "sum over coal", "'coal'", "not a list")


def test_E220_unknown_formula() -> None:
    text = broken("power * grid", "maxx(power, 0 [MWh]) * grid")
    diag = expect_only(text, "E220", "maxx(", "unknown formula", "'maxx'")
    assert "'max'" in diag.hint


def test_E221_given_of_something_not_an_input() -> None:
    text = broken("power * grid", "(if given(grid) then power else 0 [MWh]) * grid")
    expect_only(text, "E221", "given(grid)", "given(...)", "one input")


def test_E222_max_of_a_choice() -> None:
    text = added(
        "  input fuel : one of raw_coal, coke\n", broken("power * grid", "max(power, fuel) * grid")
    )
    expect_only(text, "E222", "max(power, fuel)", "max(...)", "numbers")


def test_E225_line_reading_an_optional_input_outside_given() -> None:
    text = broken('input coal : t "Coal burned" >= 0', 'input coal : t "Coal burned" >= 0 optional')
    diag = expect_only(text, "E225", "burning :", "line 'burning'", "'coal'", "given(coal)")
    assert "if given(coal)" in diag.hint


FORMULA = "  formula burn(mass: t, ncv: GJ/t) : GJ = mass * ncv\n"


def test_formula_call_passes() -> None:
    text = broken(LET, FORMULA + "  let heat : GJ = burn(coal, ncv)\n")
    assert load(text).diagnostics == []


def test_E223_formula_called_with_wrong_number_of_arguments() -> None:
    text = broken(LET, FORMULA + "  let heat : GJ = burn(coal)\n")
    expect_only(text, "E223", "burn(coal)", "burn(...)", "takes 2 arguments", "not 1")


def test_E224_quantity_given_for_a_choice_parameter() -> None:
    formula = (
        "  choice kinds : raw_coal, coke\n  input fuel : one of raw_coal, coke\n"
        "  formula burn(mass: t, kind: one of kinds) : GJ = "
        "if kind is coke then mass * 28 [GJ/t] else mass * ncv\n"
    )
    ok = broken(LET, formula + "  let heat : GJ = burn(coal, fuel)\n")
    assert load(ok).diagnostics == []
    text = broken(LET, formula + "  let heat : GJ = burn(coal, coal)\n")
    expect_only(text, "E224", "burn(coal, coal)", "'kind'", "burn", "one of coke, raw_coal")


def test_E224_choice_with_an_option_the_parameter_lacks() -> None:
    formula = (
        "  choice kinds : raw_coal, coke\n  input fuel : one of raw_coal, wood\n"
        "  formula burn(mass: t, kind: one of kinds) : GJ = "
        "if kind is coke then mass * 28 [GJ/t] else mass * ncv\n"
    )
    text = broken(LET, formula + "  let heat : GJ = burn(coal, fuel)\n")
    expect_only(text, "E224", "burn(coal, fuel)", "'kind'", "not wood")


def test_input_typed_by_a_choice_of_the_same_file() -> None:
    """'one of kinds', a single name, refers to the choice 'kinds' (as a formula parameter's
    'one of kinds' does), and an option outside it is caught by 'is'."""
    formula = (
        "  choice kinds : raw_coal, coke\n  input fuel : one of kinds\n"
        "  formula burn(mass: t, kind: one of kinds) : GJ = "
        "if kind is coke then mass * 28 [GJ/t] else mass * ncv\n"
    )
    text = broken(LET, formula + "  let heat : GJ = burn(coal, fuel)\n")
    assert load(text).diagnostics == []
    wrong = broken("if kind is coke", "if kind is wood", text)
    expect_only(wrong, "E218", "if kind is wood", "'wood'")


def test_E224_choice_given_for_a_quantity_parameter() -> None:
    text = broken(
        LET,
        "  input fuel : one of raw_coal, coke\n" + FORMULA + "  let heat : GJ = burn(fuel, ncv)\n",
    )
    expect_only(text, "E224", "burn(fuel, ncv)", "'mass'", "quantity")


def test_E301_unknown_unit() -> None:
    text = broken('input power : MWh "Electricity used"', 'input power : MWhr "Electricity used"')
    diag = expect(text, "E301", "input power", "unknown unit", "'MWhr'")
    assert "MWh" in diag.hint


def test_E301_unknown_unit_in_a_number() -> None:
    text = broken("heat * 0.1 [t CO2/GJ]", "heat * 0.1 [t CO2/GJJ]")
    expect_only(text, "E301", "[t CO2/GJJ]", "unknown unit", "'GJJ'")


def test_E302_let_with_declared_unit_that_does_not_match() -> None:
    text = broken("let heat : GJ = coal * ncv", "let heat : t = coal * ncv")
    diag = expect_only(text, "E302", "let heat", "'heat'", "declared in t", "GJ")
    assert "mass" in diag.message and "energy" in diag.message


def test_E302_formula_argument_in_wrong_unit() -> None:
    text = broken(LET, FORMULA + "  let heat : GJ = burn(power, ncv)\n")
    expect_only(text, "E302", "burn(power, ncv)", "'mass'", "MWh")


def test_E303_minus_of_a_choice() -> None:
    text = added(
        "  input fuel : one of raw_coal, coke\n  let odd : GJ = heat + -fuel\n",
        broken("burning : CO2 = heat * 0.1 [t CO2/GJ]", "burning : CO2 = odd * 0.1 [t CO2/GJ]"),
    )
    expect_only(text, "E303", "let odd", "'-'", "choice")


def test_E303_arithmetic_on_a_condition() -> None:
    text = broken("power * grid", "(power > 0 [MWh]) * grid")
    expect_only(text, "E303", "(power > 0 [MWh]) * grid", "'*'", "bool")


def test_E304_bare_number_added_to_a_quantity() -> None:
    text = broken("power * grid", "(power + 5) * grid")
    diag = expect_only(text, "E304", "(power + 5) * grid", "MWh", "no unit")
    assert "5 [MWh]" in diag.hint


def test_bare_zero_added_to_a_quantity_passes() -> None:
    assert errors(load(broken("power * grid", "(power + 0) * grid"))) == []


def test_E305_adding_MWh_to_t() -> None:
    text = broken("power * grid", "(power + coal) * grid")
    diag = expect_only(text, "E305", "(power + coal) * grid", "MWh", "t", "energy", "mass")
    assert "same thing" in diag.hint


def test_E305_comparing_different_dimensions() -> None:
    text = broken(LET, LET + '  assert power <= coal otherwise warning "odd"\n')
    expect_only(text, "E305", "assert power <= coal", "'<='", "MWh")


def test_E306_exponent_with_a_unit() -> None:
    text = broken("power * grid", "power * grid * (coal / coal) ^ coal")
    expect_only(text, "E306", "^ coal", "exponent", "pure number")


def test_E307_quantity_raised_to_a_fraction() -> None:
    text = broken("power * grid", "(power ^ 0.5) ^ 2 * grid")
    expect_only(text, "E307", "(power ^ 0.5)", "whole number")


def test_E308_comparing_a_choice_with_a_number() -> None:
    text = added(
        '  input fuel : one of raw_coal, coke\n  assert fuel > 1 otherwise warning "odd"\n'
    )
    expect_only(text, "E308", "assert fuel > 1", "'>'", "is eaf")


def test_E309_if_on_a_quantity() -> None:
    text = broken("power * grid", "(if power then power else 0 [MWh]) * grid")
    expect_only(text, "E309", "if power then", "'if'", "condition")


def test_E309_is_on_a_quantity() -> None:
    text = broken("power * grid", "(if power is high then power else 0 [MWh]) * grid")
    expect_only(text, "E309", "power is high", "'is'", "choice")


def test_E309_and_of_quantities() -> None:
    text = broken(LET, LET + '  assert power and coal otherwise warning "odd"\n')
    expect_only(text, "E309", "assert power and coal", "'and'")


def test_E309_not_of_a_quantity() -> None:
    text = broken(LET, LET + '  assert not power otherwise warning "odd"\n')
    expect_only(text, "E309", "assert not power", "'not'")


def test_E310_circular_definitions_between_lets() -> None:
    text = broken(LET, "  let heat : GJ = coal * ncv + spare\n  let spare : GJ = heat * 0.1\n")
    pcr = load(text)
    found = [d for d in pcr.diagnostics if d.code == "E310"]
    assert len(found) >= 1
    diag = found[0]
    assert diag.span.line in (line_of(text, "let heat"), line_of(text, "let spare"))
    assert "circular" in diag.message
    assert "heat" in diag.message and "spare" in diag.message and "->" in diag.message
    assert errors(pcr) == ["E310"]


def test_E310_value_defined_by_itself() -> None:
    text = broken("let heat : GJ = coal * ncv", "let heat : GJ = coal * ncv + heat * 0")
    expect_only(text, "E310", "let heat", "circular", "heat -> heat")


def test_E311_value_that_is_a_condition() -> None:
    text = added("  let big = coal > 10 [t]\n")
    expect(text, "E311", "let big", "'big'", "quantity", "bool")


def test_E312_formula_that_calls_itself() -> None:
    text = broken(LET, "  formula burn(mass: t) : GJ = burn(mass)\n  let heat : GJ = burn(coal)\n")
    expect(text, "E312", "formula burn", "calls itself", "burn")


def test_E320_line_that_is_a_condition() -> None:
    text = broken("power * grid", "power > 0 [MWh]")
    expect_only(
        text, "E320", "electricity : CO2 = power > 0", "'electricity'", "mass of CO2", "bool"
    )


def test_E321_line_that_is_not_a_mass_of_its_gas() -> None:
    text = broken("electricity : CO2 = power * grid", "electricity : CO2 = power")
    diag = expect_only(
        text, "E321", "electricity : CO2 = power", "'electricity'", "mass of CO2", "MWh", "energy"
    )
    assert "t CO2/" in diag.hint


def test_E321_line_of_the_wrong_gas() -> None:
    text = broken("burning : CO2 = heat", "burning : CH4 = heat")
    diag = expect_only(text, "E321", "burning : CH4", "'burning'", "mass of CH4")
    assert "declare the line as CO2" in diag.hint


def test_E330_declared_unit_of_no_input() -> None:
    text = broken("  unit 1 t of widget", "  unit 1 t of gadget")
    diag = expect(text, "E330", "unit 1 t of gadget", "'gadget'", "not a quantity input")
    assert "input gadget" in diag.hint


def test_E332_declared_unit_of_zero() -> None:
    text = broken("unit 1 t of widget", "unit 0 t of widget")
    pcr = load(text)
    assert [d.code for d in pcr.errors] == ["E332"]
    assert pcr.errors[0].span is not None and pcr.errors[0].span.line == line_of(text, "unit 0 t")


def test_E331_declared_unit_of_another_dimension() -> None:
    text = broken("  unit 1 t of widget", "  unit 1 MWh of widget")
    expect_only(text, "E331", "unit 1 MWh of widget", "MWh", "'widget'", "energy", "mass")


def test_E340_co_product_that_is_not_an_output() -> None:
    text = added("  allocate making by mass {\n    product widget\n    product slag\n  }\n")
    diag = expect_only(text, "E340", "product slag", "'slag'", "not an output")
    assert "input slag" in diag.hint


def test_E341_allocation_by_mass_of_product_in_MWh() -> None:
    text = added(
        '  input steam : MWh "Steam sold" >= 0\n'
        "  allocate making by mass {\n    product widget\n    product steam\n  }\n"
    )
    expect_only(text, "E341", "product steam", "by mass", "'steam'", "MWh")


def test_allocation_by_mass_passes() -> None:
    text = added(
        CO_PRODUCT + "  allocate making by mass {\n    product widget\n    product slag\n  }\n"
    )
    assert load(text).diagnostics == []


def test_allocation_by_mass_with_a_stated_mass_passes() -> None:
    text = added(
        CO_PRODUCT + "  allocate making by mass {\n    product widget mass 0.9 * widget\n"
        "    product slag\n  }\n"
    )
    assert load(text).diagnostics == []


def test_E341_stated_mass_that_is_not_a_mass() -> None:
    text = added(
        CO_PRODUCT + "  allocate making by mass {\n    product widget mass power\n"
        "    product slag\n  }\n"
    )
    expect_only(text, "E341", "product widget mass", "mass given for 'widget'", "MWh")


def test_E342_energy_allocation_with_a_mass_heating_value() -> None:
    text = added(
        CO_PRODUCT + "  allocate making by energy {\n"
        "    product widget lhv 10 [GJ/t]\n    product slag lhv 2 [t/t]\n  }\n"
    )
    expect_only(text, "E342", "product slag lhv", "'slag'", "energy")


def test_E343_fixed_share_with_a_unit() -> None:
    text = added(
        CO_PRODUCT + "  allocate making by fixed {\n"
        "    product widget share 0.8\n    product slag share 0.2 [t]\n  }\n"
    )
    expect_only(text, "E343", "product slag share", "fixed share", "pure number")


def test_E344_economic_values_in_two_currencies() -> None:
    text = added(
        CO_PRODUCT + "  allocate making by economic {\n"
        "    product widget price 900 [CNY/t]\n    product slag price 20 [USD/t]\n  }\n"
    )
    expect_only(text, "E344", "product slag price", "'slag'", "currency")


def test_E350_assertion_that_is_not_a_condition() -> None:
    text = broken(LET, LET + '  assert coal otherwise warning "odd"\n')
    expect_only(text, "E350", "assert coal", "assertion", "condition")


def test_E351_required_when_that_is_not_a_condition() -> None:
    text = broken(
        'input coal : t "Coal burned" >= 0', 'input coal : t "Coal burned" >= 0 required when power'
    )
    expect_only(text, "E351", "required when power", "'coal'", "condition")


def test_E351_required_when_that_reads_a_value() -> None:
    text = broken(
        'input power : MWh "Electricity used" >= 0',
        'input power : MWh "Electricity used" >= 0 required when heat > 0 [GJ]',
    )
    expect_only(text, "E351", "required when heat", "reads heat", "only inputs and factors")


def test_E269_required_when_beside_a_default() -> None:
    text = broken(
        'input coal : t "Coal burned" >= 0',
        'input coal : t "Coal burned" >= 0 = 0 required when power > 0 [MWh]',
    )
    expect_only(text, "E269", "required when power", "'coal'", "default")
    assert "W267" not in {d.code for d in load(text).diagnostics}  # E269 says it all


# ------------------------------------------------------------------------------------ documents.py
# The YAML and JSON files people write (inventories, datasets, cases) have codes of their own,
# E010-E014, apart from the E3xx of units in rules.


def _document_error(tmp_path: Path, name: str, data: bytes) -> zuji.Diagnostic:
    from zuji.core.documents import DocumentError, load_path

    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(DocumentError) as info:
        load_path(path)
    return info.value.diagnostic


def test_E010_document_that_cannot_be_read(tmp_path: Path) -> None:
    from zuji.core.documents import DocumentError, load_path

    with pytest.raises(DocumentError) as info:
        load_path(tmp_path / "missing.yaml")
    assert info.value.diagnostic.code == "E010"
    assert "cannot read" in info.value.diagnostic.message


def test_E011_document_not_valid_yaml_or_json(tmp_path: Path) -> None:
    diag = _document_error(tmp_path, "inventory.yaml", b"pcr: cement\ninputs: [\n")
    assert diag.code == "E011" and "not valid YAML" in diag.message
    diag = _document_error(tmp_path, "inventory.json", b'{"pcr": "cement",\n "pcr": "x"}')
    assert diag.code == "E011" and "duplicate key" in diag.message


def test_E012_document_nested_too_deeply(tmp_path: Path) -> None:
    diag = _document_error(tmp_path, "deep.json", b"[" * 100_000 + b"]" * 100_000)
    assert diag.code == "E012" and "nested too deeply" in diag.message


def test_E013_document_not_utf8(tmp_path: Path) -> None:
    diag = _document_error(tmp_path, "inventory.yaml", b"pcr: cement\ncompany: Soci\xe9t\xe9\n")
    assert diag.code == "E013" and "UTF-8" in diag.message
    assert diag.span is not None and diag.span.line == 2


def test_E014_document_expanding_through_aliases(tmp_path: Path) -> None:
    from zuji.core.limits import limited

    text = "a: &a [" + ", ".join(["x"] * 50) + "]\nb: &b [" + ", ".join(["*a"] * 50) + "]\n"
    with limited(document_nodes=1000):  # 50 × 50 values expand past it
        diag = _document_error(tmp_path, "bomb.yaml", text.encode())
    assert diag.code == "E014" and "expands" in diag.message


# ------------------------------------------------------------------------------------ cli.py


def test_E004_unknown_output_format(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from zuji.interfaces.cli import app

    case = (
        Path(zuji.__file__).parent.parent.parent / "pcr" / "cement" / "cases" / "typical_plant.yaml"
    )
    done = CliRunner().invoke(app, ["run", "cement", "-i", str(case), "--format", "pdf"])
    assert isinstance(done.exception, zuji.UsageError)
    assert done.exception.code == "E004" and "pdf" in str(done.exception)


# ------------------------------------------------------------------------------------ review.py
# Version discipline against the previous version (zuji check --base REV): a change to an approved
# PCR needs a version bump, a bump needs a changelog entry, a patch bump only a cosmetic change.

APPROVED = broken("status draft", "status approved")


def discipline(old: str, new: str) -> list[zuji.Diagnostic]:
    from zuji.review.diff import diff
    from zuji.review.rule_review import discipline as rules

    a, b = load(old), load(new)
    return rules(a.rule, b.rule, diff(a, b))


def bumped(text: str, version: str, entry: bool = True) -> str:
    text = broken("version 1.0.0", f"version {version}", text)
    if entry:
        text = broken(
            '    1.0.0 2026-01-01 "First edition"',
            f'    1.0.0 2026-01-01 "First edition"\n    {version} 2026-06-01 "Revised"',
            text,
        )
    return text


def only(found: list[zuji.Diagnostic], code: str, *words: str) -> zuji.Diagnostic:
    assert [d.code for d in found] == [code], [d.render() for d in found]
    diag = found[0]
    assert diag.span is not None and diag.span.line == line_of(MINIMAL, "version 1.0.0")
    for word in words:
        assert word in diag.message, diag.message
    return diag


def test_E710_approved_pcr_changed_without_a_version_bump() -> None:
    new = broken("0.1 [t CO2/GJ]", "0.2 [t CO2/GJ]", APPROVED)
    only(discipline(APPROVED, new), "E710", "approved", "line 'burning' changed")
    draft = broken("0.1 [t CO2/GJ]", "0.2 [t CO2/GJ]")
    assert discipline(MINIMAL, draft) == []  # a draft may change freely


def test_W710_approved_pcr_reworded_without_a_version_bump() -> None:
    new = broken('"Coal burned"', '"Coal burned in the boiler"', APPROVED)
    diag = only(discipline(APPROVED, new), "W710", "reworded")
    assert diag.severity is Severity.WARNING and "1.0.1" in diag.hint


def test_E710_not_given_for_an_equivalent_rewrite_with_a_patch_bump() -> None:
    new = bumped(broken("heat * 0.1 [t CO2/GJ]", "0.1 [t CO2/GJ] * heat", APPROVED), "1.0.1")
    assert discipline(APPROVED, new) == []


def test_E711_version_bumped_without_a_changelog_entry() -> None:
    new = bumped(broken("0.1 [t CO2/GJ]", "0.2 [t CO2/GJ]", APPROVED), "1.1.0", entry=False)
    only(discipline(APPROVED, new), "E711", "1.0.0 → 1.1.0", "changelog")


def test_E712_version_going_backwards() -> None:
    old = bumped(MINIMAL, "1.2.0")
    new = bumped(MINIMAL, "1.1.0")
    found = discipline(old, new)
    assert "E712" in [d.code for d in found]
    assert "1.2.0 → 1.1.0" in next(d for d in found if d.code == "E712").message


def test_E713_substantive_change_with_only_a_patch_bump() -> None:
    new = bumped(broken("0.1 [t CO2/GJ]", "0.2 [t CO2/GJ]"), "1.0.1")
    diag = only(discipline(MINIMAL, new), "E713", "patch", "not cosmetic")
    assert "1.1.0" in diag.hint


def test_W711_earlier_changelog_entry_rewritten() -> None:
    new = broken('"First edition"', '"The first edition"', bumped(MINIMAL, "1.0.1"))
    found = discipline(MINIMAL, new)
    assert [d.code for d in found] == ["W711"] and "rewritten" in found[0].message


def test_E715_revision_that_git_would_read_as_an_option() -> None:
    from zuji.review.gitrev import commit_of

    with pytest.raises(zuji.UsageError) as info:
        commit_of("--output=/tmp/x", Path(zuji.__file__).parent)
    assert info.value.code == "E715" and "not a revision" in str(info.value)


def test_E715_git_revision_outside_a_repository(tmp_path: Path) -> None:
    from zuji.review.gitrev import toplevel

    with pytest.raises(zuji.UsageError) as info:
        toplevel(tmp_path)
    assert info.value.code == "E715" and "git" in str(info.value)


# ------------------------------------------------------------------------------------ limits.py
# Limits that a real PCR never meets, lowered here so a small rule meets them.


def _refused(text: str, **limits: int) -> zuji.Diagnostic:
    from zuji.core.limits import limited

    with limited(**limits), pytest.raises(zuji.RuleError) as info:
        load(text)
    return info.value.diagnostics[0]


def test_E080_limits_setting_that_is_not_name_equals_number(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from zuji.core import limits

    monkeypatch.setenv("ZUJI_LIMITS", "rule_bytes=lots")
    monkeypatch.setattr(limits, "_current", None)
    with pytest.raises(zuji.UsageError) as info:
        limits.current()
    assert info.value.code == "E080" and "rule_bytes=lots" in str(info.value)
    monkeypatch.setenv("ZUJI_LIMITS", "list_items=5, rule_bytes=900")
    monkeypatch.setattr(limits, "_current", None)
    assert (limits.current().list_items, limits.current().rule_bytes) == (5, 900)


def test_E081_rule_text_above_the_size_limit(tmp_path: Path) -> None:
    diag = _refused(MINIMAL, rule_bytes=100)
    assert diag.code == "E081" and f"{len(MINIMAL.encode()):,} bytes" in diag.message
    path = tmp_path / FILE
    path.write_text(MINIMAL, encoding="utf-8")
    from zuji.core.limits import limited

    with limited(rule_bytes=100), pytest.raises(zuji.RuleError) as info:
        load_file(path)  # refused from its size on disk, before it is read
    assert info.value.code == "E081"


def test_E082_expression_nested_past_the_limit() -> None:
    # 1 + 1 + ... parses left-nested: 300 terms nest about 300 levels, past the default of 100.
    text = broken("coal * ncv", "coal * ncv" + " + coal * ncv" * 300)
    diag = _refused(text)
    assert diag.code == "E082" and "100 levels" in diag.message
    assert diag.span is not None and diag.span.line == line_of(text, "let heat")


def test_E082_even_ten_thousand_terms_are_refused_not_a_stack_overflow() -> None:
    diag = _refused(broken("coal * ncv", "coal" + " + coal" * 10_000))
    assert diag.code == "E082"


def test_E083_more_inputs_than_the_limit() -> None:
    diag = _refused(MINIMAL, inputs=2)
    assert diag.code == "E083" and "3 inputs" in diag.message


def test_E084_more_lines_than_the_limit() -> None:
    diag = _refused(MINIMAL, lines=1)
    assert diag.code == "E084" and "2 lines" in diag.message


def test_E085_formulas_that_expand_exponentially() -> None:
    # f30 calls f29 twice, which calls f28 twice ...: 2^30 inlined calls if nothing stopped it.
    chain = "".join(f"  formula f{i}(x: t) : t = f{i - 1}(x) + f{i - 1}(x)\n" for i in range(1, 31))
    text = added("  formula f0(x: t) : t = x\n" + chain + "  let doubled : t = f30(coal)\n")
    pcr = load(text)
    assert [d.code for d in pcr.errors] == ["E085"]
    assert "operations limit (50,000)" in pcr.errors[0].message


def test_E086_document_above_the_size_limit(tmp_path: Path) -> None:
    from zuji.core.limits import limited

    with limited(document_bytes=10):
        diag = _document_error(tmp_path, "inventory.yaml", b"pcr: widget\ninputs: {}\n")
    assert diag.code == "E086" and "document_bytes limit (10)" in diag.message


def test_E313_sum_over_inside_sum_over() -> None:
    text = added(
        '  input fuels : list "Fuels" {\n    amount : t "Burned" >= 0\n  }\n'
        "  let nested : t = sum over fuels (sum over fuels (amount))\n"
    )
    pcr = load(text)
    assert [d.code for d in pcr.errors] == ["E313"]
    assert pcr.errors[0].span is not None and pcr.errors[0].span.line == line_of(text, "nested")


# ------------------------------------------------- a list's field in one of several units

# Fuels metered by mass and by volume in one list: cn_fuels gives raw coal's CO2 per t and
# natural gas's per Nm3, so each item's amount is in t or in Nm3 by its fuel.
FUELS = (
    '  input fuels : list "Fuels burned" {\n    fuel : one of raw_coal, natural_gas\n'
    '    amount : t or Nm3 as fuel_co2[fuel] "Amount burned" >= 0\n  }\n'
    "  factor fuel_co2 = cn_fuels.co2_per_mass.*\n"
)
BURNING = "burning : CO2 = heat * 0.1 [t CO2/GJ]"
MIXED = added(FUELS, broken(BURNING, BURNING + " + sum over fuels (amount * fuel_co2[fuel])"))


def test_a_list_of_items_in_several_units_checks_clean() -> None:
    pcr = load(MIXED)
    assert pcr.diagnostics == [], [d.render() for d in pcr.diagnostics]
    listed = pcr.plan.item_units["fuels"]
    assert {o: str(listed.unit("amount", o)) for o in listed.options} == {
        "raw_coal": "t",
        "natural_gas": "Nm3",
    }


def test_E116_several_units_on_an_input_that_is_not_a_field() -> None:
    text = broken('input coal : t "Coal', 'input coal : t or Nm3 as fuel_co2[fuel] "Coal', MIXED)
    diag = expect_only(text, "E116", "input coal", "'coal'", "only a list's field")
    assert "coal : t" in diag.hint


def test_E226_units_follow_a_field_that_is_not_a_choice_of_the_list() -> None:
    text = broken("as fuel_co2[fuel]", "as fuel_co2[fule]", MIXED)
    diag = expect_only(text, "E226", "amount :", "'fule'", "list 'fuels'")
    assert "as fuel_co2[fuel]" in diag.hint


def test_E314_two_units_of_one_kind() -> None:
    text = broken("t or Nm3 as", "t or Nm3 or kg as", MIXED)
    expect_only(text, "E314", "amount :", "t and kg", "same kind", "mass")


def test_E315_a_member_per_none_of_the_units() -> None:
    text = broken("t or Nm3 as", "t or GJ as", MIXED)
    diag = expect_only(text, "E315", "amount :", "natural_gas", "per Nm3", "t or GJ")
    assert "Nm3" in diag.hint


def test_E315_a_member_per_no_unit() -> None:
    # cn_fuels gives oxidation rates in %, per nothing: no amount can be in their unit.
    text = broken("fuel_co2 = cn_fuels.co2_per_mass.*", "fuel_co2 = cn_fuels.oxidation.*", MIXED)
    pcr = load(text)
    assert "E315" in errors(pcr) and "not per any unit" in the(pcr, "E315").message


def test_E316_a_sum_adding_amounts_of_different_kinds() -> None:
    text = broken("(amount * fuel_co2[fuel])", "(amount) * 1 [t CO2/t]", MIXED)
    expect_only(text, "E316", "burning", "sum over fuels", "raw_coal", "natural_gas")


def test_E264_a_factor_default_on_a_field_in_several_units() -> None:
    text = broken(
        '"Amount burned" >= 0', '"Amount burned" >= 0 = factor cn_fuels.ncv.raw_coal', MIXED
    )
    expect_only(text, "E264", "amount :", "several units", "cannot be a factor")


# ------------------------------------------------------------------------------------ coverage


def test_every_engine_check_has_a_test() -> None:
    """Each code raised by parse, build, resolve, check and compile is tested in this file."""
    engine = Path(zuji.__file__).parent
    raised = set()
    sources = [
        *(engine / "lang").glob("*.py"),
        *(engine / "semantics").rglob("*.py"),
        engine / "core" / "documents.py",
        engine / "core" / "limits.py",
        engine / "interfaces" / "cli.py",
        engine / "review" / "rule_review.py",
        engine / "review" / "gitrev.py",
    ]
    for source in sources:
        raised |= set(re.findall(r'"([EW]\d{3})"', source.read_text()))
    tested = set(re.findall(r"def test_([EW]\d{3})_", Path(__file__).read_text()))
    assert raised - tested == set()


def test_every_code_has_one_meaning_in_the_code_table() -> None:
    """Each code the engine raises is listed once in docs/language.en.md's table of codes
    (docs/language.md holds its Chinese)."""
    engine = Path(zuji.__file__).parent
    table = (engine.parent.parent / "docs" / "language.en.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| ([EW]\d{3}) \|", table, flags=re.M)
    assert len(listed) == len(set(listed)), sorted(c for c in listed if listed.count(c) > 1)
    raised = set()
    for module in engine.rglob("*.py"):
        raised |= set(re.findall(r'"([EW]\d{3})"', module.read_text(encoding="utf-8")))
    assert raised - set(listed) - {"E000"} == set()
