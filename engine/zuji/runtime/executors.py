"""Where the partitions of a batch (or of a Monte Carlo run) are evaluated.

An executor maps a picklable function over partitions and yields the results in the partitions'
order, keeping only a few partitions in flight so that memory stays bounded however long the
input is:

    with executor_for(workers=4) as ex:          # or dask="tcp://host:8786", dask="local"
        for result in ex.map(fn, partitions):
            ...

- `InProcess` (the default) runs them here, on a thread per core: each partition is already
  evaluated as arrays (vectorised), and numpy lets go of the interpreter while it computes on
  them, so the threads of one process share the cores without copying a partition anywhere.
- `Processes(n)` runs them in n local processes (concurrent.futures).
- `Dask(address)` runs them on a Dask cluster (the optional extra zuji[dask]): an existing
  scheduler at `tcp://host:8786`, or `local` for a LocalCluster of processes on this machine,
  bound to 127.0.0.1 and closed with the executor.

`fn` and the partitions travel to other processes by pickle: `fn` is a module-level function or an
instance of a module-level class (batch.EvaluatePart loads the PCR once per process).
"""

from __future__ import annotations

import contextvars
import importlib
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from types import TracebackType
from typing import Any, Protocol, TypeVar

from zuji.core.errors import Diagnostic, UsageError

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    def map(self, fn: Callable[[T], R], parts: Iterable[T]) -> Iterator[R]: ...

    def __enter__(self) -> Executor: ...

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


class _Closing:
    """An executor as a context manager that releases what it started."""

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> Executor:
        return self  # type: ignore[return-value]

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class InProcess(_Closing):
    """Partitions in this process, on `threads` threads (one per core by default; 1: one after
    the other, on the caller's thread). Each runs in a copy of the caller's context, so the
    reader's language and limits go with it."""

    def __init__(self, threads: int | None = None) -> None:
        self.workers = max(1, threads if threads is not None else cores())

    def map(self, fn: Callable[[T], R], parts: Iterable[T]) -> Iterator[R]:
        if self.workers == 1:
            return (fn(part) for part in parts)
        return self._threaded(fn, parts)

    def _threaded(self, fn: Callable[[T], R], parts: Iterable[T]) -> Iterator[R]:
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="zuji") as pool:

            def submit(part: T) -> Future[R]:
                return pool.submit(contextvars.copy_context().run, fn, part)

            yield from _ordered(submit, parts, 2 * self.workers)


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _ordered(submit: Callable[[T], Any], parts: Iterable[T], window: int) -> Iterator[Any]:
    """Results in order, with at most `window` partitions submitted and not yet collected."""
    pending: deque[Any] = deque()
    for part in parts:
        pending.append(submit(part))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


class Processes(_Closing):
    """Partitions in `workers` local processes."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise UsageError(Diagnostic("E670", f"--workers must be 1 or more, not {workers}"))
        self.workers = workers
        self.pool: ProcessPoolExecutor | None = None

    def map(self, fn: Callable[[T], R], parts: Iterable[T]) -> Iterator[R]:
        if self.pool is None:
            self.pool = ProcessPoolExecutor(max_workers=self.workers)
        pool = self.pool

        def submit(part: T) -> Future[R]:
            return pool.submit(fn, part)

        return _ordered(submit, parts, 2 * self.workers)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


class Dask(_Closing):
    """Partitions on a Dask cluster: `tcp://host:8786`, or `local` for a LocalCluster here."""

    def __init__(self, address: str, workers: int | None = None) -> None:
        try:
            # Typed as Any: distributed has no type information.
            distributed: Any = importlib.import_module("distributed")
        except ImportError:
            raise UsageError(
                Diagnostic(
                    "E671",
                    "running on Dask needs the optional extra: pip install 'zuji[dask]'",
                )
            ) from None
        self.cluster: Any = None
        if address == "local":
            self.cluster = distributed.LocalCluster(
                n_workers=workers or min(4, os.cpu_count() or 1),
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                # The scheduler's HTTP server runs even without a dashboard, by default on port
                # 8787 of every interface: kept on loopback and a free port, so two clusters on
                # one machine (two batches, two test runs) never collide.
                dashboard_address="127.0.0.1:0",
            )
            self.client: Any = distributed.Client(self.cluster)
        else:
            try:
                self.client = distributed.Client(address, timeout=30)
            except OSError as exc:
                raise UsageError(
                    Diagnostic("E672", f"no Dask scheduler answers at {address}: {exc}")
                ) from None
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})))

    def map(self, fn: Callable[[T], R], parts: Iterable[T]) -> Iterator[R]:
        client = self.client

        def submit(part: T) -> Any:
            return client.submit(fn, part, pure=False)

        return _ordered(submit, parts, 2 * self.workers)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def executor_for(workers: int | None = None, dask: str | None = None) -> Executor:
    """The executor the command line's --workers N or --dask ADDRESS asks for."""
    if dask:
        # With 'local', --workers sizes the cluster; one worker is not what a cluster is for.
        return Dask(dask, workers if workers and workers > 1 else None)
    if workers is not None and workers != 1:
        return Processes(workers)  # fewer than one is refused there (E670)
    return InProcess()
