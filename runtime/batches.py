"""What the flusher writes as one batch, and what it keeps when the store refuses one.

A :class:`Part` is some threads' share of the dirty list. When the store refuses a batch
for good (:func:`refused`), the batch is split by thread into smaller parts until the guilty
thread is alone; its rows then go into a :class:`Quarantined` record instead of the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stores.errors import StoreError, StoreUnavailableError
from stores.records import CheckpointRow, ThreadRow, WriteBatch

if TYPE_CHECKING:
    from runtime.engine import ThreadState


class Quarantined:
    """A thread whose rows the store refused for a reason retrying cannot cure."""

    __slots__ = ("discard", "error", "head", "rows", "status")

    def __init__(
        self,
        head: ThreadState,
        rows: list[CheckpointRow],
        discard: list[tuple[str, int]],
        error: StoreError,
    ) -> None:
        self.head = head
        self.rows = rows
        self.discard = discard
        self.error = error
        """What the thread's callers get (names the thread and the store's reason)."""
        self.status = head.status
        """The thread's status before: it is back to it if a retry writes the rows."""


class Part:
    """Some threads' share of the dirty list, written as one batch.

    The thread rows and each thread's ``(top, epoch)`` are taken when the part is made: rows
    added later are not in it, so a thread row must not point past them. ``top`` is the
    highest checkpoint stored once the part commits, which may be below the head's: a turn
    that has not handed its rows over yet (``durability="exit"``, or one that suspended
    after run inline) has moved the head past them.
    """

    __slots__ = ("discard", "heads", "rows", "threads", "tops")

    def __init__(
        self,
        rows: list[CheckpointRow],
        heads: dict[str, ThreadState],
        discard: list[tuple[str, int]],
        tops: dict[str, tuple[int, int]],
        threads: dict[str, ThreadRow],
    ) -> None:
        self.rows, self.heads, self.discard = rows, heads, discard
        self.tops, self.threads = tops, threads

    @classmethod
    def take(
        cls,
        rows: list[CheckpointRow],
        heads: dict[str, ThreadState],
        discard: list[tuple[str, int]],
    ) -> Part:
        # a thread's rows come in seq order (a discard removes the tail before new ones)
        last = {r.thread_id: r.seq for r in rows}
        tops: dict[str, tuple[int, int]] = {}
        threads: dict[str, ThreadRow] = {}
        for tid, h in heads.items():
            top = h.top
            if top > h.flushed and last.get(tid) != top:  # checkpoints not handed over yet
                top = max(h.flushed, last.get(tid, 0))
            tops[tid] = (top, h.epoch)
            threads[tid] = ThreadRow(tid, h.status, h.created_at, h.updated_at, h.metadata, top)
        return cls(rows, heads, discard, tops, threads)

    def batch(self) -> WriteBatch:
        return WriteBatch(self.rows, list(self.threads.values()), self.discard)

    def only(self, tids: set[str]) -> Part:
        return Part(
            [r for r in self.rows if r.thread_id in tids],
            {t: h for t, h in self.heads.items() if t in tids},
            [d for d in self.discard if d[0] in tids],
            {t: v for t, v in self.tops.items() if t in tids},
            {t: v for t, v in self.threads.items() if t in tids},
        )

    def split(self, named: str | None) -> list[Part]:
        """Two parts: the named thread alone and the rest (written first), else halves."""
        tids = list(self.heads)
        first = {named} if named in self.heads else set(tids[: len(tids) // 2])
        return [self.only(first), self.only(set(tids) - first)]


def refused(exc: BaseException) -> bool:
    """Retrying cannot cure it: any ``StoreError`` but ``StoreUnavailableError`` (a duplicate
    checkpoint, a row the store can never take, a thread another process owns)."""
    return isinstance(exc, StoreError) and not isinstance(exc, StoreUnavailableError)
