"""The review commands of the command line: diff, review, history; coverage for `zuji test`.

Registered on the main app by cli.py, so the review tools stay in their own modules.
"""

# Annotations not postponed: typer reads them at every start (see cli.py).

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from zuji.core.errors import Diagnostic, UsageError
from zuji.core.i18n import N_, _, pgettext
from zuji.core.text import json_printable, printable
from zuji.interfaces.cli_words import ZujiCommand

if TYPE_CHECKING:
    from zuji.review.rule_review import ReviewSet
    from zuji.runtime.pcr import PCR

_FORMATS = ("table", "markdown", "json")


def _format(fmt: str) -> str:
    if fmt not in _FORMATS:
        raise UsageError(Diagnostic("E004", f"unknown format {fmt}; use " + ", ".join(_FORMATS)))
    return fmt


def _echo(text: str, fmt: str) -> None:
    """Rule texts reach the terminal here: hidden characters shown, or escaped in JSON."""
    typer.echo(json_printable(text) if fmt == "json" else printable(text))


_ALLOW_FAILING = typer.Option(
    "--allow-failing-cases",
    help=N_("Exit 0 even when worked cases of the new version fail their expected values"),
)


def _failing(names: list[str], allowed: bool) -> None:
    """A change that breaks the committee's own hand-computed cases stops the review (exit 1)
    unless the committee says it means it: the cases are then to be recomputed."""
    if not names:
        return
    failing = _("{count} worked case(s) of the new version fail their expected values: {names}")
    advice = "" if allowed else _(" (recompute them, or pass --allow-failing-cases)")
    typer.echo(failing.format(count=len(names), names=", ".join(names)) + advice, err=True)
    if not allowed:
        raise typer.Exit(1)


def diff_command(
    old: Annotated[str, typer.Argument(help=N_("Old version: a file, a PCR id, or FILE@REV"))],
    new: Annotated[str, typer.Argument(help=N_("New version: a file, a PCR id, or FILE@REV"))],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help=N_("table, markdown or json"))
    ] = "table",
    allow_failing: Annotated[bool, _ALLOW_FAILING] = False,
) -> None:
    """What a rule change changes, and its impact on every worked case of both versions;
    exit 1 when a worked case of the new version fails its expected values."""
    from zuji.interfaces.progress import progress
    from zuji.interfaces.review_report import render
    from zuji.review.rule_review import load_version, review_pair

    with progress(N_("reviewing")):
        review = review_pair(load_version(old), load_version(new))
    _echo(render(review, _format(fmt)), fmt)
    _failing(review.failing_cases, allow_failing)


def review_command(
    base: Annotated[str, typer.Option("--base", help=N_("The git revision to compare against"))],
    paths: Annotated[
        list[Path] | None, typer.Argument(help=N_("Limit to these files or folders"))
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help=N_("table, markdown or json"))
    ] = "table",
    allow_failing: Annotated[bool, _ALLOW_FAILING] = False,
    decision: Annotated[
        str | None,
        typer.Option("--decision", help=N_("The committee's decision, written into the changelog")),
    ] = None,
    vote: Annotated[
        str | None, typer.Option("--vote", help=N_("The vote, e.g. '12 yes, 0 no'"))
    ] = None,
    decided: Annotated[
        str | None, typer.Option("--date", help=N_("The date of the decision (YYYY-MM-DD; today)"))
    ] = None,
) -> None:
    """Review every PCR touched since a git revision; exit 1 on a version-discipline error or
    on a worked case that fails its expected values. With --decision, a review that passes
    records the committee's decision, vote and date in the PCR's changelog entry."""
    from zuji.interfaces.review_report import render
    from zuji.review.rule_review import review_since

    for path in paths or []:
        if not path.exists():
            raise UsageError(Diagnostic("E002", f"{path}: no such file or folder"))
    when = _decided(decided) if decision else None
    from zuji.interfaces.progress import progress

    with progress(N_("reviewing")):
        found = review_since(base, paths)
    passes = not found.errors and (allow_failing or not found.failing_cases)
    if decision and when and passes:
        found = _record(found, decision, vote or "", when)
    _echo(render(found, _format(fmt)), fmt)
    if decision and not passes:
        typer.echo(_("the decision is not recorded: the review does not pass"), err=True)
    if found.errors:
        raise typer.Exit(1)
    _failing(found.failing_cases, allow_failing)


def _decided(text: str | None) -> date:
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(
            Diagnostic("E004", f"--date {text}: not a date; write it as YYYY-MM-DD")
        ) from None


def _record(found: "ReviewSet", decision: str, vote: str, when: date) -> "ReviewSet":
    """The decision written into the one reviewed PCR's changelog; the record then shows it.
    A review with errors or failing cases never reaches here: nothing is recorded for it."""
    from zuji.review.decision import record_decision

    rules = [r for r in found.reviews if r.path is not None]
    if len(rules) != 1:
        named = ", ".join(r.id for r in rules) or "none"
        raise UsageError(
            Diagnostic(
                "E004",
                f"--decision records one PCR's decision, but the review covers {len(rules)} "
                f"({named}); name the rule file to record it in",
            )
        )
    review = rules[0]
    assert review.path is not None  # chosen for it above
    entry = record_decision(Path(review.path), decision, vote, when)
    fields = {k: v for k, v in entry.fields if k in ("decision", "vote", "decided")}
    updated = review.model_copy(update={"decision": fields})
    return found.model_copy(
        update={"reviews": [updated if r is review else r for r in found.reviews]}
    )


def history_command(
    pcr: Annotated[str, typer.Argument(help=N_("PCR id or path"))],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help=N_("table, markdown or json"))
    ] = "table",
) -> None:
    """The versions of a PCR: changelog, committee decisions and the git commits behind them."""
    from zuji.interfaces.history_report import render
    from zuji.review.history import history

    _echo(render(history(pcr), _format(fmt)), fmt)


def register(app: typer.Typer) -> None:
    app.command(
        "diff",
        cls=ZujiCommand,
        help=N_(
            "What a rule change changes, and its impact on every worked case of both versions."
        ),
    )(diff_command)
    app.command(
        "review",
        cls=ZujiCommand,
        help=N_(
            "Review every PCR touched since a git revision; exit 1 on a version-discipline error."
        ),
    )(review_command)
    app.command(
        "history",
        cls=ZujiCommand,
        help=N_(
            "The versions of a PCR: changelog, committee decisions and the git commits behind them."
        ),
    )(history_command)


# ---------------------------------------------------------------------------------- hooks


def discipline_findings(path: Path, base: str) -> list[Diagnostic]:
    """`zuji check --base REV`: version discipline of one rule file against the revision."""
    from zuji.review.rule_review import check_against

    return check_against(path, base)


def coverage_text(pcr: "PCR", cases: list[Path]) -> str:
    """`zuji test --coverage`: what the cases of one PCR leave untested."""
    from zuji.review.coverage import coverage

    found = coverage(pcr, cases)
    parts = ", ".join(
        f"{pgettext('coverage', kind)} {done}/{total}"
        for kind, (done, total) in found.summary().items()
    )
    head = _("coverage of {pcr} by {count} case(s): {parts}")
    rows = ["     " + head.format(pcr=found.pcr, count=len(found.cases), parts=parts)]
    untested = _("untested {kind}: {name}")
    rows += [
        "     "
        + untested.format(kind=pgettext("coverage", i.kind), name=i.name)
        + (f" [{i.owner}]" if i.owner and not i.name.startswith(i.owner) else "")
        + f" ({i.where})"
        for i in found.untested
    ]
    return "\n".join(rows)
