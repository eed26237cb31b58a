"""What a store keeps: checkpoint rows, thread rows, memory items, and write batches.

A store persists *rows*: a few indexed columns plus an opaque payload that the codec
encoded at turn time (so a value that cannot be encoded fails the turn, not the flush).
The payload of a checkpoint row is a :class:`Checkpoint`.

A checkpoint is either a *snapshot* (``base == seq``: it carries the full state) or a
*delta* (it carries only its step's changes; its state is the snapshot at ``base`` with the
changes of every checkpoint on the parent chain from there applied in order). Stores never
look inside a payload; ``runtime`` decodes and replays.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import msgspec

#: Version of the :class:`Checkpoint` payload layout. Bump it when the layout changes and
#: keep decoding the older ones (tests decode checked-in fixtures of every version).
CHECKPOINT_FORMAT = 1


class Checkpoint(msgspec.Struct, frozen=True, array_like=True, omit_defaults=True):
    """The payload of one checkpoint (one super-step of one thread).

    ``array_like`` keeps it small; new fields go at the end with defaults so that older
    payloads still decode.
    """

    v: int
    """Payload format version (:data:`CHECKPOINT_FORMAT` when written)."""
    step: int
    source: str
    """``input``, ``loop``, ``update`` or ``fork`` (LangGraph's metadata ``source``)."""
    created_at: float
    """Unix time, seconds."""
    next: tuple[str, ...]
    """Nodes to run from this checkpoint (empty when the thread is at rest)."""
    changes: list[tuple[str, int, Any]]
    """What this step did to the state, as ``(channel, op, value)`` in order: ``op`` is
    :data:`SET` (the channel now holds ``value``) or :data:`APPEND` (the channel's list was
    extended by the items of ``value``). Changes, not the nodes' raw writes, are kept so that
    replay needs no reducers (some, like ``add_messages``, are not deterministic) and so that
    append-shaped updates cost only their new items."""
    values: msgspec.Raw | None = None
    """Full state (an encoded ``dict``) when this checkpoint is a snapshot, else ``None``."""
    metadata: dict[str, Any] = {}
    """Caller metadata (user, request id, custom ``configurable`` keys)."""
    tasks: list[tuple[str, float, list[str]]] = []
    """Audit trail: ``(node, seconds, channels written)`` for each node run in this step."""
    extra: dict[str, Any] = {}
    """Engine bookkeeping beyond ``next`` (join progress, pending sends, interrupts)."""
    state_version: int = 0
    """The version of the user's state schema the values are in (``compile(state_version=)``);
    older sessions are migrated when they are loaded. Omitted when 0."""


#: ``Checkpoint.changes`` op: the channel is set to the value.
SET = 0
#: ``Checkpoint.changes`` op: the channel's list is extended by the value's items.
APPEND = 1


class CheckpointRow(NamedTuple):
    """One stored checkpoint. A tuple so that it goes to ``executemany`` as it is."""

    thread_id: str
    seq: int
    """Checkpoint id: monotonic per thread, starting at 1."""
    parent: int | None
    """``seq`` of the parent checkpoint, ``None`` for the first one of a thread."""
    base: int
    """``seq`` of the snapshot this checkpoint's state is replayed from (itself if a snapshot)."""
    payload: bytes
    """An encoded :class:`Checkpoint`."""


class ThreadRow(NamedTuple):
    """A thread's own row: lifecycle status, timestamps and metadata."""

    thread_id: str
    status: str
    """``idle``, ``busy``, ``interrupted``, ``error`` or ``archived``."""
    created_at: float
    updated_at: float
    metadata: bytes | None
    """Encoded ``dict`` of user metadata; ``None`` in an upsert means "leave as it is"."""
    head: int
    """``seq`` of the thread's latest checkpoint (0 when it has none)."""


class WriteBatch(NamedTuple):
    """One group commit. A store applies all of it in one transaction, or none of it."""

    checkpoints: list[CheckpointRow]
    """New checkpoint rows, in the order they were made."""
    threads: list[ThreadRow]
    """Thread upserts, at most one per thread: the latest known row of each."""
    discard: list[tuple[str, int]]
    """``(thread_id, seq)``: delete this thread's checkpoints with ``seq >= value`` first
    (a rolled-back turn's records that had already been flushed)."""


class Item(NamedTuple):
    """One entry of the cross-session memory: a value under ``namespace`` / ``key``."""

    namespace: tuple[str, ...]
    key: str
    value: dict[str, Any]
    created_at: float
    updated_at: float
