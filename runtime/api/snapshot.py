"""What state reads return: ``StateSnapshot`` and ``ThreadInfo`` (LangGraph's shapes)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, NamedTuple

from runtime.engine.context import checkpoint_config

__all__ = ["PregelTask", "StateSnapshot", "ThreadInfo", "checkpoint_config", "iso", "snapshot"]


class PregelTask(NamedTuple):
    """A task a checkpoint will run next (LangGraph's ``PregelTask`` fields)."""

    id: str
    name: str
    path: tuple[str, ...] = ()
    error: Exception | None = None
    interrupts: tuple[Any, ...] = ()
    state: Any = None
    result: Any = None


class StateSnapshot(NamedTuple):
    """A thread's state at one checkpoint."""

    values: dict[str, Any]
    next: tuple[str, ...]
    config: dict[str, Any]
    metadata: dict[str, Any] | None
    created_at: str | None
    parent_config: dict[str, Any] | None
    tasks: tuple[PregelTask, ...]
    interrupts: tuple[Any, ...] = ()


class ThreadInfo(NamedTuple):
    """A thread's lifecycle record."""

    thread_id: str
    status: str
    created_at: str
    updated_at: str
    metadata: dict[str, Any]
    checkpoints: int
    """Id (sequence number) of the thread's latest checkpoint; 0 when it has none."""


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


def snapshot(
    thread_id: str,
    seq: int,
    parent: int | None,
    values: dict[str, Any],
    next_nodes: tuple[str, ...],
    step: int,
    source: str,
    metadata: dict[str, Any],
    created_at: float,
    *,
    task_names: tuple[str, ...] | None = None,
    task_interrupts: dict[int, tuple[Any, ...]] | None = None,
    interrupts: tuple[Any, ...] = (),
) -> StateSnapshot:
    """A snapshot; ``task_names`` (default ``next_nodes``) are the checkpoint's tasks, with
    ``task_interrupts`` by task position while a step is paused."""
    meta = {"source": source, "step": step, "parents": {}, **metadata}
    names = next_nodes if task_names is None else task_names
    ti = task_interrupts or {}
    return StateSnapshot(
        values=values,
        next=next_nodes,
        config=checkpoint_config(thread_id, seq),
        metadata=meta,
        created_at=iso(created_at),
        parent_config=checkpoint_config(thread_id, parent) if parent else None,
        tasks=tuple(
            PregelTask(f"{seq}:{i}:{name}", name, ("__pregel_pull", name), None, ti.get(i, ()))
            for i, name in enumerate(names)
        ),
        interrupts=interrupts,
    )


def empty_snapshot(config: dict[str, Any]) -> StateSnapshot:
    """What LangGraph returns for a thread that has no checkpoint."""
    return StateSnapshot({}, (), config, None, None, None, ())
