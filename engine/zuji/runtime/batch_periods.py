"""A batch's reference periods: its rows grouped by the period they give, each group evaluated
with the factor values in force then (runtime.batch).

`period_start` and `period_end` are optional columns of ISO dates; a row with neither has no
period (the values in force today apply, as for an inventory without one). A period that is not
two dates in order marks its rows suspect, and the scalar reader names the mistake.
"""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd

from zuji.runtime.batch_table import Batch, factorized, iso_text
from zuji.semantics.compile.vector import Array


def period_groups(batch: Batch) -> list[tuple[date | None, Array | None]]:
    """The reference period's start of each group of rows (None: none given) and the rows
    (None: all of them); a period that is not two dates in order marks its rows suspect."""
    frame, n = batch.frame, batch.n
    if "period_start" not in frame.columns and "period_end" not in frame.columns:
        return [(None, None)]
    starts, start_dates = _date_codes(frame.get("period_start"), n)
    ends, end_dates = _date_codes(frame.get("period_end"), n)
    # Which (start, end) pairs are not a period: one without the other, unreadable, reversed.
    wrong = np.zeros((len(start_dates) + 1, len(end_dates) + 1), dtype=bool)
    for i, first in enumerate([None, *start_dates]):
        for j, last in enumerate([None, *end_dates]):
            blank = (i == 0, j == 0)
            unread = (i > 0 and first is None) or (j > 0 and last is None)
            wrong[i, j] = blank[0] != blank[1] or unread or bool(first and last and last < first)
    batch.suspect |= wrong[starts + 1, ends + 1]
    if len(start_dates) <= 1 and (starts >= 0).all() == (len(start_dates) == 1):
        return [(start_dates[0] if start_dates else None, None)]
    order = np.argsort(starts, kind="stable")
    bounds = np.searchsorted(starts[order], np.arange(-1, len(start_dates) + 1))
    return [
        (None if code < 0 else start_dates[code], order[bounds[k] : bounds[k + 1]])
        for k, code in enumerate(range(-1, len(start_dates)))
        if bounds[k + 1] > bounds[k]
    ]


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _date_codes(column: pd.Series | None, n: int) -> tuple[Array, list[date | None]]:
    """Each row's code into the column's distinct dates (-1 for a blank), and those dates
    (None for one that is not a date: its rows go to the scalar reader, which names it)."""
    if column is None:
        return np.full(n, -1, dtype=np.intp), []
    codes, uniques = factorized(column)
    texts = [iso_text(u) for u in uniques]
    dates: list[date | None] = []
    for text in texts:
        try:
            dates.append(date.fromisoformat(text) if _ISO_DATE.match(text) else None)
        except ValueError:
            dates.append(None)
    blank = np.array([not t for t in texts] + [True], dtype=bool)
    codes = np.where(blank[codes], -1, codes)
    return codes.astype(np.intp), dates
