"""The supervisor: thread id -> actor; activation, eviction, rehydration, shutdown.

One supervisor serves one compiled graph over one checkpointer. It lives on one event
loop (the first that uses it); ``runtime.api`` takes care of callers on other loops.

Activation is single-flight per thread: concurrent callers of a cold thread wait on one
rehydration, so a process never holds two actors for one thread. Only *clean* actors (every
checkpoint committed by the store) are evicted, so the next activation, which reads the
store, sees every earlier turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import types
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Mapping
from typing import Any, Literal, NamedTuple

from runtime.actor import Envelope, SessionActor
from runtime.engine import Engine, EventSink, RunConfig, ThreadState
from runtime.engine.migrate import Migration
from runtime.engine.replay import rehydrate
from runtime.errors import (
    ActorCrashedError,
    SessionBusyError,
    ShutdownIncompleteError,
    ShuttingDownError,
    ThreadArchivedError,
)
from runtime.flusher import Flusher
from runtime.graph.spec import GraphSpec
from runtime.leases import Leases
from runtime.memory import Memory
from runtime.retention import ARCHIVED, Retention, RetentionSweeper
from runtime.stats import RuntimeStatistics
from stores import Store
from stores.errors import StaleOwnerError, StoreError
from stores.records import CheckpointRow

log = logging.getLogger("runtime.supervisor")

Durability = Literal["async", "sync", "exit"]
Strategy = Literal["enqueue", "reject", "interrupt", "rollback"]
SyncNodes = Literal["auto", "inline", "thread"]
DURABILITIES = ("async", "sync", "exit")
#: Actors idle this long (seconds) give up their task until their next message.
PARK_AFTER = 1.0
STRATEGIES = ("enqueue", "reject", "interrupt", "rollback")


class Hold(NamedTuple):
    """What :meth:`Supervisor.hold` yields."""

    held: bool
    """``False``: the thread was in use (``if_idle``) and nothing was done."""
    head: ThreadState | None
    """The head of the resident actor set aside for the block, if there is one."""


class Supervisor:
    """Hosts the actors of one graph over one checkpointer."""

    def __init__(
        self,
        graph: GraphSpec,
        checkpointer: Store | None,
        *,
        store: Any = None,
        durability: Durability = "async",
        max_active: int = 10_000,
        idle_timeout: float = 900.0,
        mailbox_size: int = 1024,
        multitask_strategy: Strategy = "enqueue",
        flush_interval: float = 0.005,
        drain_timeout: float = 30.0,
        shutdown_grace: float = 10.0,
        sync_nodes: SyncNodes = "auto",
        max_activating: int = 256,
        max_dirty: int = 200_000,
        max_dirty_bytes: int = 256 * 2**20,
        backpressure_timeout: float = 30.0,
        retention: Retention | None = None,
        state_version: int = 0,
        migrations: Mapping[int, Migration] | None = None,
        step_timeout: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        check_choice("durability", durability, DURABILITIES)
        check_choice("multitask_strategy", multitask_strategy, STRATEGIES)
        for name, value in (("max_active", max_active), ("mailbox_size", mailbox_size)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if not drain_timeout >= 0 or not shutdown_grace > 0:
            raise ValueError("drain_timeout must be >= 0 and shutdown_grace > 0")
        if idle_timeout <= 0 or flush_interval < 0:
            raise ValueError("idle_timeout must be > 0 and flush_interval >= 0")
        check_choice("sync_nodes", sync_nodes, ("auto", "inline", "thread"))
        self.checkpointer = checkpointer
        self.memory_store = store
        self.memory = Memory(store, lambda: self.loop) if store is not None else None
        self.engine = Engine(
            graph,
            store=self.memory,
            sync_nodes=sync_nodes,
            state_version=state_version,
            migrations=migrations,
            step_timeout=step_timeout,
        )
        self.durability = durability
        self.max_active = max_active
        self.idle_timeout = idle_timeout
        self.mailbox_size = mailbox_size
        self.multitask_strategy = multitask_strategy
        self.flush_interval = flush_interval
        self.drain_timeout = drain_timeout
        self.shutdown_grace = shutdown_grace
        """Seconds ``aclose()`` has after ``drain_timeout`` to end cut-off turns, flush and
        close the store; then it gives up on what is left and says so."""
        self._close: asyncio.Future[None] | None = None
        self.max_activating = max_activating
        """Rehydrations in flight at once: a burst of cold sessions queues here instead of
        flooding the store with reads."""
        self.max_dirty = max_dirty
        self.max_dirty_bytes = max_dirty_bytes
        self.backpressure_timeout = backpressure_timeout
        self._activation_slots: asyncio.Semaphore | None = None
        self.clock = clock
        self.sleep = sleep
        """Waits out a crashed actor's restart backoff (tests inject one with the clock)."""
        # bound once: every actor holds these objects, not bound methods of its own
        self._chain_rows = self.chain_rows
        self._on_actor_exit = self._actor_exit
        self.loop: asyncio.AbstractEventLoop | None = None
        self.flusher: Flusher | None = None
        self._actors: OrderedDict[str, SessionActor] = OrderedDict()
        self._activating: dict[str, asyncio.Future[SessionActor]] = {}
        self._sweeper: asyncio.Task[None] | None = None
        self._closing = False
        self._starting: asyncio.Future[None] | None = None
        self._orphans: tuple[list[CheckpointRow], dict[str, ThreadState]] | None = None
        #: thread -> (restart not before, last delay) after its actor crashed
        self._backoff: dict[str, tuple[float, float]] = {}
        self.leases = Leases(self)
        #: threads held out of service (archive, delete, retention): activations wait
        self._fences: dict[str, asyncio.Future[None]] = {}
        if retention is not None and not isinstance(retention, Retention):
            raise ValueError(f"retention must be a runtime.Retention, got {retention!r}")
        if retention is not None and checkpointer is None:
            raise ValueError("retention needs a checkpointer: compile(checkpointer=..., ...)")
        self.retention = RetentionSweeper(self, retention) if retention is not None else None
        self._stats = dict.fromkeys(
            (
                "activations",
                "evictions_idle",
                "evictions_lru",
                "evictions_deleted",
                "evictions_stale",
                "evictions_archived",
                "rehydrations",
                "turns",
                "rejected",
                "interrupts",
                "rollbacks",
                "restarts",
            ),
            0,
        )

    # -- lifecycle -----------------------------------------------------------------------
    @property
    def started(self) -> bool:
        return self.loop is not None

    async def start(self) -> None:
        """Open the store and start the flusher on the running loop. Idempotent."""
        if self.loop is not None:
            return
        if self._starting is not None:
            return await asyncio.shield(self._starting)
        loop = asyncio.get_running_loop()
        self._starting = loop.create_future()
        try:
            self._closing = False
            if self.memory_store is not None and self.memory_store is not self.checkpointer:
                await self.memory_store.open()
            if self.checkpointer is not None:
                await self.checkpointer.open()
                self.flusher = Flusher(
                    self.checkpointer,
                    flush_interval=self.flush_interval,
                    max_dirty=self.max_dirty,
                    max_dirty_bytes=self.max_dirty_bytes,
                    backpressure_timeout=self.backpressure_timeout,
                    on_quarantine=self._on_quarantine,
                )
                self.flusher.last_flush_timeout = self.drain_timeout + self.shutdown_grace
                if self._orphans is not None:
                    self.flusher.adopt(*self._orphans)
                    self._orphans = None
                self.flusher.start()
                if self.retention is not None:
                    self.retention.start()
            self._activation_slots = asyncio.Semaphore(self.max_activating)
            self._sweeper = loop.create_task(self._sweep_loop(), name="session-sweeper")
            self.loop = loop
            self._starting.set_result(None)
        except BaseException as exc:
            self._starting.set_exception(exc)
            self._starting.exception()  # retrieved: the caller gets it raised
            raise
        finally:
            self._starting = None

    async def aclose(self) -> None:
        """Stop intake, let running and queued turns finish (``drain_timeout``), flush,
        close the store; all within ``drain_timeout + shutdown_grace``.

        Turns still running after ``drain_timeout`` are cancelled (their callers get
        ``ShuttingDownError``; their committed steps are kept), and checkpoints the store
        has not taken by the end are given up on: both are logged at ERROR and raised as
        ``ShutdownIncompleteError`` once everything is closed. Concurrent callers all wait
        for the one shutdown and see its outcome.
        """
        if self.loop is None or (self._closing and self._close is None):
            return  # closed, or the loop is being torn down under us (_loop_shutdown)
        if self._close is None:
            self._closing = True  # at once: a turn arriving from now on is refused
            self._close = asyncio.ensure_future(self._aclose())
        await asyncio.shield(self._close)

    async def _aclose(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.drain_timeout + self.shutdown_grace
        if self.retention is not None:
            await self.retention.stop()  # a hold it has ends here, before actors stop
        actors = list(self._actors.values())
        for actor in actors:
            actor.stop_nowait()
        tasks = [a.task for a in actors if a.task is not None]
        cut: list[str] = []
        refused = 0
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=self.drain_timeout)
            for a in actors:
                if a.task in pending:
                    cut.append(a.thread_id)
                    env = a.current
                    if env is not None and not env.future.done():
                        env.future.set_exception(
                            ShuttingDownError(
                                f"the runtime closed while this turn ran, past drain_timeout="
                                f"{self.drain_timeout}s; it was cancelled and the thread keeps "
                                "the steps it had committed",
                                thread_id=a.thread_id,
                            )
                        )
                    a.task.cancel()
            if pending:  # a node that ignores cancellation must not hold the shutdown
                await asyncio.wait(pending, timeout=max(0.0, deadline - loop.time()))
            for a in actors:
                for env in a.mailbox.drain():
                    if env is not None and not env.future.done():
                        refused += 1
                        env.future.set_exception(
                            ShuttingDownError(
                                "the runtime closed before this turn could run",
                                thread_id=a.thread_id,
                            )
                        )
        self._actors.clear()
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
            self._sweeper = None
        unsaved: dict[str, int] = {}
        error: BaseException | None = None
        # the store's own close gets the last part of the grace
        reserve = min(1.0, self.shutdown_grace / 4)
        if self.flusher is not None:
            unsaved = await self.flusher.aclose(deadline=deadline - reserve)
            if unsaved:
                error = self.flusher.last_error
                # kept: if this runtime is started again, its flusher tries them again
                self._orphans = self.flusher.take_all()
            self.flusher = None
        for store in (self.checkpointer, self.memory_store):
            if store is None or (store is self.memory_store and store is self.checkpointer):
                continue
            try:
                await asyncio.wait_for(store.close(), max(reserve, deadline - loop.time()))
            except Exception as exc:  # reported; the shutdown goes on
                log.error("closing the store %r failed: %r", store, exc)
        self.loop = None
        self._close = None
        if cut or unsaved:
            raise self._incomplete(cut, refused, unsaved, error)

    def _incomplete(
        self, cut: list[str], refused: int, unsaved: dict[str, int], error: BaseException | None
    ) -> ShutdownIncompleteError:
        parts = []
        if cut:
            parts.append(
                f"{len(cut)} turn(s) still running after drain_timeout={self.drain_timeout}s "
                f"were cancelled (threads {_ids(cut)})"
            )
        if refused:
            parts.append(f"{refused} queued turn(s) were refused")
        if unsaved:
            parts.append(
                f"{sum(unsaved.values())} checkpoint(s) of {len(unsaved)} thread(s) were NOT "
                "saved: the store refused them or did not take them before the deadline "
                f"(drain_timeout + shutdown_grace = "
                f"{self.drain_timeout + self.shutdown_grace}s); threads {_ids(list(unsaved))}; "
                f"last store error: {error!r}"
            )
        message = "shutdown incomplete: " + "; ".join(parts)
        log.error("%s", message)
        return ShutdownIncompleteError(message, unsaved=unsaved, cancelled=len(cut) + refused)

    def forget_loop(self) -> None:
        """Drop every tie to a loop that is gone; the next call starts afresh on its loop.

        Rows the old flusher still held (a loop stopped without shutting down) are kept
        and written by the next flusher.
        """
        if self.flusher is not None and self.flusher.unwritten:
            self._orphans = self.flusher.take_all()
        self._actors.clear()
        self._activating.clear()
        self._fences.clear()
        if self.retention is not None:
            self.retention.forget()
        self.flusher = None
        self._sweeper = None
        self.loop = None
        self._closing = False
        self._close = None

    # -- turns (the hot path) ------------------------------------------------------------
    async def turn(
        self,
        input: Any,
        cfg: RunConfig,
        *,
        durability: Durability | None = None,
        multitask_strategy: Strategy | None = None,
        on_event: EventSink | None = None,
        interrupt_before: frozenset[str] | None = None,
        interrupt_after: frozenset[str] | None = None,
    ) -> Any:
        if self._closing:
            raise ShuttingDownError("the runtime is closing", thread_id=cfg.thread_id)
        mode = durability or self.durability
        if mode != "async":  # checked before the turn runs: a refused call changes nothing
            check_choice("durability", mode, DURABILITIES)
        if self.checkpointer is None:
            return await self._ephemeral_turn(input, cfg, on_event)
        tid = cfg.thread_id
        flusher = self.flusher
        assert flusher is not None
        if flusher.quarantine and tid in flusher.quarantine:
            held = flusher.quarantine[tid]
            if not isinstance(held.error, StaleOwnerError):  # stale: reactivation recovers
                raise held.error
        if flusher.over_capacity:
            await flusher.wait_capacity()
        # No await between resolving the actor and putting into its mailbox, so an actor
        # we hold cannot be evicted in between (except across an activation, handled here).
        actor = self._actors.get(tid)
        if actor is None:
            actor = await self._resident(tid)
        else:
            self._actors.move_to_end(tid)
        if (
            actor.idle
            and not actor.stopped
            and on_event is None
            and cfg.checkpoint_id is None
            and cfg.step_timeout is None  # its sync nodes run in threads: it can suspend
            and self.engine.atomic
        ):
            try:
                result = await actor.run_now(
                    input, cfg, exit=mode == "exit", before=interrupt_before, after=interrupt_after
                )
            finally:
                self._stats["turns"] += 1
                if mode == "async":
                    # The turn did not yield to the loop: a caller running turns back to back
                    # must not starve the flusher and everyone else. Once per turn, as through
                    # the mailbox: yielding every few turns made each pass of the loop run a
                    # few turns of every caller (p99 in the bench: 9 ms -> 100 ms).
                    await _yield()
            seq = actor.head.top
        else:
            result, seq = await self._queued_turn(
                actor,
                input,
                cfg,
                mode,
                multitask_strategy,
                on_event,
                interrupt_before,
                interrupt_after,
            )
        if flusher.quarantine and tid in flusher.quarantine:
            # quarantined while this turn ran: its checkpoints cannot be written
            actor.head.status = "error"
            raise flusher.quarantine[tid].error
        if mode != "async":
            await flusher.wait_flushed(actor.head, seq)
        return result

    async def _queued_turn(
        self,
        actor: SessionActor,
        input: Any,
        cfg: RunConfig,
        mode: Durability,
        multitask_strategy: Strategy | None,
        on_event: EventSink | None,
        before: frozenset[str] | None,
        after: frozenset[str] | None,
    ) -> tuple[Any, int]:
        """A turn through the actor's mailbox: its result, and the checkpoint it ended at."""
        strategy = multitask_strategy or self.multitask_strategy
        env = Envelope(input, cfg, on_event, None, before, after)
        if mode == "exit":
            env.exit = True
        if strategy == "enqueue" or not (actor.busy or actor.mailbox):
            try:
                actor.mailbox.put_nowait(env)
            except Exception:
                self._stats["rejected"] += 1
                raise
        else:
            self._preempt(actor, env, strategy)
        try:
            return await env.future, env.seq
        finally:
            self._stats["turns"] += 1

    def _preempt(self, actor: SessionActor, env: Envelope, strategy: str) -> None:
        """A turn arrives while another runs, under a strategy other than ``enqueue``."""
        check_choice("multitask_strategy", strategy, STRATEGIES)
        if strategy == "reject":
            self._stats["rejected"] += 1
            raise SessionBusyError(
                "a turn is already running on this thread and multitask_strategy is "
                "'reject'; retry when it has finished or use 'enqueue'",
                thread_id=actor.thread_id,
            )
        running = actor.current
        if running is not None and running.cfg is not None:
            if strategy == "interrupt":
                running.cfg.stop_requested = True  # stops at its next step boundary
            else:
                actor.rollback(running)
            self._stats[f"{strategy}s"] += 1
        actor.mailbox.put_front(env)  # the new turn runs next

    async def call(self, thread_id: str, fn: Callable[[SessionActor], Awaitable[Any]]) -> Any:
        """Run ``fn(actor)`` in the thread's order (after queued turns)."""
        if self._closing:
            raise ShuttingDownError("the runtime is closing", thread_id=thread_id)
        actor = self._actors.get(thread_id) or await self._resident(thread_id)
        env = Envelope(None, None, call=fn)
        actor.mailbox.put_nowait(env)
        return await env.future

    async def update_state(self, cfg: RunConfig, values: Any, as_node: str | None) -> int:
        """Write ``values`` as ``as_node`` in the thread's order; returns the new checkpoint id."""

        async def update(actor: SessionActor) -> int:
            error = actor.flusher.quarantine_error(actor.thread_id)
            if error is not None:
                raise error
            head = actor.head
            if cfg.checkpoint_id is not None:
                await actor.checkout(cfg.checkpoint_id)
            await self.engine.update(head, values, as_node, cfg, actor.on_row)
            head.status = "interrupted" if head.next else "idle"
            return head.seq

        return int(await self.call(cfg.thread_id, update))

    async def chain_rows(self, tid: str, seq: int | None) -> list[CheckpointRow]:
        """Rows to rebuild ``tid`` at ``seq`` (all its rows when ``None``), including
        those the flusher has not written yet (read-your-writes)."""
        assert self.checkpointer is not None
        pending = self._unwritten(tid)
        if seq is None:
            rows = await self.checkpointer.list_checkpoints(tid, ascending=True)
        else:
            rows = await self.checkpointer.load_chain(tid, seq)
            if not rows and pending:
                # not written yet, but its snapshot may be: load up to its written ancestor
                by_seq = {r.seq: r for r in pending}
                row = by_seq.get(seq)
                while row is not None and row.seq != row.base and row.parent in by_seq:
                    row = by_seq[row.parent]
                if row is not None and row.seq != row.base and row.parent is not None:
                    rows = await self.checkpointer.load_chain(tid, row.parent)
        return _merge(rows, pending, seq)

    async def history_page(self, tid: str, before: int | None, limit: int) -> list[CheckpointRow]:
        """Up to ``limit`` rows of ``tid`` with ``seq < before``, newest first, including
        those the flusher has not written yet."""
        assert self.checkpointer is not None
        pending = [r for r in self._unwritten(tid) if before is None or r.seq < before]
        rows = await self.checkpointer.list_checkpoints(tid, before=before, limit=limit)
        if pending:
            merged = {r.seq: r for r in rows}
            merged.update((r.seq, r) for r in pending)
            rows = [merged[k] for k in sorted(merged, reverse=True)[:limit]]
        return rows

    def _unwritten(self, tid: str) -> list[CheckpointRow]:
        """The flusher's rows of ``tid`` not yet committed. Taken *before* reading the store:
        a batch that commits during the read is then in one of the two, never in neither."""
        return self.flusher.pending_rows(tid) if self.flusher is not None else []

    async def delete_thread(self, tid: str) -> bool:
        """Delete a thread: queued turns finish first, then its actor and rows go."""
        assert self.checkpointer is not None
        async with self.hold(tid, evict="deleted"):
            found = await self.checkpointer.delete_thread(tid)
            # a quarantined thread's rows go with it (never written, now never will be)
            released = self.flusher.release(tid) if self.flusher is not None else 0
            return released > 0 or found

    @contextlib.asynccontextmanager
    async def hold(
        self, tid: str, *, evict: str | None = None, if_idle: bool = False
    ) -> AsyncIterator[Hold]:
        """Keep ``tid`` out of service for the block: no turn of it runs, none of its rows
        waits for the flusher, and its activations wait until the block ends.

        ``evict`` (an eviction reason): a resident actor finishes its queued turns and
        leaves memory. Without it a resident actor must be idle: it is set aside for the
        block (the caller may change its head) and comes back after. ``if_idle``: when the
        thread is in use (a turn running or queued, an activation or another hold, rows
        not yet written) yield ``Hold(False, None)`` at once and change nothing.
        """
        if evict is None and not if_idle:
            raise ValueError("hold() without evict sets a resident actor aside: pass if_idle")
        while (fence := self._fences.get(tid)) is not None:
            if if_idle:
                yield Hold(False, None)
                return
            await asyncio.shield(fence)
        actor = self._actors.get(tid)
        flusher = self.flusher
        if if_idle and (
            tid in self._activating
            or (actor is not None and (not actor.idle or actor.head.dirty))
            or (flusher is not None and flusher.pending_rows(tid))
        ):
            yield Hold(False, None)
            return
        fence = self._fences[tid] = asyncio.get_running_loop().create_future()
        aside = None
        try:
            activating = self._activating.get(tid)
            if activating is not None:
                await asyncio.wait([activating])
                actor = self._actors.get(tid)
            if actor is not None and evict is None:
                del self._actors[tid]
                aside = actor
            elif actor is not None and evict is not None:
                self._evict(tid, actor, evict)  # after what is queued
                if actor.task is not None:
                    await asyncio.wait([actor.task])
            if evict is not None and flusher is not None:
                await flusher.flush_thread(tid)  # its rows must not land after the block
            yield Hold(True, aside.head if aside is not None else None)
        finally:
            if self._fences.get(tid) is fence:  # else forget_loop() dropped everything
                del self._fences[tid]
                if aside is not None:
                    self._actors[tid] = aside  # aclose() stops it with the others
            fence.set_result(None)

    def resident_heads(self) -> list[tuple[str, ThreadState]]:
        """``(thread_id, head)`` of every actor in memory."""
        return [(tid, actor.head) for tid, actor in self._actors.items()]

    async def _ephemeral_turn(self, input: Any, cfg: RunConfig, on_event: EventSink | None) -> Any:
        # No checkpointer: like LangGraph, every invoke starts from an empty state.
        head = self.engine.new_thread(cfg.thread_id)
        return await self.engine.run(head, input, cfg, _discard, on_event)

    # -- activation ----------------------------------------------------------------------
    def actor(self, thread_id: str) -> SessionActor | None:
        """The resident actor of a thread, if any (no activation)."""
        return self._actors.get(thread_id)

    async def _resident(self, tid: str) -> SessionActor:
        """An actor for ``tid`` that is still resident when this returns.

        Callers that waited on someone else's activation resume a little later; if the
        actor was evicted in between (it was idle and clean), activate again: the new
        activation reads the store, which holds every turn the old one committed.
        """
        actor = await self._activate(tid)
        while actor.stopped:
            actor = self._actors.get(tid) or await self._activate(tid)
        return actor

    async def _activate(self, tid: str) -> SessionActor:
        pending = self._activating.get(tid)
        if pending is not None:
            return await asyncio.shield(pending)
        loop = asyncio.get_running_loop()
        backoff = self._backoff.get(tid)
        if backoff is not None:
            wait = backoff[0] - self.clock()
            if wait > 0:  # its actor crashed lately: restart, but not in a tight loop
                await self.sleep(wait)
        fence = self._fences.get(tid)
        if fence is not None:  # archived, deleted or pruned right now: see the result
            await asyncio.shield(fence)
            return self._actors.get(tid) or await self._activate(tid)
        fut: asyncio.Future[SessionActor] = loop.create_future()
        self._activating[tid] = fut
        try:
            assert self._activation_slots is not None
            async with self._activation_slots:
                await self.leases.own(tid)
                head = await self.load_head(tid)
            if head.status == ARCHIVED:
                raise ThreadArchivedError(
                    f"thread {tid!r} is archived: it can be read but takes no turns or "
                    f"updates; restore it first with restore_thread({tid!r}) (or `python -m "
                    "runtime restore DB THREAD`)",
                    thread_id=tid,
                )
            actor = self._actors.get(tid)
            if actor is None:
                assert self.flusher is not None
                actor = SessionActor(
                    head,
                    self.engine,
                    self.flusher,
                    self.mailbox_size,
                    self.clock,
                    self._chain_rows,
                )
                actor.on_exit = self._on_actor_exit
                # No task yet: the first message queued starts one (a graph whose turns run
                # in their callers' tasks may never need one, see SessionActor.run_now).
                self._actors[tid] = actor
                self._stats["activations"] += 1
                if len(self._actors) > self.max_active:
                    self._evict_lru(keep=actor)
            fut.set_result(actor)
            return actor
        except BaseException as exc:
            fut.set_exception(exc)
            fut.exception()  # retrieved here; waiters get it raised
            raise
        finally:
            del self._activating[tid]

    async def load_head(self, tid: str, *, activation: bool = True) -> ThreadState:
        """The thread's head from the store (plus unflushed rows), or a new thread."""
        assert self.checkpointer is not None
        pending = self._unwritten(tid)
        rows = _merge(await self.checkpointer.load_chain(tid), pending, None)
        head = self.engine.new_thread(tid)
        if not rows:
            return head
        if activation:
            self._stats["rehydrations"] += 1
        rehydrate(rows, head)
        info = await self.checkpointer.get_thread(tid)
        if info is not None:
            head.created_at = info.created_at
            head.metadata = info.metadata
            head.status = "idle" if info.status == "busy" else info.status
            head.top = max(head.top, info.head)
        if activation and self.flusher is not None:
            # an older state schema: migrated now, recorded as a checkpoint of its own
            row = self.engine.migrations.apply(head)
            if row is not None:
                self.flusher.add(head, row)
        return head

    def _on_quarantine(self, tid: str, error: StoreError) -> None:
        if isinstance(error, StaleOwnerError):
            # Another process took the thread over: this copy is out of date. Leave memory;
            # the next call reloads the thread (once it can take the lease back).
            actor = self._actors.get(tid)
            if actor is not None:
                _fail_queued_turns(actor, error)
                self._evict(tid, actor, "stale")
                if actor.task is not None and not actor.task.done():
                    self.leases.stale_tasks[tid] = actor.task
            return
        self._on_quarantine_refused(tid, error)

    def _on_quarantine_refused(self, tid: str, error: StoreError) -> None:
        """The store refused ``tid``'s checkpoints for good: its turns that have not started
        fail now; a running one fails when it ends (``turn``), leaving the status "error"."""
        actor = self._actors.get(tid)
        if actor is None:
            return
        actor.head.status = "error"
        _fail_queued_turns(actor, error)
        if actor.busy:  # the running turn sets the status when it ends; set it again after
            mark = Envelope(None, None, call=_mark_error)
            # nobody awaits it, and a closing runtime fails it: never "exception not retrieved"
            mark.future.add_done_callback(_retrieved)
            actor.mailbox.put_control(mark)

    # -- eviction ------------------------------------------------------------------------
    def _actor_exit(self, actor: SessionActor, task: asyncio.Task[None]) -> None:
        if task.cancelled() or task.exception() is None:
            return  # parked, stopped (evicted, closed) or cancelled with its loop
        tid = actor.thread_id
        exc = task.exception()
        self._stats["restarts"] += 1
        log.error("the actor of thread %r crashed; it restarts on the next call", tid, exc_info=exc)
        if self._actors.get(tid) is actor:
            del self._actors[tid]
        actor.stopped = True
        crash = ActorCrashedError(
            f"the session's actor failed ({exc!r}); the next call restarts it from the store",
            thread_id=tid,
        )
        waiting = [actor.current, *actor.mailbox.drain()]
        for env in waiting:
            if env is not None and not env.future.done():
                env.future.set_exception(crash)
        last = self._backoff.get(tid)
        delay = 0.05 if last is None else min(last[1] * 2, 5.0)
        self._backoff[tid] = (self.clock() + delay, delay)

    def _evict_lru(self, keep: SessionActor | None = None) -> None:
        over = len(self._actors) - self.max_active
        if over <= 0:
            return
        # From the least recently used end, and only as far as needed: this runs on every
        # activation past max_active, so it must not walk all resident actors.
        victims = []
        for tid, actor in self._actors.items():
            if actor.idle and not actor.head.dirty and actor is not keep:
                victims.append((tid, actor))
                if len(victims) == over:
                    break
        for tid, actor in victims:
            self._evict(tid, actor, "lru")

    def sweep(self) -> int:
        """Evict idle actors past ``idle_timeout`` and LRU ones over ``max_active``.

        Returns how many were evicted. Called by the sweeper task; tests call it directly
        with an injected clock.
        """
        before = len(self._actors)
        now = self.clock()
        park = min(PARK_AFTER, self.idle_timeout)
        for tid, actor in list(self._actors.items()):
            if actor.busy or actor.mailbox:
                actor.last_used = now
            elif now - actor.last_used >= self.idle_timeout and not actor.head.dirty:
                self._evict(tid, actor, "idle")
            elif actor.task is not None and now - actor.last_used >= park:
                actor.park()
        self._evict_lru()
        return before - len(self._actors)

    def _evict(self, tid: str, actor: SessionActor, reason: str) -> None:
        del self._actors[tid]
        self._backoff.pop(tid, None)  # it ran and went idle: a later crash starts afresh
        actor.stop_nowait()
        self._stats[f"evictions_{reason}"] += 1
        if self.retention is not None:
            self.retention.evicted(tid, actor.head, reason)
        if reason != "stale":
            self.leases.evicted(tid)

    async def _sweep_loop(self) -> None:
        try:
            while True:
                over = len(self._actors) > self.max_active
                ttl = self.leases.ttl
                every = min(self.idle_timeout / 4, 1.0, ttl / 6 if ttl else 1.0)
                await asyncio.sleep(0.05 if over else every)
                self.sweep()
                try:
                    await self.leases.maintain()
                except StoreError as exc:  # the store is down: the next round tries again
                    log.warning("could not maintain leases: %s", exc)
        except asyncio.CancelledError:
            if not self._closing:
                await self._loop_shutdown()
            raise

    async def _loop_shutdown(self) -> None:
        # Our loop is being torn down under us (the end of asyncio.run, a test runner):
        # every task is being cancelled. Write what is dirty so nothing acknowledged is lost,
        # and close the store so its worker thread does not keep the process alive.
        self._closing = True
        try:
            if self.flusher is not None:
                await self.flusher.last_flush()
            if self.checkpointer is not None:
                await self.checkpointer.close()
        finally:
            self.forget_loop()

    # -- figures -------------------------------------------------------------------------
    def statistics(self) -> RuntimeStatistics:
        s = self._stats
        fl = self.flusher.statistics() if self.flusher is not None else None
        actors = self._actors.values()
        return RuntimeStatistics(
            active=len(self._actors),
            activations=s["activations"],
            evictions=s["evictions_idle"] + s["evictions_lru"],
            evictions_idle=s["evictions_idle"],
            evictions_lru=s["evictions_lru"],
            rehydrations=s["rehydrations"],
            queued=sum(len(a.mailbox) for a in actors),
            in_flight=sum(1 for a in actors if a.busy),
            turns=s["turns"],
            activating=len(self._activating),
            rejected=s["rejected"],
            interrupts=s["interrupts"],
            rollbacks=s["rollbacks"],
            restarts=s["restarts"],
            dirty=(fl.dirty + fl.in_flight) if fl else 0,
            flushes=fl.flushes if fl else 0,
            flushed_checkpoints=fl.flushed_checkpoints if fl else 0,
            flush_failures=fl.flush_failures if fl else 0,
            quarantined=fl.quarantined if fl else 0,
            quarantined_checkpoints=fl.quarantined_checkpoints if fl else 0,
            dirty_bytes=fl.dirty_bytes if fl else 0,
            evictions_deleted=s["evictions_deleted"],
            evictions_archived=s["evictions_archived"],
            evictions_stale=s["evictions_stale"],
            parked=sum(1 for a in actors if a.task is None),
        )


def _merge(
    rows: list[CheckpointRow], pending: list[CheckpointRow], upto: int | None
) -> list[CheckpointRow]:
    """``rows`` from the store plus not yet written ``pending`` ones (up to ``upto``),
    ascending by id; a pending row replaces a stored one of the same id."""
    if not pending:
        return rows
    merged = {r.seq: r for r in rows}
    merged.update((r.seq, r) for r in pending if upto is None or r.seq <= upto)
    return [merged[k] for k in sorted(merged)]


def check_choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")


def _discard(row: object) -> None:
    pass


def _fail_queued_turns(actor: SessionActor, error: BaseException) -> None:
    """Fail the turns waiting in ``actor``'s mailbox with ``error``; calls (a delete) and
    the stop message stay queued."""
    for env in actor.mailbox.drain():
        if env is not None and env.call is None:
            if not env.future.done():
                env.future.set_exception(error)
        else:
            actor.mailbox.put_control(env)


async def _mark_error(actor: SessionActor) -> None:
    actor.head.status = "error"


def _retrieved(fut: asyncio.Future[Any]) -> None:
    if not fut.cancelled():
        fut.exception()


@types.coroutine
def _yield() -> Generator[None, None, None]:
    """``asyncio.sleep(0)`` without its Python frame: a bare yield makes the task go round
    the loop once."""
    yield


def _ids(threads: list[str], most: int = 20) -> str:
    """Thread ids for a log line: all of them up to ``most``, then how many more."""
    shown = ", ".join(repr(t) for t in threads[:most])
    return shown if len(threads) <= most else f"{shown} and {len(threads) - most} more"
