"""Texts folded into a message from elsewhere read in the reader's language too: a supplier's
PACT document's field problems (each finding of the list translated alone, with its place in the
file), and jsonschema's words about a benchmark set, a dataset or a CBAM mapping that breaks its
schema. Codes, field names, places and values stay as they are."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from cli_kit import zuji
from i18n_scenarios import english_sentences

from zuji.core import i18n
from zuji.core.errors import ZujiError
from zuji.data.benchmarks import load_benchmark_set

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "pcr" / "cement" / "cases"


def _broken_supplier_document() -> dict[str, Any]:
    """The worked case's supplier document, with four of the ways PACT 3.0 can be broken."""
    document: dict[str, Any] = json.loads(
        (CASES / "supplier-clinker.json").read_text(encoding="utf-8")
    )
    document["id"] = "nope"
    document["specVersion"] = "3.0"
    document["pcf"]["declaredUnitAmount"] = "0"
    document["pcf"]["geographyCountry"] = "China"
    return document


def _inventory(folder: Path, pact: Any) -> Path:
    case = yaml.safe_load((CASES / "purchased_clinker.yaml").read_text(encoding="utf-8"))
    case["inventory"]["inputs"]["bought_clinker_footprint"] = {"pact": pact}
    path = folder / "inventory.yaml"
    path.write_text(yaml.safe_dump(case["inventory"], allow_unicode=True), encoding="utf-8")
    return path


def test_an_inline_supplier_documents_problems_read_in_chinese(tmp_path: Path) -> None:
    path = _inventory(tmp_path, _broken_supplier_document())
    chinese = zuji("run", "cement", "-i", str(path), "--lang", "zh")
    assert chinese.returncode == 1
    assert "内嵌的 PACT 文档 不是有效的 PACT ProductFootprint：" in chinese.stderr
    # Each finding of the list in Chinese, the field names and values as given, joined by '；'.
    assert "id：'nope' 不是 UUID；" in chinese.stderr
    assert "specVersion：'3.0' 不是 3.0.3 这样的版本号" in chinese.stderr
    assert "pcf.declaredUnitAmount：0 应大于零" in chinese.stderr
    assert "pcf.geographyCountry：不是 ISO 3166-1 二字母代码" in chinese.stderr
    assert not english_sentences(chinese.stderr), chinese.stderr
    english = zuji("run", "cement", "-i", str(path), "--lang", "en")
    assert "id: 'nope' is not a UUID; specVersion: '3.0' is not a version" in english.stderr
    assert "error[E501]" in chinese.stderr and "error[E501]" in english.stderr


def test_the_fields_at_fault_of_a_supplier_file_are_placed_in_chinese(tmp_path: Path) -> None:
    (tmp_path / "supplier.json").write_text(
        json.dumps(_broken_supplier_document(), indent=2), encoding="utf-8"
    )
    path = _inventory(tmp_path, "supplier.json")
    chinese = zuji("run", "cement", "-i", str(path), "--lang", "zh")
    assert chinese.returncode == 1
    # The file's content is not repeated (a file is only named): the fields, each with its place.
    assert "有问题的字段：id（第 2 行第 3 列）、specVersion（第 " in chinese.stderr
    assert "（此处不复述其内容）" in chinese.stderr
    assert "nope" not in chinese.stderr
    assert not english_sentences(chinese.stderr), chinese.stderr
    english = zuji("run", "cement", "-i", str(path), "--lang", "en")
    assert "the fields at fault: id (line 2, column 3), specVersion (line " in english.stderr


def _broken_benchmark_set(folder: Path) -> Path:
    source = ROOT / "standards" / "benchmarks" / "product_benchmarks.yaml"
    document = yaml.safe_load(source.read_text(encoding="utf-8"))
    del document["title"]
    document["publisher"] = "nobody"
    product = next(iter(document["products"].values()))
    product["benchmarks"][0]["levels"][0]["value"] = "high"
    path = folder / source.name
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "zh",
            [
                "product_benchmarks.yaml：顶层：不允许有其他属性（多出了 'publisher'）",
                "product_benchmarks.yaml：顶层：缺少必填属性 'title'",
                "product_benchmarks.yaml：products/clinker/benchmarks/0/levels/0/value 处："
                "'high' 的类型不是 'number'",
            ],
        ),
        (
            "en",
            [
                "product_benchmarks.yaml: at (top level): Additional properties are not allowed "
                "('publisher' was unexpected)",
                "product_benchmarks.yaml: at (top level): 'title' is a required property",
                "product_benchmarks.yaml: at products/clinker/benchmarks/0/levels/0/value: "
                "'high' is not of type 'number'",
            ],
        ),
    ],
)
def test_jsonschemas_words_about_a_benchmark_set_follow_the_language(
    lang: str, expected: list[str], tmp_path: Path
) -> None:
    path = _broken_benchmark_set(tmp_path)
    with pytest.raises(ZujiError) as raised, i18n.use_language(lang):
        load_benchmark_set(path)
    with i18n.use_language(lang):
        texts = [d.text for d in raised.value.diagnostics]
    assert [d.code for d in raised.value.diagnostics] == ["E407"] * 3
    assert [t.split(str(tmp_path) + "/")[-1] for t in texts] == expected


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("'x' is not one of ['a', 'b']", "'x' 不是 ['a', 'b'] 之一"),
        ("-1 is less than the minimum of 0", "-1 小于最小值 0"),
        ("[] should be non-empty", "[] 不能为空"),
        ("'2026-13' does not match '^\\\\d{4}$'", "'2026-13' 不符合格式 '^\\\\d{4}$'"),
        (
            "Additional properties are not allowed ('a', 'b' were unexpected)",
            "不允许有其他属性（多出了 'a', 'b'）",
        ),
    ],
)
def test_jsonschemas_other_words_about_a_dataset_read_in_chinese(
    english: str, chinese: str
) -> None:
    """The same words about a factor dataset (E402) and a CBAM mapping (E760)."""
    for code in ("E402", "E760"):
        with i18n.use_language("zh"):
            said = i18n.localise(code, f"gwp.yaml: at entries/0: {english}")
        assert said == f"gwp.yaml：entries/0 处：{chinese}"
