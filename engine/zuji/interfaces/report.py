"""Stage 7: a result as a table for people, Markdown for a report, or JSON for other systems."""

from __future__ import annotations

from collections.abc import Mapping
from io import StringIO
from typing import TYPE_CHECKING

from zuji.core.i18n import _, localise, pgettext
from zuji.core.text import printable
from zuji.runtime.result import Result

if TYPE_CHECKING:  # rich is imported for tables only: JSON and Markdown need none of it
    from rich.console import Console
    from rich.table import Table


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _share(part: float, total: float) -> str:
    return f"{100 * part / total:.1f} %" if total else "-"


def _per(result: Result) -> str:
    unit = result.declared_unit
    amount = f"{unit.amount:g} " if unit.amount != 1 else ""
    return (
        _("{unit} per {amount}{declared}")
        .format(unit=result.unit, amount=amount, declared=unit.unit)
        .strip()
    )


def to_table(result: Result, width: int = 100, stages: Mapping[str, str] | None = None) -> str:
    """A readable summary: total, by stage, by gas, fossil and biogenic apart, data quality."""
    from rich.console import Console

    out = StringIO()
    # Names come from inventories: square brackets in them are text, not rich's markup.
    console = Console(
        file=out,
        width=width,
        force_terminal=False,
        color_system=None,
        markup=False,
        highlight=False,
    )
    _table_head(result, console)
    console.print(_stages(result, stages or {}))
    console.print(_gases(result))
    console.print(_origins(result))
    dq = result.data_quality
    console.print(
        _(
            "Data quality: DQR {dqr} ({rating}), primary data {primary} % of the footprint; "
            "cut-off {cutoff} %"
        ).format(
            dqr=_fmt(dq.dqr),
            rating=_(dq.rating) if dq.rating else _("no scores given"),
            primary=f"{dq.primary_data_share:.1f}",
            cutoff=f"{result.cutoff_total_percent:g}",
        )
    )
    for finding in result.warnings:
        console.print(
            f"warning[{finding.code}]: {printable(localise(finding.code, finding.message))}"
        )
    return printable(out.getvalue())


def _table_head(result: Result, console: Console) -> None:
    """The PCR, the inventory, the declared unit and the total."""
    pcr, inv = result.pcr, result.inventory
    status = pgettext("status", pcr.status)
    console.print(f"PCR {pcr.id} {pcr.version} ({status}): {_names(pcr.name_en, pcr.name_zh)}")
    period = (
        _("{start} to {end}").format(start=inv.period_start, end=inv.period_end)
        if inv.period_start
        else _("not given")
    )
    # Made printable before rich measures them: rich drops some controls and keeps others.
    company, file = printable(inv.company or "-"), printable(inv.file)
    console.print(
        _("Inventory {file}  company: {company}  period: {period}").format(
            file=file, company=company, period=period
        )
    )
    from zuji.core.i18n import language

    unit = result.declared_unit
    console.print(
        _(
            "Declared unit: {amount} {unit} {description}  (reference flow {flow} declared units)"
        ).format(
            amount=f"{unit.amount:g}",
            unit=unit.unit,
            description=unit.described(language()),
            flow=f"{unit.reference_flow:,.6g}",
        )
    )
    console.print(
        "\n"
        + _("Carbon footprint: {total} {per}  (GWP {gwp})").format(
            total=_fmt(result.total), per=_per(result), gwp=pcr.gwp
        )
    )


def _names(english: str, chinese: str) -> str:
    """A PCR's two names, the reader's language first."""
    from zuji.core.i18n import language

    return f"{chinese} / {english}" if language() == "zh" and chinese else f"{english} / {chinese}"


def _origin_names() -> dict[str, str]:
    return {"fossil": _("fossil"), "biogenic": _("biogenic"), "luc": _("land-use change")}


def _stage_name(stage: str, stages: Mapping[str, str]) -> str:
    """A stage as a Chinese reader knows it: the rule's Chinese name, its identifier beside it
    (the identifier is what results, traces and formulas say)."""
    from zuji.core.i18n import language

    zh = stages.get(stage)
    return f"{zh}（{stage}）" if zh and language() == "zh" else stage


def _stages(result: Result, stages: Mapping[str, str]) -> Table:
    from rich.table import Table

    table = Table(title=_("By life-cycle stage"), title_justify="left")
    table.add_column(_("stage"))
    table.add_column(result.unit, justify="right")
    table.add_column(_("share"), justify="right")
    for stage, value in result.by_stage.items():
        table.add_row(_stage_name(stage, stages), _fmt(value), _share(value, result.total))
    table.add_row(_("total"), _fmt(result.total), "100.0 %")
    return table


def _gases(result: Result) -> Table:
    from rich.table import Table

    table = Table(title=_("By gas"), title_justify="left")
    gas = _("gas")
    for column in (gas, _("kg gas"), "GWP", result.unit):
        table.add_column(column, justify="left" if column == gas else "right")
    for gas, figure in result.by_gas.items():
        table.add_row(gas, _fmt(figure.mass_kg, 4), f"{figure.gwp:g}", _fmt(figure.co2e_kg))
    return table


def _origins(result: Result) -> Table:
    from rich.table import Table

    table = Table(title=_("Reported apart"), title_justify="left")
    table.add_column(_("item"))
    table.add_column(result.unit, justify="right")
    for origin, value in result.by_origin.items():
        table.add_row(_origin_names().get(origin, origin), _fmt(value))
    table.add_row(_("biogenic removals"), _fmt(result.removals))
    table.add_row(_("credits (not netted)"), _fmt(result.credits))
    return table


def _pinned(result: Result) -> list[str]:
    """What a verifier checks the files against: the sha256 the result pins, and its signer."""
    rows = []
    if result.provenance is not None:
        digest = f"`{result.provenance.inventory.sha256}`"
        rows.append("- " + _("Inventory sha256: {digest}").format(digest=digest))
    if result.signature is not None:
        signed = _("Signed: {alg}, key {key}")
        rows.append(
            "- " + signed.format(alg=result.signature.alg, key=f"`{result.signature.key_id}`")
        )
    return rows


def _inline(text: str) -> str:
    """An inventory's text kept on its line of Markdown: a line break, a backtick or a '|' in a
    company name would otherwise start a heading, end code or split a table."""
    return " ".join(text.split("\n")).replace("`", "'").replace("|", "\\|")


def to_markdown(result: Result, stages: Mapping[str, str] | None = None) -> str:
    """The result as Markdown for a report; `stages` gives the stages' Chinese names."""
    rows = [*_markdown_head(result), *_markdown_tables(result, stages or {})]
    if result.warnings:
        rows += ["", _("Warnings:"), ""] + [
            f"- `{w.code}` {localise(w.code, w.message)}" for w in result.warnings
        ]
    if result.trace:
        rows += ["", "## " + _("Trace"), ""]
        for line in result.trace.values + result.trace.lines:
            rows.append(
                f"- `{line.name}` = `{line.formula}` = {line.value:.6g} {line.unit} ({line.where})"
            )
            rows += [
                f"    - `{v.name}` = {v.value} {v.unit} — {v.origin}: {v.source}"
                for v in line.values
            ]
    return printable("\n".join(rows) + "\n")


def _markdown_head(result: Result) -> list[str]:
    pcr, inv, unit = result.pcr, result.inventory, result.declared_unit
    return [
        "# " + _("Carbon footprint: {names}").format(names=_paired(pcr.name_en, pcr.name_zh)),
        "",
        "- "
        + _("PCR: `{id}` {version} ({status}), source hash `{hash}`").format(
            id=pcr.id,
            version=pcr.version,
            status=pgettext("status", pcr.status),
            hash=pcr.source_hash[:12],
        ),
        "- "
        + _("Standards: {standards}; GWP set {gwp}").format(
            standards=", ".join(pcr.standards), gwp=pcr.gwp
        ),
        "- "
        + _("Declared unit: {amount} {unit} {description}").format(
            amount=f"{unit.amount:g}",
            unit=unit.unit,
            description=_inline(_paired(unit.description, unit.description_zh)),
        ),
        "- "
        + _("Inventory: `{file}`, {company}, {start} to {end}").format(
            file=_inline(inv.file),
            company=_inline(inv.company or "-"),
            start=inv.period_start or "-",
            end=inv.period_end or "-",
        ),
        "- "
        + _("Datasets: {datasets}").format(
            datasets=", ".join(f"{d.id} {d.version}" for d in result.datasets)
        ),
        "- " + _("Engine: {engine}").format(engine=result.engine),
        *_pinned(result),
        "",
        "**" + _("Total: {total} {per}").format(total=_fmt(result.total), per=_per(result)) + "**",
        "",
    ]


def _markdown_tables(result: Result, stages: Mapping[str, str]) -> list[str]:
    dq, unit, origins = result.data_quality, result.unit, _origin_names()
    # Looked up here, not inside the f-strings, where the catalogue's extractor cannot see them.
    stage, share, gas, line_word = _("stage"), _("share"), _("gas"), _("line")
    kg_gas, apart = _("kg gas"), _("reported apart")
    removals, credits = _("biogenic removals"), _("credits (not netted)")
    return [
        f"| {stage} | {unit} | {share} |",
        "|---|---:|---:|",
        *(
            f"| {_stage_name(s, stages)} | {_fmt(v)} | {_share(v, result.total)} |"
            for s, v in result.by_stage.items()
        ),
        "",
        f"| {gas} | {kg_gas} | GWP | {unit} |",
        "|---|---:|---:|---:|",
        *(
            f"| {g} | {_fmt(f.mass_kg, 4)} | {f.gwp:g} | {_fmt(f.co2e_kg)} |"
            for g, f in result.by_gas.items()
        ),
        "",
        f"| {apart} | {unit} |",
        "|---|---:|",
        *(f"| {_markdown_origin(o, origins)} | {_fmt(v)} |" for o, v in result.by_origin.items()),
        f"| {removals} | {_fmt(result.removals)} |",
        f"| {credits} | {_fmt(result.credits)} |",
        "",
        _(
            "Data quality: DQR {dqr} ({rating}); primary data {primary} % of the footprint; "
            "cut-off {cutoff} %."
        ).format(
            dqr=_fmt(dq.dqr),
            rating=_(dq.rating) if dq.rating else _("no scores"),
            primary=f"{dq.primary_data_share:.1f}",
            cutoff=f"{result.cutoff_total_percent:g}",
        ),
        "",
        f"| {line_word} | {stage} | {gas} | {unit} |",
        "|---|---|---|---:|",
        *(
            f"| {line.name} | {line.stage} | {line.gas} {line.origin} | {_fmt(line.co2e_kg)} |"
            for line in result.lines
        ),
    ]


def _markdown_origin(origin: str, names: dict[str, str]) -> str:
    # The Markdown names the origins by their identifiers in English, as it always has.
    from zuji.core.i18n import language

    return names.get(origin, origin) if language() != "en" else origin


def _paired(english: str, chinese: str) -> str:
    """A text in two languages (a PCR's names, its declared unit's description), the reader's
    language first and the other in brackets; one given alone stands alone."""
    from zuji.core.i18n import language

    if not english or not chinese:
        return english or chinese
    if language() == "zh":
        return f"{chinese}（{english}）"
    return f"{english} ({chinese})"


def to_json(result: Result) -> str:
    # The sensitivity section appears only when it was asked for (zuji run --sensitivity).
    left_out = {"sensitivity"} if result.sensitivity is None else None
    return result.model_dump_json(indent=2, exclude_none=False, exclude=left_out)
