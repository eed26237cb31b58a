"""Running one turn of one thread: super-steps over a ``ThreadState``.

A step runs every triggered node on a private copy of the state, then applies all their
writes at once through the reducers (in node-name order, as LangGraph does), records what
changed as a checkpoint, and decides the next step's nodes. A step either commits whole or
leaves the head as it was: a node error, a bad update or an unencodable value in step N
leaves the checkpoints of steps before N in place (LangGraph keeps them too) and nothing of
step N.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from runtime.errors import (
    EmptyInputError,
    GraphRecursionError,
    InvalidUpdateError,
)
from runtime.graph.schema import state_builder
from runtime.graph.spec import END, START, CallableSpec, GraphSpec, NodeSpec
from runtime.graph.types import Command, Send
from stores import codec
from stores.records import SET

from .context import EventSink, RowSink, RunConfig
from .state import ThreadState

_NO_TASKS: list[tuple[str, float, list[str]]] = []
_NO_EXTRA: dict[str, Any] = {}
_NO_TARGETS: list[str] = []


class NodeResult:
    """What one node produced in a step."""

    __slots__ = ("duration", "goto", "name", "writes")

    def __init__(
        self, name: str, writes: list[tuple[str, Any]], goto: list[str], duration: float
    ) -> None:
        self.name = name
        self.writes = writes
        self.goto = goto
        self.duration = duration


class Engine:
    """Runs turns of one compiled graph. Stateless between turns: all state is in the head."""

    def __init__(self, spec: GraphSpec) -> None:
        self.spec = spec
        self.channels = spec.channels
        self._order = {name: i for i, name in enumerate(spec.nodes)}
        self._input_keys = frozenset(spec.input_keys)
        self._all_output = tuple(spec.output_keys) == tuple(spec.channels)
        # Join bookkeeping: source -> [(sources, target)]
        self._joins_by_source: dict[str, list[tuple[frozenset[str], str]]] = {}
        for sources, target in spec.joins:
            for s in sources:
                self._joins_by_source.setdefault(s, []).append((sources, target))
        # What each node receives: its own input schema's view, or the graph's state.
        self._to_state = {
            name: state_builder(node.input_schema, spec.channels)
            if node.input_schema is not None
            else spec.to_state
            for name, node in spec.nodes.items()
        }
        # Encoded once; each new thread decodes its own copy (defaults may be mutable).
        self._initial = codec.encode(dict(spec.defaults)) if spec.defaults else None
        # Where a node goes when it has only static edges (no branch, join or Command):
        # decided once here instead of on every step.
        self._static_next: dict[str, tuple[str, ...]] = {}
        for name in (START, *spec.nodes):
            if name in spec.branches or name in self._joins_by_source:
                continue
            targets = set(spec.edges.get(name, ())) - {END}
            self._static_next[name] = tuple(sorted(targets, key=self._order.__getitem__))

    # -- public --------------------------------------------------------------------------
    def new_thread(self, thread_id: str) -> ThreadState:
        head = ThreadState(thread_id)
        if self._initial is not None:
            head.reset(codec.decode(self._initial))
        return head

    async def run(
        self,
        head: ThreadState,
        input: Any,
        cfg: RunConfig,
        on_row: RowSink,
        on_event: EventSink | None = None,
    ) -> dict[str, Any]:
        """Run one turn; returns the output values (a private copy)."""
        meta = cfg.metadata or _NO_EXTRA
        limit = cfg.recursion_limit
        if input is None:
            if head.seq == 0:
                raise EmptyInputError(
                    "invoke(None, config) resumes a thread, but this thread has no checkpoint; "
                    "pass an input dict to start it",
                    thread_id=head.thread_id,
                )
            if not head.next:
                return self.output(head)
        else:
            await self._start(head, input, meta, on_row, on_event)
        steps = 0
        while head.next:
            if steps >= limit:
                raise GraphRecursionError(
                    f"recursion limit of {limit} reached without hitting a stop condition; "
                    'raise it with config["recursion_limit"] or check the graph for a loop',
                    thread_id=head.thread_id,
                    step=head.step + 1,
                )
            steps += 1
            await self._step(head, cfg, meta, on_row, on_event)
        return self.output(head)

    def output(self, head: ThreadState) -> dict[str, Any]:
        values = head.copy_values()
        if self._all_output:
            return values
        keys = self.spec.output_keys
        return {k: values[k] for k in keys if k in values}

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
        writes = self._input_writes(head, input)
        step = head.step + 1
        on_row(
            head.commit(
                None,
                [(START, SET, input)],
                None,
                step=step,
                source="input",
                next_nodes=(START,),
                metadata=meta,
                tasks=_NO_TASKS,
                extra=_NO_EXTRA,
            )
        )
        result = NodeResult(START, writes, [], 0.0)
        await self._finish_step(head, step + 1, [result], meta, on_row, on_event, _NO_TASKS)

    async def _step(
        self,
        head: ThreadState,
        cfg: RunConfig,
        meta: dict[str, Any],
        on_row: RowSink,
        on_event: EventSink | None,
    ) -> None:
        step = head.step + 1
        names = head.next
        nodes = self.spec.nodes
        if len(names) == 1:
            results = [await self._run_node(nodes[names[0]], head, cfg, step)]
        else:
            results = await self._run_many([nodes[n] for n in names], head, cfg, step)
        tasks = [(r.name, r.duration, [ch for ch, _ in r.writes]) for r in results]
        await self._finish_step(head, step, results, meta, on_row, on_event, tasks)

    async def _finish_step(
        self,
        head: ThreadState,
        step: int,
        results: list[NodeResult],
        meta: dict[str, Any],
        on_row: RowSink,
        on_event: EventSink | None,
        tasks: list[tuple[str, float, list[str]]],
    ) -> None:
        new_values, changed = self._apply_writes(head, results, step)
        changes = head.diff(new_values, changed)
        encoded = None
        if changes:
            # The new state is encoded once here; that one encoding serves the next node's
            # private copy, the caller's output copy and any snapshot.
            try:
                encoded = codec.encode(new_values)
            except (TypeError, ValueError, OverflowError) as exc:
                raise codec.serialization_error(
                    {c[0]: new_values[c[0]] for c in changes},
                    exc,
                    what="state",
                    thread_id=head.thread_id,
                    node=next((r.name for r in results if r.writes), None),
                ) from exc
        if self.spec.branches:
            branch_targets = await self._branch_targets(
                results, new_values, encoded or head.encoded()
            )
        else:
            branch_targets = _NO_TARGETS
        next_nodes, extra = self._next_nodes(results, branch_targets, head.extra)
        on_row(
            head.commit(
                new_values,
                changes,
                encoded,
                step=step,
                source="loop",
                next_nodes=next_nodes,
                metadata=meta,
                tasks=tasks,
                extra=extra,
            )
        )
        if on_event is not None:
            if results[0].name != START:
                for r in results:
                    on_event("updates", {r.name: dict(r.writes) if r.writes else None})
            on_event("values", self.output(head))

    # -- nodes ---------------------------------------------------------------------------
    async def _run_node(
        self, node: NodeSpec, head: ThreadState, cfg: RunConfig, step: int
    ) -> NodeResult:
        state = self._to_state[node.name](head.copy_values())
        t0 = time.perf_counter()
        try:
            ret = await _call(node.call, state, cfg)
        except BaseException as exc:
            if isinstance(exc, Exception):
                exc.add_note(
                    f"raised by node {node.name!r} at step {step} of thread {head.thread_id!r}; "
                    "the thread keeps its last committed state"
                )
            raise
        duration = time.perf_counter() - t0
        writes, goto = self._node_writes(node.name, ret, head, step)
        return NodeResult(node.name, writes, goto, duration)

    async def _run_many(
        self, nodes: list[NodeSpec], head: ThreadState, cfg: RunConfig, step: int
    ) -> list[NodeResult]:
        tasks = [asyncio.ensure_future(self._run_node(n, head, cfg, step)) for n in nodes]
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        failed = [t for t in tasks if t in done and not t.cancelled() and t.exception()]
        if failed:
            for t in pending:
                t.cancel()
            if pending:
                await asyncio.wait(pending)
            raise failed[0].exception()  # type: ignore[misc]
        return [t.result() for t in tasks]

    def _node_writes(
        self, name: str, ret: Any, head: ThreadState, step: int
    ) -> tuple[list[tuple[str, Any]], list[str]]:
        channels = self.channels
        if ret is None:
            return [], []
        if type(ret) is dict:
            return [(k, v) for k, v in ret.items() if k in channels], []
        if isinstance(ret, Command):
            writes: list[tuple[str, Any]] = []
            if ret.update is not None:
                writes, _ = self._node_writes(name, ret.update, head, step)
            goto = ret.goto
            gotos = [goto] if isinstance(goto, str | Send) else list(goto or ())
            if any(isinstance(g, Send) for g in gotos):
                raise InvalidUpdateError(
                    f"node {name!r} returned Command(goto=Send(...)); Send is not supported yet "
                    "(planned); route with node names",
                    thread_id=head.thread_id,
                    node=name,
                    step=step,
                )
            return writes, [str(g) for g in gotos]
        if isinstance(ret, dict):
            return [(k, v) for k, v in ret.items() if k in channels], []
        fields = _object_fields(ret)
        if fields is not None:
            return [(k, v) for k, v in fields.items() if k in channels], []
        raise InvalidUpdateError(
            f"expected node {name!r} to return a dict of state updates, a Command or None, "
            f"got {type(ret).__name__}: {ret!r:.80}",
            thread_id=head.thread_id,
            node=name,
            step=step,
        )

    # -- writes and edges ----------------------------------------------------------------
    def _apply_writes(
        self, head: ThreadState, results: list[NodeResult], step: int
    ) -> tuple[dict[str, Any], list[str]]:
        channels = self.channels
        values = dict(head.values)
        changed: list[str] = []
        seen: dict[str, str] = {}
        ordered = results if len(results) == 1 else sorted(results, key=_by_name)
        for r in ordered:
            for ch, value in r.writes:
                reducer = channels[ch].reducer
                if reducer is None:
                    if ch in seen:
                        raise InvalidUpdateError(
                            f"at key {ch!r}: can receive only one value per step, but nodes "
                            f"{seen[ch]!r} and {r.name!r} both wrote it; give the key a reducer "
                            "with Annotated[type, reducer] to accept several",
                            thread_id=head.thread_id,
                            node=r.name,
                            step=step,
                        )
                    seen[ch] = r.name
                    values[ch] = value
                elif ch in values:
                    values[ch] = reducer(values[ch], value)
                else:
                    values[ch] = value
                if ch not in changed:
                    changed.append(ch)
        return values, changed

    async def _branch_targets(
        self, results: list[NodeResult], values: dict[str, Any], encoded: bytes
    ) -> list[str]:
        branches = self.spec.branches
        if not branches:
            return []
        targets: list[str] = []
        for r in results:
            for branch in branches.get(r.name, ()):
                # Path functions get a private copy too: they are user code.
                state = self.spec.to_state(codec.decode(encoded))
                call = branch.path
                ret = await call.fn(state) if call.is_async else call.fn(state)
                got = ret if isinstance(ret, list | tuple) else [ret]
                path_map = branch.path_map
                for g in got:
                    if path_map is None:
                        targets.append(g)
                    elif g in path_map:
                        targets.append(path_map[g])
                    else:
                        raise InvalidUpdateError(
                            f"conditional edge out of {r.name!r} returned {g!r}, which is not "
                            f"in its path_map {sorted(map(str, path_map))}",
                            node=r.name,
                        )
        return targets

    def _next_nodes(
        self, results: list[NodeResult], branch_targets: list[str], extra: dict[str, Any]
    ) -> tuple[tuple[str, ...], dict[str, Any]]:
        if len(results) == 1 and not branch_targets:
            r = results[0]
            static = self._static_next.get(r.name)
            if static is not None and not r.goto:
                return static, extra
        edges = self.spec.edges
        targets: set[str] = set(branch_targets)
        joins: dict[str, list[str]] | None = None
        for r in results:
            name = r.name
            targets.update(edges.get(name, ()))
            if r.goto:
                targets.update(r.goto)
            for sources, target in self._joins_by_source.get(name, ()):
                if joins is None:
                    joins = {k: list(v) for k, v in extra.get("joins", {}).items()}
                seen = joins.setdefault(target, [])
                if name not in seen:
                    seen.append(name)
                if sources.issubset(seen):
                    targets.add(target)
                    del joins[target]
        if joins is not None:
            extra = {k: v for k, v in extra.items() if k != "joins"}
            if joins:
                extra["joins"] = joins
        targets.discard(END)
        if not targets:
            return (), extra
        unknown = targets.difference(self._order)
        if unknown:
            raise InvalidUpdateError(
                f"the graph routed to unknown node(s) {sorted(unknown)}; "
                f"known nodes are {list(self._order)}"
            )
        order = self._order
        return tuple(sorted(targets, key=order.__getitem__)), extra

    def _input_writes(self, head: ThreadState, input: Any) -> list[tuple[str, Any]]:
        keys = self._input_keys
        if isinstance(input, dict):
            return [(k, v) for k, v in input.items() if k in keys]
        fields = _object_fields(input)
        if fields is None:
            raise InvalidUpdateError(
                f"expected the input to be a dict of state keys (or an instance of the state "
                f"schema), got {type(input).__name__}: {input!r:.80}",
                thread_id=head.thread_id,
            )
        return [(k, v) for k, v in fields.items() if k in keys]


async def _call(call: CallableSpec, state: Any, cfg: RunConfig) -> Any:
    if call.is_async:
        if call.takes_config:
            return await call.fn(state, cfg.raw)
        return await call.fn(state)
    if call.takes_config:
        return call.fn(state, cfg.raw)
    return call.fn(state)


def _by_name(r: NodeResult) -> str:
    return r.name


def _object_fields(obj: Any) -> dict[str, Any] | None:
    import dataclasses

    import msgspec

    if isinstance(obj, msgspec.Struct):
        return {f: getattr(obj, f) for f in obj.__struct_fields__}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    return None
