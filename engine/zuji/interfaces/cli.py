"""The command line: exit 0 when all is well, 1 on findings, 2 on a usage mistake.

A user's mistake (a bad rule file, inventory or path) is reported as a diagnostic, never as a
Python traceback.

The engine is imported inside each command, not here: `zuji --help` (and a command's own
--help) then starts without the unit registry, the parser, the validators or the web stack. A
module that adds commands with `register(app)` keeps its heavy imports inside its commands too.
"""

# Annotations not postponed: typer reads them at every start (see cli.py).

import copy
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from typer.models import CommandInfo, TyperInfo

from zuji.core import i18n, startup
from zuji.core import library as lib
from zuji.core.errors import Diagnostic, UsageError, ZujiError
from zuji.core.files import write_atomic
from zuji.core.i18n import N_, _, localise_text
from zuji.core.text import columns, json_printable, pad, printable
from zuji.interfaces.batch_cli import register as _register_batch
from zuji.interfaces.catalogue_cli import register as _register_catalogue
from zuji.interfaces.cli_words import (
    ZujiCommand,
    ZujiGroup,
    is_help_for_no_arguments,
    speaking,
    status_word,
    usage_mistake,
)
from zuji.interfaces.clients_cli import register as _register_clients
from zuji.interfaces.init_cli import register as _register_init
from zuji.interfaces.label_cli import register as _register_label
from zuji.interfaces.mc_cli import register as _register_mc
from zuji.interfaces.review_cli import register as _register_review
from zuji.interfaces.serve_cli import register as _register_serve
from zuji.interfaces.template_cli import register as _register_template
from zuji.interfaces.trust_cli import register as _register_trust

if TYPE_CHECKING:
    from collections.abc import Callable

    from zuji.runtime.pcr import PCR

# Help texts are English here (N_ marks them for the catalogue) and translated as typer builds the
# command tree for a run (cli_words); plain click help, whose every word can be translated.
app = typer.Typer(
    cls=ZujiGroup,
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    help=N_("Zuji: product carbon footprints from Product Category Rules."),
)

FORMATS = ("table", "json", "pact", "markdown", "cbam", "cbam-table")


@app.callback()
def _options(
    library: Annotated[
        Path | None,
        typer.Option(
            "--library",
            envvar=lib.ENVIRONMENT,
            help=N_(
                "The library's folder (pcr/ or zuji.toml); by default the nearest one from the "
                "working folder upwards, else the bundled library"
            ),
        ),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help=N_("Language of messages and reports: zh or en (else ZUJI_LANG, LC_ALL, LANG)"),
        ),
    ] = None,
) -> None:
    # main() takes --lang off the command line wherever it stands; this option is where --help
    # lists it, and where a program calling the app directly gives it.
    if lang is not None:
        _choose_language(lang)
    if library is not None and not library.is_dir():
        raise UsageError(Diagnostic("E002", f"--library {library}: no such folder"))
    folder = library.resolve() if library is not None else lib.discover(Path.cwd())
    committee = lib.use(folder)
    # Worker processes (zuji serve, batches) start afresh and learn the library from here.
    if committee is not None:
        os.environ[lib.ENVIRONMENT] = str(committee.root)
    else:
        os.environ.pop(lib.ENVIRONMENT, None)


def _choose_language(lang: str) -> None:
    if i18n.normalise(lang) is None:
        raise UsageError(
            Diagnostic("E004", f"--lang {lang}: Zuji speaks zh and en", hint="use --lang zh")
        )
    i18n.set_language(lang)


def _say(text: str = "", err: bool = False) -> None:
    """Print text for people; names and texts from inventories and rules may hold control or
    bidi characters, shown as U+FFFD rather than obeyed by the terminal."""
    typer.echo(printable(text), err=err)


def _say_json(text: str) -> None:
    """Print JSON for programs: the same data, hidden characters written as \\u escapes."""
    typer.echo(json_printable(text))


@app.command("list", cls=ZujiCommand, help=N_("The PCR library: id, version, status, product."))
def list_pcrs(
    as_json: Annotated[bool, typer.Option("--json", help=N_("JSON out"))] = False,
) -> None:
    """The PCR library: id, version, status, product."""
    from zuji.runtime.pcr import list_pcrs as library_pcrs

    rules = library_pcrs()
    rows = [
        {
            "id": r.id,
            "version": r.version,
            "status": r.status,
            "name_en": r.name.en,
            "name_zh": r.name.zh,
            "declared_unit": f"{r.declared_unit.amount:g} {r.declared_unit.unit}"
            if r.declared_unit
            else "",
            "path": r.path,
        }
        for r in rules
    ]
    if as_json:
        _say_json(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    # The table says what the footprint is per ("1 t of cement"), which the JSON's bare "1 t"
    # leaves to the reader; the JSON keeps its shape because other programs read it.
    units = [
        _("{amount} {unit} of {product}").format(
            amount=f"{r.declared_unit.amount:g}",
            unit=r.declared_unit.unit,
            product=r.declared_unit.product,
        )
        if r.declared_unit
        else "-"
        for r in rules
    ]
    heading = (_("id"), _("version"), _("status"), _("declared unit"), _("name"))
    table = [heading] + [
        (row["id"], row["version"], status_word(row["status"]), unit, _names(row))
        for row, unit in zip(rows, units, strict=True)
    ]
    # Widths from the content, in terminal columns (a Chinese character takes two); the name
    # goes last, so its length cannot push any column out of line.
    widths = [max(columns(line[i]) for line in table) for i in range(4)]
    for line in table:
        _say(
            "  ".join(pad(cell, width) for cell, width in zip(line, widths, strict=False))
            + "  "
            + line[4]
        )


def _names(row: dict[str, str]) -> str:
    """A PCR's two names, the reader's language first."""
    first, second = (row["name_zh"], row["name_en"])
    if i18n.language() != "zh":
        first, second = second, first
    return " / ".join(n for n in (first, second) if n)


@app.command(cls=ZujiCommand, help=N_("Parse and check rule files (and their cases' inventories)."))
def check(
    paths: Annotated[list[Path] | None, typer.Argument(help=N_("Rule files or folders"))] = None,
    output: Annotated[str, typer.Option("--format", help=N_("text or json"))] = "text",
    strict: Annotated[bool, typer.Option(help=N_("Treat warnings as findings"))] = False,
    base: Annotated[
        str | None,
        typer.Option("--base", help=N_("Also check version discipline against this git revision")),
    ] = None,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache", help=N_("Check afresh, not from the report kept of an unchanged library")
        ),
    ] = False,
) -> None:
    """Parse and check rule files (and their cases' inventories)."""
    from zuji.interfaces import check_report

    targets = paths or [lib.pcr_root()]
    for path in targets:
        if not path.exists():
            raise UsageError(Diagnostic("E002", f"{path}: no such file or folder"))
    # Against a git revision the report depends on git's history: never kept.
    key = check_report.report_key(targets, output, strict) if base is None else None
    report = check_report.kept(key) if key is not None and not no_cache else None
    if report is None:
        # The engine is imported only here: a kept report needs none of it.
        from zuji.interfaces.check_command import checked

        report = checked(targets, output, strict, base)
        if key is not None:
            check_report.keep(key, report)
    typer.echo(report.text, nl=False)
    if report.code:
        raise typer.Exit(report.code)


@app.command("test", cls=ZujiCommand, help=N_("Run the worked cases beside each PCR."))
def test_cases(
    paths: Annotated[list[Path] | None, typer.Argument(help=N_("PCRs, files or folders"))] = None,
    coverage: Annotated[
        bool, typer.Option("--coverage", help=N_("Report what the cases leave untested"))
    ] = False,
) -> None:
    """Run the worked cases beside each PCR."""
    from zuji.interfaces.progress import progress
    from zuji.runtime.pcr import load as load_pcr

    files: list[Path] = []
    for path in paths or [lib.pcr_root()]:
        found = lib.find_pcr(str(path))
        files += (
            lib.rule_files(path) if path.is_dir() and found is None else ([found] if found else [])
        )
        if found is None and not path.is_dir():
            raise UsageError(Diagnostic("E002", f"{path}: no PCR there"))
    passed = failed = 0
    with progress(N_("cases"), None) as advance:
        for file in files:
            pcr = load_pcr(file)
            if pcr.rule.kind != "pcr":
                continue
            passed, failed = _run_cases(pcr, coverage, advance, passed, failed)
    _say(_("cases: {passed} passed, {failed} failed").format(passed=passed, failed=failed))
    if failed or not passed:
        raise typer.Exit(1)


def _run_cases(
    pcr: "PCR", coverage: bool, advance: "Callable[[int], None]", passed: int, failed: int
) -> tuple[int, int]:
    """Run one PCR's worked cases, printing a line each; the counts so far, updated."""
    from zuji.interfaces.review_cli import coverage_text
    from zuji.runtime.cases import case_files, run_case

    for case in case_files(pcr):
        outcome = run_case(pcr, case)
        # The status words stay ok/FAIL in every language: scripts and CI logs look for them.
        status = "ok  " if outcome.passed else "FAIL"
        total = f"{outcome.result.total:.4g} {outcome.result.unit}" if outcome.result else ""
        figures = _("({count} figures)").format(count=outcome.checked)
        _say(f"{status} {pcr.id}/{outcome.name}  {total}  {figures}")
        for failure in outcome.failures:
            _say(f"     {localise_text('case', failure)}")
        passed, failed = passed + outcome.passed, failed + (not outcome.passed)
        advance(1)
    if coverage:
        _say(coverage_text(pcr, case_files(pcr)))
    return passed, failed


@app.command(cls=ZujiCommand, help=N_("Evaluate an inventory under a PCR."))
def run(
    pcr: Annotated[str, typer.Argument(help=N_("PCR id or path"))],
    inventory: Annotated[
        Path, typer.Option("--inventory", "-i", help=N_("Inventory YAML/JSON, xlsx or CSV"))
    ],
    output: Annotated[
        str,
        typer.Option("--format", "-f", help=N_("table, json, pact, markdown, cbam or cbam-table")),
    ] = "table",
    trace: Annotated[bool, typer.Option("--trace", help=N_("Include every line's trace"))] = False,
    documents_root: Annotated[
        Path | None,
        typer.Option(
            "--documents-root",
            help=N_(
                "Folder the files an inventory names (supplier PACT documents) must lie in; "
                "by default the inventory's own folder"
            ),
        ),
    ] = None,
    sensitivity: Annotated[
        bool,
        typer.Option(
            "--sensitivity", help=N_("Add exact derivatives, elasticities and line contributions")
        ),
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help=N_("Write to this file (atomically) instead of stdout")),
    ] = None,
) -> None:
    """Evaluate an inventory under a PCR."""
    formats = [f.strip() for f in output.split(",") if f.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise UsageError(
            Diagnostic("E004", f"unknown format {', '.join(unknown)}; use " + ", ".join(FORMATS))
        )
    from zuji.interfaces.run_output import outputs
    from zuji.runtime.pcr import load as load_pcr

    loaded = load_pcr(pcr)
    if documents_root is not None and not documents_root.is_dir():
        raise UsageError(Diagnostic("E002", f"--documents-root {documents_root}: no such folder"))
    read = loaded.inventory(inventory, root=documents_root)
    result = loaded.evaluate(read, trace=trace)
    if sensitivity:
        from zuji.review.sensitivity import with_sensitivity  # sympy only when asked for

        result = with_sensitivity(loaded, read, result)
    texts = outputs(formats, loaded, read, result, trace)
    if out is None:
        for text in texts:
            typer.echo(text)
    else:
        write_atomic(out, "".join(text + "\n" for text in texts))


@app.command(cls=ZujiCommand, help=N_("The JSON Schema of a PCR's inventory."))
def schema(pcr: Annotated[str, typer.Argument(help=N_("PCR id or path"))]) -> None:
    """The JSON Schema of a PCR's inventory."""
    from zuji.runtime.pcr import load as load_pcr

    _say_json(json.dumps(load_pcr(pcr).schema(), ensure_ascii=False, indent=2))


@app.command(
    cls=ZujiCommand,
    help=N_("Generate the rule pages of the MkDocs site (docs/pcr/) and its navigation."),
)
def docs(
    config: Annotated[Path, typer.Option(help=N_("The committed MkDocs config"))] = Path(
        "mkdocs.yml"
    ),
    with_bundled: Annotated[
        bool,
        typer.Option(
            "--with-bundled", help=N_("Publish the bundled PCRs beside a committee's own")
        ),
    ] = False,
) -> None:
    """Generate the rule pages of the MkDocs site (docs/pcr/) and its navigation.

    In a committee's library: its own PCRs, with the engine's site configuration, under
    .zuji/site/ (build with the mkdocs command printed)."""
    # The docs stack is not needed to evaluate: imported here only.
    from zuji.interfaces.docsite import generate
    from zuji.interfaces.docsite.committee import generate_committee
    from zuji.interfaces.progress import progress

    committee = lib.active()
    with progress(N_("pages")):
        done = generate_committee(committee, with_bundled) if committee else generate(config)
    for skipped in done.skipped:
        _say(
            _("skipped {kind} {id}: {reason}").format(
                kind=skipped.kind, id=skipped.id, reason=localise_text("part", skipped.reason)
            ),
            err=True,
        )
    folder = done.pages[-1].parent if done.pages else config.parent
    _say(
        _(
            "wrote {count} pages under {folder}; build with: mkdocs build --strict -f {config}"
        ).format(count=len(done.pages), folder=folder, config=done.config)
    )


@app.command(
    cls=ZujiCommand,
    help=N_("Recompute a result from the file alone and say whether every number matches."),
)
def replay(
    result: Annotated[
        Path, typer.Argument(help=N_("A JSON result written with --format json --trace"))
    ],
    pcr: Annotated[
        Path | None,
        typer.Option("--pcr", help=N_("The rule file it was computed with, if not the library's")),
    ] = None,
) -> None:
    """Recompute a result from the file alone and say whether every number matches."""
    from zuji.exchange.replay import replay_file

    outcome = replay_file(result, pcr)
    _say(outcome.report())
    if not outcome.matches:
        raise typer.Exit(1)


# After the commands above, so that --help lists zuji diff, review and history after them.
_register_review(app)
_register_batch(app)
_register_mc(app)
_register_serve(app)
_register_clients(app)
_register_trust(app)
_register_template(app)
_register_init(app)
_register_catalogue(app)
_register_label(app)


def main() -> None:
    """Entry point: Zuji's errors become diagnostics and exit codes, never tracebacks."""
    startup.command_line = True
    lang, args = i18n.language_option(sys.argv[1:])
    # For this call only: a program (or a test) may call main() again in another language.
    with i18n.use_language(lang if i18n.normalise(lang) else None):
        try:
            if lang is not None:
                _choose_language(lang)  # refuses a language Zuji does not speak
            with speaking(i18n.language()):
                # Not standalone: click's usage mistakes come here, to be said in our words.
                # Named `zuji` however it was started (python -m zuji, a test): the usage lines
                # and the hints name the command a reader types.
                code = _only(args)(args=args, prog_name="zuji", standalone_mode=False)
        except ZujiError as exc:
            for diag in exc.diagnostics:
                _say(diag.render(), err=True)
            sys.exit(exc.exit_code)
        except typer.TyperException as exc:  # click's: an option missing, unknown, ill-typed
            sys.exit(_usage_mistake(exc))
        except typer.Abort:
            _say(_("Aborted!"), err=True)
            sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


def _only(args: list[str]) -> typer.Typer:
    """The app with only the command `args` name first, when they name one: typer reads the
    parameters of every command it builds (a tenth of a second for all of Zuji's), and a run
    uses one. With an option first, or no command, or --help of zuji itself: the whole app."""
    if not args or args[0].startswith("-"):
        return app
    wanted = args[0]
    commands = [c for c in app.registered_commands if _command_name(c) == wanted]
    groups = [g for g in app.registered_groups if _group_name(g) == wanted]
    if len(commands) + len(groups) != 1:
        return app
    one = copy.copy(app)
    one.registered_commands, one.registered_groups = commands, groups
    return one


def _command_name(info: CommandInfo) -> str | None:
    named = info.name or getattr(info.callback, "__name__", None)
    return named.lower().replace("_", "-") if named else None


def _group_name(info: TyperInfo) -> str | None:
    if info.name or info.typer_instance is None:
        return info.name
    return info.typer_instance.info.name


def _usage_mistake(exc: typer.TyperException) -> int:
    """Print a mistake click found on the command line (after the usage line, as click does);
    a group called without a command shows its help. The exit code."""
    if is_help_for_no_arguments(exc):
        _say(exc.format_message(), err=True)
        return 2
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        _say(ctx.get_usage(), err=True)
    _say(usage_mistake(exc).render(), err=True)
    return int(getattr(exc, "exit_code", 2))


if __name__ == "__main__":
    main()
