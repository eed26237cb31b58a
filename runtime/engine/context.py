"""What one turn is asked to do: the parsed call, and where its output goes."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from stores.records import CheckpointRow

#: Receives each checkpoint row as soon as its step commits in memory (the flusher's intake).
RowSink = Callable[[CheckpointRow], None]
#: Receives ``(mode, payload)`` stream events while the turn runs. A sink with a true
#: ``debug`` attribute also gets ``"debug"`` events (they cost work, so only on request);
#: one with a ``caught_up`` coroutine function has the turn await it after each step, until
#: its consumer has taken that step's events.
EventSink = Callable[[str, Any], None]


def format_checkpoint_id(seq: int) -> str:
    """Checkpoint ids are opaque strings to users; zero-padded so that they sort."""
    return f"{seq:012d}"


def checkpoint_config(thread_id: str, seq: int) -> dict[str, Any]:
    """The config that addresses checkpoint ``seq`` of a thread (LangGraph's shape)."""
    return {
        "configurable": {
            "thread_id": thread_id,
            "checkpoint_ns": "",
            "checkpoint_id": format_checkpoint_id(seq),
        }
    }


#: LangGraph 1.2's default, read from the same environment variable as LangGraph reads it.
DEFAULT_RECURSION_LIMIT = int(os.environ.get("LANGGRAPH_DEFAULT_RECURSION_LIMIT", "10007"))


class RunConfig:
    """A parsed ``config``: the thread and the per-call settings the engine uses."""

    __slots__ = (
        "checkpoint_id",
        "configurable",
        "context",
        "lc",
        "metadata",
        "raw",
        "recursion_limit",
        "step_timeout",
        "stop",
        "stop_requested",
        "thread_id",
    )

    def __init__(
        self,
        thread_id: str,
        *,
        raw: dict[str, Any],
        configurable: dict[str, Any],
        checkpoint_id: int | None = None,
        recursion_limit: int = DEFAULT_RECURSION_LIMIT,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.thread_id = thread_id
        self.raw = raw
        """The caller's config as given; nodes that take ``config`` receive it."""
        self.configurable = configurable
        self.checkpoint_id = checkpoint_id
        self.recursion_limit = recursion_limit
        self.metadata = metadata
        """Checkpoint metadata from the call (``config["metadata"]`` and custom
        ``configurable`` keys), or ``None`` when there is none."""
        self.context: Any = None
        """``invoke(..., context=...)``: what ``runtime.context`` gives nodes."""
        self.lc: Any = None
        """The turn's ``LangChainTurn`` (``engine.lcconfig``) when ``langchain_core`` is
        loaded: nodes then run with LangGraph's LangChain run config."""
        self.stop = recursion_limit
        """The step number a turn stops before (its first step + ``recursion_limit``), set
        as the turn starts; nodes see ``stop - step`` as the steps remaining (LangGraph's
        ``RemainingSteps``)."""
        self.step_timeout: float | None = None
        """Seconds a super-step of this turn may take (``invoke(..., step_timeout=...)``,
        else the graph's); ``None``: unbounded."""
        self.stop_requested = False
        """Set while the turn runs to make it stop at its next step boundary, keeping its
        progress (``multitask_strategy="interrupt"``)."""


class Runtime:
    """What a node that declares a ``runtime`` parameter receives (LangGraph's ``Runtime``)."""

    __slots__ = ("context", "previous", "store", "stream_writer")

    def __init__(self, context: Any, store: Any, stream_writer: Callable[[Any], None]) -> None:
        self.context = context
        """``config["configurable"]["context"]`` of the call, if any."""
        self.store = store
        """The cross-session memory (``compile(store=...)``), or ``None``."""
        self.stream_writer = stream_writer
        self.previous = None
