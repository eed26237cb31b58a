"""Write-behind: dirty checkpoint rows go to the store in batches (group commit).

Actors hand each checkpoint row to :meth:`Flusher.add` the moment its step commits in
memory; the flusher writes whatever is dirty every ``flush_interval``, at once when a
``"sync"`` caller is waiting or the batch is full. One flusher per store, one writer.

Failure policy: a failed batch is retried with exponential backoff and its rows are kept
in order ahead of newer ones; nothing is ever dropped. While the backlog is above
``max_dirty`` rows, new turns wait (:meth:`wait_capacity`) and after ``backpressure_timeout``
fail with ``StoreUnavailableError``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING

import msgspec

from stores.errors import StoreUnavailableError
from stores.records import CheckpointRow, ThreadRow, WriteBatch

if TYPE_CHECKING:
    from runtime.engine import ThreadState
    from stores import Store

log = logging.getLogger("runtime.flusher")


class FlusherStatistics(msgspec.Struct, frozen=True):
    dirty: int
    """Rows waiting for the next batch."""
    in_flight: int
    """Rows in the batch being written now."""
    flushes: int
    """Batches committed."""
    flushed_checkpoints: int
    flush_failures: int
    max_batch: int
    """Largest batch committed so far (rows)."""


class Flusher:
    """Group-commits dirty rows of many threads into one store."""

    def __init__(
        self,
        store: Store,
        *,
        flush_interval: float = 0.005,
        max_batch: int = 10_000,
        max_dirty: int = 200_000,
        backpressure_timeout: float = 30.0,
        max_backoff: float = 2.0,
    ) -> None:
        self.store = store
        self.flush_interval = flush_interval
        self.max_batch = max_batch
        self.max_dirty = max_dirty
        self.backpressure_timeout = backpressure_timeout
        self.max_backoff = max_backoff
        self._rows: list[CheckpointRow] = []
        self._heads: dict[str, ThreadState] = {}
        self._in_flight: list[CheckpointRow] = []
        self._in_flight_heads: dict[str, ThreadState] = {}
        self._discard: list[tuple[str, int]] = []
        self._wake: asyncio.Future[None] | None = None
        self._kick: asyncio.Future[None] | None = None
        self._committed: asyncio.Future[None] | None = None
        self._urgent = False
        self._task: asyncio.Task[None] | None = None
        self._write: asyncio.Future[None] | None = None
        # One writer: the loop and explicit flush() calls never write batches concurrently.
        self._lock = asyncio.Lock()
        self._flushes = 0
        self._flushed = 0
        self._failures = 0
        self._max_batch_seen = 0
        self._last_error: BaseException | None = None

    # -- intake (hot path) ---------------------------------------------------------------
    def add(self, head: ThreadState, row: CheckpointRow) -> None:
        rows = self._rows
        rows.append(row)
        self._heads[row.thread_id] = head
        n = len(rows)
        if n == 1:
            wake = self._wake
            if wake is not None and not wake.done():
                wake.set_result(None)
        elif n >= self.max_batch:
            self._poke()

    def discard(self, head: ThreadState, from_seq: int) -> None:
        """Drop ``head``'s checkpoints from ``from_seq`` on: unwritten ones here, written
        ones by a delete in the next batch (a rolled-back turn)."""
        tid = head.thread_id
        self._rows = [r for r in self._rows if r.thread_id != tid or r.seq < from_seq]
        self._discard.append((tid, from_seq))
        self._heads[tid] = head
        head.epoch += 1
        head.discarding = True
        head.flushed = min(head.flushed, from_seq - 1)
        self._poke()

    def touch(self, head: ThreadState) -> None:
        """Write the thread's row with the next batch, even if it has no new checkpoint."""
        self._heads[head.thread_id] = head
        wake = self._wake
        if wake is not None and not wake.done():
            wake.set_result(None)

    @property
    def dirty(self) -> int:
        return len(self._rows) + len(self._in_flight)

    def pending_rows(self, thread_id: str) -> list[CheckpointRow]:
        """Rows of ``thread_id`` not yet committed, oldest first (read-your-writes)."""
        if thread_id not in self._heads and thread_id not in self._in_flight_heads:
            return []
        return [r for r in (*self._in_flight, *self._rows) if r.thread_id == thread_id]

    # -- waiting -------------------------------------------------------------------------
    async def wait_flushed(self, head: ThreadState, seq: int) -> None:
        """Return once the store has committed ``head``'s checkpoints up to ``seq``."""
        while head.flushed < seq:
            if self._task is None or self._task.done():
                raise StoreUnavailableError(
                    "the flusher is not running; the runtime was closed", thread_id=head.thread_id
                )
            self._urgent = True
            self._poke()
            await asyncio.shield(self._commit_future())

    async def wait_capacity(self) -> None:
        """Backpressure: wait while the backlog is above ``max_dirty``."""
        if self.dirty < self.max_dirty:
            return
        deadline = time.monotonic() + self.backpressure_timeout
        while self.dirty >= self.max_dirty:
            left = deadline - time.monotonic()
            if left <= 0:
                raise StoreUnavailableError(
                    f"{self.dirty} checkpoints are waiting for the store, more than max_dirty="
                    f"{self.max_dirty}, for {self.backpressure_timeout}s; last store error: "
                    f"{self._last_error!r}"
                )
            self._poke()
            try:
                await asyncio.wait_for(asyncio.shield(self._commit_future()), left)
            except TimeoutError:
                continue

    def _commit_future(self) -> asyncio.Future[None]:
        fut = self._committed
        if fut is None:
            fut = self._committed = asyncio.get_running_loop().create_future()
        return fut

    def _poke(self) -> None:
        for fut in (self._wake, self._kick):
            if fut is not None and not fut.done():
                fut.set_result(None)

    def take_all(self) -> tuple[list[CheckpointRow], dict[str, ThreadState]]:
        """Remove and return every unwritten row (to hand to another flusher)."""
        rows, heads = [*self._in_flight, *self._rows], {**self._in_flight_heads, **self._heads}
        self._in_flight, self._rows, self._heads = [], [], {}
        self._in_flight_heads = {}
        return rows, heads

    def adopt(self, rows: list[CheckpointRow], heads: dict[str, ThreadState]) -> None:
        """Take over rows another flusher could not write; they go first."""
        self._rows = rows + self._rows
        for tid, h in heads.items():
            self._heads.setdefault(tid, h)

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="flusher")

    async def flush(self) -> None:
        """Write everything dirty now and wait for it (retrying on errors)."""
        while self._heads or self._in_flight:
            async with self._lock:
                await self._flush_once(retry=True)

    async def aclose(self) -> None:
        """Flush everything, then stop."""
        await self.flush()
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def statistics(self) -> FlusherStatistics:
        return FlusherStatistics(
            len(self._rows),
            len(self._in_flight),
            self._flushes,
            self._flushed,
            self._failures,
            self._max_batch_seen,
        )

    # -- the writer loop -----------------------------------------------------------------
    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                if not self._heads:  # every dirty or touched thread has an entry here
                    self._wake = loop.create_future()
                    await self._wake
                    self._wake = None
                if not self._urgent and len(self._rows) < self.max_batch:
                    # Group commit: let more turns join this batch, unless someone waits.
                    kick = self._kick = loop.create_future()
                    timer = loop.call_later(self.flush_interval, _resolve, kick)
                    await kick
                    timer.cancel()
                    self._kick = None
                async with self._lock:
                    await self._flush_once(retry=True)
        except asyncio.CancelledError:
            # The loop is shutting down (end of asyncio.run, or aclose): nothing that was
            # acknowledged may be lost, so write it all before going.
            await self.flush()
            raise

    async def _flush_once(self, *, retry: bool) -> None:
        """Write the dirty rows as one batch; the caller holds ``_lock``."""
        backoff = 0.01
        while True:
            rows, heads, discard = self._rows, self._heads, self._discard
            if not heads:
                return
            self._rows, self._heads, self._discard = [], {}, []
            self._urgent = False
            self._in_flight = rows
            self._in_flight_heads = heads
            tops = {tid: (h.top, h.epoch) for tid, h in heads.items()}
            threads = [
                ThreadRow(tid, h.status, h.created_at, h.updated_at, h.metadata, h.top)
                for tid, h in heads.items()
            ]
            write = self._write = asyncio.ensure_future(
                self.store.write_batch(WriteBatch(rows, threads, discard))
            )
            try:
                # Shielded: if our task is cancelled mid-write we must still learn whether the
                # batch committed, or a retry would write it twice.
                await asyncio.shield(write)
            except asyncio.CancelledError:
                if not write.done():
                    await asyncio.wait([write])
                if write.cancelled() or write.exception() is not None:
                    self._requeue(rows, heads, discard)
                else:
                    self._committed_batch(rows, heads, tops, discard)
                raise
            except Exception as exc:
                self._failures += 1
                self._last_error = exc
                self._requeue(rows, heads, discard)
                log.warning("flush of %d checkpoints failed, retrying: %r", len(rows), exc)
                if not retry:
                    raise
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)
                continue
            self._committed_batch(rows, heads, tops, discard)
            return

    def _requeue(
        self,
        rows: list[CheckpointRow],
        heads: dict[str, ThreadState],
        discard: list[tuple[str, int]],
    ) -> None:
        self._in_flight = []
        self._in_flight_heads = {}
        self._discard = discard + self._discard
        self._rows = rows + self._rows
        for tid, h in heads.items():
            self._heads.setdefault(tid, h)

    def _committed_batch(
        self,
        rows: list[CheckpointRow],
        heads: dict[str, ThreadState],
        tops: dict[str, tuple[int, int]],
        discard: list[tuple[str, int]],
    ) -> None:
        self._in_flight = []
        self._in_flight_heads = {}
        for tid, h in heads.items():
            top, epoch = tops[tid]
            if epoch == h.epoch and top > h.flushed:
                h.flushed = top
        for tid, _ in discard:
            done = heads.get(tid)
            if done is not None and not any(t == tid for t, _ in self._discard):
                done.discarding = False
        self._flushes += 1
        self._flushed += len(rows)
        if len(rows) > self._max_batch_seen:
            self._max_batch_seen = len(rows)
        fut, self._committed = self._committed, None
        if fut is not None and not fut.done():
            fut.set_result(None)


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)
