"""`zuji template PCR --format xlsx|csv|yaml [--lang zh|en] [-o FILE]`: a fill-in inventory.

The template lists every input of the PCR with its Chinese and English name, unit, allowed range,
default, options and whether the PCR asks for primary data; `zuji run -i` reads the filled-in
file back (the layout is runtime.inventory_sheets'). Registered on the main app by cli.py.
"""

# Annotations not postponed: typer reads them at every start (see cli.py).

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from zuji.core import i18n
from zuji.core.errors import Diagnostic, UsageError
from zuji.core.files import write_atomic
from zuji.core.i18n import N_, _
from zuji.interfaces.cli_words import ZujiCommand

if TYPE_CHECKING:
    from zuji.lang import model as m
    from zuji.runtime.pcr import PCR

_FORMATS = ("xlsx", "csv", "yaml")
_LANGS = ("zh", "en")
_FACT_NAMES = {
    "inventory.pcr": ("产品种类规则", "Product category rule"),
    "inventory.company": ("企业名称", "Company"),
    "inventory.product": ("产品名称", "Product"),
    "inventory.site": ("生产场所", "Site"),
    "inventory.reference_period.start": (
        "报告期开始（YYYY-MM-DD）",
        "Reference period start (YYYY-MM-DD)",
    ),
    "inventory.reference_period.end": (
        "报告期结束（YYYY-MM-DD）",
        "Reference period end (YYYY-MM-DD)",
    ),
}
_SPARE_ITEMS = 200  # rows of a list sheet given a drop-down for its choice fields


def template_command(
    pcr: Annotated[str, typer.Argument(help=N_("PCR id or path"))],
    fmt: Annotated[str, typer.Option("--format", "-f", help=N_("xlsx, csv or yaml"))] = "xlsx",
    lang: Annotated[
        str | None, typer.Option("--lang", help=N_("zh or en: sheet names and YAML keys (zh)"))
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help=N_("File to write (csv and yaml: default stdout)")),
    ] = None,
) -> None:
    """Write a fill-in inventory for a PCR, which `zuji run -i` reads back."""
    if fmt not in _FORMATS:
        raise UsageError(Diagnostic("E004", f"unknown format {fmt}; use " + ", ".join(_FORMATS)))
    # The command line takes --lang for the whole run; a clerk's template is Chinese otherwise.
    lang = lang or i18n.chosen() or "zh"
    if lang not in _LANGS:
        raise UsageError(Diagnostic("E004", f"unknown language {lang}; use zh or en"))
    from zuji.runtime.pcr import load

    loaded = load(pcr)
    if fmt == "xlsx":
        target = output or Path(f"{loaded.id}-template.xlsx")
        write_xlsx(loaded, lang, target)
        typer.echo(_("wrote {path}").format(path=target), err=True)
        return
    text = template_csv(loaded) if fmt == "csv" else template_yaml(loaded, lang)
    if output is None:
        typer.echo(text, nl=False)
    else:
        # CSV with a byte-order mark: Excel opens it as UTF-8, so the Chinese names survive.
        write_atomic(output, ("\ufeff" if fmt == "csv" else "") + text)


def register(app: typer.Typer) -> None:
    app.command(
        "template",
        cls=ZujiCommand,
        help=N_("Write a fill-in inventory for a PCR, which `zuji run -i` reads back."),
    )(template_command)


# ------------------------------------------------------------------------------- the rows


def _options(pcr: "PCR", inp: "m.Input") -> tuple[str, ...]:
    return inp.options or pcr.choices.get(inp.choice_type or "", ())


def _labels(pcr: "PCR", inp: "m.Input") -> dict[str, str]:
    """The Chinese label of each labelled option of a choice input."""
    return pcr.choices.chinese.get(inp.choice_type or "", {})


def _described(pcr: "PCR", inp: "m.Input") -> "m.Text":
    """An input's words; a choice with none of its own is described by its choice type, which
    has both languages (`fuel : one of combustion.fuel` reads "按质量计量的燃料 Fuels measured by
    mass"), so that a list's sheet does not head a column with a bare identifier."""
    from zuji.lang.model import ChoiceType

    if inp.description.zh or inp.description.en or not inp.choice_type:
        return inp.description
    symbol = pcr.resolved.symbols.get(inp.choice_type)
    decl = symbol.decl if symbol is not None else None
    return decl.description if isinstance(decl, ChoiceType) else inp.description


def _listed(pcr: "PCR", inp: "m.Input") -> str:
    """The options as the template lists them: each identifier, its Chinese label beside it."""
    labels = _labels(pcr, inp)
    return ", ".join(f"{o} ({labels[o]})" if o in labels else o for o in _options(pcr, inp))


def _choosable(pcr: "PCR", inp: "m.Input", lang: str) -> tuple[str, ...]:
    """What a drop-down offers: in a Chinese template each option's Chinese label where the rule
    gives one (the reader reads a label as its option), in an English one the identifiers."""
    labels = _labels(pcr, inp) if lang == "zh" else {}
    return tuple(labels.get(o, o) for o in _options(pcr, inp))


def _describe(pcr: "PCR", inp: "m.Input") -> dict[str, Any]:
    """The columns of the main sheet for one input (or one field of a list input)."""
    from zuji.runtime.inventory_sheets import COLUMNS

    unit = str(inp.unit) if inp.unit is not None and inp.kind == "quantity" else ""
    default = inp.default
    shown = ""
    if default is not None:
        if default.number is not None:
            shown = f"{default.number:g} {unit}".strip()
        else:
            shown = default.choice or f"factor {default.factor}"
    elif inp.optional:
        shown = "可不填 optional"
    row: dict[str, Any] = dict.fromkeys((key for key, _ in COLUMNS), "")
    row.update(
        id=inp.name,
        zh=inp.description.zh,
        en=inp.description.en or (f"one of {inp.choice_type}" if inp.choice_type else ""),
        unit=unit,
        range=" ".join(f"{b.op} {b.value:g}" for b in inp.bounds),
        default=shown,
        primary="是 yes" if inp.quality == "primary" else "",
        options=_listed(pcr, inp),
    )
    return row


def _units_by_option(pcr: "PCR", inp: "m.Input", field: "m.Input") -> str:
    """For a list's field in several units, the unit of each option: '单位 units: t (coal) ...'."""
    listed = pcr.plan.item_units.get(inp.name)
    return f"单位 units: {listed.describe(field.name)}" if listed is not None else ""


def main_rows(pcr: "PCR", items_inline: bool) -> list[dict[str, Any]]:
    """The rows of the main sheet: the inventory's facts, then its inputs. With items_inline (a
    CSV), each field of a list input has a row of its own for item 1."""
    from zuji.runtime.inventory_sheets import COLUMNS, FACTS

    rows: list[dict[str, Any]] = []
    for fact in FACTS:
        row: dict[str, Any] = dict.fromkeys((key for key, _ in COLUMNS), "")
        zh, en = _FACT_NAMES[fact]
        row.update(id=fact, zh=zh, en=en, value=pcr.id if fact == "inventory.pcr" else "")
        rows.append(row)
    for inp in pcr.rule.inputs:
        if inp.kind != "list":
            rows.append(_describe(pcr, inp))
            continue
        if not items_inline:
            continue
        for field in inp.fields:
            row = _describe(pcr, field)
            zh = f"{inp.description.zh} {row['zh']}".strip()
            row.update(id=f"{inp.name}[1].{field.name}", zh=zh)
            if field.units is not None:  # the unit column is the clerk's to fill, by option
                row.update(options=_units_by_option(pcr, inp, field))
            rows.append(row)
    return rows


def template_csv(pcr: "PCR") -> str:
    from zuji.runtime.inventory_sheets import COLUMNS

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([header for _, header in COLUMNS])
    for row in main_rows(pcr, items_inline=True):
        writer.writerow([row[key] for key, _ in COLUMNS])
    return buffer.getvalue()


# ------------------------------------------------------------------------------------ YAML


def template_yaml(pcr: "PCR", lang: str) -> str:
    """A YAML inventory to fill in: each input keyed by its Chinese name (lang zh) or identifier,
    its unit, range, default and options in a comment."""
    lines = [f"pcr: {pcr.id}", "company: ", "product: ", "reference_period: {start: , end: }"]
    lines.append("inputs:")
    for inp in pcr.rule.inputs:
        key = inp.description.zh if lang == "zh" and inp.description.zh else inp.name
        row = _describe(pcr, inp)
        notes = [inp.name, row["zh"], row["en"], row["unit"], row["range"]]
        default = row["default"]
        notes += [f"默认 default {default}" if default and not inp.optional else default]
        notes += [f"选项 options: {row['options']}" if row["options"] else "", row["primary"]]
        lines.append(f"  # {' | '.join(n for n in notes if n)}")
        if inp.kind == "list":
            fields = ", ".join(f"{f.name}: " for f in inp.fields)
            lines.append(f"  {_yaml_key(key)}:")
            lines.append(f"    # - {{{fields}}}")
            lines.extend(
                f"    # {f.name}: {_units_by_option(pcr, inp, f)}" for f in inp.fields if f.units
            )
        else:
            lines.append(f"  {_yaml_key(key)}: ")
    return "\n".join(lines) + "\n"


def _yaml_key(key: str) -> str:
    return key if key.replace("_", "").isalnum() else f'"{key}"'


# ------------------------------------------------------------------------------------ xlsx


def write_xlsx(pcr: "PCR", lang: str, target: Path) -> None:
    """The workbook: the main sheet, a sheet per list input, drop-downs for every choice."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    from zuji.runtime.inventory_sheets import COLUMNS, MAIN_SHEET, OPTIONS_SHEET

    book = Workbook()
    main = book.active
    assert main is not None  # a new workbook has its first sheet
    main.title = MAIN_SHEET[lang]
    options = book.create_sheet(OPTIONS_SHEET[lang])
    options.sheet_state = "hidden"
    fill = PatternFill("solid", fgColor="FFF2CC")  # the cells to fill in
    main.append([header for _, header in COLUMNS])
    for cell in main[1]:
        cell.font = Font(bold=True)
    value_column = next(i for i, (k, _) in enumerate(COLUMNS) if k == "value") + 1
    for number, row in enumerate(main_rows(pcr, items_inline=False), start=2):
        main.append([row[key] for key, _ in COLUMNS])
        main.cell(number, value_column).fill = fill
        if row["options"]:
            inp = next(i for i in pcr.rule.inputs if i.name == row["id"])
            _drop_down(
                main,
                options,
                _choosable(pcr, inp, lang),
                f"{main.cell(number, value_column).coordinate}",
            )
    for letter, width in zip("ABCDEFGHI", (28, 30, 40, 18, 12, 16, 18, 14, 40), strict=True):
        main.column_dimensions[letter].width = width
    main.freeze_panes = "A2"
    for inp in pcr.rule.inputs:
        if inp.kind == "list":
            _list_sheet(book, options, pcr, inp, lang, fill)
    target.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    book.save(buffer)
    write_atomic(target, buffer.getvalue())


def _list_sheet(book: Any, options: Any, pcr: "PCR", inp: "m.Input", lang: str, fill: Any) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    from zuji.runtime.inventory_sheets import FIRST_ITEM_ROW, sheet_title

    sheet = book.create_sheet(sheet_title(inp, lang))
    columns = _list_columns(pcr, inp, lang)
    for heading in range(3):  # names, identifiers, units
        sheet.append([column[heading] for column in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    last = FIRST_ITEM_ROW + _SPARE_ITEMS - 1
    for number, (*_heading, choices, strict) in enumerate(columns, start=1):
        letter = get_column_letter(number)
        sheet.column_dimensions[letter].width = 24
        for row in range(FIRST_ITEM_ROW, FIRST_ITEM_ROW + 3):
            sheet.cell(row, number).fill = fill
        if choices:
            cells = f"{letter}{FIRST_ITEM_ROW}:{letter}{last}"
            _drop_down(sheet, options, choices, cells, strict)
    sheet.freeze_panes = f"A{FIRST_ITEM_ROW}"


def _list_columns(
    pcr: "PCR", inp: "m.Input", lang: str
) -> list[tuple[str, str, str, tuple[str, ...], bool]]:
    """The columns of a list's sheet: name, identifier, unit, drop-down options and whether
    only those are allowed. A field in several units is followed by the column of each item's
    unit, whose drop-down offers the field's units (others of their kinds are read too)."""
    from zuji.runtime.inventory_sheets import UNIT_SUFFIX

    out = []
    for f in inp.fields:
        described = _described(pcr, f)
        name = f"{described.zh} {described.en}".strip() or f.name
        unit = str(f.unit) if f.unit is not None and f.kind == "quantity" else ""
        out.append((name, f.name, unit, _choosable(pcr, f, lang), True))
        if f.units is not None:
            heading = f"单位 Unit: {_units_by_option(pcr, inp, f).removeprefix('单位 units: ')}"
            written = tuple(str(x) for x in f.units.units)
            out.append((heading, f.name + UNIT_SUFFIX, "", written, False))
    return out


def _drop_down(
    sheet: Any, options: Any, choices: tuple[str, ...], cells: str, strict: bool = True
) -> None:
    """A drop-down of the options, listed in a column of the hidden options sheet (an inline
    list is limited to 255 characters); not `strict`, it suggests and other text is kept."""
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.worksheet.datavalidation import DataValidation

    column = options.max_column + 1 if options.max_row > 1 or options["A1"].value else 1
    for row, option in enumerate(choices, start=1):
        options.cell(row, column, option)
    letter = get_column_letter(column)
    rule = DataValidation(
        type="list",
        # quoted, as a sheet named in Chinese ('选项') must be in a formula
        formula1=f"{quote_sheetname(options.title)}!${letter}$1:${letter}${len(choices)}",
        allow_blank=True,
        showErrorMessage=strict,
        errorTitle="不是可选项 Not an option",
        error="请从下拉列表中选择 Choose from the list: " + ", ".join(choices)[:200],
    )
    sheet.add_data_validation(rule)
    rule.add(cells)
