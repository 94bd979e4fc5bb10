"""A review as a terminal report (rich), as Markdown for the committee's record, or as JSON."""

from __future__ import annotations

from io import StringIO

from rich.console import Console
from rich.table import Table

from zuji.core.i18n import N_, _, localise, localise_text, pgettext
from zuji.review.diff import GROUPS, Change, RuleDiff
from zuji.review.impact import Impact
from zuji.review.rule_review import Review, ReviewSet

FORMATS = ("table", "markdown", "json")
# Marked for the catalogue (N_), looked up when printed, in the reader's language.
_TITLES = {
    "header": N_("Header"),
    "boundary": N_("Boundary"),
    "inputs": N_("Inputs"),
    "factors": N_("Factors"),
    "formulas": N_("Lines, values and formulas"),
    "allocation": N_("Allocation"),
    "assertions": N_("Assertions"),
    "changelog": N_("Changelog"),
}
_MARK = {
    "added": "+",
    "removed": "-",
    "changed": "~",
    "equivalent": "≡",
    "wording": "¶",
    "unchanged": "=",
}


def render(reviews: ReviewSet | Review, fmt: str, width: int = 110) -> str:
    if fmt == "json":
        return reviews.model_dump_json(indent=2)
    items = reviews.reviews if isinstance(reviews, ReviewSet) else [reviews]
    if fmt == "markdown":
        head = (
            ["# " + _("Rule-change review against `{base}`").format(base=reviews.base), ""]
            if isinstance(reviews, ReviewSet)
            else []
        )
        if isinstance(reviews, ReviewSet) and not items:
            head.append(_("No PCR is touched by the changes since this revision."))
        return "\n".join(head + [markdown(r) for r in items]) + "\n"
    out = StringIO()
    console = Console(  # texts from rules: brackets in them are not markup
        file=out, width=width, force_terminal=False, color_system=None, markup=False
    )
    if isinstance(reviews, ReviewSet):
        console.print(
            _("Rule-change review against {base}: {count} rule file(s)").format(
                base=reviews.base, count=len(items)
            )
        )
    for review in items:
        terminal(review, console)
    return out.getvalue()


def _summary(text: str) -> str:
    """A change's summary (made in English by the review) in the reader's language."""
    return localise_text("review", text)


def _word(text: str) -> str:
    """A single word the review says of a rule (changed, added, compared)."""
    return localise_text("review", text)


def _num(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:+.3f} %"


def _verdict(d: RuleDiff) -> str:
    substantive, cosmetic = len(d.substantive), len(d.cosmetic)
    if substantive:
        return _(
            "substantive: {substantive} change(s) that can move results, {cosmetic} cosmetic"
        ).format(substantive=substantive, cosmetic=cosmetic)
    if cosmetic:
        return _("cosmetic only: {cosmetic} change(s), no result can move").format(
            cosmetic=cosmetic
        )
    return _("no change in meaning")


# ---------------------------------------------------------------------------------- terminal


def terminal(review: Review, console: Console) -> None:
    console.rule(f"{review.id}: {_word(review.status)}")
    console.print(_("Why reviewed: {reason}").format(reason=_word(review.reason)))
    if review.diff is None:
        console.print(f"{review.old_label or '-'} → {review.new_label or '-'}")
        return
    d = review.diff
    console.print(
        _("Old: {label} ({version}, {status})").format(
            label=d.old_label, version=d.old_version, status=pgettext("status", d.old_status)
        )
    )
    console.print(
        _("New: {label} ({version}, {status})").format(
            label=d.new_label, version=d.new_version, status=pgettext("status", d.new_status)
        )
    )
    console.print(_("Verdict: {verdict}").format(verdict=_verdict(d)))
    for finding in review.findings:
        console.print(
            f"{finding.severity}[{finding.code}]: {localise(finding.code, finding.message)}"
            + (f"  ({finding.where})" if finding.where else "")
        )
    if not review.findings and d.kind == "pcr":
        console.print(_("Version discipline: ok"))
    for group in GROUPS:
        changes = d.group(group)
        if not changes:
            continue
        console.print(f"\n{_(_TITLES[group])}")
        _terminal_group(changes, console)
    if review.impact is not None:
        _terminal_impact(review.impact, console)
    _terminal_coverage(review, console)
    if d.kind == "pcr":
        console.print("\n" + _("Committee decision: ") + _decision_text(review), highlight=False)
    for note in d.notes:
        console.print(_("note: {note}").format(note=_summary(note)))


def _terminal_group(changes: list[Change], console: Console) -> None:
    same = [c.name for c in changes if c.kind == "unchanged" and not c.reads]
    for change in changes:
        if change.kind == "unchanged" and not change.reads:
            continue
        console.print(
            f"  {_MARK.get(change.kind, '?')} {_summary(change.summary)}", highlight=False
        )
        for text in _terminal_detail(change):
            console.print(text, highlight=False)
    if same:
        console.print(
            "  = " + _("unchanged: {names}").format(names=", ".join(same)), highlight=False
        )


def _terminal_detail(change: Change) -> list[str]:
    """What is printed under a change: a formula's old and new text and their difference, a
    factor's old and new values, or the old and new wording."""
    if change.group == "formulas" and change.kind != "unchanged":
        out = []
        if change.old:
            out.append(f"      {_('old')}: {change.old}")
        if change.new:
            out.append(f"      {_('new')}: {change.new}")
        if change.math and change.math.difference:
            out.append(f"      {_('new − old')} = {change.math.difference}")
        return out
    if change.group == "factors" and (change.old_values or change.new_values):
        return [
            f"      {label}: {p.member + ' ' if p.member else ''}"
            f"{p.value:g} {p.unit}"
            + (" " + _("from {date}").format(date=p.valid_from) if p.valid_from else "")
            + f" — {p.source}"
            for label, points in ((_("old"), change.old_values), (_("new"), change.new_values))
            for p in points
        ]
    if change.group == "header":  # its summary already reads old → new
        return []
    if change.kind in ("changed", "wording") and change.old is not None:
        return [f"      {_('old')}: {change.old}\n      {_('new')}: {change.new}"]
    return []


def _terminal_impact(effect: Impact, console: Console) -> None:
    table = Table(
        title="\n"
        + _("Impact on the worked cases ({unit} per declared unit)").format(unit=effect.unit),
        title_justify="left",
    )
    columns = (_("case"), _("cases of"), _("before"), _("after"), _("change"), _("change %"))
    for index, column in enumerate(columns):
        table.add_column(column, justify="left" if index < 2 else "right")
    for row in effect.cases:
        table.add_row(
            row.case,
            _word(row.versions),
            _num(row.before) if row.error_before is None else _("error"),
            _num(row.after) if row.error_after is None else _("error"),
            _num(row.change),
            _pct(row.change_percent),
        )
    console.print(table)
    for text in _failing_text(effect):
        console.print(text, highlight=False)
    for row in effect.cases:
        for side, error in ((_("old"), row.error_before), (_("new"), row.error_after)):
            if error:
                under = _("{case} under the {side} rule: {error}")
                console.print("  " + under.format(case=row.case, side=side, error=error))
        if row.lines and row.change is not None:
            title = "  " + _("lines that move {case}").format(case=row.case)
            lines = Table(title=title, title_justify="left")
            heads = (_("line"), _("stage"), _("before"), _("after"), _("change"))
            for index, column in enumerate(heads):
                lines.add_column(column, justify="left" if index < 2 else "right")
            for line in row.lines:
                lines.add_row(
                    line.name, line.stage, _num(line.before), _num(line.after), _num(line.change)
                )
            console.print(lines)
    for note in effect.notes:
        console.print(_("note: {note}").format(note=_summary(note)))


def _failing_text(effect: Impact) -> list[str]:
    """The worked cases the new rule breaks, first: the committee must recompute them or
    reconsider the change."""
    failing = effect.failing
    if not failing:
        return [_("All worked cases of the new version give their expected values.")]
    out = [
        _("Worked cases that now FAIL their expected values: {count}").format(count=len(failing))
    ]
    for row in failing:
        out += [f"  {row.case}: {localise_text('case', reason)}" for reason in row.fails]
    return out


def _terminal_coverage(review: Review, console: Console) -> None:
    if not review.coverage:
        return
    untested = [i for i in review.coverage if not i.exercised]
    console.print(
        "\n"
        + _(
            "Coverage of the changed parts by {cases} case(s) of the new version: "
            "{exercised} of {total} exercised"
        ).format(
            cases=len(review.coverage_cases),
            exercised=len(review.coverage) - len(untested),
            total=len(review.coverage),
        )
    )
    for item in untested:
        kind = pgettext("coverage", item.kind)
        line = _("untested {kind}: {name}").format(kind=kind, name=item.name)
        console.print(f"  {line} ({item.where})", highlight=False)


# ---------------------------------------------------------------------------------- markdown


def _cell(text: str | None) -> str:
    return "-" if not text else text.replace("|", "\\|").replace("\n", " ")


def markdown(review: Review) -> str:
    rows = [f"## `{review.id}`: {_word(review.status)}", "", _why(review), ""]
    if review.diff is None:
        rows.append(f"{review.old_label or '-'} → {review.new_label or '-'}")
        if review.status == "added":  # a new PCR is decided on too
            rows += ["", *_markdown_decision(review)]
        return "\n".join(rows) + "\n"
    d = review.diff
    old_status, new_status = pgettext("status", d.old_status), pgettext("status", d.new_status)
    rows += [
        f"| | {_('file')} | {_('version')} | {_('status')} |",
        "|---|---|---|---|",
        f"| {_('old')} | `{d.old_label}` | {d.old_version} | {old_status} |",
        f"| {_('new')} | `{d.new_label}` | {d.new_version} | {new_status} |",
        "",
        _("**Verdict:** {verdict}.").format(verdict=_verdict(d)),
        "",
    ]
    if review.findings:
        rows += [_("**Version discipline:**"), ""]
        rows += [
            f"- `{f.code}` ({f.severity}) {localise(f.code, f.message)}" for f in review.findings
        ]
        rows.append("")
    elif d.kind == "pcr":
        rows += [_("**Version discipline:** ok."), ""]
    for group in GROUPS:
        changes = d.group(group)
        if changes:
            rows += [f"### {_(_TITLES[group])}", "", *_markdown_group(changes), ""]
    if review.impact is not None:
        rows += _markdown_impact(review.impact)
    if review.coverage:
        untested = [i for i in review.coverage if not i.exercised]
        exercised = _("{done} of {total} exercised by the {cases} case(s) of the new version.")
        rows += [
            "### " + _("Coverage of the changed parts"),
            "",
            exercised.format(
                done=len(review.coverage) - len(untested),
                total=len(review.coverage),
                cases=len(review.coverage_cases),
            ),
            "",
        ]
        rows += [
            "- "
            + _("untested {kind}: {name}").format(
                kind=pgettext("coverage", i.kind), name=f"`{_cell(i.name)}`"
            )
            + f" ({i.where})"
            for i in untested
        ]
        rows.append("")
    rows += ["> " + _("Note: {note}").format(note=_summary(note)) for note in d.notes]
    if d.kind == "pcr":
        rows += ["", *_markdown_decision(review)]
    return "\n".join(rows) + "\n"


def _why(review: Review) -> str:
    return _("Why reviewed: {reason}.").format(reason=_word(review.reason))


def _decision_text(review: Review) -> str:
    got = review.decision
    if not got:
        return _("not recorded (zuji review --decision ... --vote ... --date ...)")
    return "; ".join(f"{k} {got[k]}" for k in ("decision", "vote", "decided") if k in got)


def _markdown_decision(review: Review) -> list[str]:
    """The part of the record the committee fills: its decision, the vote and the date; filled
    already where the changelog entry of the new version records them."""
    got = review.decision
    blank = "_" + _("(to be filled by the committee)") + "_"
    return [
        "### " + _("Committee decision"),
        "",
        "| | |",
        "|---|---|",
        f"| {_('Decision')} | {_cell(got.get('decision')) if 'decision' in got else blank} |",
        f"| {_('Vote')} | {_cell(got.get('vote')) if 'vote' in got else blank} |",
        f"| {_('Date')} | {_cell(got.get('decided')) if 'decided' in got else blank} |",
        "",
    ]


def _markdown_group(changes: list[Change]) -> list[str]:
    rows = []
    same = [c.name for c in changes if c.kind == "unchanged" and not c.reads]
    for c in changes:
        if c.kind == "unchanged" and not c.reads:
            continue
        substantive = " *" + _("(substantive)") + "*" if c.substantive else ""
        rows.append(f"- **{_word(c.kind)}** — {_summary(c.summary)}{substantive}")
        rows += _markdown_detail(c)
    if same:
        rows.append("- " + _("unchanged: {names}").format(names=", ".join(f"`{n}`" for n in same)))
    return rows


def _markdown_detail(c: Change) -> list[str]:
    """The sub-items of a change: a formula's old and new text (with its mathematics) and their
    difference, a factor's old and new values, or the old and new wording."""
    if c.group == "formulas" and c.kind != "unchanged" and c.math:
        rows = []
        if c.old:
            rows.append(
                f"    - {_('old')}: `{c.old}`"
                + (f" — $${c.math.old_latex}$$" if c.math.old_latex else "")
            )
        if c.new:
            rows.append(
                f"    - {_('new')}: `{c.new}`"
                + (f" — $${c.math.new_latex}$$" if c.math.new_latex else "")
            )
        if c.math.difference:
            rows.append(f"    - {_('new − old')} = `{c.math.difference}`")
        return rows
    if c.group == "factors":
        return [
            f"    - {label}: {p.member + ' ' if p.member else ''}{p.value:g} {p.unit}"
            + (" " + _("from {date}").format(date=p.valid_from) if p.valid_from else "")
            + f" — {_cell(p.source)}"
            for label, points in ((_("old"), c.old_values), (_("new"), c.new_values))
            for p in points
        ]
    if c.group == "header":  # its summary already reads old → new
        return []
    if c.kind in ("changed", "wording") and c.old is not None:
        return [f"    - {_('old')}: {_cell(c.old)}", f"    - {_('new')}: {_cell(c.new)}"]
    return []


def _markdown_impact(effect: Impact) -> list[str]:
    heads = (_("case"), _("cases of"), _("before"), _("after"), _("change"), _("change %"))
    title = _("Impact on the worked cases ({unit} per declared unit)").format(unit=effect.unit)
    rows = [
        f"### {title}",
        "",
        "| " + " | ".join(heads) + " |",
        "|---|---|---:|---:|---:|---:|",
    ]
    error = _("error")
    for r in effect.cases:
        rows.append(
            f"| {r.case} | {_word(r.versions)} | "
            f"{_num(r.before) if r.error_before is None else error} | "
            f"{_num(r.after) if r.error_after is None else error} | {_num(r.change)} | "
            f"{_pct(r.change_percent)} |"
        )
    rows += [
        "",
        *[
            f"**{t.strip()}**" if not t.startswith(" ") else f"- {_cell(t.strip())}"
            for t in _failing_text(effect)
        ],
        "",
    ]
    under = _("{case} under the {side} rule: {error}")
    for r in effect.cases:
        for side, failed in ((_("old"), r.error_before), (_("new"), r.error_after)):
            if failed:
                rows.append("- " + under.format(case=f"`{r.case}`", side=side, error=_cell(failed)))
        if r.lines and r.change is not None:
            line_heads = (_("line"), _("stage"), _("before"), _("after"), _("change"))
            rows += [
                "",
                _("Lines that move {case}:").format(case=f"`{r.case}`"),
                "",
                "| " + " | ".join(line_heads) + " |",
                "|---|---|---:|---:|---:|",
            ]
            rows += [
                f"| {line.name} | {line.stage} | {_num(line.before)} | {_num(line.after)} | "
                f"{_num(line.change)} |"
                for line in r.lines
            ]
            rows.append("")
    rows += ["", *["> " + _("Note: {note}").format(note=_summary(n)) for n in effect.notes], ""]
    return rows
