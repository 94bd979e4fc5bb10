"""The one progress display of the command line: a rich bar with counts (or a spinner when the
count is unknown) on standard error, for work that runs over a second.

Nothing is drawn when standard error is not a terminal (a pipe, a CI log, a test), and nothing
for work done within the first second: the display starts on a timer, so a quick `zuji test`
of one PCR prints exactly what it printed before. Standard output is never redirected into the
display unless it is the same terminal, so `zuji test > out.txt` keeps every line in out.txt.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any

from zuji.core.i18n import _

_AFTER_SECONDS = 1.0


class progress:
    """`with progress(N_("rows"), total) as advance: ... advance(n)`; total None: a spinner.
    What is counted is named in English (marked N_) and shown in the reader's language."""

    def __init__(self, what: str, total: int | None = None, after: float = _AFTER_SECONDS):
        self.what, self.total, self.after = what, total, after
        self.bar: Any = None
        self.timer: threading.Timer | None = None
        self.lock = threading.Lock()
        self.started = False

    def __enter__(self) -> Callable[[int], None]:
        if not sys.stderr.isatty():
            return _nothing
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TimeElapsedColumn,
        )

        counted = self.total is not None
        columns = (BarColumn(), MofNCompleteColumn()) if counted else (SpinnerColumn(), _Done())
        same_terminal = sys.stdout.isatty()
        self.bar = Progress(
            "[progress.description]{task.description}",
            *columns,
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
            redirect_stdout=same_terminal,
            redirect_stderr=False,
        )
        task = self.bar.add_task(_(self.what), total=self.total)
        self.timer = threading.Timer(self.after, self._start)
        self.timer.daemon = True
        self.timer.start()
        return lambda done: self.bar.advance(task, done)

    def _start(self) -> None:
        with self.lock:
            if self.bar is not None and not self.started:
                self.bar.start()
                self.started = True

    def __exit__(self, *exc: object) -> None:
        if self.timer is not None:
            self.timer.cancel()
        with self.lock:
            if self.started:
                self.bar.stop()
            self.bar = None


def _nothing(done: int) -> None:
    return None


def _Done() -> Any:
    from rich.progress import TextColumn

    return TextColumn(_("{task.completed:.0f} done"))
