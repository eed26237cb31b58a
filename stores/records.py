"""What a store keeps: checkpoint rows, thread rows, memory items, and write batches.

A store persists *rows*: a few indexed columns plus an opaque payload that the codec
encoded at turn time (so a value that cannot be encoded fails the turn, not the flush).
The payload of a checkpoint row is a :class:`Checkpoint`.

A checkpoint is either a *snapshot* (``base == seq``: it carries the full state) or a
*delta* (it carries only its step's writes; its state is the snapshot at ``base`` with the
writes of every checkpoint on the parent chain from there replayed through the reducers).
Replaying needs the graph's reducers, so it happens in ``runtime``; stores never look
inside a payload.
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
    writes: list[tuple[str, str, Any]]
    """This step's writes as ``(node, channel, value)``, in the order they were applied."""
    values: msgspec.Raw | None = None
    """Full state (an encoded ``dict``) when this checkpoint is a snapshot, else ``None``."""
    metadata: dict[str, Any] = {}
    """Caller metadata (user, request id, custom ``configurable`` keys) and audit data."""
    extra: dict[str, Any] = {}
    """Engine bookkeeping beyond ``next`` (join progress, pending sends, interrupts)."""


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
