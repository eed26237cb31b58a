"""Write-behind: dirty checkpoint rows go to the store in batches (group commit).

Actors hand each checkpoint row to :meth:`Flusher.add` the moment its step commits in
memory; the flusher writes whatever is dirty every ``flush_interval``, at once when a
``"sync"`` caller is waiting or the batch is full. One flusher per store, one writer.

Failure policy, by what the store raised:

* ``StoreUnavailableError`` (disk full, I/O error, a lock held too long) and anything that
  is not a ``StoreError``: the batch is retried with exponential backoff (``min_backoff``
  doubling up to ``max_backoff``, through :attr:`Flusher.sleep`, which tests replace) and
  its rows are kept in order ahead of newer ones; nothing is ever dropped. While the backlog
  is above ``max_dirty`` rows, new turns wait (:meth:`wait_capacity`) and after
  ``backpressure_timeout`` fail with ``StoreUnavailableError``; a ``"sync"`` caller waits as
  long for its commit, then gets the same error (its turn is kept and written later). A
  ``StoreFileGoneError`` (the file deleted or replaced under us) fails waiting callers at
  once: no wait can cure it. The rows are kept and retried all the same.
* Any other ``StoreError`` (a duplicate checkpoint, a row the store can never take): retrying
  cannot help, and the batch holds every thread's rows. It is split by thread (the thread
  the error names first, else in halves) until the other threads' rows are written and the
  guilty thread is alone; that thread is *quarantined*: its rows stay in memory, unwritten,
  its ``"sync"`` callers and new turns get the error, and nothing else notices. They get one
  more try when the flusher closes or hands its rows to another (:meth:`take_all`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

import msgspec

from runtime.batches import Part, Quarantined, refused
from stores.errors import StaleOwnerError, StoreError, StoreFileGoneError, StoreUnavailableError
from stores.records import CheckpointRow

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
    """Batch writes the store failed (each retry and each refused part counts)."""
    max_batch: int
    """Largest batch committed so far (rows)."""
    quarantined: int = 0
    """Threads whose rows the store refused for good (kept in memory, unwritten)."""
    quarantined_checkpoints: int = 0
    dirty_bytes: int = 0
    """Payload bytes of the rows waiting and in flight (bounded by ``max_dirty_bytes``)."""


class Flusher:
    """Group-commits dirty rows of many threads into one store."""

    def __init__(
        self,
        store: Store,
        *,
        flush_interval: float = 0.005,
        max_batch: int = 10_000,
        max_dirty: int = 200_000,
        max_dirty_bytes: int = 256 * 2**20,
        backpressure_timeout: float = 30.0,
        min_backoff: float = 0.01,
        max_backoff: float = 2.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_quarantine: Callable[[str, StoreError], None] | None = None,
    ) -> None:
        self.store = store
        self.flush_interval = flush_interval
        self.max_batch = max_batch
        self.max_dirty = max_dirty
        self.max_dirty_bytes = max_dirty_bytes
        self.dirty_bytes = 0
        """Payload bytes of the rows waiting for the store (kept exact: added on intake,
        recounted whenever the waiting rows are rebuilt)."""
        self.backpressure_timeout = backpressure_timeout
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff
        self.sleep = sleep
        """Waits between retries of a failed batch; tests put a fake here to step retries."""
        self.on_quarantine = on_quarantine
        """Told when a thread is quarantined (the supervisor fails its queued turns)."""
        self.quarantine: dict[str, Quarantined] = {}
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
        # One writer: the loop and explicit flush() calls never write batches concurrently.
        self._lock = asyncio.Lock()
        self._flushes = 0
        self._flushed = 0
        self._failures = 0
        self._max_batch_seen = 0
        self._last_error: BaseException | None = None
        self._stopping = False
        self.last_flush_timeout: float | None = None
        """Bound on :meth:`last_flush` (the supervisor sets its shutdown bound)."""

    # -- intake (hot path) ---------------------------------------------------------------
    def add(self, head: ThreadState, row: CheckpointRow) -> None:
        self.add_all(head, (row,))

    def add_all(self, head: ThreadState, new: Sequence[CheckpointRow]) -> None:
        """Take ``head``'s new rows (a turn run in its caller's task hands over all of its
        rows at once, as it ends)."""
        tid = head.thread_id
        if self.quarantine and tid in self.quarantine:
            self.quarantine[tid].rows.extend(new)  # kept, never written with others
            return
        rows = self._rows
        was = len(rows)
        rows.extend(new)
        self.dirty_bytes += sum([len(r.payload) for r in new])
        self._heads[tid] = head
        n = len(rows)
        if was == 0:
            wake = self._wake
            if wake is not None and not wake.done():
                wake.set_result(None)
        elif n >= self.max_batch:
            self._poke()

    def discard(self, head: ThreadState, from_seq: int) -> None:
        """Drop ``head``'s checkpoints from ``from_seq`` on: unwritten ones here, written
        ones by a delete in the next batch (a rolled-back turn)."""
        tid = head.thread_id
        head.epoch += 1
        head.discarding = True
        head.flushed = min(head.flushed, from_seq - 1)
        held = self.quarantine.get(tid)
        if held is not None:
            held.rows = [r for r in held.rows if r.seq < from_seq]
            held.discard.append((tid, from_seq))
            return
        self._rows = [r for r in self._rows if r.thread_id != tid or r.seq < from_seq]
        self._recount()
        self._discard.append((tid, from_seq))
        self._heads[tid] = head
        self._poke()

    def touch(self, head: ThreadState) -> None:
        """Write the thread's row with the next batch, even if it has no new checkpoint."""
        if head.thread_id in self.quarantine:
            return  # its thread row is written with its rows, if ever
        self._heads[head.thread_id] = head
        wake = self._wake
        if wake is not None and not wake.done():
            wake.set_result(None)

    def _recount(self) -> None:
        self.dirty_bytes = sum(len(r.payload) for r in self._rows) + sum(
            len(r.payload) for r in self._in_flight
        )

    @property
    def over_capacity(self) -> bool:
        """More rows or bytes wait for the store than ``max_dirty``/``max_dirty_bytes``."""
        return self.dirty >= self.max_dirty or self.dirty_bytes >= self.max_dirty_bytes

    @property
    def dirty(self) -> int:
        """Rows waiting for the store (quarantined ones are not: no batch waits on them)."""
        return len(self._rows) + len(self._in_flight)

    @property
    def unwritten(self) -> int:
        """Every row not committed, quarantined ones included."""
        return self.dirty + sum(len(q.rows) for q in self.quarantine.values())

    def pending_rows(self, thread_id: str) -> list[CheckpointRow]:
        """Rows of ``thread_id`` not yet committed, oldest first (read-your-writes)."""
        held = self.quarantine.get(thread_id)
        if held is not None:
            return list(held.rows)
        if thread_id not in self._heads and thread_id not in self._in_flight_heads:
            return []
        return [r for r in (*self._in_flight, *self._rows) if r.thread_id == thread_id]

    @property
    def last_error(self) -> BaseException | None:
        """What the store raised at the last failed write (``None`` if none failed)."""
        return self._last_error

    def quarantine_error(self, thread_id: str) -> StoreError | None:
        held = self.quarantine.get(thread_id)
        return None if held is None else held.error

    # -- waiting -------------------------------------------------------------------------
    async def wait_flushed(self, head: ThreadState, seq: int) -> None:
        """Return once the store has committed ``head``'s checkpoints up to ``seq``.

        Fails with the thread's quarantine error if the store refused them, and with
        ``StoreUnavailableError`` after ``backpressure_timeout`` (the rows stay dirty and
        are written when the store recovers). The clock is only armed once a flush attempt
        failed during the wait: a healthy store costs no timer (a wait often spans two
        commits, the batch already in flight and then its own).
        """
        if head.flushed >= seq:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.backpressure_timeout
        failures = self._failures
        while head.flushed < seq:
            held = self.quarantine.get(head.thread_id)
            if held is not None:
                raise held.error
            if self._task is None or self._task.done():
                raise StoreUnavailableError(
                    "the flusher is not running; the runtime was closed", thread_id=head.thread_id
                )
            timed = self._failures != failures
            gone = self._last_error
            if timed and isinstance(gone, StoreFileGoneError):
                # no wait can cure it: say so now rather than after backpressure_timeout
                raise StoreFileGoneError(
                    f"this turn ran but was not stored: {gone.message}; it is kept in memory",
                    path=gone.path,
                    thread_id=head.thread_id,
                )
            if timed and loop.time() >= deadline:
                raise StoreUnavailableError(
                    f"the store has not committed this turn within backpressure_timeout="
                    f"{self.backpressure_timeout}s; the turn ran and is kept in memory, and "
                    f"is written once the store recovers; last store error: "
                    f"{self._last_error!r}",
                    thread_id=head.thread_id,
                )
            self._urgent = True
            self._poke()
            if not timed:
                await asyncio.shield(self._commit_future())
                continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout_at(deadline):
                    await asyncio.shield(self._commit_future())

    async def wait_capacity(self) -> None:
        """Backpressure: wait while the backlog is above ``max_dirty``/``max_dirty_bytes``."""
        if not self.over_capacity:
            return
        deadline = time.monotonic() + self.backpressure_timeout
        while self.over_capacity:
            left = deadline - time.monotonic()
            if left <= 0:
                raise StoreUnavailableError(
                    f"{self.dirty} checkpoints ({self.dirty_bytes} bytes) are waiting for the "
                    f"store, more than max_dirty={self.max_dirty} or max_dirty_bytes="
                    f"{self.max_dirty_bytes}, for {self.backpressure_timeout}s; last store "
                    f"error: {self._last_error!r}"
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

    def _notify(self) -> None:
        """Wake everyone waiting for a commit, to look again."""
        fut, self._committed = self._committed, None
        if fut is not None and not fut.done():
            fut.set_result(None)

    def _poke(self) -> None:
        for fut in (self._wake, self._kick):
            if fut is not None and not fut.done():
                fut.set_result(None)

    def take_all(self) -> tuple[list[CheckpointRow], dict[str, ThreadState]]:
        """Remove and return every unwritten row (to hand to another flusher), quarantined
        ones included: the next flusher tries them once more."""
        self.retry_quarantined()
        rows, heads = [*self._in_flight, *self._rows], {**self._in_flight_heads, **self._heads}
        self._in_flight, self._rows, self._heads = [], [], {}
        self._in_flight_heads = {}
        self.dirty_bytes = 0
        return rows, heads

    def adopt(self, rows: list[CheckpointRow], heads: dict[str, ThreadState]) -> None:
        """Take over rows another flusher could not write; they go first."""
        self._rows = rows + self._rows
        self._recount()
        for tid, h in heads.items():
            self._heads.setdefault(tid, h)

    # -- quarantine ----------------------------------------------------------------------
    def _hold(self, part: Part, exc: StoreError) -> None:
        """Quarantine the one thread of ``part``, with its rows that came in meanwhile."""
        ((tid, head),) = part.heads.items()
        head = self._heads.pop(tid, head)
        rows, discard = part.rows, part.discard
        if any(r.thread_id == tid for r in self._rows):
            rows = rows + [r for r in self._rows if r.thread_id == tid]
            self._rows = [r for r in self._rows if r.thread_id != tid]
            self._recount()
        if any(d[0] == tid for d in self._discard):
            discard = discard + [d for d in self._discard if d[0] == tid]
            self._discard = [d for d in self._discard if d[0] != tid]
        seqs = f"checkpoints {rows[0].seq}-{rows[-1].seq}" if rows else "its thread row"
        error: StoreError
        if isinstance(exc, StaleOwnerError):
            error = StaleOwnerError(
                f"another process took this thread over (this process's lease on it expired): "
                f"{seqs} were refused and are dropped; the next call reloads the thread from "
                "the store once its lease can be taken",
                thread_id=tid,
            )
        else:
            error = StoreError(
                f"the store refused {seqs} of this thread for a reason retrying cannot cure "
                f"({exc}); they are kept in memory, unwritten, and the thread takes no new "
                "turns until it is deleted; other threads are not affected",
                thread_id=tid,
            )
        self.quarantine[tid] = Quarantined(head, rows, discard, error)
        head.status = "error"  # shown by get_thread; the thread row keeps the old one
        log.error("%s", error)
        self._notify()
        if self.on_quarantine is not None:
            self.on_quarantine(tid, error)

    def release(self, thread_id: str) -> int:
        """Drop a quarantined thread's rows (it was deleted); returns how many."""
        held = self.quarantine.pop(thread_id, None)
        return 0 if held is None else len(held.rows)

    def forget_stale(self, thread_id: str) -> None:
        """Drop the rows of a thread another process took over (they can never be written):
        it is about to be loaded afresh from the store."""
        held = self.quarantine.get(thread_id)
        if held is not None and isinstance(held.error, StaleOwnerError):
            del self.quarantine[thread_id]

    def retry_quarantined(self) -> None:
        """Queue every quarantined thread's rows again (the cause may have been fixed)."""
        held, self.quarantine = self.quarantine, {}
        for tid, q in held.items():
            if q.head.status == "error":
                q.head.status = q.status
            self._rows = q.rows + self._rows  # add() kept none of tid's rows there
            self._discard = q.discard + self._discard
            self._heads[tid] = q.head

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="flusher")

    async def flush(self) -> None:
        """Write everything dirty now and wait for it (retrying on errors)."""
        while self._heads or self._in_flight:
            async with self._lock:
                await self._flush_once()

    async def flush_thread(self, thread_id: str) -> None:
        """Wait until the store has committed every row of ``thread_id`` held here.

        Only that thread's rows are waited for: other threads may keep the flusher busy
        all along (deleting or archiving an idle thread must not wait for a quiet moment).
        Retries as :meth:`flush` does; a quarantined thread's rows are not waited for.
        """
        while thread_id in self._heads or thread_id in self._in_flight_heads:
            if self._task is None or self._task.done():
                async with self._lock:
                    await self._flush_once()
                continue
            self._urgent = True
            self._poke()
            await asyncio.shield(self._commit_future())

    async def aclose(self, deadline: float | None = None) -> dict[str, int]:
        """Flush everything (quarantined threads get one last try), then stop.

        ``deadline`` (loop time): stop trying then, however the store fares. Returns the
        rows left unwritten, by thread (a thread whose row alone is unwritten counts 0);
        empty when everything was written. The rows stay here (:meth:`take_all`).
        """
        try:
            async with asyncio.timeout_at(deadline):
                await self.flush()
                if self.quarantine:
                    self.retry_quarantined()
                    await self.flush()
        except TimeoutError:
            log.error(
                "the store did not take the last checkpoints before the shutdown deadline; "
                "last store error: %r",
                self._last_error,
            )
        for tid, q in self.quarantine.items():
            log.error(
                "closing with %d checkpoints of thread %r that the store refused; they are "
                "lost: %s",
                len(q.rows),
                tid,
                q.error,
            )
        task, self._task = self._task, None
        if task is not None and not task.done():
            self._stopping = True  # its last flush was ours
            task.cancel()
            # mid-write, it waits for the store's answer (see _write_dirty): not forever
            await asyncio.wait({task}, timeout=None if deadline is None else 1.0)
        return self.unwritten_by_thread()

    async def last_flush(self) -> None:
        """Flush as the loop goes away, for at most ``last_flush_timeout`` seconds (a store
        that fails every write must not keep the process from exiting); what is left is
        logged at ERROR."""
        try:
            # wait_for, not timeout(): this task may be cancelled already (loop teardown)
            await asyncio.wait_for(self.flush(), self.last_flush_timeout)
        except TimeoutError:
            left = self.unwritten_by_thread()
            log.error(
                "the event loop is closing and the store did not take %d checkpoints of "
                "%d threads within %ss; they are lost (threads %s; last store error: %r)",
                sum(left.values()),
                len(left),
                self.last_flush_timeout,
                ", ".join(repr(t) for t in list(left)[:20]),
                self._last_error,
            )

    def unwritten_by_thread(self) -> dict[str, int]:
        """Rows not committed, by thread: dirty, in flight and quarantined ones (but not
        those of threads another process took over, which are dropped by design)."""
        left = dict.fromkeys(self._heads, 0)
        left.update(dict.fromkeys(self._in_flight_heads, 0))
        for r in (*self._in_flight, *self._rows):
            left[r.thread_id] = left.get(r.thread_id, 0) + 1
        for tid, q in self.quarantine.items():
            if not isinstance(q.error, StaleOwnerError):  # another process's now: dropped
                left[tid] = left.get(tid, 0) + len(q.rows)
        return left

    def statistics(self) -> FlusherStatistics:
        return FlusherStatistics(
            len(self._rows),
            len(self._in_flight),
            self._flushes,
            self._flushed,
            self._failures,
            self._max_batch_seen,
            len(self.quarantine),
            sum(len(q.rows) for q in self.quarantine.values()),
            self.dirty_bytes,
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
                    await self._flush_once()
        except asyncio.CancelledError:
            # The loop is shutting down (end of asyncio.run): nothing that was acknowledged
            # may be lost, so write it all before going (aclose has done that already).
            if not self._stopping:
                await self.last_flush()
            raise

    async def _flush_once(self) -> None:
        """Write the dirty rows, retrying with backoff until the store takes them or
        quarantines their thread; the caller holds ``_lock``."""
        delay = self.min_backoff
        while self._heads:
            error = await self._write_dirty()
            if error is None:
                return
            log.warning("flush failed, retrying in %.3gs: %r", delay, error)
            await self.sleep(delay)
            delay = min(delay * 2, self.max_backoff)

    async def _write_dirty(self) -> Exception | None:
        """One attempt at everything dirty: the error that left rows unwritten (they are
        back in the dirty list, ahead of newer ones), or ``None``."""
        part = Part.take(self._rows, self._heads, self._discard)
        self._rows, self._heads, self._discard = [], {}, []
        self._urgent = False
        self._in_flight, self._in_flight_heads = part.rows, part.heads
        todo = [part]
        try:
            while todo:
                part = todo[-1]
                write = asyncio.ensure_future(self.store.write_batch(part.batch()))
                try:
                    # Shielded: if our task is cancelled mid-write we must still learn whether
                    # the batch committed, or a retry would write it twice.
                    await asyncio.shield(write)
                except asyncio.CancelledError:
                    if not write.done():
                        await asyncio.wait([write])
                    if not write.cancelled() and write.exception() is None:
                        self._committed_part(todo.pop())
                    raise
                except Exception as exc:
                    self._failures += 1
                    self._last_error = exc
                    if not refused(exc):
                        self._notify()  # waiters look again, and start their clocks
                        return exc
                    assert isinstance(exc, StoreError)
                    todo.pop()
                    if len(part.heads) == 1:
                        self._hold(part, exc)
                    else:
                        log.warning("the store refused a batch (%s); splitting it by thread", exc)
                        todo += part.split(exc.thread_id)
                    continue
                self._committed_part(todo.pop())
            return None
        finally:
            self._in_flight, self._in_flight_heads = [], {}
            if todo:
                self._requeue(todo)
            self._recount()

    def _requeue(self, parts: list[Part]) -> None:
        self._rows = [r for p in parts for r in p.rows] + self._rows
        self._discard = [d for p in parts for d in p.discard] + self._discard
        for p in parts:
            for tid, h in p.heads.items():
                self._heads.setdefault(tid, h)

    def _committed_part(self, part: Part) -> None:
        for tid, h in part.heads.items():
            top, epoch = part.tops[tid]
            if epoch == h.epoch and top > h.flushed:
                h.flushed = top
        for tid, _ in part.discard:
            done = part.heads.get(tid)
            if done is not None and not any(t == tid for t, _ in self._discard):
                done.discarding = False
        self._flushes += 1
        n = len(part.rows)
        self._flushed += n
        if n > self._max_batch_seen:
            self._max_batch_seen = n
        self._notify()


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)
