"""Running one turn of one thread: super-steps over a ``ThreadState``.

A step runs every task of the head's ``next`` (a node pulled by an edge, or a ``Send``
pushed with its own argument) on a private copy of the state, then applies all their
writes at once through the reducers (pulled tasks in name order, then pushed ones in
order, as LangGraph does), records what changed as a checkpoint and plans the next step.
A step either commits whole or leaves the head as it was: a node error, a bad update or an
unencodable value in step N keeps the checkpoints before N and nothing of step N. A node
that calls ``interrupt()`` pauses the step instead (see ``interrupts``).
"""

from __future__ import annotations

import asyncio
import copy
import logging
import sys
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import msgspec

from runtime.errors import (
    EmptyInputError,
    GraphRecursionError,
    InvalidUpdateError,
    StepTimeoutError,
)
from runtime.graph.schema import state_builder
from runtime.graph.spec import START, GraphSpec, NodeSpec
from runtime.graph.types import Command
from stores import codec
from stores.records import SET

from .context import EventSink, RowSink, RunConfig, Runtime, checkpoint_config
from .interrupts import NodeInterrupt, PendingStep, TaskContext, current_task
from .migrate import Migration, Migrations
from .plan import Planner, Task, TaskResult
from .state import ThreadState

log = logging.getLogger("runtime.engine")

_NO_TASKS: list[tuple[str, float, list[str]]] = []
_NO_EXTRA: dict[str, Any] = {}
_EMPTY_MAP = codec.encode({})
_NO_ROUTES: list[Any] = []
_NO_CHANGES: list[Any] = []
_NO_RESUME: list[Any] = []
INTERRUPT_KEY = "__interrupt__"
_MODULES = sys.modules


#: Sync nodes seen this many times to block the loop for ``slow_sync_node`` move to threads.
SLOW_CALLS_TO_DEMOTE = 3


class Engine:
    """Runs turns of one compiled graph. Holds no thread state between turns."""

    def __init__(
        self,
        spec: GraphSpec,
        *,
        store: Any = None,
        sync_nodes: str = "auto",
        slow_sync_node: float = 0.02,
        state_version: int = 0,
        migrations: Mapping[int, Migration] | None = None,
        step_timeout: float | None = None,
    ) -> None:
        self.spec = spec
        self._step_timeout = check_step_timeout(step_timeout)
        self.migrations = Migrations(state_version, migrations, frozenset(spec.channels))
        self.store = store
        self.sync_nodes = sync_nodes
        self.slow_sync_node = slow_sync_node
        # Sync nodes that run in worker threads: all of them under "thread"; under "auto"
        # those that declare `store` (its sync API blocks) and those once seen to be slow.
        self.threaded: set[str] = {
            name
            for name, node in spec.nodes.items()
            if not node.call.is_async and (sync_nodes == "thread" or "store" in node.call.injected)
        }
        self._slow: dict[str, int] = {}
        self.atomic = self._atomic()
        """No turn can suspend: every node and path function is synchronous and runs on the
        loop (a step of several runs them one after another). Such a turn may run in its
        caller's task instead of the actor's (see SessionActor.run_now)."""
        self.plan = Planner(spec)
        self._all_output = tuple(spec.output_keys) == tuple(spec.channels)
        # What each node receives: its own input schema's view, or the graph's state.
        self._to_state = {
            name: state_builder(node.input_schema, spec.channels)
            if node.input_schema is not None
            else spec.to_state
            for name, node in spec.nodes.items()
        }
        # Encoded once; each new thread decodes its own copy (defaults may be mutable).
        self._initial = codec.encode(dict(spec.defaults)) if spec.defaults else None

    @property
    def step_timeout(self) -> float | None:
        """Seconds a super-step may take (LangGraph's ``step_timeout``); ``None``: unbounded.
        A call's own ``step_timeout`` overrides it."""
        return self._step_timeout

    @step_timeout.setter
    def step_timeout(self, value: float | None) -> None:
        self._step_timeout = check_step_timeout(value)
        self.atomic = self._atomic()

    def _atomic(self) -> bool:
        spec = self.spec
        return not (
            (self._step_timeout is not None and self.sync_nodes != "inline")  # threads
            or self.threaded
            or any(node.call.is_async for node in spec.nodes.values())
            or any(b.path.is_async for branches in spec.branches.values() for b in branches)
        )

    def new_thread(self, thread_id: str) -> ThreadState:
        head = ThreadState(thread_id)
        head.state_version = self.migrations.version
        if self._initial is not None:
            head.reset(codec.decode(self._initial))
        return head

    # -- a turn --------------------------------------------------------------------------
    async def run(
        self,
        head: ThreadState,
        input: Any,
        cfg: RunConfig,
        on_row: RowSink,
        on_event: EventSink | None = None,
        *,
        interrupt_before: frozenset[str] | None = None,
        interrupt_after: frozenset[str] | None = None,
        fork: bool = False,
    ) -> dict[str, Any]:
        """Run one turn; returns the output values (a private copy).

        ``fork``: the head was checked out at an older checkpoint (``checkpoint_id`` in the
        config); a resume from there first records a ``fork`` checkpoint, as LangGraph does.
        """
        meta = cfg.metadata or _NO_EXTRA
        if "langchain_core" in _MODULES:  # nodes get LangGraph's LangChain run config
            cfg.lc = self._langchain(cfg, on_event)
        before = self.spec.interrupt_before if interrupt_before is None else interrupt_before
        after = self.spec.interrupt_after if interrupt_after is None else interrupt_after
        resuming = True
        if type(input) is dict:  # the common case first: a new input
            head.pending = None
            await self._start(head, input, meta, on_row, on_event)
            resuming = False
        elif isinstance(input, Command) and input.resume is not None and head.pending is not None:
            head.pending.answer(input.resume)
            if on_event is not None:  # a resume shows the state it starts from (LangGraph)
                on_event("values", self.output(head))
        elif input is None or (isinstance(input, Command) and input.resume is not None):
            if head.seq == 0:
                if input is None:
                    raise EmptyInputError(
                        "invoke(None, config) resumes a thread, but this thread has no "
                        "checkpoint; pass an input dict to start it",
                        thread_id=head.thread_id,
                    )
                await self._start(head, {}, meta, on_row, on_event)  # LangGraph's quirk
                resuming = False
            else:
                if fork:
                    on_row(
                        head.commit(
                            None,
                            [],
                            None,
                            step=head.step + 1,
                            source="fork",
                            next_nodes=head.next,
                            metadata=meta,
                            tasks=_NO_TASKS,
                            extra=head.extra,
                        )
                    )
                    if on_event is not None and getattr(on_event, "debug", False):
                        self._debug_checkpoint(head, on_event)
                if on_event is not None:  # a resume shows the state it starts from
                    on_event("values", self.output(head))
                if not head.next:
                    return self.output(head)
        else:
            if isinstance(input, Command):
                input = self._command_input(head, input)
            head.pending = None
            await self._start(head, input, meta, on_row, on_event)
            resuming = False
        steps = 0
        cfg.stop = head.step + cfg.recursion_limit
        timeout = cfg.step_timeout
        if timeout is None and self._step_timeout is not None:
            timeout = cfg.step_timeout = self._step_timeout
        # A stream consumer sees each step's events before the next step runs (LangGraph's
        # generators advance only when asked): the sink may make the turn wait for it.
        caught_up = getattr(on_event, "caught_up", None) if on_event is not None else None
        if caught_up is not None:
            await caught_up()
        while head.next:
            if cfg.stop_requested:  # a newer turn interrupts this one: keep what is done
                break
            if before and not resuming and before.intersection(head.next):
                break
            resuming = False
            if steps >= cfg.recursion_limit:
                raise GraphRecursionError(
                    f"recursion limit of {cfg.recursion_limit} reached without hitting a stop "
                    'condition; raise it with config["recursion_limit"] or check the graph '
                    "for a loop",
                    thread_id=head.thread_id,
                    step=head.step + 1,
                )
            steps += 1
            if timeout is None:
                ran = await self._step(head, cfg, meta, on_row, on_event)
            else:
                ran = await self._timed_step(head, cfg, meta, on_row, on_event, timeout)
            if ran is None:  # paused by interrupt()
                return self._paused_output(head, on_event)
            if caught_up is not None:
                await caught_up()
            if after and after.intersection(ran):
                break
        return self.output(head)

    async def _timed_step(
        self,
        head: ThreadState,
        cfg: RunConfig,
        meta: dict[str, Any],
        on_row: RowSink,
        on_event: EventSink | None,
        timeout: float,
    ) -> tuple[str, ...] | None:
        """``_step`` bounded by ``timeout`` seconds: past it the step's nodes are cancelled
        and nothing of the step is kept (a step commits whole or not at all), so the thread
        stays at its last checkpoint and takes the next turn.

        Sync nodes run in worker threads here (unless ``sync_nodes="inline"``): the loop
        stays free to notice the deadline. A thread cannot be stopped; it runs to its end
        in the background and its result is dropped.
        """
        nodes = ", ".join(dict.fromkeys(head.next))
        # A fresh task context for this step: a node left running in a worker thread keeps
        # the one it was given, which later turns must not refill.
        token = current_task.set(None)
        try:
            async with asyncio.timeout(timeout) as deadline:
                return await self._step(head, cfg, meta, on_row, on_event)
        except TimeoutError as exc:
            if not deadline.expired():  # a node's own TimeoutError
                raise
            step = head.step + 1
            raise StepTimeoutError(
                f"step {step} did not finish within step_timeout={timeout}s; its nodes "
                f"({nodes}) were cancelled and the thread keeps its last committed "
                f"checkpoint (step {head.step})",
                thread_id=head.thread_id,
                node=nodes,
                step=step,
            ) from exc
        finally:
            current_task.reset(token)

    def _langchain(self, cfg: RunConfig, on_event: EventSink | None) -> Any:
        from .lcconfig import LangChainTurn

        if on_event is None or not getattr(on_event, "messages", False):
            return LangChainTurn(cfg.raw)
        sink = on_event

        def messages(event: Any) -> None:
            sink("messages", event)

        lc = LangChainTurn(cfg.raw, messages)
        # A sync node's model streams live only if the node leaves the loop free to carry
        # its tokens to the consumer: in a worker thread, as under LangGraph.
        lc.thread_sync_nodes = self.sync_nodes != "inline"
        return lc

    def output(self, head: ThreadState) -> dict[str, Any]:
        values = head.copy_values()
        if self._all_output:
            return values
        return {k: values[k] for k in self.spec.output_keys if k in values}

    def _debug_checkpoint(self, head: ThreadState, on_event: EventSink) -> None:
        tid = head.thread_id
        on_event(
            "debug",
            _debug(
                "checkpoint",
                head.step,
                {
                    "config": checkpoint_config(tid, head.seq),
                    "parent_config": checkpoint_config(tid, head.parent) if head.parent else None,
                    "values": head.copy_values(),
                    "metadata": {
                        "source": head.source,
                        "step": head.step,
                        "parents": {},
                        **head.checkpoint_meta,
                    },
                    "next": list(head.next),
                    "tasks": [
                        {
                            "id": f"{tid}:{head.step + 1}:{n}",
                            "name": n,
                            "interrupts": (),
                            "state": None,
                        }
                        for n in head.next
                    ],
                },
            ),
        )

    def _paused_output(self, head: ThreadState, on_event: EventSink | None) -> dict[str, Any]:
        assert head.pending is not None
        interrupts = [i for _, i in head.pending.interrupts]
        values = self.pending_values(head)
        out = (
            values
            if self._all_output
            else {k: values[k] for k in self.spec.output_keys if k in values}
        )
        if on_event is not None:
            # LangGraph's order: the checkpoint's values with the interrupts, then (if some
            # tasks finished) the values with their writes applied.
            on_event("values", {**self.output(head), INTERRUPT_KEY: tuple(interrupts)})
            if head.pending.done:
                on_event("values", _copy(out))
        out[INTERRUPT_KEY] = interrupts
        return out

    def pending_values(self, head: ThreadState) -> dict[str, Any]:
        """The head's values with the finished writes of a paused step applied (a copy)."""
        values = head.copy_values()
        if head.pending is not None and head.pending.done:
            results = [TaskResult(Task(n), w) for n, w in head.pending.done.items()]
            values, _ = self.plan.apply_writes(values, results, head.thread_id, head.step + 1)
        return values

    # -- steps ---------------------------------------------------------------------------
    async def _start(
        self,
        head: ThreadState,
        input: Any,
        meta: dict[str, Any],
        on_row: RowSink,
        on_event: EventSink | None,
    ) -> None:
        """The input checkpoint (step n, source ``input``) and the start step (n + 1)."""
        # The state must not share objects with the caller's input (the caller may change
        # it later): the one encoding the input checkpoint needs also yields a private copy.
        if type(input) is dict and not input:  # "run again": nothing to encode or copy
            raw, writes = _EMPTY_MAP, []
        else:
            raw = codec.encode_value(input, what="input", thread_id=head.thread_id)
            # Decoding `raw` copies plain values exactly, in C. Anything else is deepcopied:
            # reducers see tuples as tuples, as in LangGraph (add_messages reads
            # ("user", "hi") as one message).
            own = codec.decode(raw) if codec.is_plain(input) else copy.deepcopy(input)
            writes = self.plan.input_writes(own, head.thread_id)
        step = head.step + 1
        on_row(
            head.commit(
                None,
                [(START, SET, msgspec.Raw(raw))],
                None,
                step=step,
                source="input",
                next_nodes=(START,),
                metadata=meta,
                tasks=_NO_TASKS,
                # join progress outlives turns (LangGraph keeps it as channel state)
                extra={"joins": head.extra["joins"]} if "joins" in head.extra else _NO_EXTRA,
            )
        )
        if on_event is not None and getattr(on_event, "debug", False):
            self._debug_checkpoint(head, on_event)
        result = TaskResult(self.plan.pull[START], writes)
        tasks = [(START, 0.0, [ch for ch, _ in writes])]
        await self._finish_step(head, step + 1, [result], meta, on_row, on_event, tasks)

    async def _step(
        self,
        head: ThreadState,
        cfg: RunConfig,
        meta: dict[str, Any],
        on_row: RowSink,
        on_event: EventSink | None,
    ) -> tuple[str, ...] | None:
        """Run the head's next step; returns the names that ran, or ``None`` if it paused."""
        step = head.step + 1
        if (
            on_event is None
            and head.pending is None
            and len(head.next) == 1
            and ("sends" not in head.extra)
        ):
            # The common step, kept short: one pulled node, nothing paused, nobody streaming.
            ran = head.next
            name = ran[0]
            r = await self._run_task(self.plan.pull[name], head, cfg, step, None)
            if r.interrupt is None:
                await self._finish_step(
                    head,
                    step,
                    [r],
                    meta,
                    on_row,
                    None,
                    [(name, r.duration, [c for c, _ in r.writes])],
                )
                return ran
            on_row(head.commit_pending(PendingStep({}, [(name, r.interrupt)]), metadata=meta))
            return None
        tasks = self.plan.tasks(head)
        pending = head.pending
        done: dict[str, list[tuple[str, Any]]] = pending.done if pending is not None else {}
        todo = [t for t in tasks if t.key not in done]
        writer = _custom_writer(on_event)
        debug = on_event is not None and getattr(on_event, "debug", False)
        if debug:
            for t in todo:
                on_event(
                    "debug",
                    _debug(
                        "task",
                        step,
                        {  # type: ignore[misc]
                            "id": f"{head.thread_id}:{step}:{t.key}",
                            "name": t.name,
                            "input": _copy(t.arg) if t.push else head.copy_values(),
                            "triggers": (f"branch:to:{t.name}",),
                        },
                    ),
                )
        if len(todo) == 1:
            results = [await self._run_task(todo[0], head, cfg, step, writer)]
        else:
            results, failure = await (
                self._run_in_order(todo, head, cfg, step, writer)
                if self._all_inline(todo, cfg)
                else self._run_many(todo, head, cfg, step, writer)
            )
            if failure is not None:
                self._keep_finished(head, results, done, meta, on_row, on_event)
                raise failure
        if debug:
            for r in results:
                on_event(
                    "debug",
                    _debug(
                        "task_result",
                        step,
                        {  # type: ignore[misc]
                            "id": f"{head.thread_id}:{step}:{r.task.key}",
                            "name": r.task.name,
                            "error": None,
                            "result": _copy(dict(r.writes)),
                            "interrupts": [r.interrupt] if r.interrupt is not None else [],
                        },
                    ),
                )
        paused = [r for r in results if r.interrupt is not None]
        if paused:
            new_pending = PendingStep(
                {**done, **{r.task.key: r.writes for r in results if r.interrupt is None}},
                [(r.task.key, r.interrupt) for r in paused if r.interrupt is not None],
                pending.resume if pending is not None else {},
            )
            on_row(head.commit_pending(new_pending, metadata=meta))
            if on_event is not None:
                # In the order the tasks ended, an interrupt as soon as it happened.
                for r in results:
                    if r.interrupt is not None:
                        on_event("updates", {INTERRUPT_KEY: (r.interrupt,)})
                    else:
                        on_event("updates", {r.task.name: _copy(dict(r.writes)) or None})
            return None
        by_key = {t.key: t for t in tasks}
        all_results = [TaskResult(by_key[k], w) for k, w in done.items() if k in by_key]
        all_results += results
        head_tasks = [(r.task.name, r.duration, [ch for ch, _ in r.writes]) for r in all_results]
        await self._finish_step(head, step, all_results, meta, on_row, on_event, head_tasks)
        return tuple(t.name for t in tasks)

    async def _finish_step(
        self,
        head: ThreadState,
        step: int,
        results: list[TaskResult],
        meta: dict[str, Any],
        on_row: RowSink,
        on_event: EventSink | None,
        tasks: list[tuple[str, float, list[str]]],
        source: str = "loop",
    ) -> None:
        new_values, changes, encoded = self._apply(head, step, results)
        if self.spec.branches:
            routes = await self.plan.routes(
                results, encoded or head.encoded(), head.thread_id, head.values, step
            )
        else:
            routes = _NO_ROUTES
        self._commit(
            head,
            step,
            results,
            new_values,
            changes,
            encoded,
            routes,
            meta,
            on_row,
            on_event,
            tasks,
            source,
        )

    def _apply(
        self, head: ThreadState, step: int, results: list[TaskResult]
    ) -> tuple[dict[str, Any], list[Any], bytes | None]:
        if len(results) == 1 and not results[0].writes:  # a start step with an empty input
            return head.values, _NO_CHANGES, None
        new_values, changed = self.plan.apply_writes(head.values, results, head.thread_id, step)
        changes = head.diff(new_values, changed)
        if not changes or not self.spec.branches:
            # The checkpoint's encoding of the changes checks that they can be stored;
            # copies of the state are made without encoding where they can be.
            return new_values, changes, None
        # Path functions get a decoded copy: encoded once here, it serves any snapshot and
        # any deep copy of the new state too.
        try:
            return new_values, changes, codec.encode(new_values)
        except (TypeError, ValueError, OverflowError) as exc:
            raise _state_error(head, new_values, changes, results, exc) from exc

    def _commit(
        self,
        head: ThreadState,
        step: int,
        results: list[TaskResult],
        new_values: dict[str, Any],
        changes: list[Any],
        encoded: bytes | None,
        routes: list[Any],
        meta: dict[str, Any],
        on_row: RowSink,
        on_event: EventSink | None,
        tasks: list[tuple[str, float, list[str]]],
        source: str,
    ) -> None:
        next_nodes, extra = self.plan.next_step(results, routes, head.extra)
        try:
            row = head.commit(
                new_values,
                changes,
                encoded,
                step=step,
                source=source,
                next_nodes=next_nodes,
                metadata=meta,
                tasks=tasks,
                extra=extra,
            )
        except (TypeError, ValueError, OverflowError) as exc:
            if changes and encoded is None:  # a written value cannot be stored
                raise _state_error(head, new_values, changes, results, exc) from exc
            raise
        on_row(row)
        head.pending = None
        if on_event is not None:
            if getattr(on_event, "debug", False):
                self._debug_checkpoint(head, on_event)
            if results[0].task.name != START and source == "loop":
                for r in results:
                    on_event("updates", {r.task.name: _copy(dict(r.writes)) if r.writes else None})
            if any(r.writes for r in results):  # LangGraph: only after a step that wrote
                on_event("values", self.output(head))

    # -- running nodes -------------------------------------------------------------------
    async def _run_task(
        self,
        task: Task,
        head: ThreadState,
        cfg: RunConfig,
        step: int,
        writer: Any,
        shared: bool = True,
    ) -> TaskResult:
        """Run one node. ``shared=False`` for tasks running concurrently in tasks of their
        own, which must not share a context."""
        node: NodeSpec = self.spec.nodes[task.name]
        # A Send's arg reaches the node as it is, whatever its input schema (LangGraph).
        state = _copy(task.arg) if task.push else self._to_state[task.name](head.copy_values())
        resume = head.pending.resume.get(task.key, []) if head.pending is not None else _NO_RESUME
        ctx = current_task.get()
        if shared and ctx is not None and ctx.shared:
            # one step at a time in this asyncio task: refill its context, no new contextvar
            ctx.refill(head.thread_id, task.key, step, resume, writer, self.store)
        else:
            ctx = TaskContext(head.thread_id, task.key, step, resume, writer, self.store)
            ctx.shared = shared
            current_task.set(ctx)  # in this task's own context: nothing to reset
        ctx.stop = cfg.stop
        call = node.call
        lc = cfg.lc
        conf = cfg.raw
        if lc is not None:
            run = lc.enter(
                task.name, step, int(task.key.rsplit(":", 1)[1]) if task.push else -1, state
            )
            conf = run.config
        ok = False
        t0 = time.perf_counter()
        try:
            if call.is_async:
                if call.injected:
                    kw = self._injected(call.injected, writer, cfg)
                    ret = await (
                        call.fn(state, conf, **kw) if call.takes_config else call.fn(state, **kw)
                    )
                else:
                    ret = await (call.fn(state, conf) if call.takes_config else call.fn(state))
            elif (
                task.name in self.threaded
                or (lc is not None and lc.thread_sync_nodes)
                or (cfg.step_timeout is not None and self.sync_nodes != "inline")
            ):
                ret = await self._in_thread(call, state, cfg, conf, writer)
            else:
                if call.injected:
                    kw = self._injected(call.injected, writer, cfg)
                    ret = call.fn(state, conf, **kw) if call.takes_config else call.fn(state, **kw)
                else:
                    ret = call.fn(state, conf) if call.takes_config else call.fn(state)
                if self.sync_nodes == "auto":
                    took = time.perf_counter() - t0
                    if took > self.slow_sync_node:
                        self._slow_call(task.name, took)
            ok = True
        except NodeInterrupt as paused:
            return TaskResult(task, [], interrupt=paused.interrupt)
        except Exception as exc:
            exc.add_note(
                f"raised by node {task.name!r} at step {step} of thread {head.thread_id!r}; "
                "the thread keeps its last committed state"
            )
            raise
        finally:
            if lc is not None:
                lc.leave(run, ret if ok else None, ok)
        duration = time.perf_counter() - t0
        writes, goto = self.plan.node_writes(task.name, ret, head.thread_id, step)
        return TaskResult(task, writes, goto, duration)

    def _injected(self, names: tuple[str, ...], writer: Any, cfg: RunConfig) -> dict[str, Any]:
        w = writer or _no_writer
        given = {"store": self.store, "writer": w}
        if "runtime" in names:
            ctx = cfg.context
            if ctx is None and cfg.configurable:
                ctx = cfg.configurable.get("context")
            given["runtime"] = Runtime(ctx, self.store, w)
        return {n: given[n] for n in names}

    async def _in_thread(
        self, call: Any, state: Any, cfg: RunConfig, conf: Any, writer: Any
    ) -> Any:
        loop = asyncio.get_running_loop()
        if writer is not None:
            inner = writer

            def writer(data: Any) -> None:  # events must reach the loop thread-safely
                loop.call_soon_threadsafe(inner, data)

            ctx = current_task.get()
            if ctx is not None:
                ctx.writer = writer
        kw = self._injected(call.injected, writer, cfg) if call.injected else {}
        args = (state, conf) if call.takes_config else (state,)
        # to_thread copies our context, so interrupt() and get_store() work there too
        return await asyncio.to_thread(call.fn, *args, **kw)

    def _slow_call(self, name: str, seconds: float) -> None:
        # One slow call proves little: on a busy machine the OS can preempt a trivial node
        # for 20 ms. A node that blocks (I/O, sleep, heavy CPU) is slow every time.
        n = self._slow[name] = self._slow.get(name, 0) + 1
        if n < SLOW_CALLS_TO_DEMOTE:
            return
        self.threaded.add(name)
        self.atomic = False
        log.warning(
            "sync node %r blocked the event loop for more than %.0f ms %d times (last: %.0f ms); "
            "it runs in a worker thread from now on (make it `async def`, or "
            "compile(sync_nodes='thread'|'inline'))",
            name,
            self.slow_sync_node * 1000,
            n,
            seconds * 1000,
        )

    def _all_inline(self, tasks: list[Task], cfg: RunConfig) -> bool:
        if cfg.lc is not None and cfg.lc.thread_sync_nodes:
            return False
        if cfg.step_timeout is not None and self.sync_nodes != "inline":
            return False
        nodes, threaded = self.spec.nodes, self.threaded
        return not any(nodes[t.name].call.is_async or t.name in threaded for t in tasks)

    async def _run_in_order(
        self, tasks: list[Task], head: ThreadState, cfg: RunConfig, step: int, writer: Any
    ) -> tuple[list[TaskResult], BaseException | None]:
        """A step's sync nodes, one after another. Tasks would run them the same way (a sync
        node never yields, so each ran whole in turn) and cost a task each. As with tasks,
        every node runs; the first failure comes back with the ones that finished."""
        results: list[TaskResult] = []
        failure: BaseException | None = None
        for t in tasks:
            try:
                results.append(await self._run_task(t, head, cfg, step, writer))
            except Exception as exc:
                if failure is None:
                    failure = exc
        return results, failure

    async def _run_many(
        self, tasks: list[Task], head: ThreadState, cfg: RunConfig, step: int, writer: Any
    ) -> tuple[list[TaskResult], BaseException | None]:
        """Run a step's tasks concurrently. On a failure the others are cancelled and the
        ones that had finished are returned with the first error."""
        futs = [
            asyncio.ensure_future(self._run_task(t, head, cfg, step, writer, shared=False))
            for t in tasks
        ]
        try:
            done, pending = await asyncio.wait(futs, return_when=asyncio.FIRST_EXCEPTION)
        except asyncio.CancelledError:  # the turn is cancelled (rollback, shutdown)
            for f in futs:
                f.cancel()
            raise
        failed = [f for f in futs if f in done and not f.cancelled() and f.exception()]
        if failed:
            for f in pending:
                f.cancel()
            if pending:
                await asyncio.wait(pending)
            finished = [
                f.result() for f in futs if f.done() and not f.cancelled() and f.exception() is None
            ]
            return finished, failed[0].exception()
        return [f.result() for f in futs], None

    def _keep_finished(
        self,
        head: ThreadState,
        finished: list[TaskResult],
        done: dict[str, list[tuple[str, Any]]],
        meta: dict[str, Any],
        on_row: RowSink,
        on_event: EventSink | None,
    ) -> None:
        """A sibling failed: keep the finished tasks' writes (LangGraph's pending writes),
        so that resuming runs only what failed."""
        kept = [r for r in finished if r.interrupt is None]
        if not kept:
            return
        if on_event is not None:
            for r in kept:
                on_event("updates", {r.task.name: _copy(dict(r.writes)) or None})
        previous = head.pending
        step_done = {**done, **{r.task.key: r.writes for r in kept}}
        resume = previous.resume if previous is not None else {}
        on_row(head.commit_pending(PendingStep(step_done, [], resume), metadata=meta))

    # -- update_state --------------------------------------------------------------------
    async def update(
        self,
        head: ThreadState,
        values: Any,
        as_node: str | None,
        cfg: RunConfig,
        on_row: RowSink,
    ) -> None:
        """Write ``values`` as if ``as_node`` had returned them (``update_state``)."""
        if as_node is None:
            as_node = self._infer_as_node(head)
        if as_node != START and as_node not in self.spec.nodes:
            raise InvalidUpdateError(
                f"update_state(as_node={as_node!r}): no such node; nodes are "
                f"{list(self.spec.nodes)}",
                thread_id=head.thread_id,
            )
        step = head.step + 1 if head.seq else 0
        values = _copy(values)  # the caller keeps its object; the thread keeps its own
        if as_node == START:
            writes = self.plan.input_writes(values, head.thread_id)
            goto: list[Any] = []
        else:
            writes, goto = self.plan.node_writes(as_node, values, head.thread_id, step)
        result = TaskResult(Task(as_node), writes, goto)
        tasks = [(as_node, 0.0, [ch for ch, _ in writes])]
        meta = cfg.metadata or _NO_EXTRA
        await self._finish_step(head, step, [result], meta, on_row, None, tasks, "update")

    def _infer_as_node(self, head: ThreadState) -> str:
        if head.seq == 0:
            return START
        writers = [w for w in head.writers if w != START] or list(head.writers)
        if len(set(writers)) == 1:
            return writers[0]
        if len(self.spec.nodes) == 1:
            return next(iter(self.spec.nodes))
        raise InvalidUpdateError(
            "update_state cannot tell which node the update comes from; pass as_node=",
            thread_id=head.thread_id,
        )

    def _command_input(self, head: ThreadState, cmd: Command[Any]) -> Any:
        if cmd.goto:
            raise InvalidUpdateError(
                "Command(goto=...) as an input is not supported; use update_state() and "
                "invoke(None, config)",
                thread_id=head.thread_id,
            )
        return cmd.update if cmd.update is not None else {}


def _state_error(
    head: ThreadState,
    new_values: dict[str, Any],
    changes: list[Any],
    results: list[TaskResult],
    exc: BaseException,
) -> Exception:
    """The :class:`SerializationError` for a step whose new state cannot be stored."""
    return codec.serialization_error(
        {c[0]: new_values[c[0]] for c in changes},
        exc,
        what="state",
        thread_id=head.thread_id,
        node=next((r.task.name for r in results if r.writes), None),
    )


def check_step_timeout(value: float | None) -> float | None:
    """``value`` if it is a valid ``step_timeout`` (``None`` or seconds > 0)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(f"step_timeout must be a number of seconds > 0 or None, got {value!r}")
    return float(value)


def _debug(kind: str, step: int, payload: dict[str, Any]) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    return {"step": step, "timestamp": now, "type": kind, "payload": payload}


def _no_writer(_: Any) -> None:
    pass


def _custom_writer(on_event: EventSink | None) -> Any:
    if on_event is None:
        return None

    def write(data: Any) -> None:
        on_event("custom", data)

    return write


def _copy(value: Any) -> Any:
    return codec.decode(codec.encode(value))


__all__ = ["INTERRUPT_KEY", "Engine"]
