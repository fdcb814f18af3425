"""A batching writer: storage jobs from many coroutines, run on one thread, many per transaction.

During a big collection pass hundreds of sources finish at nearly the same
time; one transaction each would spend most of the pass committing. Jobs
queue up while a transaction runs, and the next transaction takes them all.
If a batch fails (say, two processes inserted the same key at once), its
jobs are run again one transaction each, so one bad job fails alone and
nothing of the others is lost.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection

from .clock import Clock
from .storage.store import Store

T = TypeVar("T")
Job = Callable[[Connection, datetime], Any]


class BatchWriter:
    """Runs jobs ``job(conn, at)`` on the storage executor, batching those that wait."""

    def __init__(self, store: Store, clock: Clock, executor: Executor, *, max_batch: int = 200) -> None:
        self.store = store
        self.clock = clock
        self.executor = executor
        self.max_batch = max_batch
        self._queue: asyncio.Queue[tuple[Job, asyncio.Future[Any]] | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start consuming jobs (inside a running event loop)."""
        self._task = asyncio.get_running_loop().create_task(self._consume())

    async def submit(self, job: Callable[[Connection, datetime], T]) -> T:
        """Queue a job and wait for its result (or its exception)."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        await self._queue.put((job, future))
        return await future

    async def close(self) -> None:
        """Finish queued jobs, then stop."""
        await self._queue.put(None)
        if self._task is not None:
            await self._task

    async def _consume(self) -> None:
        loop = asyncio.get_running_loop()
        stopping = False
        while not stopping:
            first = await self._queue.get()
            if first is None:
                break
            batch = [first]
            if self._queue.empty():
                await asyncio.sleep(0.002)  # let jobs that are about to arrive join this transaction
            while len(batch) < self.max_batch and not self._queue.empty():
                nxt = self._queue.get_nowait()
                if nxt is None:
                    stopping = True
                    break
                batch.append(nxt)
            results = await loop.run_in_executor(self.executor, self._run_batch, [job for job, _ in batch])
            for (_, future), (ok, value) in zip(batch, results, strict=True):
                if future.cancelled():
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)

    def _run_batch(self, jobs: list[Job]) -> list[tuple[bool, Any]]:
        at = self.clock.now()
        try:
            with self.store.write() as conn:
                return [(True, job(conn, at)) for job in jobs]
        except Exception as e:
            if len(jobs) == 1:
                return [(False, e)]
        return [self._run_one(job) for job in jobs]

    def _run_one(self, job: Job) -> tuple[bool, Any]:
        try:
            with self.store.write() as conn:
                return True, job(conn, self.clock.now())
        except Exception as e:  # handed to the job's caller, who reports it
            return False, e
