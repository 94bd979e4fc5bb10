"""Where the service's CPU work runs, so that the event loop only moves bytes.

- Evaluations run in a bounded pool of threads. A bundled PCR evaluates in milliseconds and the
  engine's limits bound the worst inventory the body limit lets in, so a thread is enough; over
  the time budget the caller gets 503 and the thread finishes its bounded work unobserved (a
  thread cannot be killed, which is why checks do not run in threads).
- Checks of rule texts run in separate processes. A rule text is the one input whose cost the
  caller chooses up to the limits (a 190 KB rule takes seconds to compile), so a check over the
  budget kills its process and a fresh one takes its place: the budget is real, no work goes on
  after the 503, and no rule text shares memory or the interpreter lock with the event loop.
  concurrent.futures cannot kill one task's process (Python 3.11), hence this small pool.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from zuji.core.errors import Diagnostic
from zuji.core.i18n import N_
from zuji.interfaces.serve_problems import ProblemError, log, scrub

T = TypeVar("T")


def settle() -> None:
    """Put what a worker has loaded to serve (the compiled PCRs, the search's dictionary, the
    templates, the libraries) out of the garbage collector's sight: it lives as long as the
    process. A full collection otherwise walks it all, 70 ms with the catalogue's word
    dictionary (measured on the load benchmark's worker, benchmarks/platform_load.py), and
    every request then arriving waits that long: it was the p99 of the public pages."""
    gc.freeze()


_START_TIMEOUT = 120.0  # seconds for a new checker process to import the engine on a busy box


def over_budget(budget: float) -> ProblemError:
    return ProblemError(
        503,
        N_("Over the time budget"),
        "over-budget",
        [
            Diagnostic(
                "E910",
                f"the request took longer than the service's time budget of {budget:g} s",
                hint="send a smaller rule or inventory, or start the service with a larger "
                "`zuji serve --budget SECONDS`",
            )
        ],
        headers={"Retry-After": "1"},
    )


class Workers:
    """The evaluation threads and the checker processes of one worker process."""

    def __init__(self, budget: float, threads: int, checkers: int) -> None:
        self.budget = budget
        self.threads = Offload(threads, "zuji-evaluate")
        self.checkers = CheckerPool(checkers)

    async def compute(self, work: Callable[[], T]) -> T:
        """The outcome of `work` run in a thread, or 503 past the budget."""
        try:
            return await self.threads.run(work, self.budget)
        except TimeoutError:
            raise over_budget(self.budget) from None

    async def check(self, text: str, name: str) -> dict[str, Any]:
        return await self.checkers.check(text, name, self.budget)

    def stop(self) -> None:
        self.threads.stop()


class Offload:
    """A few threads that run CPU work for the event loop, in the caller's context (its
    language), handed over through concurrent.futures' queue, written in C. anyio's worker
    threads wait on a threading.Condition written in Python: on the evaluation benchmark the
    hand-off over it took the interpreter lock about as long as evaluating did."""

    def __init__(self, threads: int, name: str) -> None:
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix=name)

    async def run(self, work: Callable[[], T], budget: float | None = None) -> T:
        """The outcome of `work`; TimeoutError past `budget` seconds, waiting included (the
        thread then finishes its bounded work unobserved)."""
        context = contextvars.copy_context()
        done = asyncio.get_running_loop().run_in_executor(self._pool, context.run, work)
        if budget is None:
            return await done
        async with asyncio.timeout(budget):
            return await done

    def stop(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class _Checker:
    """One checker process and the pipe to it."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")  # no copy of the server's threads or loop
        self.pipe, child = context.Pipe()
        self.process: BaseProcess = context.Process(
            target=_checker_main, args=(child,), daemon=True, name="zuji-checker"
        )
        self.process.start()
        child.close()

    def wait_ready(self) -> None:
        if not self.pipe.poll(_START_TIMEOUT) or self.pipe.recv() != "ready":
            raise RuntimeError("a checker process did not start")

    def stop(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.pipe.close()


class CheckerPool:
    """Processes that check rule texts, one text at a time each."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._idle: asyncio.Queue[_Checker] | None = None
        self._all: set[_Checker] = set()
        self._starting: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._idle = asyncio.Queue()
        await asyncio.gather(*(self._add() for _ in range(self.size)))

    async def _add(self) -> None:
        checker = await anyio.to_thread.run_sync(_started)
        self._all.add(checker)
        assert self._idle is not None
        self._idle.put_nowait(checker)

    def _replace(self, checker: _Checker) -> None:
        self._all.discard(checker)
        task = asyncio.get_running_loop().create_task(self._renew(checker))
        self._starting.add(task)
        task.add_done_callback(self._starting.discard)

    async def _renew(self, checker: _Checker) -> None:
        # Killing and reaping a process can wait on the system: not on the event loop.
        await anyio.to_thread.run_sync(checker.stop)
        await self._add()

    async def check(self, text: str, name: str, budget: float) -> dict[str, Any]:
        """The check report of a rule text; 503 if waiting and checking outlast the budget."""
        assert self._idle is not None, "the checker pool is started with the app"
        deadline = time.monotonic() + budget
        try:
            with anyio.fail_after(budget):
                checker = await self._idle.get()
        except TimeoutError:
            raise over_budget(budget) from None
        healthy = False
        try:
            left = max(deadline - time.monotonic(), 0.0)
            reply = await anyio.to_thread.run_sync(
                _exchange, checker.pipe, (text, name), left, abandon_on_cancel=True
            )
            if reply is None:
                log.warning("a rule check overran the %g s budget; its process is replaced", budget)
                raise over_budget(budget)
            outcome, value = reply
            healthy = True
        finally:
            # Any other way out (over budget, a dead process, the caller gone) leaves the
            # process in an unknown state: it is killed rather than reused.
            if healthy:
                self._idle.put_nowait(checker)
            else:
                self._replace(checker)
        if outcome != "ok":
            raise RuntimeError(f"the checker process failed: {value}")
        report: dict[str, Any] = value
        return report

    async def stop(self) -> None:
        for task in list(self._starting):
            await task
        for checker in list(self._all):
            checker.stop()
        self._all.clear()


def _exchange(pipe: Connection, job: tuple[str, str], timeout: float) -> Any:
    """Send a job and wait for its reply (None past the timeout), in a thread: a rule text
    of 200 KB does not fit the pipe's buffer, so even sending it waits for the checker."""
    pipe.send(job)
    return pipe.recv() if pipe.poll(timeout) else None


def _started() -> _Checker:
    checker = _Checker()
    checker.wait_ready()
    return checker


def _checker_main(pipe: Connection) -> None:
    """A checker process: checks the texts it is sent until its pipe closes."""
    # The server stops its checkers itself; an interrupt meant for the server (Ctrl-C reaches
    # the whole process group) must not kill a check half-way with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from zuji.interfaces.serve_check import check_text, warm

    warm()
    pipe.send("ready")
    while True:
        try:
            text, name = pipe.recv()
        except (EOFError, OSError):
            return
        try:
            pipe.send(("ok", scrub(check_text(text, name))))
        except Exception as exc:  # reported to the server, which logs it
            pipe.send(("failed", f"{type(exc).__name__} in process {os.getpid()}"))
