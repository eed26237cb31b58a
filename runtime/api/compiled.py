"""``CompiledGraph``: the LangGraph-shaped face over one ``Supervisor``.

Every method is async at heart; each sync twin runs its async twin on the loop the runtime
lives on (the portal loop when it was first used from sync code) and blocks for it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Iterator, Sequence
from functools import partial
from typing import Any

from runtime.engine import RunConfig, ThreadState
from runtime.engine.context import DEFAULT_RECURSION_LIMIT
from runtime.engine.history import history
from runtime.engine.interrupts import PendingStep
from runtime.engine.replay import chain, rebuild
from runtime.engine.turn import check_step_timeout
from runtime.errors import CorruptCheckpointError, InvalidConfigError
from runtime.graph.spec import START, GraphSpec
from runtime.memory import Memory
from runtime.retention import SweepResult, archive_thread, restore_thread
from runtime.stats import RuntimeStatistics
from runtime.supervisor import Durability, Strategy, Supervisor
from stores import Store, codec
from stores.records import CheckpointRow

from .config import parse_config, thread_id_arg
from .portal import portal_loop, register_closer, run_sync
from .requests import RequestLog, check_request_id
from .snapshot import (
    StateSnapshot,
    ThreadInfo,
    checkpoint_config,
    empty_snapshot,
    iso,
    snapshot,
)

log = logging.getLogger("runtime")

STREAM_MODES = ("values", "updates", "custom", "messages", "debug")
_DONE: Any = object()


class CompiledGraph:
    """A compiled graph with durable sessions. Build it with ``StateGraph.compile()``."""

    def __init__(
        self,
        spec: GraphSpec,
        checkpointer: Store | None = None,
        *,
        store: Any = None,
        **runtime_options: Any,
    ) -> None:
        self.spec = spec
        self.checkpointer = checkpointer
        self.store = store
        self.supervisor = Supervisor(spec, checkpointer, store=store, **runtime_options)
        self._requests = RequestLog()
        register_closer(self)

    @property
    def step_timeout(self) -> float | None:
        """Seconds a super-step may take, ``None`` for no bound (LangGraph's attribute of
        the same name; set it here or with ``compile(step_timeout=...)``). A step past it
        is cancelled and the turn fails with ``StepTimeoutError`` (a ``TimeoutError``)."""
        return self.supervisor.engine.step_timeout

    @step_timeout.setter
    def step_timeout(self, value: float | None) -> None:
        self.supervisor.engine.step_timeout = check_step_timeout(value)

    @property
    def memory(self) -> Memory | None:
        """The cross-session memory (``compile(store=...)``) with LangGraph's store API."""
        return self.supervisor.memory

    # -- loop binding --------------------------------------------------------------------
    async def _local(self) -> bool:
        """Make the runtime usable from the running loop; ``False``: it lives on another
        live loop, forward the call there."""
        sup = self.supervisor
        loop = sup.loop
        if loop is None:
            await sup.start()
            return True
        if loop.is_closed() or not loop.is_running():
            sup.forget_loop()
            await sup.start()
            return True
        return loop is asyncio.get_running_loop()

    async def _forward(self, coro: Any) -> Any:
        assert self.supervisor.loop is not None
        return await asyncio.wrap_future(
            asyncio.run_coroutine_threadsafe(coro, self.supervisor.loop)
        )

    def _sync_loop(self) -> asyncio.AbstractEventLoop:
        loop = self.supervisor.loop
        if loop is not None and loop.is_running():
            return loop
        return portal_loop()

    def _cfg(self, config: Any) -> RunConfig:
        if self.checkpointer is None and (
            config is None or "thread_id" not in (config.get("configurable") or {})
        ):
            # Without a checkpointer there is no session, so no thread id is needed.
            raw = dict(config or {})
            return RunConfig(
                "",
                raw=raw,
                configurable=raw.get("configurable") or {},
                recursion_limit=raw.get("recursion_limit", DEFAULT_RECURSION_LIMIT),
            )
        return parse_config(config)

    # -- turns ---------------------------------------------------------------------------
    async def ainvoke(
        self,
        input: Any,
        config: Any = None,
        *,
        durability: Durability | None = None,
        multitask_strategy: Strategy | None = None,
        interrupt_before: str | Sequence[str] | None = None,
        interrupt_after: str | Sequence[str] | None = None,
        context: Any = None,
        step_timeout: float | None = None,
        request_id: str | None = None,
        **_: Any,
    ) -> Any:
        """Run one turn of the session ``config["configurable"]["thread_id"]``.

        ``step_timeout``: seconds each super-step of this turn may take (overrides the
        graph's ``step_timeout``); past it the turn fails with ``StepTimeoutError``.

        ``request_id``: a retry with the same id on the same thread gets the first call's
        answer (waiting for it if it still runs) and never runs again; see
        ``runtime.api.requests`` for what is remembered and for how long."""
        sup = self.supervisor
        if sup.loop is not asyncio.get_running_loop() and not await self._local():
            return await self._forward(
                self.ainvoke(
                    input,
                    config,
                    durability=durability,
                    multitask_strategy=multitask_strategy,
                    interrupt_before=interrupt_before,
                    interrupt_after=interrupt_after,
                    context=context,
                    step_timeout=step_timeout,
                    request_id=request_id,
                )
            )
        cfg = self._cfg(config)
        if context is not None:
            cfg.context = context
        if step_timeout is not None:
            cfg.step_timeout = check_step_timeout(step_timeout)
        if request_id is None and interrupt_before is None and interrupt_after is None:
            return await sup.turn(
                input, cfg, durability=durability, multitask_strategy=multitask_strategy
            )
        turn = partial(
            sup.turn,
            input,
            cfg,
            durability=durability,
            multitask_strategy=multitask_strategy,
            interrupt_before=self._nodes(interrupt_before),
            interrupt_after=self._nodes(interrupt_after),
        )
        if request_id is None:
            return await turn()
        return await self._requests.once(self, cfg, check_request_id(request_id), turn)

    def _nodes(self, names: str | Sequence[str] | None) -> frozenset[str] | None:
        if names is None:
            return None
        if names == "*":
            return frozenset(self.spec.nodes)
        chosen = frozenset([names] if isinstance(names, str) else names)
        unknown = chosen.difference(self.spec.nodes)
        if unknown:
            raise ValueError(f"interrupt at unknown node(s) {sorted(unknown)}")
        return chosen

    def invoke(self, input: Any, config: Any = None, **kwargs: Any) -> Any:
        return run_sync(self.ainvoke(input, config, **kwargs), self._sync_loop())

    async def astream(
        self,
        input: Any,
        config: Any = None,
        *,
        stream_mode: str | Sequence[str] | None = None,
        durability: Durability | None = None,
        multitask_strategy: Strategy | None = None,
        interrupt_before: str | Sequence[str] | None = None,
        interrupt_after: str | Sequence[str] | None = None,
        context: Any = None,
        lockstep: bool = True,
        step_timeout: float | None = None,
        **_: Any,
    ) -> AsyncGenerator[Any, None]:
        """Events as the turn runs: one mode yields payloads, a list yields ``(mode, data)``.

        Without ``stream_mode``, ``"updates"``: a compiled StateGraph's default in LangGraph.
        As with LangGraph's generators, the next step runs only once the consumer has taken
        the events of the one before and asks for more; ``lockstep=False`` lets the turn run
        on regardless (a server relaying events to a slow client).
        """
        if stream_mode is None:
            stream_mode = "updates"
        single = isinstance(stream_mode, str)
        modes = (stream_mode,) if isinstance(stream_mode, str) else tuple(stream_mode)
        for m in modes:
            if m not in STREAM_MODES:
                raise ValueError(f"stream_mode must be among {STREAM_MODES}, got {m!r}")
        if self.supervisor.loop is not asyncio.get_running_loop() and not await self._local():
            raise RuntimeError(
                "astream() must run on the event loop this graph lives on; use stream() from "
                "other threads"
            )
        cfg = self._cfg(config)
        if context is not None:
            cfg.context = context
        if step_timeout is not None:
            cfg.step_timeout = check_step_timeout(step_timeout)
        queue: asyncio.Queue[Any] = asyncio.Queue()
        wanted = frozenset(modes)
        # Set while the consumer waits on an empty queue: it has taken every event so far.
        waiting = asyncio.Event()
        gone = False

        def on_event(mode: str, payload: Any) -> None:
            if mode in wanted:
                if not gone:
                    waiting.clear()
                queue.put_nowait(payload if single else (mode, payload))

        if lockstep:
            on_event.caught_up = waiting.wait  # type: ignore[attr-defined]

        on_event.debug = "debug" in wanted  # type: ignore[attr-defined]
        # "messages": chat model tokens and the messages nodes return, as (message,
        # metadata); the engine taps LangChain's callbacks for them (engine.messages).
        on_event.messages = "messages" in wanted  # type: ignore[attr-defined]

        task = asyncio.ensure_future(
            self.supervisor.turn(
                input,
                cfg,
                durability=durability,
                multitask_strategy=multitask_strategy,
                on_event=on_event,
                interrupt_before=self._nodes(interrupt_before),
                interrupt_after=self._nodes(interrupt_after),
            )
        )
        task.add_done_callback(lambda _: queue.put_nowait(_DONE))
        try:
            while True:
                if queue.empty():
                    waiting.set()
                item = await queue.get()
                if item is _DONE:
                    break
                yield item
            await task
        finally:
            # A consumer that stops early (client disconnect): a turn not yet started is
            # skipped; one that started runs to its end and commits, waiting for nobody.
            gone = True
            waiting.set()
            if not task.done():
                task.cancel()

    def stream(self, input: Any, config: Any = None, **kwargs: Any) -> Iterator[Any]:
        loop = self._sync_loop()
        agen = self.astream(input, config, **kwargs)
        try:
            while True:
                try:
                    yield run_sync(_next(agen), loop)
                except StopAsyncIteration:
                    return
        finally:
            run_sync(agen.aclose(), loop)

    # -- state ---------------------------------------------------------------------------
    async def aget_state(self, config: Any, *, subgraphs: bool = False) -> StateSnapshot:
        """The thread's current state, or its state at ``configurable.checkpoint_id``."""
        if self.supervisor.loop is not asyncio.get_running_loop() and not await self._local():
            return await self._forward(self.aget_state(config))  # type: ignore[no-any-return]
        cfg = parse_config(config, what="get_state")
        self._need_checkpointer("get_state")
        tid = cfg.thread_id
        sup = self.supervisor
        if cfg.checkpoint_id is not None:
            return await self._state_at(tid, cfg.checkpoint_id)
        actor = sup.actor(tid)
        head = actor.head if actor is not None else await sup.load_head(tid, activation=False)
        if head.seq == 0:
            return empty_snapshot(dict(config))
        return self._head_snapshot(head)

    def _head_snapshot(self, head: ThreadState) -> StateSnapshot:
        engine = self.supervisor.engine
        pending = head.pending
        if pending is None:
            values, next_nodes = head.copy_values(), head.next
            task_interrupts: dict[int, tuple[Any, ...]] = {}
            interrupts: tuple[Any, ...] = ()
        else:
            # A paused step: LangGraph shows the finished tasks' writes applied, and as next
            # only the tasks still to run.
            values = engine.pending_values(head)
            tasks = engine.plan.tasks(head)
            next_nodes = tuple(t.name for t in tasks if t.key not in pending.done)
            waiting = {key: i for key, i in pending.interrupts}
            task_interrupts = {
                n: (waiting[t.key],) for n, t in enumerate(tasks) if t.key in waiting
            }
            interrupts = tuple(i for _, i in pending.interrupts)
        return snapshot(
            head.thread_id,
            head.seq,
            head.parent,
            values,
            next_nodes,
            head.step,
            head.source,
            head.checkpoint_meta,
            head.checkpoint_at,
            task_names=head.next,
            task_interrupts=task_interrupts,
            interrupts=interrupts,
        )

    def get_state(self, config: Any, *, subgraphs: bool = False) -> StateSnapshot:
        return run_sync(self.aget_state(config), self._sync_loop())

    async def _state_at(self, tid: str, seq: int) -> StateSnapshot:
        path = chain(await self.supervisor.chain_rows(tid, seq), seq)
        if not path:
            raise InvalidConfigError(
                f"thread {tid!r} has no checkpoint {seq}; take ids from get_state_history()",
                thread_id=tid,
            )
        values, record = rebuild(path)
        last = path[-1]
        return snapshot(
            tid,
            last.seq,
            last.parent,
            values,
            tuple(record.next),
            record.step,
            record.source,
            record.metadata,
            record.created_at,
        )

    async def aget_state_history(
        self,
        config: Any,
        *,
        filter: dict[str, Any] | None = None,
        before: Any = None,
        limit: int | None = None,
    ) -> AsyncIterator[StateSnapshot]:
        """Checkpoints of the thread, newest first."""
        if self.supervisor.loop is not asyncio.get_running_loop() and not await self._local():
            raise RuntimeError("aget_state_history() must run on the graph's event loop")
        cfg = parse_config(config, what="get_state_history")
        self._need_checkpointer("get_state_history")
        tid = cfg.thread_id
        before_seq = parse_config(before).checkpoint_id if before is not None else None
        sup = self.supervisor

        def from_head(seq: int) -> dict[str, Any] | None:
            # the newest checkpoint of a resident thread needs no rebuild
            actor = sup.actor(tid)
            head = actor.head if actor is not None else None
            return head.copy_values() if head is not None and head.seq == seq else None

        async def page(before: int | None, n: int) -> list[CheckpointRow]:
            return await sup.history_page(tid, before, n)

        async def load(seq: int) -> list[CheckpointRow]:
            return await sup.chain_rows(tid, seq)

        found = history(
            tid,
            page,
            load,
            before=before_seq,
            only=cfg.checkpoint_id,  # LangGraph: that checkpoint only
            filter=filter,
            limit=limit,
            head=from_head,
        )
        async for row, record, values, pending in found:
            interrupts, per_task = _paused_interrupts(pending, tuple(record.next))
            yield snapshot(
                tid,
                row.seq,
                row.parent,
                values,
                tuple(record.next),
                record.step,
                record.source,
                record.metadata,
                record.created_at,
                task_interrupts=per_task,
                interrupts=interrupts,
            )

    def get_state_history(self, config: Any, **kwargs: Any) -> Iterator[StateSnapshot]:
        async def collect() -> list[StateSnapshot]:
            return [s async for s in self.aget_state_history(config, **kwargs)]

        return iter(run_sync(collect(), self._sync_loop()))

    async def aupdate_state(
        self, config: Any, values: Any, as_node: str | None = None
    ) -> dict[str, Any]:
        """Write ``values`` as if ``as_node`` had returned them; returns the new checkpoint's
        config. With a ``checkpoint_id`` in ``config`` the update forks from there."""
        if self.supervisor.loop is not asyncio.get_running_loop() and not await self._local():
            return await self._forward(  # type: ignore[no-any-return]
                self.aupdate_state(config, values, as_node)
            )
        self._need_checkpointer("update_state")
        cfg = parse_config(config, what="update_state")
        seq = await self.supervisor.update_state(cfg, values, as_node)
        return checkpoint_config(cfg.thread_id, seq)

    def update_state(self, config: Any, values: Any, as_node: str | None = None) -> dict[str, Any]:
        return run_sync(self.aupdate_state(config, values, as_node), self._sync_loop())

    # -- threads -------------------------------------------------------------------------
    async def aget_thread(self, thread_id: str) -> ThreadInfo | None:
        thread_id = thread_id_arg(thread_id)
        if self.supervisor.loop is not asyncio.get_running_loop() and not await self._local():
            return await self._forward(self.aget_thread(thread_id))  # type: ignore[no-any-return]
        self._need_checkpointer("get_thread")
        assert self.checkpointer is not None
        actor = self.supervisor.actor(thread_id)
        if actor is not None and (actor.head.seq or actor.head.metadata is not None):
            # resident: memory is the truth (its newest rows may not be written yet)
            h = actor.head
            return ThreadInfo(
                thread_id,
                h.status,
                iso(h.created_at),
                iso(h.updated_at),
                _meta(h.metadata, thread_id),
                h.top,
            )
        row = await self.checkpointer.get_thread(thread_id)
        if row is None:
            return None
        return _info(row)

    def get_thread(self, thread_id: str) -> ThreadInfo | None:
        return run_sync(self.aget_thread(thread_id), self._sync_loop())

    async def alist_threads(
        self,
        *,
        status: str | None = None,
        metadata: dict[str, Any] | None = None,
        limit: int | None = 100,
        offset: int = 0,
    ) -> list[ThreadInfo]:
        """Threads, most recently updated first; ``metadata`` keeps those whose metadata has
        every given key with an equal value."""
        if self.supervisor.loop is not asyncio.get_running_loop() and not await self._local():
            return await self._forward(  # type: ignore[no-any-return]
                self.alist_threads(status=status, metadata=metadata, limit=limit, offset=offset)
            )
        self._need_checkpointer("list_threads")
        assert self.checkpointer is not None
        await self.aflush()  # thread rows are written with the batches
        if not metadata:
            rows = await self.checkpointer.list_threads(status=status, limit=limit, offset=offset)
            return list(_infos(rows))
        found = [
            info
            for info in _infos(await self.checkpointer.list_threads(status=status))
            if all(info.metadata.get(k, _DONE) == v for k, v in metadata.items())
        ]
        return found[offset : None if limit is None else offset + limit]

    async def aflush(self) -> None:
        """Wait until every checkpoint acknowledged so far is committed by the store."""
        if self.supervisor.loop is not asyncio.get_running_loop() and not await self._local():
            return await self._forward(self.aflush())  # type: ignore[no-any-return]
        if self.supervisor.flusher is not None:
            await self.supervisor.flusher.flush()

    def flush(self) -> None:
        run_sync(self.aflush(), self._sync_loop())

    def list_threads(self, **kwargs: Any) -> list[ThreadInfo]:
        return run_sync(self.alist_threads(**kwargs), self._sync_loop())

    async def adelete_thread(self, thread_id: str) -> bool:
        """Delete a thread and its whole history (cross-session memory is kept)."""
        thread_id = thread_id_arg(thread_id)
        if self.supervisor.loop is not asyncio.get_running_loop() and not await self._local():
            return await self._forward(self.adelete_thread(thread_id))  # type: ignore[no-any-return]
        self._need_checkpointer("delete_thread")
        self._requests.forget(thread_id)
        return await self.supervisor.delete_thread(thread_id)

    def delete_thread(self, thread_id: str) -> bool:
        return run_sync(self.adelete_thread(thread_id), self._sync_loop())

    async def aarchive_thread(self, thread_id: str) -> bool:
        """Archive a thread: queued turns finish, its checkpoints are flushed and it leaves
        memory. It stays readable (state, history, get_thread); turns and updates raise
        ``ThreadArchivedError`` until ``arestore_thread``. ``False`` if there is no thread."""
        thread_id = thread_id_arg(thread_id)
        if self.supervisor.loop is not asyncio.get_running_loop() and not await self._local():
            return await self._forward(self.aarchive_thread(thread_id))  # type: ignore[no-any-return]
        self._need_checkpointer("archive_thread")
        return await archive_thread(self.supervisor, str(thread_id))

    def archive_thread(self, thread_id: str) -> bool:
        return run_sync(self.aarchive_thread(thread_id), self._sync_loop())

    async def arestore_thread(self, thread_id: str) -> bool:
        """Make an archived thread take turns again (status ``idle``, or ``interrupted`` if
        it was paused). ``False`` if the thread is not archived."""
        thread_id = thread_id_arg(thread_id)
        if self.supervisor.loop is not asyncio.get_running_loop() and not await self._local():
            return await self._forward(self.arestore_thread(thread_id))  # type: ignore[no-any-return]
        self._need_checkpointer("restore_thread")
        return await restore_thread(self.supervisor, str(thread_id))

    def restore_thread(self, thread_id: str) -> bool:
        return run_sync(self.arestore_thread(thread_id), self._sync_loop())

    async def asweep(self) -> SweepResult:
        """Enforce ``compile(retention=...)`` now (the sweeper does every ``sweep_interval``)."""
        if self.supervisor.loop is not asyncio.get_running_loop() and not await self._local():
            return await self._forward(self.asweep())  # type: ignore[no-any-return]
        sweeper = self.supervisor.retention
        if sweeper is None:
            raise ValueError(
                "no retention policy to enforce: compile(checkpointer=..., "
                "retention=Retention(keep_last=..., ttl=...))"
            )
        return await sweeper.sweep()

    def sweep(self) -> SweepResult:
        return run_sync(self.asweep(), self._sync_loop())

    async def acreate_thread(
        self,
        thread_id: str | None = None,
        *,
        metadata: dict[str, Any] | None = None,
        values: dict[str, Any] | None = None,
    ) -> ThreadInfo:
        """Create a thread (a new UUID when ``thread_id`` is ``None``) with metadata and,
        optionally, initial values (written as an ``update`` checkpoint from ``START``)."""
        if self.supervisor.loop is not asyncio.get_running_loop() and not await self._local():
            return await self._forward(  # type: ignore[no-any-return]
                self.acreate_thread(thread_id, metadata=metadata, values=values)
            )
        self._need_checkpointer("create_thread")
        tid = thread_id_arg(thread_id) if thread_id is not None else str(uuid.uuid4())
        sup = self.supervisor
        encoded = codec.encode_value(metadata or {}, what="metadata", thread_id=tid)

        async def create(actor: Any) -> None:
            head = actor.head
            head.metadata = encoded
            if values is not None:
                cfg = parse_config({"configurable": {"thread_id": tid}})
                await sup.engine.update(head, values, START, cfg, actor.on_row)
            else:
                sup.flusher.touch(head)  # type: ignore[union-attr]

        await sup.call(tid, create)
        info = await self.aget_thread(tid)
        assert info is not None
        return info

    def create_thread(
        self,
        thread_id: str | None = None,
        *,
        metadata: dict[str, Any] | None = None,
        values: dict[str, Any] | None = None,
    ) -> ThreadInfo:
        return run_sync(
            self.acreate_thread(thread_id, metadata=metadata, values=values), self._sync_loop()
        )

    # -- figures and lifecycle -----------------------------------------------------------
    def statistics(self) -> RuntimeStatistics:
        return self.supervisor.statistics()

    async def aclose(self) -> None:
        """Finish queued turns, flush every checkpoint, close the store."""
        sup = self.supervisor
        loop = sup.loop
        if loop is None:
            return
        if loop is asyncio.get_running_loop():
            await sup.aclose()
        elif loop.is_running():
            await self._forward(sup.aclose())
        else:
            sup.forget_loop()

    def close(self) -> None:
        loop = self.supervisor.loop
        if loop is not None and loop.is_running():
            run_sync(self.supervisor.aclose(), loop)

    def close_at_exit(self) -> None:
        loop = self.supervisor.loop
        if loop is not None and loop.is_running():
            sup = self.supervisor
            bound = sup.drain_timeout + sup.shutdown_grace + 5  # aclose keeps to the first two
            asyncio.run_coroutine_threadsafe(sup.aclose(), loop).result(timeout=bound)

    async def __aenter__(self) -> CompiledGraph:
        await self._local()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __enter__(self) -> CompiledGraph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _need_checkpointer(self, what: str) -> None:
        if self.checkpointer is None:
            raise ValueError(
                f"{what} needs a checkpointer: compile(checkpointer=SqliteSaver('app.db'))"
            )


def _paused_interrupts(
    pending: PendingStep | None, tasks: tuple[str, ...]
) -> tuple[tuple[Any, ...], dict[int, tuple[Any, ...]]]:
    """Interrupts of a checkpoint's paused step, overall and by task position (as LangGraph
    shows them in history, also after the answer came)."""
    if pending is None or not pending.interrupts:
        return (), {}
    by_key = dict(pending.interrupts)
    per_task: dict[int, tuple[Any, ...]] = {}
    for key, found in by_key.items():
        # A pushed (Send) task's key is "node:position"; a pulled task's is its name.
        name, _, position = key.rpartition(":")
        if name and position.isdigit() and int(position) < len(tasks):
            per_task[int(position)] = (found,)
        elif key in tasks:
            per_task[tasks.index(key)] = (found,)
    return tuple(by_key.values()), per_task


def _info(row: Any) -> ThreadInfo:
    return ThreadInfo(
        row.thread_id,
        row.status,
        iso(row.created_at),
        iso(row.updated_at),
        _meta(row.metadata, row.thread_id),
        row.head,
    )


def _meta(raw: bytes | None, thread_id: str) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        meta: dict[str, Any] = codec.decode(raw)
    # anything: damaged bytes can fail in any way (a nesting too deep: RecursionError)
    except Exception as exc:
        raise CorruptCheckpointError(
            f"the thread's metadata cannot be decoded ({exc}); the row is left as it is",
            thread_id=thread_id,
        ) from exc
    if type(meta) is not dict:
        raise CorruptCheckpointError(
            f"the thread's metadata is a {type(meta).__name__}, not a dict", thread_id=thread_id
        )
    return meta


def _infos(rows: Iterable[Any]) -> Iterator[ThreadInfo]:
    """Listed threads; one whose row is damaged is logged and left out, never failing the
    listing of every other thread (reading it on its own raises the error)."""
    for row in rows:
        try:
            yield _info(row)
        except CorruptCheckpointError as exc:
            log.warning("a thread is left out of a listing: %s", exc)


async def _next(agen: AsyncGenerator[Any, None]) -> Any:
    return await agen.__anext__()


__all__ = ["CompiledGraph"]
