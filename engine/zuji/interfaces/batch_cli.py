"""`zuji batch PCR FILE -o OUT`: many inventories from a CSV, JSON Lines, Parquet or xlsx file,
evaluated in partitions and written as they come, so memory stays bounded however long the file.

Exit 0 when every row was evaluated, 1 when any row failed (its reason is in the output's `error`
column), 2 on a usage mistake (a file or format Zuji cannot take, a column naming no input).
"""

# Annotations not postponed: typer reads them at every start (see cli.py).

import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from zuji.core import startup
from zuji.core.errors import Diagnostic, UsageError
from zuji.core.i18n import N_, _
from zuji.interfaces.cli_words import ZujiCommand

if TYPE_CHECKING:  # the engine is imported when the command runs, not by `zuji --help`
    from zuji.runtime.pcr import PCR


def batch_command(
    pcr: Annotated[str, typer.Argument(help=N_("PCR id or path"))],
    file: Annotated[Path, typer.Argument(help=N_("Inventories: .csv, .jsonl, .parquet or .xlsx"))],
    output: Annotated[
        Path, typer.Option("--output", "-o", help=N_("Results: .csv, .jsonl, .parquet or .xlsx"))
    ],
    workers: Annotated[
        int, typer.Option("--workers", help=N_("Local processes evaluating partitions"))
    ] = 1,
    dask: Annotated[
        str | None,
        typer.Option("--dask", help=N_("A Dask scheduler (tcp://host:8786), or 'local'")),
    ] = None,
    chunk_rows: Annotated[
        int, typer.Option("--chunk-rows", help=N_("Rows per partition"), min=1)
    ] = 100_000,
) -> None:
    """Evaluate many inventories at once; one output row per inventory, failures with reasons."""
    from zuji.interfaces.batch_files import Writer, count_rows, format_of
    from zuji.interfaces.progress import progress
    from zuji.runtime.executors import executor_for

    format_of(file), format_of(output)
    if output.resolve() == file.resolve():
        raise UsageError(Diagnostic("E664", f"{output}: the output would overwrite the input"))
    from zuji.runtime.pcr import load as load_pcr

    loaded = load_pcr(pcr)
    startup.keep_freed_memory()  # the partitions' arrays reuse each other's pages
    started = time.perf_counter()
    rows = failed = 0
    writer = Writer(output)
    with executor_for(workers, dask) as executor, progress(N_("rows"), count_rows(file)) as advance:
        try:
            for frame in written_in_turn(writer, loaded_parts(loaded, file, chunk_rows, executor)):
                rows += len(frame)
                failed += int((frame["status"] != "ok").sum())
                advance(len(frame))
        except BaseException:
            writer.close(complete=False)  # no half-written output is left under its name
            raise
        writer.close()
    elapsed = time.perf_counter() - started
    rate = rows / elapsed if elapsed > 0 else 0.0
    typer.echo(
        _("{rows} rows, {failed} failed, {seconds} s, {rate} rows/s -> {output}").format(
            rows=rows, failed=failed, seconds=f"{elapsed:.2f}", rate=f"{rate:,.0f}", output=output
        ),
        err=True,
    )
    if failed:
        raise typer.Exit(1)


def written_in_turn(writer: Any, frames: Iterator[Any], ahead: int = 2) -> Iterator[Any]:
    """Each output frame once `writer` has it, written on a thread of its own: formatting a
    million rows of figures as text costs as much as reading them, and the two overlap while
    the next partitions are read and evaluated. At most `ahead` frames wait to be written."""
    from concurrent.futures import Future, ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="zuji-writer") as out:
        waiting: deque[tuple[Future[None], Any]] = deque()
        for frame in frames:
            waiting.append((out.submit(writer.write, frame), frame))
            while len(waiting) > ahead:
                done, written = waiting.popleft()
                done.result()
                yield written
        while waiting:
            done, written = waiting.popleft()
            done.result()
            yield written


def loaded_parts(pcr: "PCR", file: Path, chunk_rows: int, executor: Any) -> Iterator[Any]:
    """The output of each partition of the file, in order."""
    from zuji.interfaces.batch_files import read_chunks
    from zuji.runtime.batch import evaluate_parts, partitions

    def text(header: str) -> bool:
        return _text_column(pcr, header)

    def parts() -> Iterator[Any]:
        first = 0
        for chunk in read_chunks(file, chunk_rows, text):
            for part in partitions(chunk, pcr, chunk_rows):
                part.first_row += first
                yield part
            first += len(chunk)

    return evaluate_parts(pcr, parts(), executor)


def _text_column(pcr: "PCR", header: str) -> bool:
    """Columns read as text: options, dates, ids; quantities are typed by their values."""
    if header in ("id", "company", "product", "site", "period_start", "period_end"):
        return True
    parts = header.split("[")[0].strip().split(".")
    inp = pcr.rule.input(parts[0])
    if inp is not None and inp.kind == "list" and len(parts) == 3:
        inp = next((f for f in inp.fields if f.name == parts[2]), None)
    return inp is not None and inp.kind == "choice"


def register(app: typer.Typer) -> None:
    app.command(
        "batch",
        cls=ZujiCommand,
        help=N_(
            "Evaluate many inventories at once; one output row per inventory, "
            "failures with reasons."
        ),
    )(batch_command)
