"""Labels on a choice's options and Chinese assertion messages, as the rule language reads them."""

from __future__ import annotations

import zuji
from zuji.lang import model as m


def choices_of(body: str) -> dict[str, m.ChoiceType]:
    built = zuji.load_text("module lime {\n" + body + "\n}\n", "lime.pcr")
    assert [d.render() for d in built.diagnostics if d.is_error] == []
    return {c.name: c for c in built.rule.choices}


def test_an_untagged_label_is_chinese_when_it_holds_chinese_and_english_otherwise() -> None:
    kinds = choices_of('choice lime_kind : high_calcium "高钙石灰", dolomitic "Dolomitic lime"')
    kind = kinds["lime_kind"]
    assert kind.options == ("high_calcium", "dolomitic")
    assert dict(kind.labels) == {
        "high_calcium": m.Text(zh="高钙石灰"),
        "dolomitic": m.Text(en="Dolomitic lime"),
    }
    assert kind.description == m.Text()


def test_both_languages_on_an_option_and_a_description_before_the_colon() -> None:
    kinds = choices_of(
        'choice lime_kind "Kinds of lime" zh "石灰种类" : high_calcium "高钙石灰" en "High-calcium'
        ' lime", dolomitic en "Dolomitic lime" zh "白云石灰"'
    )
    kind = kinds["lime_kind"]
    assert kind.description == m.Text(en="Kinds of lime", zh="石灰种类")
    assert dict(kind.labels) == {
        "high_calcium": m.Text(en="High-calcium lime", zh="高钙石灰"),
        "dolomitic": m.Text(en="Dolomitic lime", zh="白云石灰"),
    }


def test_the_older_form_keeps_its_trailing_description() -> None:
    grid = choices_of('choice grid : national, north "Regional grids" zh "区域电网"')["grid"]
    assert grid.options == ("national", "north")
    assert grid.labels == ()
    assert grid.description == m.Text(en="Regional grids", zh="区域电网")


def test_a_chinese_text_after_the_last_option_is_its_label_not_the_description() -> None:
    grid = choices_of('choice grid : national, north "华北"')["grid"]
    assert dict(grid.labels) == {"north": m.Text(zh="华北")}
    assert grid.description == m.Text()


def test_a_description_written_twice_is_refused() -> None:
    built = zuji.load_text(
        'module lime {\n  choice grid "Grids" : national, north "Regional grids"\n}\n', "lime.pcr"
    )
    assert [d.code for d in built.diagnostics if d.is_error] == ["E102"]


def test_an_assertion_carries_its_chinese_message() -> None:
    library_cement = zuji.load("cement")
    messages = {a.message.split(";")[0]: a.message_zh for a in library_cement.rule.assertions}
    own_clinker = "Own clinker used cannot exceed clinker produced"
    assert messages[own_clinker] == "自产熟料用量不能超过熟料产量；外购熟料请填入 bought_clinker"
