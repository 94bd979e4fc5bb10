"""How much of what Zuji says is in Chinese, measured.

- Every diagnostic the engine's source makes (read off the source by tests/i18n_sites.py) fits a
  Chinese template of the catalogue, its hint too; the few whose text the source does not show
  are listed here with where their words are checked instead.
- The catalogue has no entry without its Chinese, and its parts are phrases, not names.
- Every help text of every command, argument and option, and the words typer adds to them, read
  in Chinese; so do click's usage mistakes.
- The command line run over inventories with every common mistake, broken rule files, usage
  mistakes and the reports of its commands prints no English sentence with --lang zh (texts the
  rules' and datasets' authors wrote stay as written), and no Chinese with --lang en beyond the
  rules' own Chinese names.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from cli_kit import zuji
from i18n_scenarios import (
    ALL,
    INVENTORY_MISTAKES,
    RULE_MISTAKES,
    USAGE_MISTAKES,
    Scenario,
    authored_texts,
    english_sentences,
)
from i18n_sites import SLOT, has_words, is_sentence, sites

from zuji.core import i18n
from zuji.core.errors import Diagnostic
from zuji.core.text import columns

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "engine" / "zuji"
CATALOGUE = ENGINE / "locale" / "zh_CN" / "LC_MESSAGES" / "zuji.po"
HAN = re.compile(r"[\u4e00-\u9fff]")

# Sites whose message the source does not show, and where its words are checked instead.
NOT_IN_THE_SOURCE = {
    "data/benchmarks.py": "jsonschema's words about a benchmark set: tests/test_i18n_nested.py",
    "interfaces/cli_words.py": "click's usage mistakes: the USAGE_MISTAKES scenarios",
    "interfaces/serve_problems.py": "Starlette's reason phrase: test_serve's problems in Chinese",
    "lang/parse.py": "lark's expectations in words: the E001 golden diagnostics in Chinese",
    "runtime/inventory.py": "the schema's and the amount reader's words: INVENTORY_MISTAKES",
    "semantics/compile/units.py": "a UnitSyntaxError's own message, a site of its own (E301)",
}


def _catalogue() -> list[tuple[str | None, str, str, bool]]:
    with CATALOGUE.open("rb") as handle:
        catalog = read_po(handle)
    return [(m.context, str(m.id), str(m.string), m.fuzzy) for m in catalog if m.id]


# ---------------------------------------------------------------------------- the diagnostics


def _untranslated(site_codes: tuple[str, ...], message: str) -> list[str]:
    return [code for code in site_codes if message in Diagnostic(code, message).text]


def test_every_diagnostic_the_engine_makes_reads_in_chinese() -> None:
    found = sites(ENGINE)
    assert len(found) > 300
    left: list[str] = []
    unknown: set[str] = set()
    with i18n.use_language("zh"):
        for site in found:
            if site.messages is None:
                unknown.add(site.file.split("engine/zuji/")[1])
                continue
            for message in site.messages:
                codes = _untranslated(site.codes, message) if has_words(message) else []
                left += [f"{site.where} {code}: {message}" for code in codes]
            for hint in filter(is_sentence, site.hints):
                left += [
                    f"{site.where} hint:{code}: {hint}"
                    for code in site.codes
                    if i18n.localise(code, hint, "hint") == hint
                ]
    assert not left, "diagnostics with no Chinese template:\n" + "\n".join(left)
    assert unknown == set(NOT_IN_THE_SOURCE), "sites whose text the source does not show"


def test_the_site_reader_finds_what_it_must() -> None:
    """The reader of the source is itself checked: an f-string's repeated expression is one
    value, a reader's finding carries its prefix, a helper's call is a site."""
    by_file: dict[str, list[tuple[str, ...]]] = {}
    for site in sites(ENGINE):
        by_file.setdefault(site.file.split("engine/zuji/")[1], []).append(site.messages or ())
    optional = [m for ms in by_file["semantics/optional_reads.py"] for m in ms]
    assert "line '⟦1⟧' reads the optional input '⟦2⟧' outside given(⟦2⟧)" in optional
    reader = [m for ms in by_file["runtime/inventory.py"] for m in ms]
    assert "⟦file⟧: ⟦where⟧: ends (⟦1⟧) before it starts (⟦2⟧)" in reader
    access = [m for ms in by_file["core/access.py"] for m in ms]
    assert "clients file ⟦1⟧ cannot be read (⟦2⟧)" in access


def test_the_catalogue_has_no_entry_without_its_chinese() -> None:
    entries = _catalogue()
    assert len(entries) > 1000
    empty = [(ctx, en) for ctx, en, zh, _fuzzy in entries if not zh]
    fuzzy = [(ctx, en) for ctx, en, _zh, is_fuzzy in entries if is_fuzzy]
    assert not empty, f"entries with no Chinese: {empty}"
    assert not fuzzy, f"entries marked fuzzy (left out when compiled): {fuzzy}"
    # A template may be all placeholders and punctuation ('{file}：{problem}'); one that says
    # something in words must say it in Chinese.
    names = {"PCR", "git", "archive"}  # a PCR, a git command: the same in both languages
    english_only = [
        (ctx, en)
        for ctx, en, zh, _f in entries
        if not HAN.search(zh)
        and set(re.findall(r"[A-Za-z]{3,}", re.sub(r"\{\w+\}", "", zh))) - names
    ]
    assert not english_only, f"entries whose Chinese has no Chinese: {english_only}"


def test_parts_are_phrases_and_words_are_single_words() -> None:
    """A part is matched against a placeholder's value: it must say something of its own, so
    that no name or figure is ever taken for one."""
    for ctx, en, _zh, _f in _catalogue():
        if ctx == "part":
            assert re.search(r"[A-Za-z]{2,}", SLOT.sub("", i18n.fill(en, {}))), en
            assert not re.fullmatch(r"\{\w+\}", en), en
        if ctx == "word":
            assert re.fullmatch(r"[^\s{}]+", en), en


def test_a_name_is_never_translated_even_when_it_is_a_word() -> None:
    with i18n.use_language("zh"):
        unknown = Diagnostic("E210", "unknown name 'power'").text
        dimension = Diagnostic("E501", "a.yaml: inputs: 't' is mass, but this input is energy").text
    assert unknown == "未知的名称 'power'"
    assert "质量" in dimension and "能量" in dimension


def test_an_inner_message_is_translated_inside_the_message_that_folds_it_in() -> None:
    with i18n.use_language("zh"):
        comma = Diagnostic(
            "E501",
            "plant.yaml: gypsum: '50,000 t' has a comma; write numbers without thousands "
            "separators (62000 or 62 000) and with a decimal point",
        ).text
        expected = Diagnostic(
            "E001", "unexpected 'making': expected '{' or a text in double quotes (\"...\")"
        ).text
    assert comma.startswith("plant.yaml：gypsum：'50,000 t' 含有逗号")
    assert expected == "此处不应出现 'making'：应为 '{' 或 用双引号括起的文本（\"...\"）"


# ---------------------------------------------------------------------------- help texts


def test_every_text_the_code_marks_is_in_the_catalogue_and_so_are_typers_words() -> None:
    translated = {en for ctx, en, zh, _f in _catalogue() if ctx is None and zh}
    marked = {m for _, _, m, _, _ in extract_from_dir(ENGINE, keywords={"_": None, "N_": None})}
    # typer's words in its plain help and errors (core.py; the command line does not use its
    # rich panels).
    typer_words = {
        m
        for _, _, m, _, _ in extract_from_dir(
            Path(typer.__file__).parent, method_map=[("core.py", "python")], keywords={"_": None}
        )
        if isinstance(m, str)
    }
    assert "Options" in typer_words
    assert not sorted(marked - translated)
    assert not sorted(typer_words - translated)


def _help_pages() -> list[tuple[str, ...]]:
    pages: list[tuple[str, ...]] = [()]
    command = typer.main.get_command(__import__("zuji.interfaces.cli").interfaces.cli.app)
    for name, sub in getattr(command, "commands", {}).items():
        pages.append((name,))
        pages += [(name, inner) for inner in getattr(sub, "commands", {})]
    return pages


@pytest.mark.parametrize("words", _help_pages(), ids=lambda w: " ".join(w) or "zuji")
def test_every_help_page_reads_in_chinese_and_in_english(words: tuple[str, ...]) -> None:
    chinese = zuji("--lang", "zh", *words, "--help")
    english = zuji("--lang", "en", *words, "--help")
    assert chinese.returncode == english.returncode == 0
    assert chinese.stdout.startswith("用法：")
    assert "显示本帮助并退出。" in chinese.stdout
    assert not english_sentences(chinese.stdout), chinese.stdout
    # Chinese help wraps by terminal columns (two a character) within the 80 of the terminal.
    assert max(columns(line) for line in chinese.stdout.splitlines()) <= 80, chinese.stdout
    assert english.stdout.startswith("Usage: ")
    assert not HAN.search(english.stdout.replace("足迹", "")), english.stdout


# ---------------------------------------------------------------------------- the command line


def _ran(scenario: Scenario, lang: str, folder: Path) -> str:
    folder.mkdir()
    scenario.setup(folder)
    done = zuji(*scenario.args, "--lang", lang, cwd=folder)
    return done.stdout + done.stderr


@pytest.mark.parametrize("scenario", ALL, ids=lambda s: s.name)
def test_no_english_sentence_reaches_a_chinese_reader(scenario: Scenario, tmp_path: Path) -> None:
    said = _ran(scenario, "zh", tmp_path / "zh")
    assert HAN.search(said), said
    allowed = authored_texts() if scenario.authored else ()
    assert not english_sentences(said, allowed), said


@pytest.mark.parametrize(
    "scenario", INVENTORY_MISTAKES + RULE_MISTAKES + USAGE_MISTAKES, ids=lambda s: s.name
)
def test_no_chinese_reaches_an_english_reader(scenario: Scenario, tmp_path: Path) -> None:
    said = _ran(scenario, "en", tmp_path / "en")
    # A rule's and an inventory's own Chinese (a Chinese name, the widget's 小部件) stay.
    for text in ("小部件", *authored_texts()):
        said = said.replace(text, "")
    assert not HAN.search(said), said


def test_a_usage_mistake_has_its_code_and_the_same_exit_in_both_languages() -> None:
    english, chinese = zuji("run", "cement"), zuji("run", "cement", "--lang", "zh")
    assert english.returncode == chinese.returncode == 2
    assert "error[E006]: missing option '--inventory' / '-i'" in english.stderr
    assert "error[E006]: 缺少选项 '--inventory' / '-i'" in chinese.stderr
    assert "用法：zuji run" in chinese.stderr and "Usage: zuji run" in english.stderr


def test_the_chinese_code_table_is_the_catalogues() -> None:
    """docs/language.md (Chinese) lists the codes of docs/language.en.md in the same order,
    each with the catalogue's Chinese sentence of it, so the two tables never drift apart."""
    row = re.compile(r"^\| ([EW]\d{3}) \| (.*?) \|\s*$", re.M)
    english = row.findall((ROOT / "docs" / "language.en.md").read_text(encoding="utf-8"))
    chinese = row.findall((ROOT / "docs" / "language.md").read_text(encoding="utf-8"))
    sentences = {
        ctx[5:]: zh for ctx, _en, zh, _f in _catalogue() if ctx and ctx.startswith("code:")
    }
    assert [code for code, _ in chinese] == [code for code, _ in english]
    assert [(code, sentences[code]) for code, _ in english] == chinese


def test_chinese_help_wraps_between_characters_and_keeps_punctuation_with_its_word() -> None:
    from zuji.interfaces.cli_words import wrapped

    lines = wrapped("清单文件所引用的供应商文档，必须位于该文件夹中", 12)
    assert all(columns(line) <= 12 for line in lines)
    assert not any(line.startswith("，") for line in lines)
    assert "".join(lines) == "清单文件所引用的供应商文档，必须位于该文件夹中"
    assert wrapped("table 或 cbam-table [默认：table]", 24) == [
        "table 或 cbam-table",
        "[默认：table]",
    ]
