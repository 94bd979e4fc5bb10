"""The command line: exit 0 when all is well, 1 on findings, 2 on a usage mistake.

A user's mistake (a bad rule file, inventory or path) is reported as a diagnostic, never as a
Python traceback.

The engine is imported inside each command, not here: `zuji --help` (and a command's own
--help) then starts without the unit registry, the parser, the validators or the web stack. A
module that adds commands with `register(app)` keeps its heavy imports inside its commands too.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from zuji.core import i18n, startup
from zuji.core import library as lib
from zuji.core.errors import Diagnostic, UsageError, ZujiError
from zuji.core.files import write_atomic
from zuji.core.i18n import _
from zuji.core.text import json_printable, printable
from zuji.interfaces.batch_cli import register as _register_batch
from zuji.interfaces.catalogue_cli import register as _register_catalogue
from zuji.interfaces.clients_cli import register as _register_clients
from zuji.interfaces.init_cli import register as _register_init
from zuji.interfaces.mc_cli import register as _register_mc
from zuji.interfaces.review_cli import register as _register_review
from zuji.interfaces.serve_cli import register as _register_serve
from zuji.interfaces.template_cli import register as _register_template
from zuji.interfaces.trust_cli import register as _register_trust

if TYPE_CHECKING:
    from collections.abc import Callable

    from zuji.runtime.inventory import Inventory
    from zuji.runtime.pcr import PCR
    from zuji.runtime.result import Result, Trace

# Help texts are made as the commands are defined, so --lang is read before typer reads it.
_ASKED_LANGUAGE = i18n.language_option(sys.argv[1:])[0]
if i18n.normalise(_ASKED_LANGUAGE):
    i18n.set_language(_ASKED_LANGUAGE)

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help=_("Zuji: product carbon footprints from Product Category Rules."),
)

FORMATS = ("table", "json", "pact", "markdown", "cbam", "cbam-table")


@app.callback()
def _options(
    library: Annotated[
        Path | None,
        typer.Option(
            "--library",
            envvar=lib.ENVIRONMENT,
            help=_(
                "The library's folder (pcr/ or zuji.toml); by default the nearest one from the "
                "working folder upwards, else the bundled library"
            ),
        ),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help=_("Language of messages and reports: zh or en (else ZUJI_LANG, LC_ALL, LANG)"),
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


@app.command("list", help=_("The PCR library: id, version, status, product."))
def list_pcrs(as_json: Annotated[bool, typer.Option("--json", help=_("JSON out"))] = False) -> None:
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
        f"{r.declared_unit.amount:g} {r.declared_unit.unit} of {r.declared_unit.product}"
        if r.declared_unit
        else "-"
        for r in rules
    ]
    table = [("id", "version", "status", "declared unit", "name")] + [
        (row["id"], row["version"], row["status"], unit, f"{row['name_en']} / {row['name_zh']}")
        for row, unit in zip(rows, units, strict=True)
    ]
    # Widths from the content; the name goes last, so its Chinese (wide) characters cannot
    # push any column out of line.
    widths = [max(len(line[i]) for line in table) for i in range(4)]
    for line in table:
        _say(
            "  ".join(f"{cell:<{width}}" for cell, width in zip(line, widths, strict=False))
            + "  "
            + line[4]
        )


@app.command(help=_("Parse and check rule files (and their cases' inventories)."))
def check(
    paths: Annotated[list[Path] | None, typer.Argument(help=_("Rule files or folders"))] = None,
    output: Annotated[str, typer.Option("--format", help=_("text or json"))] = "text",
    strict: Annotated[bool, typer.Option(help=_("Treat warnings as findings"))] = False,
    base: Annotated[
        str | None,
        typer.Option("--base", help=_("Also check version discipline against this git revision")),
    ] = None,
) -> None:
    """Parse and check rule files (and their cases' inventories)."""
    from zuji.runtime.pcr import check_paths

    targets = paths or [lib.pcr_root()]
    for path in targets:
        if not path.exists():
            raise UsageError(Diagnostic("E002", f"{path}: no such file or folder"))
    results = check_paths(targets)
    diagnostics, case_problems = _check_findings(results, base)
    errors = [d for d in diagnostics if d.is_error]
    warnings = [d for d in diagnostics if not d.is_error]
    if output == "json":
        _say_json(
            json.dumps(
                {
                    "files": len(results),
                    "diagnostics": [d.as_dict() for d in diagnostics],
                    "cases": case_problems,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        _say_check_text(len(results), diagnostics, case_problems)
    if errors or case_problems or (strict and warnings):
        raise typer.Exit(1)


def _check_findings(
    results: list[tuple[Path, list[Diagnostic]]], base: str | None
) -> tuple[list[Diagnostic], list[str]]:
    """Every file's diagnostics (with its version discipline against `base`, when given) and
    the problems of its cases' inventories; a file with errors is not checked further."""
    from zuji.interfaces.review_cli import discipline_findings

    diagnostics: list[Diagnostic] = []
    case_problems: list[str] = []
    for path, found in results:
        if base is not None and not any(d.is_error for d in found):
            found = found + discipline_findings(path, base)
        diagnostics.extend(found)
        if not any(d.is_error for d in found):
            case_problems += _case_inventory_problems(path)
    return diagnostics, case_problems


def _say_check_text(files: int, diagnostics: list[Diagnostic], case_problems: list[str]) -> None:
    errors = sum(1 for d in diagnostics if d.is_error)
    for diag in diagnostics:
        _say(diag.render())
    for problem in case_problems:
        _say(problem)
    summary = _("checked {files} rule files: {errors} errors, {warnings} warnings")
    misfits = _(", {count} case inventories that do not fit") if case_problems else ""
    _say(
        summary.format(files=files, errors=errors, warnings=len(diagnostics) - errors)
        + misfits.format(count=len(case_problems))
    )


def _case_inventory_problems(path: Path) -> list[str]:
    from zuji.runtime.cases import case_files, check_case_inventory
    from zuji.runtime.pcr import load as load_pcr

    pcr = load_pcr(path)
    if pcr.rule.kind != "pcr":
        return []
    return [problem for case in case_files(pcr) for problem in check_case_inventory(pcr, case)]


@app.command("test", help=_("Run the worked cases beside each PCR."))
def test_cases(
    paths: Annotated[list[Path] | None, typer.Argument(help=_("PCRs, files or folders"))] = None,
    coverage: Annotated[
        bool, typer.Option("--coverage", help=_("Report what the cases leave untested"))
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
    with progress("cases", None) as advance:
        for file in files:
            pcr = load_pcr(file)
            if pcr.rule.kind != "pcr":
                continue
            passed, failed = _run_cases(pcr, coverage, advance, passed, failed)
    _say(f"cases: {passed} passed, {failed} failed")
    if failed or not passed:
        raise typer.Exit(1)


def _run_cases(
    pcr: PCR, coverage: bool, advance: Callable[[int], None], passed: int, failed: int
) -> tuple[int, int]:
    """Run one PCR's worked cases, printing a line each; the counts so far, updated."""
    from zuji.interfaces.review_cli import coverage_text
    from zuji.runtime.cases import case_files, run_case

    for case in case_files(pcr):
        outcome = run_case(pcr, case)
        status = "ok  " if outcome.passed else "FAIL"
        total = f"{outcome.result.total:.4g} {outcome.result.unit}" if outcome.result else ""
        _say(f"{status} {pcr.id}/{outcome.name}  {total}  ({outcome.checked} figures)")
        for failure in outcome.failures:
            _say(f"     {failure}")
        passed, failed = passed + outcome.passed, failed + (not outcome.passed)
        advance(1)
    if coverage:
        _say(coverage_text(pcr, case_files(pcr)))
    return passed, failed


@app.command(help=_("Evaluate an inventory under a PCR."))
def run(
    pcr: Annotated[str, typer.Argument(help=_("PCR id or path"))],
    inventory: Annotated[
        Path, typer.Option("--inventory", "-i", help=_("Inventory YAML/JSON, xlsx or CSV"))
    ],
    output: Annotated[
        str,
        typer.Option("--format", "-f", help=_("table, json, pact, markdown, cbam or cbam-table")),
    ] = "table",
    trace: Annotated[bool, typer.Option("--trace", help=_("Include every line's trace"))] = False,
    documents_root: Annotated[
        Path | None,
        typer.Option(
            "--documents-root",
            help=_(
                "Folder the files an inventory names (supplier PACT documents) must lie in; "
                "by default the inventory's own folder"
            ),
        ),
    ] = None,
    sensitivity: Annotated[
        bool,
        typer.Option(
            "--sensitivity", help=_("Add exact derivatives, elasticities and line contributions")
        ),
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write to this file (atomically) instead of stdout"),
    ] = None,
) -> None:
    """Evaluate an inventory under a PCR."""
    formats = [f.strip() for f in output.split(",") if f.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise UsageError(
            Diagnostic("E004", f"unknown format {', '.join(unknown)}; use " + ", ".join(FORMATS))
        )
    from zuji.runtime.pcr import load as load_pcr

    loaded = load_pcr(pcr)
    if documents_root is not None and not documents_root.is_dir():
        raise UsageError(Diagnostic("E002", f"--documents-root {documents_root}: no such folder"))
    read = loaded.inventory(inventory, root=documents_root)
    result = loaded.evaluate(read, trace=trace)
    if sensitivity:
        from zuji.review.sensitivity import with_sensitivity  # sympy only when asked for

        result = with_sensitivity(loaded, read, result)
    texts = [
        _cbam_text(fmt, loaded, read) if fmt.startswith("cbam") else _rendered(result, fmt, trace)
        for fmt in formats
    ]
    if out is None:
        for text in texts:
            typer.echo(text)
    else:
        write_atomic(out, "".join(text + "\n" for text in texts))


def _rendered(result: Result, fmt: str, trace: bool) -> str:
    """One format's text, as printed: JSON with hidden characters escaped, text for people with
    control and bidi characters shown as U+FFFD."""
    from zuji.interfaces import report

    if fmt == "json":
        return json_printable(report.to_json(result))
    if fmt == "pact":
        from zuji.exchange.pact import to_pact

        return json_printable(json.dumps(to_pact(result), ensure_ascii=False, indent=2))
    if fmt == "markdown":
        return printable(report.to_markdown(result))
    parts = [report.to_table(result)]
    if trace and result.trace:
        parts.append(_trace_text(result.trace))
    if result.sensitivity:
        from zuji.interfaces.sensitivity_report import sensitivity_table

        parts.append(sensitivity_table(result.sensitivity))
    return printable("\n".join(parts))


def _cbam_text(fmt: str, loaded: PCR, read: Inventory) -> str:
    """CBAM embedded emissions: JSON for programs (cbam) or a table for people (cbam-table)."""
    from zuji.interfaces.cbam_report import cbam_output

    text = cbam_output(fmt, loaded, read)
    return json_printable(text) if fmt == "cbam" else printable(text)


def _trace_text(trace: Trace) -> str:
    lines = []
    for line in trace.values + trace.lines:
        lines.append(f"{line.name} [{line.where}] = {line.formula}")
        for value in line.values:
            lines.append(
                f"    {value.name} = {value.value} {value.unit}  ({value.origin}: {value.source})"
            )
        lines.append(f"    -> {line.value:.6g} {line.unit}")
    return "\n".join(lines)


@app.command(help=_("The JSON Schema of a PCR's inventory."))
def schema(pcr: Annotated[str, typer.Argument(help=_("PCR id or path"))]) -> None:
    """The JSON Schema of a PCR's inventory."""
    from zuji.runtime.pcr import load as load_pcr

    _say_json(json.dumps(load_pcr(pcr).schema(), ensure_ascii=False, indent=2))


@app.command(help=_("Generate the rule pages of the MkDocs site (docs/pcr/) and its navigation."))
def docs(
    config: Annotated[Path, typer.Option(help=_("The committed MkDocs config"))] = Path(
        "mkdocs.yml"
    ),
    with_bundled: Annotated[
        bool,
        typer.Option("--with-bundled", help="Publish the bundled PCRs beside a committee's own"),
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
    with progress("pages"):
        done = generate_committee(committee, with_bundled) if committee else generate(config)
    for skipped in done.skipped:
        _say(f"skipped {skipped.kind} {skipped.id}: {skipped.reason}", err=True)
    folder = done.pages[-1].parent if done.pages else config.parent
    _say(
        f"wrote {len(done.pages)} pages under {folder}; "
        f"build with: mkdocs build --strict -f {done.config}"
    )


@app.command(help=_("Recompute a result from the file alone and say whether every number matches."))
def replay(
    result: Annotated[
        Path, typer.Argument(help=_("A JSON result written with --format json --trace"))
    ],
    pcr: Annotated[
        Path | None,
        typer.Option("--pcr", help=_("The rule file it was computed with, if not the library's")),
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


def main() -> None:
    """Entry point: Zuji's errors become diagnostics and exit codes, never tracebacks."""
    startup.command_line = True
    lang, args = i18n.language_option(sys.argv[1:])
    # For this call only: a program (or a test) may call main() again in another language.
    with i18n.use_language(lang if i18n.normalise(lang) else None):
        try:
            if lang is not None:
                _choose_language(lang)  # refuses a language Zuji does not speak
            app(args=args)
        except ZujiError as exc:
            for diag in exc.diagnostics:
                _say(diag.render(), err=True)
            sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
