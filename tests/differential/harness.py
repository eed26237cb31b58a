"""Differential harness: one scenario, run through LangGraph and through this project.

A *scenario* is a ``build(ns) -> StateGraph builder`` function plus a list of *steps*
(``Invoke``, ``Stream``, ``GetState``, ``History``, ``UpdateState``). ``ns`` is a namespace
with the public names a graph needs (``StateGraph``, ``START``, ``END``, ``add_messages``,
``Command``, ``Send``, ``interrupt``, ...): LangGraph's (``langgraph.graph`` +
``langgraph.types``) or ours (the ``runtime`` package), so the very same scenario code builds
both graphs. The harness runs the steps against each graph and records a *transcript*: what
a user observes (outputs, stream events, snapshots, history, exception class names),
normalized where the two differ by design:

* checkpoint ids (ours: zero-padded ints per thread; LangGraph: uuids) become labels
  ``#c0, #c1, ...`` by order of first appearance, per thread, so parent links still compare;
* ``created_at`` and metadata ``parents`` are dropped;
* message ids that ``add_messages`` generated (uuids) become ``#m0, #m1, ...`` by order of
  first appearance; ids the scenario chose are kept;
* messages become ``{"msg": type, "content": ..., "id": ...}`` whether they are langchain
  message objects (LangGraph converts dicts) or dicts (ours keep them), with roles mapped to
  langchain types (``user`` -> ``human``, ``assistant`` -> ``ai``);
* ``Interrupt``, ``Send`` and ``Command`` objects become plain dicts (ids of interrupts are
  dropped: LangGraph derives them from hashes of its task paths);
* exceptions are recorded by class name.

LangGraph runs with ``InMemorySaver`` (see DESIGN §2: every store here behaves like it).
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import inspect
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "LANGGRAPH",
    "OURS",
    "GetState",
    "History",
    "Invoke",
    "Namespace",
    "Scenario",
    "Stream",
    "UpdateState",
    "arun_scenario",
    "compile_langgraph",
    "compile_ours",
    "run_scenario",
    "sort_update_runs",
]


# -- namespaces ------------------------------------------------------------------------------


class Namespace:
    """The public names a scenario builds its graph from, looked up in ``modules`` in order.

    A name none of the modules has raises ``AttributeError`` naming the side, so a scenario
    that uses a feature one side lacks fails where it uses it (at build time, or inside the
    node that calls it) rather than at import time of the whole suite.
    """

    def __init__(self, kind: str, modules: Sequence[str], extra: dict[str, Any] | None = None):
        self.kind = kind
        self._modules = [importlib.import_module(m) for m in modules]
        self._extra = dict(extra or {})

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if name in self._extra:
            return self._extra[name]
        for mod in self._modules:
            if hasattr(mod, name):
                return getattr(mod, name)
        raise AttributeError(f"{self.kind} has no public name {name!r} (not implemented)")

    def __repr__(self) -> str:
        return f"<namespace {self.kind}>"


def _langgraph_namespace() -> Namespace:
    from langchain_core.messages import RemoveMessage
    from langgraph.graph.message import REMOVE_ALL_MESSAGES

    return Namespace(
        "langgraph",
        [
            "langgraph.graph",
            "langgraph.types",
            "langgraph.errors",
            "langgraph.config",
            "langgraph.runtime",
        ],
        {"RemoveMessage": RemoveMessage, "REMOVE_ALL_MESSAGES": REMOVE_ALL_MESSAGES},
    )


def _our_namespace() -> Namespace:
    return Namespace("ours", ["runtime", "runtime.graph", "runtime.errors"])


LANGGRAPH = _langgraph_namespace()
OURS = _our_namespace()


# -- steps -----------------------------------------------------------------------------------

Input = Any
"""A value; or ``fn(ns)`` (for ``Command(...)``, ``RemoveMessage(...)``); or
``fn(ns, snapshot)``, given the thread's current ``StateSnapshot`` (to answer interrupts
by id)."""


def _wants_snapshot(value: Input) -> bool:
    return callable(value) and len(inspect.signature(value).parameters) == 2


def _resolve(value: Input, ns: Namespace, snapshot: Any = None) -> Any:
    if callable(value):
        return value(ns, snapshot) if _wants_snapshot(value) else value(ns)
    # A private copy per run: LangGraph hands the caller's input objects to the nodes,
    # which may mutate them (the tutorial's node does), and the steps are shared.
    return copy.deepcopy(value)


@dataclass
class _Step:
    thread: str = "1"
    at: int | None = None
    """Address the checkpoint at this index of the thread's current history (0 = newest)."""
    config: dict[str, Any] = field(default_factory=dict)
    """Extra config: ``recursion_limit``, ``metadata``, extra ``configurable`` keys."""


@dataclass
class Invoke(_Step):
    input: Input = None
    kwargs: dict[str, Any] = field(default_factory=dict)
    """Extra keyword arguments of ``invoke`` (``interrupt_before=...``)."""

    def __init__(self, input: Input = None, **kw: Any) -> None:
        super().__init__(
            **{k: kw.pop(k) for k in ("thread", "at", "config") if k in kw}  # type: ignore[arg-type]
        )
        self.input = input
        self.kwargs = kw


@dataclass
class Stream(_Step):
    input: Input = None
    mode: str | list[str] = "values"
    kwargs: dict[str, Any] = field(default_factory=dict)

    def __init__(self, input: Input = None, mode: str | list[str] = "values", **kw: Any) -> None:
        super().__init__(
            **{k: kw.pop(k) for k in ("thread", "at", "config") if k in kw}  # type: ignore[arg-type]
        )
        self.input = input
        self.mode = mode
        self.kwargs = kw


@dataclass
class GetState(_Step):
    pass


@dataclass
class History(_Step):
    filter: dict[str, Any] | None = None
    limit: int | None = None
    before_at: int | None = None
    """``before=`` the config of the checkpoint at this index of the history."""


@dataclass
class UpdateState(_Step):
    values: Input = None
    as_node: str | None = None

    def __init__(self, values: Input = None, as_node: str | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.values = values
        self.as_node = as_node


@dataclass
class Scenario:
    name: str
    build: Callable[[Namespace], Any]
    steps: list[_Step]
    compile: Callable[[Namespace], dict[str, Any]] | None = None
    """Extra ``compile()`` keyword arguments (``interrupt_before=...``)."""
    xfail: str | None = None
    """Reason for a strict xfail: ``NOT IMPLEMENTED: ...`` or ``BUG: ...``."""
    run_async: bool = False
    """Also run it through the async API (``ainvoke``/``astream``/``aget_state``...)."""
    sync: bool = True
    """Run it through the sync API; ``False`` for graphs with ``async def`` nodes, which
    LangGraph's sync ``invoke`` refuses (TypeError) while ours runs them."""

    def __repr__(self) -> str:
        return self.name


# -- normalization ---------------------------------------------------------------------------

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_ROLE_TO_TYPE = {"user": "human", "assistant": "ai", "system": "system", "tool": "tool"}


class Normalizer:
    """Maps run-specific ids to labels by order of first appearance."""

    def __init__(self) -> None:
        self._ckpt: dict[tuple[str, str], str] = {}
        self._msg: dict[str, str] = {}
        self._task: dict[str, str] = {}

    def task_id(self, tid: Any) -> str:
        key = str(tid)
        if key not in self._task:
            self._task[key] = f"#t{len(self._task)}"
        return self._task[key]

    def checkpoint(self, config: Any) -> str | None:
        if not config:
            return None
        conf = config.get("configurable", {})
        cid = conf.get("checkpoint_id")
        if cid is None:
            return None
        key = (str(conf.get("thread_id")), str(cid))
        if key not in self._ckpt:
            self._ckpt[key] = f"#c{sum(1 for k in self._ckpt if k[0] == key[0])}"
        return self._ckpt[key]

    def message_id(self, mid: Any) -> Any:
        if isinstance(mid, str) and _UUID.match(mid):
            if mid not in self._msg:
                self._msg[mid] = f"#m{len(self._msg)}"
            return self._msg[mid]
        return mid

    def value(self, obj: Any) -> Any:
        """A comparable, side-independent form of a value a user sees."""
        name = type(obj).__name__
        if obj is None or isinstance(obj, bool | int | float | str | bytes):
            return obj
        if _is_message(obj):
            return self._message(obj)
        if name == "Interrupt" and hasattr(obj, "value"):
            return {"interrupt": self.value(obj.value)}
        if name == "Send" and hasattr(obj, "node"):
            return {"send": obj.node, "arg": self.value(obj.arg)}
        if name == "Command" and hasattr(obj, "goto"):
            goto = obj.goto
            return {
                "command": {
                    "update": self.value(obj.update),
                    "goto": self.value(list(goto) if isinstance(goto, list | tuple) else goto),
                    "resume": self.value(obj.resume),
                }
            }
        if isinstance(obj, dict):
            if isinstance(obj.get("configurable"), dict) and "checkpoint_id" in obj["configurable"]:
                return {"config": self.checkpoint(obj)}
            if {"type", "payload", "step", "timestamp"} <= obj.keys():
                return self._debug(obj)
            return {str(k): self.value(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [self.value(v) for v in obj]
        if isinstance(obj, tuple):
            return ("tuple", *[self.value(v) for v in obj])
        if isinstance(obj, set | frozenset):
            return ("set", *sorted(repr(self.value(v)) for v in obj))
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            return {
                "dataclass": name,
                **{f.name: self.value(getattr(obj, f.name)) for f in dataclasses.fields(obj)},
            }
        if isinstance(obj, uuid.UUID):
            return str(obj)
        return ("object", name, repr(obj))

    def _debug(self, event: dict[str, Any]) -> dict[str, Any]:
        """A ``stream_mode="debug"`` event: no timestamp, task ids as labels, no parents."""
        payload = dict(event["payload"])
        if "id" in payload:
            payload["id"] = self.task_id(payload["id"])
        if isinstance(payload.get("metadata"), dict):
            payload["metadata"] = {k: v for k, v in payload["metadata"].items() if k != "parents"}
        if isinstance(payload.get("tasks"), list):
            payload["tasks"] = [
                {**t, "id": self.task_id(t["id"])} if isinstance(t, dict) and "id" in t else t
                for t in payload["tasks"]
            ]
        rest = {k: v for k, v in event.items() if k not in ("timestamp", "payload")}
        return {"debug": self.value(rest), "payload": self.value(payload)}

    def _message(self, m: Any) -> dict[str, Any]:
        if isinstance(m, dict):
            kind = m.get("type") or _ROLE_TO_TYPE.get(m.get("role", ""), m.get("role"))
            return {
                "msg": kind,
                "content": self.value(m.get("content")),
                "id": self.message_id(m.get("id")),
            }
        out = {"msg": m.type, "id": self.message_id(m.id)}
        if m.type != "remove":
            out["content"] = self.value(m.content)
        return out

    def snapshot(self, snap: Any) -> dict[str, Any]:
        """A ``StateSnapshot`` as a user compares it: no times, no ``parents``, labels."""
        meta = None
        if snap.metadata is not None:
            meta = {k: self.value(v) for k, v in snap.metadata.items() if k != "parents"}
        return {
            "checkpoint": self.checkpoint(snap.config),
            "parent": self.checkpoint(snap.parent_config),
            "values": self.value(snap.values),
            "next": self.value(tuple(snap.next)),
            "metadata": meta,
            "tasks": [
                {"name": t.name, "interrupts": [self.value(i) for i in t.interrupts]}
                for t in snap.tasks
            ],
            "interrupts": [self.value(i) for i in getattr(snap, "interrupts", ())],
        }

    def stream(self, events: list[Any], mode: str | list[str]) -> list[Any]:
        """Stream events; in a multi-mode stream the ``updates`` events between two other
        events (one step's worth, delimited by its ``values`` event) are sorted, because
        LangGraph emits parallel tasks' updates in completion order."""
        norm = [self.value(e) for e in events]
        if isinstance(mode, str):
            return norm
        return sort_update_runs(norm)


def sort_update_runs(events: list[Any]) -> list[Any]:
    """Normalized multi-mode events with each run of consecutive ``updates`` sorted."""
    out: list[Any] = []
    run: list[Any] = []
    for e in events:
        if isinstance(e, tuple) and len(e) == 3 and e[1] == "updates":
            run.append(e)
            continue
        out.extend(sorted(run, key=repr))
        run = []
        out.append(e)
    out.extend(sorted(run, key=repr))
    return out


def _is_message(obj: Any) -> bool:
    if isinstance(obj, dict):
        return "content" in obj and "id" in obj and ("role" in obj or "type" in obj)
    cls = type(obj)
    if cls.__module__.startswith("langchain_core.messages"):
        return True
    # Our RemoveMessage: a dataclass with ``id`` and ``type == "remove"``.
    return cls.__name__ == "RemoveMessage" and getattr(obj, "type", None) == "remove"


# -- compiling -------------------------------------------------------------------------------


def compile_langgraph(scenario: Scenario) -> Any:
    from langgraph.checkpoint.memory import InMemorySaver

    builder = scenario.build(LANGGRAPH)
    extra = scenario.compile(LANGGRAPH) if scenario.compile else {}
    return builder.compile(checkpointer=InMemorySaver(), **extra)


def compile_ours(scenario: Scenario, store: Any) -> Any:
    builder = scenario.build(OURS)
    extra = scenario.compile(OURS) if scenario.compile else {}
    return builder.compile(checkpointer=store, **extra)


# -- running ---------------------------------------------------------------------------------


def _config(step: _Step, checkpoint: Any = None) -> dict[str, Any]:
    extra = dict(step.config)
    configurable = {"thread_id": step.thread, **extra.pop("configurable", {})}
    if checkpoint is not None:
        configurable["checkpoint_id"] = checkpoint["configurable"]["checkpoint_id"]
        configurable["checkpoint_ns"] = checkpoint["configurable"].get("checkpoint_ns", "")
    return {"configurable": configurable, **extra}


def _label(step: _Step) -> str:
    fields = {
        k: v
        for k, v in dataclasses.asdict(step).items()
        if v not in (None, {}, [], "1") and k != "input" and k != "values"
    }
    payload = getattr(step, "input", getattr(step, "values", None))
    shown = "<fn>" if callable(payload) else repr(payload)
    return f"{type(step).__name__}({shown}, {fields})"


def _raised(exc: BaseException) -> tuple[str, str]:
    return ("raised", type(exc).__name__)


def run_scenario(graph: Any, scenario: Scenario) -> list[Any]:
    """Run the steps through the sync API; returns the normalized transcript."""
    norm = Normalizer()
    transcript: list[Any] = []

    def at(step: _Step) -> Any:
        if step.at is None:
            return None
        history = list(graph.get_state_history(_config(_Step(thread=step.thread))))
        return history[step.at].config

    ns = LANGGRAPH if graph.__class__.__module__.startswith("langgraph") else OURS
    for step in scenario.steps:
        label = _label(step)
        try:
            cfg = _config(step, at(step))
            snap = None
            if _wants_snapshot(getattr(step, "input", None)):
                snap = graph.get_state(_config(_Step(thread=step.thread)))
            if isinstance(step, Invoke):
                out = graph.invoke(_resolve(step.input, ns, snap), cfg, **step.kwargs)
                transcript.append((label, norm.value(out)))
            elif isinstance(step, Stream):
                events: list[Any] = []
                try:
                    for ev in graph.stream(
                        _resolve(step.input, ns, snap), cfg, stream_mode=step.mode, **step.kwargs
                    ):
                        events.append(ev)
                except Exception as exc:
                    transcript.append((label, norm.stream(events, step.mode), _raised(exc)))
                else:
                    transcript.append((label, norm.stream(events, step.mode)))
            elif isinstance(step, GetState):
                transcript.append((label, norm.snapshot(graph.get_state(cfg))))
            elif isinstance(step, History):
                before = None
                if step.before_at is not None:
                    hist = list(graph.get_state_history(_config(_Step(thread=step.thread))))
                    before = hist[step.before_at].config
                snaps = graph.get_state_history(
                    cfg, filter=step.filter, limit=step.limit, before=before
                )
                transcript.append((label, [norm.snapshot(s) for s in snaps]))
            elif isinstance(step, UpdateState):
                new = graph.update_state(cfg, _resolve(step.values, ns), as_node=step.as_node)
                transcript.append((label, norm.checkpoint(new)))
            else:  # pragma: no cover
                raise TypeError(step)
        except Exception as exc:
            transcript.append((label, _raised(exc)))
    return transcript


async def arun_scenario(graph: Any, scenario: Scenario) -> list[Any]:
    """The same as :func:`run_scenario`, through the async API."""
    norm = Normalizer()
    transcript: list[Any] = []

    async def history_of(cfg: Any, **kw: Any) -> list[Any]:
        return [s async for s in graph.aget_state_history(cfg, **kw)]

    async def at(step: _Step) -> Any:
        if step.at is None:
            return None
        return (await history_of(_config(_Step(thread=step.thread))))[step.at].config

    ns = LANGGRAPH if graph.__class__.__module__.startswith("langgraph") else OURS
    for step in scenario.steps:
        label = _label(step)
        try:
            cfg = _config(step, await at(step))
            snap = None
            if _wants_snapshot(getattr(step, "input", None)):
                snap = await graph.aget_state(_config(_Step(thread=step.thread)))
            if isinstance(step, Invoke):
                out = await graph.ainvoke(_resolve(step.input, ns, snap), cfg, **step.kwargs)
                transcript.append((label, norm.value(out)))
            elif isinstance(step, Stream):
                events: list[Any] = []
                try:
                    async for ev in graph.astream(
                        _resolve(step.input, ns, snap), cfg, stream_mode=step.mode, **step.kwargs
                    ):
                        events.append(ev)
                except Exception as exc:
                    transcript.append((label, norm.stream(events, step.mode), _raised(exc)))
                else:
                    transcript.append((label, norm.stream(events, step.mode)))
            elif isinstance(step, GetState):
                transcript.append((label, norm.snapshot(await graph.aget_state(cfg))))
            elif isinstance(step, History):
                before = None
                if step.before_at is not None:
                    hist = await history_of(_config(_Step(thread=step.thread)))
                    before = hist[step.before_at].config
                snaps = await history_of(cfg, filter=step.filter, limit=step.limit, before=before)
                transcript.append((label, [norm.snapshot(s) for s in snaps]))
            elif isinstance(step, UpdateState):
                new = await graph.aupdate_state(
                    cfg, _resolve(step.values, ns), as_node=step.as_node
                )
                transcript.append((label, norm.checkpoint(new)))
            else:  # pragma: no cover
                raise TypeError(step)
        except Exception as exc:
            transcript.append((label, _raised(exc)))
    return transcript
