"""Stage 7: a result as a table for people, Markdown for a report, or JSON for other systems."""

from __future__ import annotations

from io import StringIO

from rich.console import Console
from rich.table import Table

from zuji.core.i18n import _, localise
from zuji.core.text import printable
from zuji.runtime.result import Result


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


def to_table(result: Result, width: int = 100) -> str:
    """A readable summary: total, by stage, by gas, fossil and biogenic apart, data quality."""
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
    pcr, inv = result.pcr, result.inventory
    console.print(f"PCR {pcr.id} {pcr.version} ({pcr.status}): {_names(pcr.name_en, pcr.name_zh)}")
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
    unit = result.declared_unit
    console.print(
        _(
            "Declared unit: {amount} {unit} {description}  (reference flow {flow} declared units)"
        ).format(
            amount=f"{unit.amount:g}",
            unit=unit.unit,
            description=unit.description,
            flow=f"{unit.reference_flow:,.6g}",
        )
    )
    console.print(
        "\n"
        + _("Carbon footprint: {total} {per}  (GWP {gwp})").format(
            total=_fmt(result.total), per=_per(result), gwp=pcr.gwp
        )
    )
    console.print(_stages(result))
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


def _names(english: str, chinese: str) -> str:
    """A PCR's two names, the reader's language first."""
    from zuji.core.i18n import language

    return f"{chinese} / {english}" if language() == "zh" and chinese else f"{english} / {chinese}"


def _origin_names() -> dict[str, str]:
    return {"fossil": _("fossil"), "biogenic": _("biogenic"), "luc": _("land-use change")}


def _stages(result: Result) -> Table:
    table = Table(title=_("By life-cycle stage"), title_justify="left")
    table.add_column(_("stage"))
    table.add_column(result.unit, justify="right")
    table.add_column(_("share"), justify="right")
    for stage, value in result.by_stage.items():
        table.add_row(stage, _fmt(value), _share(value, result.total))
    table.add_row(_("total"), _fmt(result.total), "100.0 %")
    return table


def _gases(result: Result) -> Table:
    table = Table(title=_("By gas"), title_justify="left")
    gas = _("gas")
    for column in (gas, _("kg gas"), "GWP", result.unit):
        table.add_column(column, justify="left" if column == gas else "right")
    for gas, figure in result.by_gas.items():
        table.add_row(gas, _fmt(figure.mass_kg, 4), f"{figure.gwp:g}", _fmt(figure.co2e_kg))
    return table


def _origins(result: Result) -> Table:
    table = Table(title=_("Reported apart"), title_justify="left")
    table.add_column(_("item"))
    table.add_column(result.unit, justify="right")
    for origin, value in result.by_origin.items():
        table.add_row(_origin_names().get(origin, origin), _fmt(value))
    table.add_row(_("biogenic removals"), _fmt(result.removals))
    table.add_row(_("credits (not netted)"), _fmt(result.credits))
    return table


def _inline(text: str) -> str:
    """An inventory's text kept on its line of Markdown: a line break, a backtick or a '|' in a
    company name would otherwise start a heading, end code or split a table."""
    return " ".join(text.split("\n")).replace("`", "'").replace("|", "\\|")


def to_markdown(result: Result) -> str:
    pcr, dq = result.pcr, result.data_quality
    rows = [
        f"# Carbon footprint: {pcr.name_en} ({pcr.name_zh})",
        "",
        f"- PCR: `{pcr.id}` {pcr.version} ({pcr.status}), source hash `{pcr.source_hash[:12]}`",
        f"- Standards: {', '.join(pcr.standards)}; GWP set {pcr.gwp}",
        f"- Declared unit: {result.declared_unit.amount:g} {result.declared_unit.unit} "
        f"{result.declared_unit.description}",
        f"- Inventory: `{_inline(result.inventory.file)}`, "
        f"{_inline(result.inventory.company or '-')}, "
        f"{result.inventory.period_start or '-'} to {result.inventory.period_end or '-'}",
        "- Datasets: " + ", ".join(f"{d.id} {d.version}" for d in result.datasets),
        f"- Engine: {result.engine}",
        "",
        f"**Total: {_fmt(result.total)} {_per(result)}**",
        "",
        "| stage | " + result.unit + " | share |",
        "|---|---:|---:|",
        *(f"| {s} | {_fmt(v)} | {_share(v, result.total)} |" for s, v in result.by_stage.items()),
        "",
        "| gas | kg gas | GWP | " + result.unit + " |",
        "|---|---:|---:|---:|",
        *(
            f"| {g} | {_fmt(f.mass_kg, 4)} | {f.gwp:g} | {_fmt(f.co2e_kg)} |"
            for g, f in result.by_gas.items()
        ),
        "",
        "| reported apart | " + result.unit + " |",
        "|---|---:|",
        *(f"| {o} | {_fmt(v)} |" for o, v in result.by_origin.items()),
        f"| biogenic removals | {_fmt(result.removals)} |",
        f"| credits (not netted) | {_fmt(result.credits)} |",
        "",
        f"Data quality: DQR {_fmt(dq.dqr)} ({dq.rating or 'no scores'}); primary data "
        f"{dq.primary_data_share:.1f} % of the footprint; cut-off "
        f"{result.cutoff_total_percent:g} %.",
        "",
        "| line | stage | gas | " + result.unit + " |",
        "|---|---|---|---:|",
        *(
            f"| {line.name} | {line.stage} | {line.gas} {line.origin} | {_fmt(line.co2e_kg)} |"
            for line in result.lines
        ),
    ]
    if result.warnings:
        rows += ["", "Warnings:", ""] + [f"- `{w.code}` {w.message}" for w in result.warnings]
    if result.trace:
        rows += ["", "## Trace", ""]
        for line in result.trace.values + result.trace.lines:
            rows.append(
                f"- `{line.name}` = `{line.formula}` = {line.value:.6g} {line.unit} ({line.where})"
            )
            rows += [
                f"    - `{v.name}` = {v.value} {v.unit} — {v.origin}: {v.source}"
                for v in line.values
            ]
    return printable("\n".join(rows) + "\n")


def to_json(result: Result) -> str:
    # The sensitivity section appears only when it was asked for (zuji run --sensitivity).
    left_out = {"sensitivity"} if result.sensitivity is None else None
    return result.model_dump_json(indent=2, exclude_none=False, exclude=left_out)
