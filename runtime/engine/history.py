"""A thread's checkpoints newest first, read lazily (``get_state_history``).

Rows come from the store a page at a time, newest first. The values of a checkpoint are
rebuilt once per run of checkpoints sharing a snapshot (a *segment*): forward from the
snapshot, extending lists in place and noting how to undo each step, then walked backwards
one checkpoint at a time. Reading N checkpoints costs the rows of their segments plus a
copy of each state handed out, never a rebuild from scratch per checkpoint; memory holds
one segment's rows and one state. Long pieces of work give the event loop back every
:data:`CHUNK` rows so that other requests are served meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from stores.errors import CorruptCheckpointError
from stores.records import APPEND, Checkpoint, CheckpointRow

from .interrupts import PENDING, PendingStep
from .replay import _pending, _snapshot_values, chain, decode_row
from .state import _all_atoms, private_copy

#: Rows read from the store per page: the first page is small (``limit=1`` reads little;
#: a packed store row holds many checkpoints), later ones grow up to PAGE.
FIRST_PAGE = 4
PAGE = 64
#: Rows decoded or replayed between two returns to the event loop.
CHUNK = 128

Page = Callable[[int | None, int], Awaitable[list[CheckpointRow]]]
"""``(before, limit)``: up to ``limit`` rows with ``seq < before`` (any), newest first."""
Chain = Callable[[int], Awaitable[list[CheckpointRow]]]
"""``seq``: the rows from that checkpoint's snapshot to it, ascending (as ``load_chain``)."""

_MISSING: Any = object()
_TRUNCATE = 0
_RESTORE = 1


class Segment:
    """The states along one chain of rows (a snapshot and deltas after it), newest first.

    ``values`` is the state at ``path[pos]``; :meth:`seek` moves it back by undoing steps.
    Lists in ``values`` are private to the segment (decoded from its rows), so appends
    extend them in place and an undo truncates them. ``flat`` names the channels holding
    a list of atoms, kept up to date as the rows are applied and undone: a copy of such a
    list is a shallow one, and finding that out anew would cost a scan of each state.
    """

    __slots__ = ("flat", "path", "pos", "undo", "values")

    def __init__(self) -> None:
        self.path: list[CheckpointRow] = []
        self.undo: list[tuple[tuple[str, int, Any, bool], ...]] = []
        self.values: dict[str, Any] = {}
        self.flat: set[str] = set()
        self.pos = -1

    async def build(self, path: list[CheckpointRow]) -> None:
        self.path = path
        undo = self.undo = []
        for i, row in enumerate(path):
            if i % CHUNK == 0 or i == 1:  # the snapshot's decode is a chunk of its own
                await asyncio.sleep(0)
            record = decode_row(row)
            if i == 0:
                values = self.values = _snapshot_values(row, record)
                self.flat = {ch for ch, v in values.items() if _flat(v)}
                undo.append(())
            else:
                try:
                    undo.append(self._apply(record.changes))
                except (TypeError, ValueError, AttributeError) as exc:
                    raise CorruptCheckpointError(
                        f"the changes of checkpoint {row.seq} do not apply to its parent's "
                        f"state ({exc})",
                        thread_id=row.thread_id,
                    ) from exc
        self.pos = len(path) - 1

    async def seek(self, seq: int) -> dict[str, Any] | None:
        """The live state at ``seq`` (no copy), if that checkpoint is on this segment's path
        at or before the current position."""
        path = self.path
        pos = self.pos
        steps = 0
        while pos >= 0 and path[pos].seq > seq:
            self._undo(self.undo[pos])
            pos -= 1
            steps += 1
            if steps % CHUNK == 0:
                self.pos = pos
                await asyncio.sleep(0)
        self.pos = pos
        if pos >= 0 and path[pos].seq == seq:
            return self.values
        return None

    def copy(self) -> dict[str, Any]:
        """A private copy of the state at the current position."""
        return private_copy(self.values, self.flat)

    def _apply(self, changes: list[Any]) -> tuple[tuple[str, int, Any, bool], ...]:
        """Apply ``changes`` (as ``apply_changes`` does); what undoes them, in order."""
        values, flat = self.values, self.flat
        undo: list[tuple[str, int, Any, bool]] = []
        for ch, op, value in changes:
            if ch.startswith("__"):
                continue
            cur = values.get(ch, _MISSING)
            was_flat = ch in flat
            if op == APPEND and type(cur) is list and cur:
                cur.extend(value)
                undo.append((ch, _TRUNCATE, len(value), was_flat))
                if was_flat and not _flat(value):
                    flat.discard(ch)
                continue
            undo.append((ch, _RESTORE, cur, was_flat))
            if op == APPEND:  # onto nothing (or a non-list): a new list
                value = [*cur, *value] if cur is not _MISSING and cur else list(value)
            values[ch] = value
            if _flat(value):
                flat.add(ch)
            else:
                flat.discard(ch)
        return tuple(undo)  # tuples of atoms: the collector stops tracking them

    def _undo(self, undo: tuple[tuple[str, int, Any, bool], ...]) -> None:
        values, flat = self.values, self.flat
        for ch, kind, data, was_flat in reversed(undo):
            if kind == _TRUNCATE:
                if data:
                    del values[ch][-data:]
            elif data is _MISSING:
                values.pop(ch, None)
            else:
                values[ch] = data
            if was_flat:
                flat.add(ch)
            else:
                flat.discard(ch)


def _flat(value: Any) -> bool:
    return type(value) is list and _all_atoms(value)


async def history(
    thread_id: str,
    page: Page,
    load_chain: Chain,
    *,
    before: int | None = None,
    only: int | None = None,
    filter: dict[str, Any] | None = None,
    limit: int | None = None,
    head: Callable[[int], dict[str, Any] | None] | None = None,
) -> AsyncIterator[tuple[CheckpointRow, Checkpoint, dict[str, Any], PendingStep | None]]:
    """Checkpoints newest first: ``(row, record, private values, paused step)``.

    ``only``: that checkpoint alone. ``head(seq)``: a private copy of the state at ``seq``
    if the caller holds it in memory (the thread's head), else ``None``.
    """
    if limit is not None and limit <= 0:
        return
    paused: dict[int, PendingStep] = {}
    segment = Segment()
    count = 0
    cursor = before
    size = FIRST_PAGE
    while True:
        rows = await page(cursor, size)
        size = min(2 * size, PAGE)
        if not rows:
            return
        for i, row in enumerate(rows):
            if i % CHUNK == CHUNK - 1:
                await asyncio.sleep(0)
            cursor = row.seq
            if only is not None:
                if row.seq < only:
                    return
                if row.seq != only and row.parent != only:
                    continue  # neither that checkpoint nor its paused step
            record = decode_row(row)
            if record.source == PENDING:
                if row.parent is not None and row.parent not in paused:
                    paused[row.parent] = _pending(row, record)
                continue
            if only is not None and row.seq != only:
                continue
            if filter:
                meta = {"source": record.source, "step": record.step, **record.metadata}
                if any(meta.get(k) != v for k, v in filter.items()):
                    continue
            values = head(row.seq) if head is not None else None
            if values is None:
                live = await segment.seek(row.seq)
                if live is None:
                    rows_back = await load_chain(row.seq)
                    await asyncio.sleep(0)  # reading the rows was a chunk of work
                    path = chain(rows_back, row.seq)
                    if not path:
                        return  # deleted meanwhile
                    await segment.build(path)
                    live = await segment.seek(row.seq)
                    assert live is not None
                values = segment.copy()
            yield row, record, values, paused.get(row.seq)
            count += 1
            if limit is not None and count >= limit:
                return
            await asyncio.sleep(0)  # a copy of a big state is a chunk of work of its own


__all__ = ["CHUNK", "PAGE", "Segment", "history"]
