"""Planning super-steps: which tasks run, how their writes apply, where the graph goes.

Pure and synchronous except for user path functions, which may be async.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import msgspec

from runtime.errors import InvalidUpdateError
from runtime.graph.spec import END, START, GraphSpec
from runtime.graph.types import Command, Interrupt, Send
from stores import codec

from .state import ThreadState

_NO_ROUTES: list[Any] = []


class Task:
    """One unit of a step: a node pulled by an edge, or pushed by a ``Send`` with its arg."""

    __slots__ = ("arg", "key", "name", "push")

    def __init__(self, name: str, arg: Any = None, index: int = -1) -> None:
        self.name = name
        self.arg = arg
        self.push = index >= 0
        self.key = f"{name}:{index}" if index >= 0 else name
        """Identifies the task within its step (pending writes, resume answers)."""

    def order(self) -> tuple[int, str | int]:
        # LangGraph applies pulled tasks' writes by node name, then pushed ones in order.
        return (1, int(self.key.rsplit(":", 1)[1])) if self.push else (0, self.name)


class TaskResult:
    __slots__ = ("duration", "goto", "interrupt", "task", "writes")

    def __init__(
        self,
        task: Task,
        writes: list[tuple[str, Any]],
        goto: list[Any] | None = None,
        duration: float = 0.0,
        interrupt: Interrupt | None = None,
    ) -> None:
        self.task = task
        self.writes = writes
        self.goto = goto or _NO_ROUTES
        self.duration = duration
        self.interrupt = interrupt


class Planner:
    def __init__(self, spec: GraphSpec) -> None:
        self.spec = spec
        self.channels = spec.channels
        self.order = {name: i for i, name in enumerate(spec.nodes)}
        self.input_keys = frozenset(spec.input_keys)
        self.deferred = frozenset(n for n, node in spec.nodes.items() if node.defer)
        self.joins_by_source: dict[str, list[tuple[frozenset[str], str]]] = {}
        for sources, target in spec.joins:
            for s in sources:
                self.joins_by_source.setdefault(s, []).append((sources, target))
        # Pulled tasks are immutable: one per node, made once.
        self.pull = {name: Task(name) for name in (START, *spec.nodes)}
        # Where a node goes when it has only static edges (no branch or join): decided once
        # here instead of on every step.
        self.static_next: dict[str, tuple[str, ...]] = {}
        for name in (START, *spec.nodes):
            if name in spec.branches or name in self.joins_by_source:
                continue
            targets = set(spec.edges.get(name, ())) - {END}
            self.static_next[name] = tuple(sorted(targets, key=self.order.__getitem__))

    # -- tasks ---------------------------------------------------------------------------
    def tasks(self, head: ThreadState) -> list[Task]:
        sends = head.extra.get("sends")
        if not sends:
            return [self.pull[n] for n in head.next]
        pulls = head.next[len(sends) :]
        return [Task(node, arg, i) for i, (node, arg) in enumerate(sends)] + [
            Task(n) for n in pulls
        ]

    # -- writes --------------------------------------------------------------------------
    def input_writes(self, input: Any, thread_id: str) -> list[tuple[str, Any]]:
        keys = self.input_keys
        if isinstance(input, dict):
            return [(k, v) for k, v in input.items() if k in keys]
        fields = object_fields(input)
        if fields is None:
            raise InvalidUpdateError(
                f"expected the input to be a dict of state keys (or an instance of the state "
                f"schema), got {type(input).__name__}: {input!r:.80}",
                thread_id=thread_id,
            )
        return [(k, v) for k, v in fields.items() if k in keys]

    def node_writes(
        self, name: str, ret: Any, thread_id: str, step: int
    ) -> tuple[list[tuple[str, Any]], list[Any]]:
        """A node's return value as ``(writes, goto)``."""
        channels = self.channels
        if ret is None:
            return [], _NO_ROUTES
        if type(ret) is dict:
            return [(k, v) for k, v in ret.items() if k in channels], _NO_ROUTES
        if isinstance(ret, Command):
            writes: list[tuple[str, Any]] = []
            update = ret.update
            if isinstance(update, list | tuple) and all(
                isinstance(u, tuple) and len(u) == 2 for u in update
            ):
                writes = [(k, v) for k, v in update if k in channels]
            elif update is not None:
                writes, _ = self.node_writes(name, update, thread_id, step)
            goto = ret.goto
            gotos = [goto] if isinstance(goto, str | Send) else list(goto or ())
            return writes, gotos
        if isinstance(ret, dict):
            return [(k, v) for k, v in ret.items() if k in channels], _NO_ROUTES
        if isinstance(ret, list | tuple) and ret and any(isinstance(c, Command) for c in ret):
            # LangGraph's rule: a list holding a Command is a list of updates, each a
            # Command or a dict (ToolNode returns such lists when a tool returns a Command).
            writes, gotos = [], []
            for c in ret:
                w, g = self.node_writes(name, c, thread_id, step)
                writes += w
                gotos += g
            return writes, gotos
        fields = object_fields(ret)
        if fields is not None:
            return [(k, v) for k, v in fields.items() if k in channels], _NO_ROUTES
        raise InvalidUpdateError(
            f"Expected dict, got {ret!r:.80}: node {name!r} must return a dict of state "
            "updates, a Command or None",
            thread_id=thread_id,
            node=name,
            step=step,
        )

    def apply_writes(
        self, values: dict[str, Any], results: list[TaskResult], thread_id: str, step: int
    ) -> tuple[dict[str, Any], list[str]]:
        """A new values dict with the step's writes applied; and the keys written."""
        channels = self.channels
        new = dict(values)
        changed: list[str] = []
        seen: dict[str, str] = {}
        ordered = results if len(results) == 1 else sorted(results, key=_order)
        for r in ordered:
            for ch, value in r.writes:
                reducer = channels[ch].reducer
                if reducer is None:
                    if ch in seen:
                        raise InvalidUpdateError(
                            f"At key {ch!r}: Can receive only one value per step, but nodes "
                            f"{seen[ch]!r} and {r.task.name!r} both wrote it. Use an Annotated "
                            "key with a reducer to handle multiple values.",
                            thread_id=thread_id,
                            node=r.task.name,
                            step=step,
                        )
                    seen[ch] = r.task.name
                    new[ch] = value
                elif ch in new:
                    new[ch] = reducer(new[ch], value)
                else:
                    new[ch] = value
                if ch not in changed:
                    changed.append(ch)
        if len(new) != len(values):
            # A key written for the first time: keep schema order, as LangGraph's outputs are.
            new = {k: new[k] for k in channels if k in new}
        return new, changed

    # -- routing -------------------------------------------------------------------------
    async def routes(
        self,
        results: list[TaskResult],
        encoded: bytes,
        thread_id: str,
        before: dict[str, Any],
        step: int,
    ) -> list[Any]:
        """Targets chosen by conditional edges out of the tasks that ran: names and Sends.

        A path function sees the state before the step plus its own node's writes only (as
        in LangGraph), not its siblings'. ``encoded`` is the whole step's result, which is
        exactly that when one task ran.
        """
        branches = self.spec.branches
        if not branches:
            return _NO_ROUTES
        routes: list[Any] = []
        for r in results:
            own = encoded
            if len(results) > 1 and r.task.name in branches:
                own = codec.encode(self.apply_writes(before, [r], thread_id, step)[0])
            for branch in branches.get(r.task.name, ()):
                # Path functions get a private copy too: they are user code.
                state = self.spec.to_state(codec.decode(own))
                call = branch.path
                ret = await call.fn(state) if call.is_async else call.fn(state)
                got = ret if isinstance(ret, list | tuple) else [ret]
                path_map = branch.path_map
                for g in got:
                    if isinstance(g, Send) or path_map is None:
                        routes.append(g)
                    elif g in path_map:
                        routes.append(path_map[g])
                    else:
                        raise InvalidUpdateError(
                            f"conditional edge out of {r.task.name!r} returned {g!r}, which is "
                            f"not in its path_map {sorted(map(str, path_map))}",
                            thread_id=thread_id,
                            node=r.task.name,
                        )
        return routes

    def next_step(
        self, results: list[TaskResult], routes: list[Any], extra: dict[str, Any]
    ) -> tuple[tuple[str, ...], dict[str, Any]]:
        """The next step's task names (pulled, then pushed) and the engine bookkeeping."""
        if len(results) == 1 and not routes and not self.deferred:
            r = results[0]
            static = self.static_next.get(r.task.name)
            if static is not None and not r.goto:
                if "sends" in extra or "input" in extra:
                    extra = {k: v for k, v in extra.items() if k not in ("sends", "input")}
                return static, extra
        edges = self.spec.edges
        targets: set[str] = set()
        sends: list[Send] = []
        joins: dict[str, list[str]] | None = None
        for r in results:
            name = r.task.name
            targets.update(edges.get(name, ()))
            for g in r.goto:
                (sends.append(g) if isinstance(g, Send) else targets.add(g))
            if r.task.push:
                continue
            for sources, target in self.joins_by_source.get(name, ()):
                if joins is None:
                    joins = {k: list(v) for k, v in extra.get("joins", {}).items()}
                seen = joins.setdefault(target, [])
                if name not in seen:
                    seen.append(name)
                if sources.issubset(seen):
                    targets.add(target)
                    del joins[target]
        for g in routes:
            (sends.append(g) if isinstance(g, Send) else targets.add(g))
        extra = {k: v for k, v in extra.items() if k not in ("sends", "input")}
        if joins is not None:  # join progress outlives steps and turns, as in LangGraph
            if joins:
                extra["joins"] = joins
            else:
                extra.pop("joins", None)
        targets.discard(END)
        unknown = targets.difference(self.order)
        unknown.update(s.node for s in sends if s.node not in self.order)
        if unknown:
            raise InvalidUpdateError(
                f"the graph routed to unknown node(s) {sorted(unknown)}; "
                f"known nodes are {list(self.order)}"
            )
        if self.deferred:
            targets, extra = self._defer(targets, bool(sends), extra)
        pulls = tuple(sorted(targets, key=self.order.__getitem__))
        if sends:  # LangGraph lists pushed tasks first
            extra["sends"] = [[s.node, s.arg] for s in sends]
            return tuple(s.node for s in sends) + pulls, extra
        return pulls, extra

    def _defer(
        self, targets: set[str], sends: bool, extra: dict[str, Any]
    ) -> tuple[set[str], dict[str, Any]]:
        """Hold deferred nodes back while anything else is to run; run them when nothing
        is. The ones waiting are kept in ``extra`` (they outlive steps and turns, as their
        triggers do in LangGraph's channels)."""
        waiting = set(extra.get("deferred", ())) | (targets & self.deferred)
        others = targets - self.deferred
        if others or sends:
            if waiting:
                extra["deferred"] = sorted(waiting, key=self.order.__getitem__)
            return others, extra
        extra.pop("deferred", None)
        return waiting, extra


def _order(r: TaskResult) -> tuple[int, str | int]:
    return r.task.order()


def object_fields(obj: Any) -> dict[str, Any] | None:
    """The fields of a dataclass, msgspec Struct or pydantic model instance, else ``None``.

    Of a pydantic model, LangGraph's rule: the fields set, and those that are not ``None``
    or whose default is not ``None`` (so ``Model(x=1)`` does not reset other keys)."""
    if isinstance(obj, msgspec.Struct):
        return {f: getattr(obj, f) for f in obj.__struct_fields__}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    fields = getattr(type(obj), "__pydantic_fields__", None)
    if fields is not None:
        kept = obj.__pydantic_fields_set__
        return {
            k: v
            for k, info in fields.items()
            if (v := getattr(obj, k)) is not None or info.default is not None or k in kept
        }
    return None
