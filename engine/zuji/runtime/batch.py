"""Many inventories at once: `PCR.evaluate_many(table)` and the partitions `zuji batch` streams.

A batch is cut into partitions of rows; each is evaluated as arrays by the vectorised plan
(runtime.vector), and the rows it does not vouch for (suspect: a check failed, or a construct the
scalar path must judge) are evaluated one by one by the scalar path, which gives their result or
their error in the same words as for one inventory file. So every row gets the scalar path's
figures (to the last bits of a sum) or the scalar path's error, and one failing row never stops
the others.

The output is a pandas DataFrame with one row per inventory, in the input's order (OUTPUT).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from zuji.core import i18n
from zuji.core import library as lib
from zuji.core.errors import ZujiError
from zuji.runtime.aggregate import ORIGINS
from zuji.runtime.batch_documents import documents_frame, flat_rows_frame
from zuji.runtime.batch_periods import period_groups
from zuji.runtime.batch_table import META, Batch, arrays, columns_of
from zuji.runtime.executors import Executor, InProcess
from zuji.runtime.result import Result
from zuji.runtime.vector import Figures, factors_in_force, run_vector
from zuji.semantics.compile.vector import Array, ListColumn, vector_plan

if TYPE_CHECKING:
    from zuji.runtime.pcr import PCR

# The columns of a batch's output, in order: `row` is the inventory's number in the input (1 for
# the first), `status` "ok" or "failed", `error` the reason a row failed (code and message); the
# figures are kg CO2e per declared unit as in a single result: the total (emissions, without
# credits and removals), removals, credits, the total by origin (fossil, biogenic, luc), then one
# column per stage (`stage.<name>`) and per gas (`gas.<key>`). `id`, `company`, `product` and
# `site` follow `row` when the input has them. A failed row's figures are NaN.
OUTPUT = ("row", "status", "error", "total", "removals", "credits", *ORIGINS)
PASSED = ("id", "company", "product", "site")
CHUNK_ROWS = 100_000
# A table already in memory and evaluated here on several threads has no reading to keep small:
# its partitions are larger, so that numpy's work, which runs beside the other threads, outweighs
# the interpreter's per partition, which does not (measured: 0.34 s at 100 000 rows, 0.23-0.26 s
# at 250 000, for a million cement plants on two threads; one thread is fastest at 100 000, whose
# arrays stay nearer the core; benchmarks/speed_batch.py).
IN_MEMORY_ROWS = 250_000


def evaluate_many(
    pcr: PCR, table: Any, executor: Executor | None = None, chunk_rows: int | None = None
) -> pd.DataFrame:
    """One output row per inventory of `table` (a pandas DataFrame, a pyarrow Table, a list of
    inventory documents or flat rows, or a mapping column -> array), as a pandas DataFrame, in
    partitions of `chunk_rows` rows (by default IN_MEMORY_ROWS for a table in memory evaluated
    on several threads here, else CHUNK_ROWS)."""
    if (executor is None or isinstance(executor, InProcess)) and not _listed(table):
        return _in_place(pcr, _frame(table), chunk_rows, executor)
    chunk_rows = chunk_rows or CHUNK_ROWS
    frames = list(evaluate_parts(pcr, partitions(table, pcr, chunk_rows), executor))
    if not frames:
        return empty_output(pcr)
    if len(frames) == 1:
        return frames[0]
    # Each partition's errors are categories of their own: united, not turned into text.
    errors: Any = union_categoricals([f["error"] for f in frames])
    whole = pd.concat([f.drop(columns="error") for f in frames], ignore_index=True)
    whole.insert(list(frames[0].columns).index("error"), "error", errors)
    return whole


def _listed(table: Any) -> bool:
    return isinstance(table, Sequence) and not isinstance(table, (str, bytes))


def _in_place(
    pcr: PCR, frame: pd.DataFrame, chunk_rows: int | None, executor: InProcess | None = None
) -> pd.DataFrame:
    """A table already in memory, evaluated here (on a thread per core, InProcess): each
    partition writes its figures into its slice of one output block, so the partitions' outputs
    are never copied into a whole (a copy that costs, for a million rows, more than evaluating
    them)."""
    if len(frame) == 0:  # as the partitions' path: no partition, the empty output
        return empty_output(pcr)
    names = figure_columns(pcr)
    vector_plan(pcr.plan)  # compiled once, before the threads need it
    block = np.empty((len(names), len(frame)))

    def evaluate(batch: Batch) -> dict[int, str]:
        end = batch.first_row + batch.n
        found = figures_into(pcr, batch, block[:, batch.first_row : end], names)
        return {batch.first_row + i: reason for i, reason in found.items()}

    runner = executor or InProcess()
    rows = chunk_rows or (IN_MEMORY_ROWS if runner.workers > 1 else CHUNK_ROWS)
    errors: dict[int, str] = {}
    for found in runner.map(evaluate, partitions(frame, pcr, rows)):
        errors.update(found)
    return _output(Batch(frame, {}), names, block, errors)


def evaluate_parts(
    pcr: PCR, parts: Iterable[Batch], executor: Executor | None = None
) -> Iterator[pd.DataFrame]:
    """Each partition's output, in order, evaluated by `executor` (in this process by default)."""
    runner = executor or InProcess()
    return runner.map(EvaluatePart(pcr), parts)


class EvaluatePart:
    """Evaluates one partition; sent to other processes by its PCR's source, loaded once there.
    The reader's language goes with it: a worker process (or a Dask worker on another machine)
    has neither the command line's --lang nor the reader's environment, and the rows' errors
    must read in the reader's language."""

    def __init__(self, pcr: PCR) -> None:
        self.pcr: PCR | None = pcr
        self.source = pcr_source(pcr)
        self.language = i18n.language()

    def __getstate__(self) -> dict[str, Any]:
        return {"pcr": None, "source": self.source, "language": self.language}

    def __call__(self, batch: Batch) -> pd.DataFrame:
        if self.pcr is None:
            self.pcr = _loaded(self.source)
        with i18n.use_language(self.language):
            return evaluate_batch(self.pcr, batch)


def pcr_source(pcr: PCR) -> tuple[str, str]:
    """How another process, perhaps on another machine, loads the same PCR: by its id when it is
    the library's (each machine has the library), else by its file's absolute path, else by its
    text."""
    path = Path(pcr.rule.path)
    if path.is_file():
        bundled = lib.find_pcr(pcr.id) if "/" not in pcr.id else None
        if bundled is not None and bundled.resolve() == path.resolve():
            return ("path", pcr.id)
        return ("path", str(path.resolve()))
    return ("text", pcr.plan.resolved.sources.get(pcr.rule.path, ""))


_LOADED: dict[tuple[str, str], PCR] = {}


def _loaded(source: tuple[str, str]) -> PCR:
    from zuji.runtime.pcr import load, load_text  # the facade imports this module

    if source not in _LOADED:
        kind, value = source
        _LOADED[source] = load(value) if kind == "path" else load_text(value)
    return _LOADED[source]


# ---------------------------------------------------------------------- input into partitions


def partitions(table: Any, pcr: PCR, chunk_rows: int = CHUNK_ROWS) -> Iterator[Batch]:
    """The table cut into partitions of at most chunk_rows rows."""
    rule = pcr.rule
    if _listed(table):
        for start in range(0, len(table), chunk_rows):
            rows = table[start : start + chunk_rows]
            if all(isinstance(r, dict) and "inputs" in r for r in rows):
                frame, docs, suspect = documents_frame(rows, rule)
                yield Batch(frame, columns_of(list(frame.columns), rule), docs, start, suspect)
            else:
                frame = flat_rows_frame(rows)
                yield Batch(frame, columns_of([str(c) for c in frame.columns], rule), None, start)
        return
    frame = _frame(table)
    columns = columns_of([str(c) for c in frame.columns], rule)
    for start in range(0, len(frame), chunk_rows):
        part = frame.iloc[start : start + chunk_rows].reset_index(drop=True)
        yield Batch(part, columns, None, start)


def _frame(table: Any) -> pd.DataFrame:
    if isinstance(table, pd.DataFrame):
        return table
    if hasattr(table, "to_pandas"):  # a pyarrow Table or RecordBatch
        frame: pd.DataFrame = table.to_pandas()
        return frame
    if isinstance(table, Mapping):
        # Text columns stay Python objects: turning a million option names into pandas' own
        # strings costs more than evaluating them.
        return pd.DataFrame(
            {str(k): pd.Series(v, dtype=object if _text(v) else None) for k, v in table.items()}
        )
    raise TypeError(
        "evaluate_many takes a pandas DataFrame, a pyarrow Table, a list of inventories "
        f"or a mapping of columns, not {type(table).__name__}"
    )


def _text(values: Any) -> bool:
    return isinstance(values, np.ndarray) and values.dtype.kind in "OUS"


# ---------------------------------------------------------------------- one partition


def evaluate_batch(pcr: PCR, batch: Batch) -> pd.DataFrame:
    """One partition: vectorised, then its suspect rows by the scalar path."""
    names = figure_columns(pcr)
    # The figures as one block, column by column: the DataFrame takes it without a copy.
    block = np.empty((len(names), batch.n))
    errors = figures_into(pcr, batch, block, names)
    return _output(batch, names, block, errors)


def figures_into(pcr: PCR, batch: Batch, block: Array, names: list[str]) -> dict[int, str]:
    """The partition's figures written into `block` (a row per name in `names`, a column per
    inventory); returns the reason each failed row (by its index in the partition) failed."""
    vplan = vector_plan(pcr.plan)
    inputs = arrays(batch, vplan)
    figures = _by_period(pcr, batch, inputs)
    suspect = batch.suspect | figures.suspect
    where = {name: k for k, name in enumerate(names)}
    given = _figure_arrays(figures)
    for name, k in where.items():
        block[k] = given.get(name, np.nan)
    errors: dict[int, str] = {}
    for i in np.flatnonzero(suspect):
        _scalar_row(pcr, batch, int(i), block, where, errors)
    return errors


def figure_columns(pcr: PCR) -> list[str]:
    """The output's figures: the same for every partition, whatever path its rows took."""
    plan, rule = pcr.plan, pcr.rule
    gwp = plan.resolved.standards.gwp_sets[rule.gwp]
    stages = list(rule.boundary.stages) if rule.boundary else []
    emissions = [lp.line for lp in plan.lines if lp.line.kind == "emission"]
    stages += [line.stage for line in emissions if line.stage not in stages]
    gases = sorted({gwp.key(line.gas, line.origin) for line in emissions})
    return [*OUTPUT[3:], *(f"stage.{s}" for s in stages), *(f"gas.{g}" for g in gases)]


def _figure_arrays(figures: Figures) -> dict[str, Any]:
    out = {"total": figures.total, "removals": figures.removals, "credits": figures.credits}
    out.update(figures.by_origin)
    out.update({f"stage.{k}": v for k, v in figures.by_stage.items()})
    out.update({f"gas.{k}": v for k, v in figures.by_gas.items()})
    return out


def _output(batch: Batch, names: list[str], block: Array, errors: dict[int, str]) -> pd.DataFrame:
    n, first = batch.n, batch.first_row
    frame = pd.DataFrame(block.T, columns=names, copy=False)
    # status and error as categories: a million rows of "ok" and "" are codes, not strings.
    failed = np.zeros(n, dtype=np.int8)
    reasons = np.zeros(n, dtype=np.int32)
    messages = sorted(set(errors.values()))
    code = {message: k + 1 for k, message in enumerate(messages)}
    for i, message in errors.items():
        failed[i], reasons[i] = 1, code[message]
    status = pd.Categorical.from_codes(failed, categories=pd.Index(["ok", "failed"]))
    error = pd.Categorical.from_codes(reasons, categories=pd.Index(["", *messages]))
    leading: list[tuple[str, Any]] = [("row", np.arange(first + 1, first + n + 1))]
    leading += [(k, batch.frame[k].to_numpy()) for k in PASSED if k in batch.frame.columns]
    leading += [("status", status), ("error", error)]
    for position, (name, values) in enumerate(leading):
        frame.insert(position, name, values)
    return frame


def _by_period(pcr: PCR, batch: Batch, inputs: dict[str, Any]) -> Figures:
    """Rows grouped by reference period, each group with the factor values in force then."""
    groups = period_groups(batch)
    if len(groups) == 1 and groups[0][1] is None:
        return _group(pcr, inputs, None, groups[0][0], batch.n)
    whole = _empty_figures(batch.n)
    for on, rows in groups:
        assert rows is not None
        _scatter(whole, _group(pcr, inputs, rows, on, batch.n), rows)
    return whole


def _group(
    pcr: PCR, inputs: dict[str, Any], rows: Array | None, on: date | None, n: int
) -> Figures:
    vplan = vector_plan(pcr.plan)
    size = n if rows is None else len(rows)
    part = inputs if rows is None else take(inputs, rows, n)
    try:
        factors = factors_in_force(pcr.plan, on)
    except LookupError:  # a factor with no value in force then: the scalar path says which
        figures = _empty_figures(size)
        figures.suspect = np.ones(size, dtype=bool)
        return figures
    return run_vector(vplan, part, factors, size)


def take(inputs: Mapping[str, Any], rows: Array, n: int) -> dict[str, Any]:
    """The inputs of some rows (in the order of `rows`), list items included."""
    out: dict[str, Any] = {}
    for name, value in inputs.items():
        if isinstance(value, ListColumn):
            position = np.full(n, -1, dtype=np.intp)
            position[rows] = np.arange(len(rows))
            new_rows = position[value.rows]
            keep = new_rows >= 0
            fields = {k: v[keep] for k, v in value.fields.items()}
            out[name] = ListColumn(new_rows[keep], fields, len(rows))
        else:
            out[name] = value[rows]
    return out


def _empty_figures(n: int) -> Figures:
    nan = np.full(n, np.nan)
    return Figures(n, nan.copy(), nan.copy(), nan.copy(), suspect=np.zeros(n, dtype=bool))


def _scatter(whole: Figures, part: Figures, rows: Array) -> None:
    for name in ("total", "removals", "credits", "suspect"):
        getattr(whole, name)[rows] = getattr(part, name)
    for mine, theirs in (
        (whole.by_stage, part.by_stage),
        (whole.by_gas, part.by_gas),
        (whole.by_origin, part.by_origin),
    ):
        for key, values in theirs.items():
            mine.setdefault(key, np.full(whole.n, np.nan))[rows] = values


def _scalar_row(
    pcr: PCR, batch: Batch, i: int, block: Array, where: dict[str, int], errors: dict[int, str]
) -> None:
    """Row i by the scalar path: its figures, or its error."""
    label = i18n.gettext("row {number}").format(number=batch.first_row + i + 1)
    block[:, i] = np.nan
    try:
        document = batch.document(i, pcr.rule, pcr.plan.item_units)
        result = pcr.evaluate(pcr.inventory(document, label))
    except ZujiError as exc:
        # In the reader's language, as the same error of one inventory file reads; the codes
        # stay, so a program can still sort the failures by them.
        errors[i] = "; ".join(
            f"{d.code}: {i18n.localise(d.code, d.message)}" for d in exc.diagnostics
        )
        return
    for key, value in result_figures(result).items():
        if key in where:
            block[where[key], i] = value


def result_figures(result: Result) -> dict[str, float]:
    """A single result's figures under the output's column names."""
    figures = {"total": result.total, "removals": result.removals, "credits": result.credits}
    figures.update({o: result.by_origin.get(o, 0.0) for o in ORIGINS})
    figures.update({f"stage.{k}": v for k, v in result.by_stage.items()})
    figures.update({f"gas.{k}": v.co2e_kg for k, v in result.by_gas.items()})
    return figures


def empty_output(pcr: PCR) -> pd.DataFrame:
    return pd.DataFrame({name: [] for name in (*OUTPUT[:3], *figure_columns(pcr))})


__all__ = ["META", "OUTPUT", "evaluate_many", "evaluate_parts", "partitions"]
