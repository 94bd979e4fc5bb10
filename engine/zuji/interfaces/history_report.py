"""`zuji history` as a table, markdown or JSON: the versions of a PCR with the committee's record
and the git commits behind each (the history itself is gathered by zuji.review.history)."""

from __future__ import annotations

from io import StringIO

from rich.console import Console
from rich.table import Table

from zuji.core.i18n import _, pgettext
from zuji.review.history import History


def render(h: History, fmt: str, width: int = 110) -> str:
    """The history as JSON, markdown, or a plain-text table `width` characters wide."""
    if fmt == "json":
        return h.model_dump_json(indent=2)
    if fmt == "markdown":
        return _markdown(h)
    out = StringIO()
    console = Console(  # texts from rules: brackets in them are not markup
        file=out, width=width, force_terminal=False, color_system=None, markup=False
    )
    console.print(f"{h.id} {h.version} ({pgettext('status', h.status)}) — {h.path}")
    table = Table(title=_("Versions (changelog)"), title_justify="left")
    for column in (
        _("version"),
        _("date"),
        _("summary"),
        _("proposed by"),
        _("reviewed by"),
        _("decision"),
        _("commits"),
    ):
        table.add_column(column)
    for v in h.versions:
        table.add_row(
            v.version + (" *" if v.current else ""),
            v.date,
            v.summary,
            v.proposed or "-",
            v.reviewed or "-",
            v.decision or "-",
            "\n".join(f"{c.sha[:8]} {c.date} {_short(c.subject)}" for c in v.commits) or "-",
        )
    console.print(table)
    for c in h.other_commits:
        console.print(
            _(
                "commit {sha} {date} {author}: {subject} (version {version}, no changelog entry)"
            ).format(
                sha=c.sha[:8],
                date=c.date,
                author=c.author,
                subject=c.subject,
                version=c.version or "?",
            ),
            highlight=False,
        )
    if h.uncommitted:
        console.print(_("the working tree has uncommitted changes to this file"))
    if not h.in_git:
        console.print(_("not in a git repository: no commits to show"))
    return out.getvalue()


def _short(subject: str, most: int = 48) -> str:
    return subject if len(subject) <= most else subject[: most - 1] + "…"


def _markdown(h: History) -> str:
    heads = (
        _("version"),
        _("date"),
        _("summary"),
        _("proposed by"),
        _("reviewed by"),
        _("decision"),
        _("commits"),
    )
    current = _("Current: {version} ({status}), {path}.").format(
        version=h.version, status=pgettext("status", h.status), path=f"`{h.path}`"
    )
    rows = [
        "# " + _("Versions of {id}").format(id=f"`{h.id}`"),
        "",
        current,
        "",
        "| " + " | ".join(heads) + " |",
        "|---|---|---|---|---|---|---|",
    ]
    now = " " + _("(current)")
    for v in h.versions:
        commits = "<br>".join(f"`{c.sha[:8]}` {c.date} {c.subject}" for c in v.commits) or "-"
        rows.append(
            f"| {v.version}{now if v.current else ''} | {v.date} | "
            f"{v.summary} | {v.proposed or '-'} | {v.reviewed or '-'} | "
            f"{v.decision or '-'} | {commits} |"
        )
    if h.uncommitted:
        rows += ["", _("The working tree has uncommitted changes to this file.")]
    return "\n".join(rows) + "\n"
