"""Batch files read and written in chunks, so that memory stays bounded however many rows:
CSV and Parquet through pyarrow, JSON Lines line by line, xlsx through openpyxl (read-only and
write-only modes).

The format is the file's extension: .csv, .jsonl (or .ndjson), .parquet, .xlsx.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from zuji.core.errors import Diagnostic, UsageError
from zuji.core.files import abandon, begin, finish

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
FORMATS[".xlsx"] = "xlsx"


def format_of(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UsageError(
            Diagnostic(
                "E663",
                f"{path}: unknown batch file format '{path.suffix}'",
                hint="use .csv, .jsonl, .parquet or .xlsx",
            )
        )
    return fmt


def read_chunks(
    path: Path, chunk_rows: int, text: Callable[[str], bool]
) -> Iterator[pd.DataFrame | list[Any]]:
    """The file's rows in chunks: DataFrames, or lists of JSON rows for JSON Lines. `text` says
    which CSV columns hold text (choices, dates, ids) whatever their first rows look like."""
    fmt = format_of(path)
    if not path.is_file():
        raise UsageError(Diagnostic("E002", f"batch file {path} not found"))
    if fmt == "csv":
        return _csv(path, chunk_rows, text)
    if fmt == "parquet":
        return _parquet(path, chunk_rows)
    if fmt == "xlsx":
        return _xlsx(path, chunk_rows)
    return _jsonl(path, chunk_rows)


def count_rows(path: Path) -> int | None:
    """How many rows the file holds, where that is cheap to know (for the progress bar)."""
    if format_of(path) == "parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    return None


def _csv(path: Path, chunk_rows: int, is_text: Callable[[str], bool]) -> Iterator[pd.DataFrame]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    header = pacsv.open_csv(path).schema.names
    # Option names, ids and dates stay text; quantities are typed from the first block.
    text = {h: pa.string() for h in header if is_text(h)}
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(block_size=1 << 22),
        convert_options=pacsv.ConvertOptions(column_types=text, strings_can_be_null=True),
    )
    pending: list[pd.DataFrame] = []
    size = 0
    try:
        for block in reader:
            frame = block.to_pandas()
            pending.append(frame)
            size += len(frame)
            if size >= chunk_rows:
                yield pd.concat(pending, ignore_index=True)
                pending, size = [], 0
    except pa.ArrowInvalid as exc:
        raise UsageError(
            Diagnostic(
                "E662",
                f"{path}: {exc}",
                hint="a column whose first rows are plain numbers must hold plain numbers; "
                "write the unit in its header instead (name [unit])",
            )
        ) from None
    if pending:
        yield pd.concat(pending, ignore_index=True)


def _parquet(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    import pyarrow.parquet as pq

    for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
        yield batch.to_pandas()


def _xlsx(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = [str(h) for h in next(rows, ()) if h is not None]
        chunk: list[tuple[Any, ...]] = []
        for row in rows:
            chunk.append(tuple(row[: len(header)]))
            if len(chunk) >= chunk_rows:
                yield pd.DataFrame(chunk, columns=header)
                chunk = []
        if chunk:
            yield pd.DataFrame(chunk, columns=header)
    finally:
        book.close()


def _jsonl(path: Path, chunk_rows: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                chunk.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise UsageError(
                    Diagnostic("E662", f"{path}:{number}: not a JSON value: {exc.msg}")
                ) from None
            if len(chunk) >= chunk_rows:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


class Writer:
    """An output file written chunk by chunk."""

    def __init__(self, path: Path) -> None:
        self.target, self.fmt = path, format_of(path)
        self.sink: Any = None
        self.schema: Any = None
        # Written beside the target under a temporary name, which takes the target's name only
        # when the batch is complete: a reader never sees half an output file.
        self.path = path

    def _open(self) -> None:
        self.path = begin(self.target)

    def write(self, frame: pd.DataFrame) -> None:
        if self.fmt == "jsonl":
            self._jsonl(frame)
        elif self.fmt == "xlsx":
            self._xlsx(frame)
        else:
            self._arrow(frame)

    def _arrow(self, frame: pd.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(frame, schema=self.schema, preserve_index=False)
        if self.schema is None and self.fmt == "csv":
            # status and error come as categories; CSV holds their text.
            table = table.cast(
                pa.schema(
                    pa.field(f.name, pa.string()) if pa.types.is_dictionary(f.type) else f
                    for f in table.schema
                )
            )
        if self.sink is None:
            self._open()
            self.schema = table.schema
            if self.fmt == "csv":
                self.sink = pacsv.CSVWriter(self.path, table.schema)
            else:
                self.sink = pq.ParquetWriter(self.path, table.schema)
        self.sink.write_table(table)

    def _jsonl(self, frame: pd.DataFrame) -> None:
        if self.sink is None:
            self._open()
            self.sink = self.path.open("w", encoding="utf-8")
        text = frame.to_json(orient="records", lines=True, force_ascii=False)
        self.sink.write(text if text.endswith("\n") or not text else text + "\n")

    def _xlsx(self, frame: pd.DataFrame) -> None:
        from openpyxl import Workbook

        if self.sink is None:
            self._open()
            self.sink = Workbook(write_only=True)
            self.sheet = self.sink.create_sheet("footprints")
            self.sheet.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            self.sheet.append([None if isinstance(v, float) and v != v else v for v in row])

    def close(self, complete: bool = True) -> None:
        """Close the output; a complete one takes its name, an incomplete one is removed."""
        if self.sink is None:
            return
        try:
            if self.fmt == "xlsx":
                self.sink.save(self.path)
            else:
                self.sink.close()
        except BaseException:
            abandon(self.path)
            raise
        if complete:
            finish(self.path, self.target)
        else:
            abandon(self.path)
