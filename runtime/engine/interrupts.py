"""Human in the loop: ``interrupt()``, the run context nodes reach, and paused steps.

A node that calls ``interrupt(value)`` stops; its step does not commit. The nodes of that
step that finished keep their writes in a :class:`PendingStep` (they will not run again),
and the interrupted ones run again from their start when the caller answers with
``Command(resume=...)``: then their ``interrupt()`` calls return the answers in order.

The pending step is persisted as a hidden record after the checkpoint it belongs to, so a
human may answer after the actor was evicted or the process restarted.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from runtime.graph.types import Interrupt

#: ``source`` of the hidden record that holds a paused step (never shown in history).
PENDING = "pending"


class NodeInterrupt(BaseException):
    """Unwinds a node's stack from ``interrupt()``.

    A ``BaseException`` so that a node's ``except Exception`` does not swallow it. It never
    leaves the engine: the engine turns it into a pause.
    """

    def __init__(self, interrupt: Interrupt) -> None:
        super().__init__(interrupt)
        self.interrupt = interrupt


class TaskContext:
    """What code running inside a node can reach."""

    __slots__ = (
        "count",
        "node",
        "resume",
        "shared",
        "step",
        "stop",
        "store",
        "thread_id",
        "writer",
    )

    thread_id: str
    node: str
    step: int
    resume: list[Any]
    count: int
    writer: Callable[[Any], None] | None
    store: Any
    shared: bool
    stop: int
    """The step the turn stops before: ``stop - step`` steps remain (``RemainingSteps``)."""

    def __init__(
        self,
        thread_id: str,
        node: str,
        step: int,
        resume: list[Any],
        writer: Callable[[Any], None] | None,
        store: Any,
    ) -> None:
        self.refill(thread_id, node, step, resume, writer, store)
        self.shared = False
        """Reused for every single-task step run in one asyncio task (set once there)."""

    def refill(
        self,
        thread_id: str,
        node: str,
        step: int,
        resume: list[Any],
        writer: Callable[[Any], None] | None,
        store: Any,
    ) -> None:
        self.thread_id = thread_id
        self.node = node
        self.step = step
        self.resume = resume
        self.count = 0
        self.writer = writer
        self.store = store


current_task: ContextVar[TaskContext | None] = ContextVar("session_actors_task", default=None)


def interrupt_id(thread_id: str, step: int, node: str, index: int) -> str:
    """Deterministic, so that an answer addressed to an id finds its interrupt again."""
    return hashlib.blake2b(
        f"{thread_id}\0{step}\0{node}\0{index}".encode(), digest_size=16
    ).hexdigest()


def interrupt(value: Any) -> Any:
    """Pause the turn and hand ``value`` to the caller; returns the caller's answer.

    The node runs again from its start when the caller resumes with
    ``invoke(Command(resume=answer), config)``; this call then returns ``answer``. A node may
    call ``interrupt`` several times: each call gets the answer to its own pause, in order.
    """
    ctx = current_task.get()
    if ctx is None:
        raise RuntimeError("interrupt() can only be called inside a node while a graph runs")
    index = ctx.count
    ctx.count += 1
    if index < len(ctx.resume):
        return ctx.resume[index]
    raise NodeInterrupt(Interrupt(value, interrupt_id(ctx.thread_id, ctx.step, ctx.node, index)))


def get_stream_writer() -> Callable[[Any], None]:
    """A function that sends ``stream_mode="custom"`` events from inside a node."""
    ctx = current_task.get()
    if ctx is None or ctx.writer is None:
        return _drop
    return ctx.writer


def get_store() -> Any:
    """The cross-session memory store given to ``compile(store=...)``, inside a node."""
    ctx = current_task.get()
    return None if ctx is None else ctx.store


def get_config() -> Any:
    """The running node's config (LangGraph's ``langgraph.config.get_config``).

    It is LangChain's ambient run config, which the engine sets for each node when
    ``langchain_core`` is loaded (it is LangGraph's ``RunnableConfig``: the call's config
    with the node's ``langgraph_*`` metadata, its checkpoint namespace and callbacks).
    """
    lc = sys.modules.get("langchain_core.runnables.config")
    config = lc.var_child_runnable_config.get() if lc is not None else None
    if config:
        return config
    if lc is None and current_task.get() is not None:
        raise RuntimeError(
            "get_config() needs langchain-core: import it before the turn starts (nodes then "
            "run with LangGraph's run config), or take `config` as the node's second parameter"
        )
    raise RuntimeError("Called get_config outside of a runnable context")


def _drop(_: Any) -> None:
    pass


class PendingStep:
    """A step that paused: what finished, what waits, and the answers given so far."""

    __slots__ = ("done", "interrupts", "resume")

    def __init__(
        self,
        done: dict[str, list[tuple[str, Any]]] | None = None,
        interrupts: list[tuple[str, Interrupt]] | None = None,
        resume: dict[str, list[Any]] | None = None,
    ) -> None:
        self.done = done or {}
        """Writes of the nodes that finished, by node."""
        self.interrupts = interrupts or []
        """``(node, Interrupt)`` waiting for an answer."""
        self.resume = resume or {}
        """Answers given so far, by node, in the order of its ``interrupt()`` calls."""

    def to_extra(self) -> dict[str, Any]:
        return {
            "done": {n: [list(w) for w in ws] for n, ws in self.done.items()},
            "interrupts": [[n, i.value, i.id] for n, i in self.interrupts],
            "resume": self.resume,
        }

    @classmethod
    def from_extra(cls, extra: dict[str, Any]) -> PendingStep:
        return cls(
            {n: [(w[0], w[1]) for w in ws] for n, ws in extra.get("done", {}).items()},
            [(n, Interrupt(v, i)) for n, v, i in extra.get("interrupts", [])],
            {n: list(vs) for n, vs in extra.get("resume", {}).items()},
        )

    def answer(self, resume: Any) -> None:
        """Record the caller's answer(s) for the waiting interrupts.

        A dict keyed by interrupt ids answers those; any other value answers the first one.
        """
        by_id = {i.id: n for n, i in self.interrupts}
        if isinstance(resume, dict) and resume and all(k in by_id for k in resume):
            for iid, value in resume.items():
                self.resume.setdefault(by_id[iid], []).append(value)
        elif self.interrupts:
            self.resume.setdefault(self.interrupts[0][0], []).append(resume)
        self.interrupts = []
