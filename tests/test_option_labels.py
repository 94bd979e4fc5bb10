"""Labels on a choice's options and Chinese assertion messages, as the rule language reads them."""

from __future__ import annotations

import pytest

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


# ------------------------------------------------------------------- options in an inventory

# A rule whose truck sizes carry Chinese labels; the two heavy ones are written apart (a
# full-width bracket and a space), so the rule passes its checks (E115 compares labels as
# written), but a clerk's 重型货车(40吨) could mean either.
TRUCKS = """pcr haul {
  name en "Haulage" zh "运输"
  version 1.0.0
  status draft
  gwp AR6
  unit 1 t of goods
  boundary cradle_to_gate: hauling
  cutoff per_flow 1 %, total 5 %
  choice truck : light "轻型货车", heavy "重型货车（40 吨）", heavier "重型货车(40吨)"
  input goods : t "Goods hauled" zh "货物量" > 0
  input size : one of truck = light "Truck size" zh "车型"
  stage hauling "Hauling" {
    diesel : CO2 = if size is light then goods * 0.01 [t CO2/t] else goods * 0.02 [t CO2/t]
  }
  changelog {
    1.0.0 2026-01-01 "First edition"
  }
}
"""


def _haul() -> zuji.PCR:
    built = zuji.load_text(TRUCKS, "haul.pcr")
    assert [d.render() for d in built.diagnostics if d.is_error] == []
    return built


def test_an_option_given_by_its_chinese_label_is_the_option() -> None:
    pcr = _haul()
    by_label = pcr.inventory({"pcr": "haul", "inputs": {"货物量": "10 t", "车型": "轻型货车"}})
    by_name = pcr.inventory({"pcr": "haul", "inputs": {"goods": "10 t", "size": "light"}})
    assert by_label.values["size"] == "light"
    assert pcr.evaluate(by_label).total == pcr.evaluate(by_name).total
    read = {(r.where, r.given, r.read_as) for r in by_label.readings}
    assert ("车型", "轻型货车", "light") in read
    assert ("车型", "轻型货车", "light") in {
        (r.where, r.given, r.read_as) for r in pcr.evaluate(by_label).inventory.read_as
    }


def test_a_label_two_options_share_once_normalised_is_an_error_naming_both() -> None:
    from zuji.core import i18n
    from zuji.core.errors import InventoryError

    pcr = _haul()
    with pytest.raises(InventoryError) as caught:
        pcr.inventory({"pcr": "haul", "inputs": {"goods": "10 t", "size": "重型货车（40吨）"}})
    (finding,) = caught.value.diagnostics
    assert "is the label of 'heavy' and 'heavier'" in finding.text
    assert finding.hint_text == "write the identifier of the one meant (heavy or heavier)"
    with i18n.use_language("zh"):
        assert "是 'heavy' and 'heavier' 共用的标签" in finding.text
        assert finding.hint_text == "请改写为所指那一项的标识符（heavy or heavier）"


def test_an_unknown_option_lists_the_options_with_their_labels_in_both_languages() -> None:
    from zuji.core import i18n
    from zuji.core.errors import InventoryError

    pcr = _haul()
    with pytest.raises(InventoryError) as caught:
        pcr.inventory({"pcr": "haul", "inputs": {"goods": "10 t", "size": "拖拉机"}})
    (finding,) = caught.value.diagnostics
    assert finding.text.endswith("'拖拉机' is not one of the options")
    listed = "light (轻型货车), heavy (重型货车（40 吨）), heavier (重型货车(40吨))"
    assert finding.hint_text == "options: " + listed
    with i18n.use_language("zh"):
        assert finding.text.endswith("'拖拉机' 不是可选项之一")
        assert finding.hint_text == "可选项：" + listed


# ------------------------------------------------------------------- the library's own choices


def test_every_option_of_every_choice_of_the_library_has_a_chinese_label() -> None:
    from zuji.core import library
    from zuji.lang.load import load_file

    unlabelled = []
    for path in library.rule_files():
        rule, _ = load_file(path)
        for choice in rule.choices:
            labels = dict(choice.labels)
            unlabelled += [
                f"{path.stem}.{choice.name}.{option}"
                for option in choice.options
                if not labels.get(option, m.Text()).zh
            ]
            if not choice.description.zh:
                unlabelled.append(f"{path.stem}.{choice.name} (its description)")
    assert unlabelled == []


def test_the_nitric_acid_plant_type_is_read_by_its_chinese_label() -> None:
    from pathlib import Path

    import yaml

    case = Path(__file__).resolve().parent.parent / "pcr/nitric_acid/cases/typical_unabated.yaml"
    inventory = yaml.safe_load(case.read_text("utf-8"))["inventory"]
    nitric_acid = zuji.load("nitric_acid")
    by_name = nitric_acid.evaluate(inventory)
    inventory["inputs"]["plant_type"] = "中压法装置"
    by_label = nitric_acid.evaluate(inventory)
    assert by_label.total == by_name.total
    assert ("plant_type", "中压法装置", "medium_pressure") in {
        (r.where, r.given, r.read_as) for r in by_label.inventory.read_as
    }
