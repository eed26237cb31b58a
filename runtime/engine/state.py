"""A thread's head in memory, and how steps turn into checkpoint records and back.

``ThreadState`` is owned by one actor; nothing else mutates it. Its ``values`` dict is never
handed to user code: nodes and callers get copies decoded from ``encoded()``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import msgspec

from stores import codec
from stores.records import APPEND, CHECKPOINT_FORMAT, SET, Checkpoint, CheckpointRow

from .interrupts import PENDING, PendingStep

#: Take a snapshot after this many delta checkpoints even if deltas are tiny, which bounds
#: the work of rebuilding a state (rehydration, ``get_state`` at an old checkpoint).
MAX_DELTAS = 256
#: Never snapshot before this many bytes of deltas: a small state would otherwise be
#: snapshotted nearly every checkpoint, and replaying a few KiB costs next to nothing.
MIN_SNAPSHOT_SPACING = 4096

Change = tuple[str, int, Any]


class ThreadState:
    """The latest checkpoint of one thread, held by its actor."""

    __slots__ = (
        "_encoded",
        "base",
        "checkpoint_at",
        "checkpoint_meta",
        "created_at",
        "delta_bytes",
        "delta_count",
        "discarding",
        "epoch",
        "extra",
        "flushed",
        "metadata",
        "next",
        "parent",
        "pending",
        "seq",
        "snapshot_bytes",
        "source",
        "status",
        "step",
        "thread_id",
        "top",
        "updated_at",
        "values",
        "writers",
    )

    def __init__(self, thread_id: str) -> None:
        self.thread_id = thread_id
        self.values: dict[str, Any] = {}
        self.seq = 0
        """Id of the checkpoint the head is at; 0 before the first checkpoint."""
        self.top = 0
        """Highest checkpoint id of the thread (the head may be at an older one after a fork)."""
        self.step = -2
        """Step of the latest checkpoint (the next turn's input checkpoint is ``step + 1``)."""
        self.next: tuple[str, ...] = ()
        self.parent: int | None = None
        """Parent of the checkpoint the head is at."""
        self.source = ""
        self.checkpoint_meta: dict[str, Any] = {}
        self.checkpoint_at = 0.0
        self.writers: tuple[str, ...] = ()
        """Nodes whose writes made the head checkpoint (``update_state`` infers ``as_node``)."""
        self.pending: PendingStep | None = None
        """The paused step after the head checkpoint, if ``interrupt()`` paused one."""
        self.extra: dict[str, Any] = {}
        self.base = 0
        self.delta_bytes = 0
        self.delta_count = 0
        self.snapshot_bytes = 0
        self.flushed = 0
        """Highest ``seq`` the store has committed (set by the flusher)."""
        self.epoch = 0
        """Bumped when checkpoints are discarded (rollback): a batch taken before that
        must not mark the new timeline as flushed."""
        self.discarding = False
        """A discard of this thread's checkpoints is waiting for the store."""
        self.status = "idle"
        now = time.time()
        self.created_at = now
        self.updated_at = now
        self.metadata: bytes | None = None
        """The thread's own metadata (encoded), as its thread row holds it."""
        self._encoded: bytes | None = codec.encode(self.values)

    # -- copies ------------------------------------------------------------------------
    def encoded(self) -> bytes:
        """The values, encoded; cached until the next change."""
        enc = self._encoded
        if enc is None:
            enc = self._encoded = codec.encode(self.values)
        return enc

    def become(self, other: ThreadState) -> None:
        """Take ``other``'s checkpoint state, keeping identity, flush and lifecycle fields."""
        keep = {"thread_id", "flushed", "epoch", "discarding", "created_at", "metadata"}
        for name in self.__slots__:
            if name not in keep:
                setattr(self, name, getattr(other, name))

    def reset(self, values: dict[str, Any]) -> None:
        """Replace the values outright (a new thread's initial values, a rehydration)."""
        self.values = values
        self._encoded = None

    def copy_values(self) -> dict[str, Any]:
        """A private deep copy of the values (what nodes and callers get)."""
        result: dict[str, Any] = codec.decode(self.encoded())
        return result

    @property
    def dirty(self) -> bool:
        return self.flushed < self.top or self.discarding

    # -- changes -----------------------------------------------------------------------
    def diff(self, new_values: dict[str, Any], changed: Iterable[str]) -> list[Change]:
        """What making ``new_values`` the state would change, for the ``changed`` channels.

        A list that grew by appending is recorded as its new items only: that is what keeps
        storage per turn flat for chat-shaped state. Pure: the head is not touched.
        """
        old_values = self.values
        changes: list[Change] = []
        for ch in changed:
            new = new_values[ch]
            old = old_values.get(ch, _MISSING)
            if (
                type(new) is list
                and type(old) is list
                and new is not old  # an in-place mutation would hide what was appended
                and len(new) >= len(old)
            ):
                n = len(old)
                if n and new[:n] != old:
                    changes.append((ch, SET, new))
                elif len(new) > n:
                    changes.append((ch, APPEND, new[n:]))
                # equal lists: nothing changed
            elif new is not old:
                changes.append((ch, SET, new))
        return changes

    # -- records -----------------------------------------------------------------------
    def commit(
        self,
        new_values: dict[str, Any] | None,
        changes: list[Change],
        encoded: bytes | None,
        *,
        step: int,
        source: str,
        next_nodes: tuple[str, ...],
        metadata: dict[str, Any],
        tasks: list[tuple[str, float, list[str]]],
        extra: dict[str, Any],
    ) -> CheckpointRow:
        """Encode the next checkpoint and advance the head to it.

        ``new_values`` is the new state (``None``: unchanged) and ``encoded`` its encoding
        (required when ``changes`` is not empty). Everything is encoded before the head is
        touched: a value that cannot be stored raises ``TypeError``/``ValueError`` and leaves
        the thread exactly as it was.
        """
        seq = self.top + 1
        now = time.time()
        state_bytes = encoded if changes else self._encoded
        record = Checkpoint(
            CHECKPOINT_FORMAT, step, source, now, next_nodes, changes, None, metadata, tasks, extra
        )
        payload = codec.encode_checkpoint(record, encoded)
        size = len(payload)
        # Snapshot when replaying the deltas would cost more than reading a snapshot: keeps
        # bytes per turn flat (amortized) and replay bounded. A checkpoint whose parent is not
        # the previous one (a fork) starts from a snapshot too: ``base`` must be an ancestor.
        snapshot = (
            self.base == 0
            or self.seq != self.top
            or self.delta_bytes + size >= self.snapshot_bytes
            or self.delta_count >= MAX_DELTAS
        )
        if snapshot:
            if state_bytes is None:
                state_bytes = codec.encode(
                    new_values if new_values is not None and changes else self.values
                )
            payload = codec.encode_checkpoint(
                Checkpoint(
                    CHECKPOINT_FORMAT,
                    step,
                    source,
                    now,
                    next_nodes,
                    [],
                    msgspec.Raw(state_bytes),
                    metadata,
                    tasks,
                    extra,
                ),
                state_bytes,
            )
        # -- nothing below can fail: commit
        row = CheckpointRow(
            self.thread_id, seq, self.seq or None, seq if snapshot else self.base, payload
        )
        if snapshot:
            self.base = seq
            self.delta_bytes = 0
            self.delta_count = 0
            # the deltas may grow to the snapshot's size (but at least MIN_SNAPSHOT_SPACING)
            # before the next snapshot: stored once here, not recomputed per checkpoint
            self.snapshot_bytes = max(len(payload), MIN_SNAPSHOT_SPACING)
        else:
            self.delta_bytes += size
            self.delta_count += 1
        if changes and new_values is not None:
            self.values = new_values
            self._encoded = state_bytes
        self.parent = self.seq or None
        self.seq = self.top = seq
        self.step = step
        self.source = source
        self.checkpoint_meta = metadata
        self.checkpoint_at = now
        self.next = next_nodes
        self.extra = extra
        self.writers = (tasks[0][0],) if len(tasks) == 1 else tuple(t[0] for t in tasks)
        self.updated_at = now
        return row

    def commit_pending(self, pending: PendingStep, *, metadata: dict[str, Any]) -> CheckpointRow:
        """Record a paused step as a hidden record after the head checkpoint.

        The head stays at its checkpoint; the record carries the finished writes and the
        interrupts so that an answer can come after an eviction or a restart.
        """
        seq = self.top + 1
        now = time.time()
        extra = {"pending": pending.to_extra()}
        payload = codec.encode_checkpoint(
            Checkpoint(
                CHECKPOINT_FORMAT, self.step, PENDING, now, self.next, [], None, metadata, [], extra
            )
        )
        row = CheckpointRow(self.thread_id, seq, self.seq or None, self.base, payload)
        self.top = seq
        self.pending = pending
        self.updated_at = now
        return row


_MISSING: Any = object()


def apply_changes(values: dict[str, Any], changes: list[Change]) -> None:
    """Replay recorded changes onto ``values`` (a private dict being rebuilt)."""
    for ch, op, value in changes:
        if ch.startswith("__"):
            continue
        if op == APPEND:
            cur = values.get(ch)
            values[ch] = [*cur, *value] if cur else list(value)
        else:
            values[ch] = value
