"""One message catalogue in zh-CN and en: every code of the code table has both texts, the
Chinese keeps every placeholder, and the language is chosen by --lang, ZUJI_LANG, the locale or an
HTTP client's Accept-Language, while codes, positions and carets stay as they are."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from cli_kit import zuji

from zuji.core import i18n
from zuji.core.errors import Diagnostic, Span

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "engine" / "zuji" / "locale" / "zh_CN" / "LC_MESSAGES" / "zuji.po"
CJK = re.compile(r"[\u4e00-\u9fff]")


def _catalogue() -> list[tuple[str | None, str, str]]:
    with CATALOGUE.open("rb") as handle:
        catalog = read_po(handle)
    return [(m.context, str(m.id), str(m.string)) for m in catalog if m.id]


def _code_table() -> dict[str, str]:
    text = (ROOT / "docs" / "language.en.md").read_text(encoding="utf-8")
    return {
        m.group(1): m.group(2).strip()
        for m in re.finditer(r"^\| ([EW]\d{3}) \| (.*?) \|\s*$", text, re.M)
    }


def test_every_code_of_the_code_table_has_english_and_chinese() -> None:
    entries = {ctx: (en, zh) for ctx, en, zh in _catalogue() if ctx and ctx.startswith("code:")}
    table = _code_table()
    assert len(table) > 150
    missing = sorted(c for c in table if not entries.get(f"code:{c}", ("", ""))[1])
    assert not missing, (
        f"codes of docs/language.en.md with no Chinese in {CATALOGUE.name}: {missing}"
    )
    stale = sorted(c for c in table if entries[f"code:{c}"][0] != table[c])
    assert not stale, f"the code table's English changed since it was translated: {stale}"


def test_every_chinese_text_keeps_the_placeholders_of_its_english() -> None:
    broken = [
        (ctx, en, zh)
        for ctx, en, zh in _catalogue()
        if zh and i18n.placeholders(en) != i18n.placeholders(zh)
    ]
    assert not broken
    templates = [ctx for ctx, en, _ in _catalogue() if ctx and i18n.placeholders(en)]
    assert len(templates) > 50


def test_every_text_the_code_marks_for_translation_is_translated() -> None:
    marked = {
        message
        for _, _, message, _, _ in extract_from_dir(
            ROOT / "engine" / "zuji",
            method_map=[("**.py", "python")],
            keywords={"_": None, "N_": None},
        )
    }
    translated = {en for ctx, en, zh in _catalogue() if ctx is None and zh}
    assert "By life-cycle stage" in marked
    assert not sorted(marked - translated)


def test_a_message_is_rendered_from_its_template_and_a_new_code_stays_english() -> None:
    known = Diagnostic("E210", "unknown name 'kiln_coal'", Span("a.pcr", 3, 9, 3, 18))
    new = Diagnostic("E999", "a finding added after the catalogue was filled")
    with i18n.use_language("zh"):
        assert known.text == "未知的名称 'kiln_coal'"
        assert new.render() == "error[E999]: a finding added after the catalogue was filled"
        # No template fits: the code's Chinese sentence, then the English as made.
        untemplated = Diagnostic("E011", "inv.yaml is not valid YAML: mapping values").text
        assert untemplated.startswith("文件不是有效的 YAML 或 JSON")
        assert untemplated.endswith("inv.yaml is not valid YAML: mapping values")
        assert known.as_dict()["code"] == "E210"
    assert known.text == "unknown name 'kiln_coal'"


def test_a_hint_is_joined_to_its_label_as_the_language_joins_them() -> None:
    # A hint that no template fits stays as made; only the label and its colon change.
    found = Diagnostic("E999", "a finding", hint="a hint added later")
    with i18n.use_language("zh"):
        assert found.render().splitlines()[1] == "  提示：a hint added later"
    with i18n.use_language("en"):
        assert found.render().splitlines()[1] == "  hint: a hint added later"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("en-GB,zh-CN;q=0.5", "en"),
        ("fr-FR, zh-Hans;q=0.3", "zh"),
        ("de", "en"),
        ("", "en"),
        ("zh;q=0", "en"),
    ],
)
def test_accept_language(header: str, expected: str) -> None:
    assert i18n.from_accept_language(header) == expected


def test_the_environment_chooses_by_zuji_lang_then_the_locale() -> None:
    assert i18n.from_environment({"LANG": "zh_CN.UTF-8"}) == "zh"
    assert i18n.from_environment({"ZUJI_LANG": "en", "LANG": "zh_CN.UTF-8"}) == "en"
    assert i18n.from_environment({"LC_ALL": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"}) == "zh"
    assert i18n.from_environment({"LC_ALL": "fr_FR.UTF-8", "LANG": "zh_CN.UTF-8"}) == "en"
    assert i18n.from_environment({}) == "en"


def test_lang_is_read_wherever_it_stands() -> None:
    assert i18n.language_option(["run", "cement", "-i", "x.yaml", "--lang", "zh"]) == (
        "zh",
        ["run", "cement", "-i", "x.yaml"],
    )
    assert i18n.language_option(["--lang=en", "list"]) == ("en", ["list"])
    assert i18n.language_option(["run", "--", "--lang"]) == (None, ["run", "--", "--lang"])


# The smallest PCR that passes every check (tests/fuzz/seeds/widget.pcr), with an unknown name
# in a line's formula and an input in an unknown unit.
BROKEN = (
    (ROOT / "tests" / "fuzz" / "seeds" / "widget.pcr")
    .read_text(encoding="utf-8")
    .replace("heat * 0.1 [t CO2/GJ]", "heat * kiln_coal")
    .replace('input coal : t "Coal', 'input coal : tonnes_of_coal "Coal')
)


def _positions(output: str) -> list[str]:
    """What must not change with the language: each finding's place, severity and code, and
    the source and caret lines."""
    kept = []
    for line in output.splitlines():
        head = re.match(r"^(\S+:\d+:\d+: \w+\[[EW]\d{3}\]):", line)
        if head:
            kept.append(head.group(1))
        elif re.match(r"^\s+\d* \| ", line):
            kept.append(line)
    return kept


def test_check_prints_chinese_with_the_same_codes_positions_and_carets(tmp_path: Path) -> None:
    rule = tmp_path / "widget.pcr"
    rule.write_text(BROKEN, encoding="utf-8")
    english = zuji("check", str(rule), cwd=tmp_path)
    chinese = zuji("check", str(rule), "--lang", "zh", cwd=tmp_path)
    assert english.returncode == chinese.returncode == 1
    assert "error[E210]: unknown name 'kiln_coal'" in english.stdout
    assert "error[E210]: 未知的名称 'kiln_coal'" in chinese.stdout
    assert "error[E301]: 未知的单位 'tonnes_of_coal'" in chinese.stdout
    assert "已检查 1 个规则文件：" in chinese.stdout
    assert _positions(chinese.stdout) == _positions(english.stdout)
    assert any("^" in line for line in _positions(chinese.stdout))
    assert not CJK.search(english.stdout.replace("小部件", ""))


def test_run_prints_a_chinese_report_with_the_same_figures() -> None:
    case = "pcr/cement/cases/typical_plant.yaml"
    english = zuji("run", "cement", "-i", case)
    chinese = zuji("run", "cement", "-i", case, "--lang", "zh")
    assert english.returncode == chinese.returncode == 0
    for heading in ("碳足迹：", "按生命周期阶段", "按温室气体", "单独报告", "数据质量：", "合计"):
        assert heading in chinese.stdout
    assert "Carbon footprint:" in english.stdout and "碳足迹" not in english.stdout
    total = re.search(r"Carbon footprint: ([\d,.]+) ", english.stdout)
    assert total and f"碳足迹：{total.group(1)} " in chinese.stdout
    numbers = re.findall(r"\d[\d,]*\.\d+", english.stdout)
    assert numbers == re.findall(r"\d[\d,]*\.\d+", chinese.stdout)


def _child_env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ZUJI_LANG", "LC_ALL", "LC_MESSAGES")}
    env.update(settings, PYTHONPATH=str(ROOT / "engine"))
    return env


def test_a_chinese_locale_chooses_chinese_and_zuji_lang_overrides_it(tmp_path: Path) -> None:
    rule = tmp_path / "widget.pcr"
    rule.write_text(BROKEN, encoding="utf-8")
    command = [sys.executable, "-m", "zuji", "check", str(rule)]
    chinese = subprocess.run(
        command, env=_child_env(LANG="zh_CN.UTF-8"), capture_output=True, text=True, check=False
    )
    assert "未知的名称 'kiln_coal'" in chinese.stdout
    english = subprocess.run(
        command,
        env=_child_env(LANG="zh_CN.UTF-8", ZUJI_LANG="en"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert "unknown name 'kiln_coal'" in english.stdout
    help_text = subprocess.run(
        [sys.executable, "-m", "zuji", "--lang", "zh", "--help"],
        env=_child_env(LANG="C.UTF-8"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert "按 PCR 对清单进行核算" in help_text.stdout


def test_an_unknown_language_is_a_usage_error() -> None:
    ran = zuji("list", "--lang", "fr")
    assert ran.returncode == 2
    assert "error[E004]: --lang fr" in ran.stderr


def test_the_catalogue_compiles_with_babel() -> None:
    mo = i18n.compile_po(CATALOGUE.read_bytes())
    assert mo[:4] in (b"\xde\x12\x04\x95", b"\x95\x04\x12\xde")
    assert i18n.translations("zh").gettext("By gas") == "按温室气体"
    assert i18n.translations("en").gettext("By gas") == "By gas"


def _golden_findings() -> set[tuple[str, str, str]]:
    """(code, message, hint) of every finding the golden files show."""
    shown = set()
    for path in [*ROOT.glob("tests/diagnostics/*.expected"), *ROOT.glob("tests/golden/**/*")]:
        if not path.is_file():
            continue
        finding: list[str] = []
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            head = re.search(r"(?:error|warning)\[([EW]\d{3})\]: (.*)", line)
            hint = re.match(r"^\s+hint: (.*)", line)
            if head:
                finding = [head.group(1), head.group(2), ""]
                shown.add((finding[0], finding[1], ""))
            elif hint and finding:
                shown.add((finding[0], finding[1], hint.group(1)))
    return shown


def test_every_golden_diagnostic_reads_entirely_in_chinese() -> None:
    """Each message and hint the golden files show (one or more per code) fits a Chinese
    template, so none is left half in English; a code added since lists here what it needs."""
    shown = _golden_findings()
    assert len(shown) > 150
    with i18n.use_language("zh"):
        english_left = sorted(
            (code, message, hint)
            for code, message, hint in shown
            # Without a template the Chinese sentence of the code comes before the English.
            if message in Diagnostic(code, message).text
            or (hint and Diagnostic(code, message, hint=hint).hint_text == hint)
        )
    assert not english_left, "findings with no Chinese template in the catalogue: " + repr(
        english_left
    )


def test_monte_carlo_summary_in_chinese_keeps_its_figures_and_columns(tmp_path: Path) -> None:
    case = yaml.safe_load((ROOT / "pcr/cement/cases/typical_plant.yaml").read_text("utf-8"))
    inputs = case["inventory"]["inputs"]
    inputs["kiln_electricity"] = {
        "value": "41250 MWh",
        "uncertainty": {"distribution": "normal", "sd": 1000},
    }
    path = tmp_path / "inventory.yaml"
    path.write_text(yaml.safe_dump(case["inventory"], allow_unicode=True), encoding="utf-8")
    args = ("mc", "cement", "-i", str(path), "-n", "2000", "--seed", "9")
    english, chinese = zuji(*args), zuji(*args, "--lang", "zh")
    assert english.returncode == chinese.returncode == 0
    assert "蒙特卡罗模拟" in chinese.stdout and "方差贡献" in chinese.stdout
    figures = re.compile(r"-?\d[\d,]*\.\d+")
    assert figures.findall(english.stdout) == figures.findall(chinese.stdout)
    # The figures stay in one column: a Chinese label takes two terminal columns a character.
    mean = next(line for line in chinese.stdout.splitlines() if "均值" in line)
    deterministic = next(line for line in english.stdout.splitlines() if "deterministic" in line)
    first_figure = figures.search(mean), figures.search(deterministic)
    assert first_figure[0] is not None and first_figure[1] is not None
    assert first_figure[0].start() + len("均值") == first_figure[1].start()


def test_an_inventory_mistake_and_the_markdown_report_in_chinese(tmp_path: Path) -> None:
    case = yaml.safe_load((ROOT / "pcr/cement/cases/typical_plant.yaml").read_text("utf-8"))
    del case["inventory"]["inputs"]["gypsum"]
    path = tmp_path / "inventory.yaml"
    path.write_text(yaml.safe_dump(case["inventory"], allow_unicode=True), encoding="utf-8")
    english = zuji("run", "cement", "-i", str(path), cwd=tmp_path)
    chinese = zuji("run", "cement", "-i", str(path), "--lang", "zh", cwd=tmp_path)
    assert english.returncode == chinese.returncode == 1
    assert "missing required input 'gypsum' [t]" in english.stderr
    assert "缺少必填输入 'gypsum' [t]" in chinese.stderr
    assert _positions(chinese.stderr) == _positions(english.stderr)
    report = zuji(
        "run",
        "cement",
        "-i",
        "pcr/cement/cases/typical_plant.yaml",
        "-f",
        "markdown",
        "--lang",
        "zh",
    )
    assert report.stdout.startswith("# 碳足迹：通用硅酸盐水泥（出厂）（Cement")
    assert "| 生命周期阶段 | kg CO2e | 占比 |" in report.stdout


def test_a_damaged_compiled_catalogue_in_the_cache_is_compiled_afresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    monkeypatch.setenv("ZUJI_CACHE", str(cache))
    i18n.translations.cache_clear()
    try:
        assert i18n.translations("zh").gettext("By gas") == "按温室气体"
        (kept,) = (cache / "locale").glob("zh_CN-*.mo")
        kept.write_bytes(b"not a catalogue")
        i18n.translations.cache_clear()
        assert i18n.translations("zh").gettext("By gas") == "按温室气体"
    finally:
        i18n.translations.cache_clear()


def test_a_language_chosen_for_one_command_ends_with_it() -> None:
    zuji("list", "--lang", "zh")
    assert i18n.language() == "en"
    assert Diagnostic("E210", "unknown name 'x'").render() == "error[E210]: unknown name 'x'"
