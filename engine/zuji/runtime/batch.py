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

from zuji.core.errors import ZujiError
from zuji.runtime.aggregate import ORIGINS
from zuji.runtime.batch_table import (
    META,
    Batch,
    arrays,
    columns_of,
    documents_frame,
    flat_rows_frame,
)
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


def evaluate_many(
    pcr: PCR, table: Any, executor: Executor | None = None, chunk_rows: int = CHUNK_ROWS
) -> pd.DataFrame:
    """One output row per inventory of `table` (a pandas DataFrame, a pyarrow Table, a list of
    inventory documents or flat rows, or a mapping column -> array), as a pandas DataFrame."""
    frames = list(evaluate_parts(pcr, partitions(table, pcr, chunk_rows), executor))
    if not frames:
        return empty_output(pcr)
    return pd.concat(frames, ignore_index=True)


def evaluate_parts(
    pcr: PCR, parts: Iterable[Batch], executor: Executor | None = None
) -> Iterator[pd.DataFrame]:
    """Each partition's output, in order, evaluated by `executor` (in this process by default)."""
    runner = executor or InProcess()
    return runner.map(EvaluatePart(pcr), parts)


class EvaluatePart:
    """Evaluates one partition; sent to other processes by its PCR's source, loaded once there."""

    def __init__(self, pcr: PCR) -> None:
        self.pcr: PCR | None = pcr
        self.source = pcr_source(pcr)

    def __getstate__(self) -> dict[str, Any]:
        return {"pcr": None, "source": self.source}

    def __call__(self, batch: Batch) -> pd.DataFrame:
        if self.pcr is None:
            self.pcr = _loaded(self.source)
        return evaluate_batch(self.pcr, batch)


def pcr_source(pcr: PCR) -> tuple[str, str]:
    """How another process loads the same PCR: its file, or its text."""
    path = Path(pcr.rule.path)
    if path.is_file():
        return ("path", str(path))
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
    if isinstance(table, Sequence) and not isinstance(table, (str, bytes)):
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
        return pd.DataFrame({str(k): v for k, v in table.items()})
    raise TypeError(
        "evaluate_many takes a pandas DataFrame, a pyarrow Table, a list of inventories "
        f"or a mapping of columns, not {type(table).__name__}"
    )


# ---------------------------------------------------------------------- one partition


def evaluate_batch(pcr: PCR, batch: Batch) -> pd.DataFrame:
    """One partition: vectorised, then its suspect rows by the scalar path."""
    vplan = vector_plan(pcr.plan)
    inputs = arrays(batch, vplan)
    figures = _by_period(pcr, batch, inputs)
    suspect = batch.suspect | figures.suspect
    out = _output(pcr, batch, figures)
    for i in np.flatnonzero(suspect):
        _scalar_row(pcr, batch, int(i), out)
    frame = pd.DataFrame(out)
    return frame.reindex(columns=output_columns(pcr, frame), fill_value=np.nan)


def output_columns(pcr: PCR, frame: pd.DataFrame) -> list[str]:
    """The output's columns: the same for every partition, whatever path its rows took."""
    plan, rule = pcr.plan, pcr.rule
    gwp = plan.resolved.standards.gwp_sets[rule.gwp]
    stages = list(rule.boundary.stages) if rule.boundary else []
    emissions = [lp.line for lp in plan.lines if lp.line.kind == "emission"]
    stages += [line.stage for line in emissions if line.stage not in stages]
    gases = sorted({gwp.key(line.gas, line.origin) for line in emissions})
    passed = [k for k in PASSED if k in frame.columns]
    return [
        "row",
        *passed,
        *OUTPUT[1:],
        *(f"stage.{s}" for s in stages),
        *(f"gas.{g}" for g in gases),
    ]


def _by_period(pcr: PCR, batch: Batch, inputs: dict[str, Any]) -> Figures:
    """Rows grouped by reference period, each group with the factor values in force then."""
    n, frame = batch.n, batch.frame
    if "period_start" not in frame.columns and "period_end" not in frame.columns:
        return _group(pcr, inputs, None, None, n)
    start_cells, end_cells = frame.get("period_start"), frame.get("period_end")
    starts, ends = _dates(start_cells, n), _dates(end_cells, n)
    bad = pd.isna(starts) != pd.isna(ends)
    bad |= ~pd.isna(starts) & ~pd.isna(ends) & (ends < starts)
    bad |= _unreadable(start_cells, starts) | _unreadable(end_cells, ends)
    batch.suspect |= np.asarray(bad, dtype=bool)
    codes, uniques = pd.factorize(pd.Series(starts), use_na_sentinel=True)
    whole = _empty_figures(n)
    for code in range(-1, len(uniques)):
        rows = np.flatnonzero(codes == code)
        if len(rows):
            on = None if code < 0 else pd.Timestamp(uniques[code]).date()
            _scatter(whole, _group(pcr, inputs, rows, on, n), rows)
    return whole


def _dates(column: pd.Series | None, n: int) -> Array:
    if column is None:
        return np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    return np.asarray(pd.to_datetime(column.astype("string"), errors="coerce", format="ISO8601"))


def _unreadable(column: pd.Series | None, parsed: Array) -> Array:
    """Cells that are written but are not dates: the scalar reader names them."""
    if column is None:
        return np.zeros(len(parsed), dtype=bool)
    written = column.notna().to_numpy() & column.astype("string").str.strip().ne("").to_numpy()
    return np.asarray(written & pd.isna(parsed), dtype=bool)


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


def _output(pcr: PCR, batch: Batch, figures: Figures) -> dict[str, Any]:
    n, frame = batch.n, batch.frame
    out: dict[str, Any] = {"row": np.arange(batch.first_row + 1, batch.first_row + n + 1)}
    for key in PASSED:
        if key in frame.columns:
            out[key] = frame[key].to_numpy()
    out["status"] = np.full(n, "ok", dtype=object)
    out["error"] = np.full(n, "", dtype=object)
    out["total"], out["removals"], out["credits"] = (
        np.array(figures.total, dtype=float),
        np.array(figures.removals, dtype=float),
        np.array(figures.credits, dtype=float),
    )
    for origin in ORIGINS:
        out[origin] = np.array(figures.by_origin.get(origin, np.zeros(n)), dtype=float)
    for stage, values in figures.by_stage.items():
        out[f"stage.{stage}"] = np.array(values, dtype=float)
    for gas, values in figures.by_gas.items():
        out[f"gas.{gas}"] = np.array(values, dtype=float)
    return out


def _scalar_row(pcr: PCR, batch: Batch, i: int, out: dict[str, Any]) -> None:
    """Row i by the scalar path: its figures, or its error."""
    label = f"row {batch.first_row + i + 1}"
    try:
        document = batch.document(i, pcr.rule)
        result = pcr.evaluate(pcr.inventory(document, label))
    except ZujiError as exc:
        out["status"][i] = "failed"
        out["error"][i] = "; ".join(f"{d.code}: {d.message}" for d in exc.diagnostics)
        for key, values in out.items():
            if key not in ("row", "status", "error", *PASSED):
                values[i] = np.nan
        return
    for key, value in result_figures(result).items():
        if key not in out:
            out[key] = np.full(batch.n, np.nan)
        out[key][i] = value


def result_figures(result: Result) -> dict[str, float]:
    """A single result's figures under the output's column names."""
    figures = {"total": result.total, "removals": result.removals, "credits": result.credits}
    figures.update({o: result.by_origin.get(o, 0.0) for o in ORIGINS})
    figures.update({f"stage.{k}": v for k, v in result.by_stage.items()})
    figures.update({f"gas.{k}": v.co2e_kg for k, v in result.by_gas.items()})
    return figures


def empty_output(pcr: PCR) -> pd.DataFrame:
    return pd.DataFrame({name: [] for name in output_columns(pcr, pd.DataFrame())})


__all__ = ["META", "OUTPUT", "evaluate_many", "evaluate_parts", "partitions"]
