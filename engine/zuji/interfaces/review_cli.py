"""The review commands of the command line: diff, review, history; coverage for `zuji test`.

Registered on the main app by cli.py, so the review tools stay in their own modules.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from zuji.core.errors import Diagnostic, UsageError
from zuji.core.i18n import _
from zuji.core.text import json_printable, printable

if TYPE_CHECKING:
    from zuji.runtime.pcr import PCR

_FORMATS = ("table", "markdown", "json")


def _format(fmt: str) -> str:
    if fmt not in _FORMATS:
        raise UsageError(Diagnostic("E004", f"unknown format {fmt}; use " + ", ".join(_FORMATS)))
    return fmt


def _echo(text: str, fmt: str) -> None:
    """Rule texts reach the terminal here: hidden characters shown, or escaped in JSON."""
    typer.echo(json_printable(text) if fmt == "json" else printable(text))


def diff_command(
    old: Annotated[str, typer.Argument(help=_("Old version: a file, a PCR id, or FILE@REV"))],
    new: Annotated[str, typer.Argument(help=_("New version: a file, a PCR id, or FILE@REV"))],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help=_("table, markdown or json"))
    ] = "table",
) -> None:
    """What a rule change changes, and its impact on every worked case of both versions."""
    from zuji.interfaces.review_report import render
    from zuji.review.rule_review import load_version, review_pair

    review = review_pair(load_version(old), load_version(new))
    _echo(render(review, _format(fmt)), fmt)


def review_command(
    base: Annotated[str, typer.Option("--base", help=_("The git revision to compare against"))],
    paths: Annotated[
        list[Path] | None, typer.Argument(help=_("Limit to these files or folders"))
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help=_("table, markdown or json"))
    ] = "table",
) -> None:
    """Review every PCR touched since a git revision; exit 1 on a version-discipline error."""
    from zuji.interfaces.review_report import render
    from zuji.review.rule_review import review_since

    for path in paths or []:
        if not path.exists():
            raise UsageError(Diagnostic("E002", f"{path}: no such file or folder"))
    found = review_since(base, paths)
    _echo(render(found, _format(fmt)), fmt)
    if found.errors:
        raise typer.Exit(1)


def history_command(
    pcr: Annotated[str, typer.Argument(help=_("PCR id or path"))],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help=_("table, markdown or json"))
    ] = "table",
) -> None:
    """The versions of a PCR: changelog, committee decisions and the git commits behind them."""
    from zuji.interfaces.history_report import render
    from zuji.review.history import history

    _echo(render(history(pcr), _format(fmt)), fmt)


def register(app: typer.Typer) -> None:
    app.command(
        "diff",
        help=_("What a rule change changes, and its impact on every worked case of both versions."),
    )(diff_command)
    app.command(
        "review",
        help=_(
            "Review every PCR touched since a git revision; exit 1 on a version-discipline error."
        ),
    )(review_command)
    app.command(
        "history",
        help=_(
            "The versions of a PCR: changelog, committee decisions and the git commits behind them."
        ),
    )(history_command)


# ---------------------------------------------------------------------------------- hooks


def discipline_findings(path: Path, base: str) -> list[Diagnostic]:
    """`zuji check --base REV`: version discipline of one rule file against the revision."""
    from zuji.review.rule_review import check_against

    return check_against(path, base)


def coverage_text(pcr: PCR, cases: list[Path]) -> str:
    """`zuji test --coverage`: what the cases of one PCR leave untested."""
    from zuji.review.coverage import coverage

    found = coverage(pcr, cases)
    parts = ", ".join(f"{kind} {done}/{total}" for kind, (done, total) in found.summary().items())
    rows = [f"     coverage of {found.pcr} by {len(found.cases)} case(s): {parts}"]
    rows += [
        f"     untested {i.kind}: {i.name}"
        + (f" [{i.owner}]" if i.owner and i.owner != i.name else "")
        + f" ({i.where})"
        for i in found.untested
    ]
    return "\n".join(rows)
