"""Retention and archiving: how much of a session's history is kept, and for how long.

``compile(checkpointer=..., retention=Retention(keep_last=N, ttl=seconds))``; without
``retention`` everything is kept. A sweeper task owned by the supervisor enforces the policy
every ``sweep_interval``; ``CompiledGraph.asweep()`` runs one sweep at once.

``keep_last``
    A thread keeps its newest N checkpoints, and the hidden record of a paused step after
    them. A checkpoint is a delta on an older snapshot, so the oldest kept one is first
    rewritten as a snapshot; then every older row is deleted in bounded batches, newest
    first (``runtime.prune``). Only threads written since the last sweep are looked at.
``ttl``
    A thread whose ``updated_at`` is older than ``ttl`` seconds is deleted with its whole
    history, as ``delete_thread`` does. Archived threads are exempt: archiving is how a
    thread is kept past the TTL.

Safety: a thread is touched only under ``Supervisor.hold``: no turn of it runs or waits,
none of its rows waits for the flusher, and its activations wait until the rewrite is
committed. A thread in use is skipped and tried again at the next sweep. The reads and the
rebuild of the new snapshot come first, without the hold; under it run only a check that
the thread row is unchanged and one transaction (the rewrite and the first batch of
deletes). Later batches follow with the loop free between them; other threads' turns
never wait for a sweep.

Archiving (:func:`archive_thread`): the thread's actor finishes its queued turns and leaves
memory, and the stored status becomes ``archived``: the thread stays readable, and new
turns raise ``ThreadArchivedError`` until :func:`restore_thread`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import msgspec

from runtime.engine.interrupts import PENDING
from runtime.engine.replay import chain, decode_row
from runtime.prune import delete_below, plan_prune, rebased_head
from stores import Store

if TYPE_CHECKING:
    from runtime.engine.state import ThreadState
    from runtime.supervisor import Supervisor

__all__ = [
    "ARCHIVED",
    "Retention",
    "RetentionSweeper",
    "SweepResult",
    "archive_thread",
    "resting_status",
    "restore_thread",
    "sweep_store",
]

log = logging.getLogger("runtime.retention")

#: Thread status of an archived thread.
ARCHIVED = "archived"


@dataclass(frozen=True)
class Retention:
    """A retention policy: ``compile(checkpointer=..., retention=Retention(keep_last=50))``.

    Both limits may be combined; with neither, everything is kept.
    """

    keep_last: int | None = None
    """Checkpoints kept per thread (the newest ones); ``None``: all."""
    ttl: float | None = None
    """Seconds after its last update at which a thread is deleted; ``None``: never."""
    sweep_interval: float = 60.0
    """Seconds between two sweeps."""
    batch_size: int = 500
    """Rows deleted per transaction, threads read per page: bounds each write lock."""
    clock: Callable[[], float] = field(default=time.time, repr=False, compare=False)
    """Wall clock (Unix seconds) the TTL is measured against; inject one in tests."""

    def __post_init__(self) -> None:
        if self.keep_last is not None and (
            not isinstance(self.keep_last, int) or isinstance(self.keep_last, bool)
        ):
            raise ValueError(f"keep_last must be an int >= 1 or None, got {self.keep_last!r}")
        if self.keep_last is not None and self.keep_last < 1:
            raise ValueError(
                f"keep_last must be >= 1 (the head checkpoint is always kept), got "
                f"{self.keep_last}; use delete_thread to drop a whole thread"
            )
        for name in ("ttl", "sweep_interval"):
            value = getattr(self, name)
            if value is None and name == "ttl":
                continue
            if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{name} must be a number of seconds > 0, got {value!r}")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ValueError(f"batch_size must be an int >= 1, got {self.batch_size!r}")


class SweepResult(msgspec.Struct, frozen=True):
    """What one sweep did."""

    threads_pruned: int = 0
    """Threads that lost old checkpoints (``keep_last``)."""
    checkpoints_deleted: int = 0
    threads_deleted: int = 0
    """Threads deleted whole (``ttl``)."""
    threads_skipped: int = 0
    """Threads in use (a turn running or queued, rows not yet written): tried next sweep."""


async def resting_status(store: Store, tid: str) -> str:
    """``interrupted`` if the thread's head waits for input (a pause, a breakpoint), else
    ``idle``: what a restored thread's status becomes."""
    path = chain(await store.load_chain(tid))
    if not path:
        return "idle"
    last = decode_row(path[-1])
    return "interrupted" if last.source == PENDING or last.next else "idle"


async def sweep_store(store: Store, policy: Retention) -> SweepResult:
    """Enforce ``policy`` on every thread of a store that no runtime serves (the command
    line's ``sweep``); archived threads are left as they are."""
    tally = _Tally()
    batch, keep_last = policy.batch_size, policy.keep_last
    offset = 0
    while keep_last is not None:
        page = await store.list_threads(limit=batch, offset=offset)
        for t in page:
            if t.status == ARCHIVED or t.head <= keep_last:
                continue
            plan = await plan_prune(store, t.thread_id, keep_last)
            if plan is not None:
                n = await delete_below(store, t.thread_id, plan.cut, batch, plan.snapshot)
                tally.pruned += n > 0
                tally.rows += n
        if len(page) < batch:
            break
        offset += batch
    if policy.ttl is not None:
        cutoff = policy.clock() - policy.ttl
        while page := await store.expired_threads(cutoff, limit=batch):
            for t in page:
                tally.deleted += await store.delete_thread(t.thread_id)
            if len(page) < batch:
                break
    return tally.result()


# -- archiving ------------------------------------------------------------------------------
async def archive_thread(sup: Supervisor, tid: str) -> bool:
    """Flush and evict the thread, then mark it archived; ``False`` if it does not exist."""
    store = sup.checkpointer
    assert store is not None
    async with sup.hold(tid, evict=ARCHIVED):
        row = await store.get_thread(tid)
        if row is None:
            return False
        if row.status != ARCHIVED:
            await store.set_thread_status(tid, ARCHIVED, updated_at=time.time())
        return True


async def restore_thread(sup: Supervisor, tid: str) -> bool:
    """Make an archived thread take turns again; ``False`` if it is not archived."""
    store = sup.checkpointer
    assert store is not None
    async with sup.hold(tid, evict=ARCHIVED):  # its first activation waits for the new status
        row = await store.get_thread(tid)
        if row is None or row.status != ARCHIVED:
            return False
        status = await resting_status(store, tid)
        # updated_at moves: a TTL counts from the restore, not from the last turn
        await store.set_thread_status(tid, status, updated_at=time.time())
        return True


# -- the sweeper ----------------------------------------------------------------------------
class _Tally:
    __slots__ = ("deleted", "pruned", "rows", "skipped")

    def __init__(self) -> None:
        self.pruned = self.rows = self.deleted = self.skipped = 0

    def result(self) -> SweepResult:
        return SweepResult(self.pruned, self.rows, self.deleted, self.skipped)


class RetentionSweeper:
    """Enforces one :class:`Retention` for one supervisor, every ``sweep_interval``."""

    def __init__(self, supervisor: Supervisor, policy: Retention) -> None:
        self.supervisor = supervisor
        self.policy = policy
        self.sweeps = 0
        self._checked: dict[str, int] = {}
        """Resident thread -> its ``top`` when ``keep_last`` last looked at it."""
        self._evicted: dict[str, int] = {}
        """Threads that left memory since the last sweep, unchecked since written."""
        self._task: asyncio.Task[None] | None = None
        self._lock: asyncio.Lock | None = None
        self._next: asyncio.Future[SweepResult] | None = None

    # -- lifecycle (the supervisor's) ----------------------------------------------------
    def start(self) -> None:
        self._lock = asyncio.Lock()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="retention")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def forget(self) -> None:
        """The loop is gone: drop what belongs to it."""
        self._task = self._lock = self._next = None

    def evicted(self, tid: str, head: ThreadState, reason: str) -> None:
        """Called when a thread leaves memory: if written since its last check, it is
        pruned at the next sweep; deleted or archived ones are forgotten."""
        seen = self._checked.pop(tid, None)
        if reason in ("idle", "lru") and self.policy.keep_last is not None:
            if seen != head.top:
                self._evicted[tid] = head.top
        else:
            self._evicted.pop(tid, None)

    async def next_sweep(self) -> SweepResult:
        """The result of the next sweep to finish (tests and monitoring)."""
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
        return await asyncio.shield(self._next)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.policy.sweep_interval)
            try:
                await self.sweep()
            except Exception:  # a store that is down now: the next sweep tries again
                log.warning(
                    "retention sweep failed; retrying in %ss",
                    self.policy.sweep_interval,
                    exc_info=True,
                )

    # -- one sweep -----------------------------------------------------------------------
    async def sweep(self) -> SweepResult:
        """Enforce the policy once; one sweep at a time."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            tally = _Tally()
            if self.policy.keep_last is not None:
                await self._prune_written(self.policy.keep_last, tally)
            if self.policy.ttl is not None:
                await self._expire(self.policy.clock() - self.policy.ttl, tally)
            result = tally.result()
            self.sweeps += 1
            nxt, self._next = self._next, None
            if nxt is not None and not nxt.done():
                nxt.set_result(result)
            if result != _NOTHING:
                log.info("retention sweep: %s", result)
            return result

    def _written(self) -> list[tuple[str, int, bool]]:
        """``(thread, top, resident)`` of the threads written since they were last checked."""
        found = {tid: (top, False) for tid, top in self._evicted.items()}
        self._evicted = {}
        resident = self.supervisor.resident_heads()
        self._checked = {tid: self._checked[tid] for tid, _ in resident if tid in self._checked}
        for tid, head in resident:
            if self._checked.get(tid) != head.top:
                found[tid] = (head.top, True)
        return [(tid, top, res) for tid, (top, res) in found.items()]

    async def _prune_written(self, keep_last: int, tally: _Tally) -> None:
        todo = self._written()
        done = 0
        try:
            for tid, top, resident in todo:
                if top > keep_last:  # else it cannot hold more than keep_last rows
                    if not await self._prune(tid, keep_last, tally):
                        done += 1
                        if not resident:
                            self._evicted[tid] = top  # in use: the next sweep looks again
                        continue
                    await asyncio.sleep(0)
                done += 1
                if resident:
                    self._checked[tid] = top
        finally:  # a failed sweep (the store is down) leaves the rest for the next one
            for tid, top, resident in todo[done:]:
                if not resident:
                    self._evicted.setdefault(tid, top)

    async def _prune(self, tid: str, keep_last: int, tally: _Tally) -> bool:
        """Prune one thread; ``False`` when it was in use."""
        sup, store = self.supervisor, self.supervisor.checkpointer
        assert store is not None
        # Read and plan first, without holding the thread: under the hold only the plan's
        # check and the one-row rewrite run, so the thread's own turns barely wait.
        actor = sup.actor(tid)
        if actor is not None and (not actor.idle or actor.head.dirty):
            tally.skipped += 1
            return False
        plan = await plan_prune(store, tid, keep_last, actor.head if actor else None)
        if plan is None:
            return True
        async with sup.hold(tid, if_idle=True) as hold:
            head = hold.head
            if (
                not hold.held
                or (head is not None and head.seq < plan.cut)
                or await store.get_thread(tid) != plan.seen  # written meanwhile
            ):
                tally.skipped += 1
                return False
            batch = self.policy.batch_size
            n = await store.prune_checkpoints(tid, plan.cut, limit=batch, snapshot=plan.snapshot)
            if head is not None:
                rebased_head(head, plan)
        if n == batch:  # more: nothing kept needs them any more, so no hold is needed
            n += await delete_below(store, tid, plan.cut, batch)
        tally.pruned += n > 0
        tally.rows += n
        return True

    async def _expire(self, cutoff: float, tally: _Tally) -> None:
        store = self.supervisor.checkpointer
        assert store is not None
        after: tuple[float, str] | None = None
        batch = self.policy.batch_size
        while True:
            page = await store.expired_threads(cutoff, limit=batch, after=after)
            for row in page:
                await self._expire_one(row.thread_id, cutoff, tally)
                await asyncio.sleep(0)
            if len(page) < batch:
                return
            after = (page[-1].updated_at, page[-1].thread_id)

    async def _expire_one(self, tid: str, cutoff: float, tally: _Tally) -> None:
        sup, store = self.supervisor, self.supervisor.checkpointer
        assert store is not None
        actor = sup.actor(tid)
        if actor is not None and actor.head.updated_at >= cutoff:
            return  # used in memory since; the store's row is just behind
        async with sup.hold(tid, evict="deleted", if_idle=True) as hold:
            if not hold.held:
                tally.skipped += 1
                return
            row = await store.get_thread(tid)  # it may have moved on since it was listed
            if row is None or row.status == ARCHIVED or row.updated_at >= cutoff:
                return
            await store.delete_thread(tid)
            tally.deleted += 1
            log.debug("retention: thread %r deleted (last updated %s)", tid, row.updated_at)


_NOTHING = SweepResult()
