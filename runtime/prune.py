"""Cutting a thread's history to its newest checkpoints, on a store.

A checkpoint is a delta on an older snapshot (``stores.records``), so keeping the newest N
cannot simply delete the rest: the oldest kept checkpoint is first rewritten as a snapshot
that every later kept row replays from, and only then are the older rows deleted, in bounded
batches, newest first (``Store.prune_checkpoints``: the rewrite and the first batch are one
transaction). A crash between two
steps leaves a consistent thread: every row still there has the rows it replays from.

Used by the runtime's retention sweeper (under ``Supervisor.hold``) and by the command line.
"""

from __future__ import annotations

import asyncio
from typing import NamedTuple

import msgspec

from runtime.engine.interrupts import PENDING
from runtime.engine.replay import chain, decode_row, rebuild
from runtime.engine.state import MIN_SNAPSHOT_SPACING, ThreadState
from stores import Store, codec
from stores.records import CHECKPOINT_FORMAT, CheckpointRow, ThreadRow

__all__ = ["PrunePlan", "delete_below", "plan_prune", "rebased_head"]


class PrunePlan(NamedTuple):
    """What keeping a thread's newest checkpoints takes."""

    cut: int
    """Rows with ``seq < cut`` go."""
    snapshot: bytes | None
    """New payload of checkpoint ``cut`` (``prune_checkpoints(snapshot=...)``); ``None``:
    no rewrite."""
    kept: dict[int, CheckpointRow]
    """The rows from ``cut`` up, by ``seq``."""
    seen: ThreadRow | None
    """The thread row when the rows were read: if it changed, so may have the rows."""


async def plan_prune(
    store: Store, tid: str, keep_last: int, head: ThreadState | None = None
) -> PrunePlan | None:
    """How to keep the newest ``keep_last`` checkpoints of ``tid``; ``None``: nothing goes.

    ``head`` is the thread's head in memory, if resident: its checkpoint is always kept.
    The rows kept must not need a deleted one: the oldest kept checkpoint becomes a snapshot
    that every later row replays from. Should some row not reach it through its parents
    (not something the engine writes), the cut falls back to the oldest snapshot in use.
    """
    seen = await store.get_thread(tid)
    newest: list[CheckpointRow] = []  # from the top down to the oldest kept checkpoint
    visible, before, page, older = 0, None, keep_last + 8, False
    while visible < keep_last:
        rows = await store.list_checkpoints(tid, before=before, limit=page)
        for i, r in enumerate(rows):
            newest.append(r)
            if decode_row(r).source != PENDING:  # hidden records are not checkpoints
                visible += 1
                if visible == keep_last:
                    older = i + 1 < len(rows) or len(rows) == page
                    break
        if len(rows) < page:
            break
        before = rows[-1].seq
    if visible < keep_last or not older:
        return None  # nothing older than what is kept (or maybe nothing: a delete finds out)
    oldest = newest[-1]
    cut = oldest.seq
    if head is not None and head.seq < cut:
        return None  # the head sits on an older branch: keep everything
    kept = {r.seq: r for r in newest}
    reaches = {cut}
    for r in reversed(newest):
        if r.seq != cut and r.base < cut:
            if r.parent not in reaches:
                low = min(min(k.base for k in newest), head.base if head else cut)
                first = await store.list_checkpoints(tid, ascending=True, limit=1)
                return PrunePlan(low, None, kept, seen) if first[0].seq < low else None
            reaches.add(r.seq)
    if oldest.base == cut and len(reaches) == 1:
        return PrunePlan(cut, None, kept, seen)  # already self-contained
    if oldest.base == cut:
        return PrunePlan(cut, oldest.payload, kept, seen)
    values, record = rebuild(chain(await store.load_chain(tid, cut), cut))
    full = msgspec.structs.replace(
        record, v=CHECKPOINT_FORMAT, values=msgspec.Raw(codec.encode(values))
    )
    return PrunePlan(cut, codec.encode_checkpoint(full), kept, seen)


def rebased_head(head: ThreadState, plan: PrunePlan) -> None:
    """Point a resident head at the new snapshot, so its next deltas replay from it."""
    if plan.snapshot is None or head.base >= plan.cut:
        return
    deltas = []
    row = plan.kept[head.seq]
    while row.seq != plan.cut:
        deltas.append(len(row.payload))
        row = plan.kept[row.parent]  # type: ignore[index]
    head.base = plan.cut
    head.snapshot_bytes = max(len(plan.snapshot), MIN_SNAPSHOT_SPACING)
    head.delta_bytes = sum(deltas)
    head.delta_count = len(deltas)


async def delete_below(
    store: Store, tid: str, cut: int, batch: int, snapshot: bytes | None = None
) -> int:
    """Delete the thread's rows with ``seq < cut`` in transactions of ``batch`` rows, the
    first one making ``cut`` a snapshot when ``snapshot`` is given."""
    total = 0
    while True:
        n = await store.prune_checkpoints(tid, cut, limit=batch, snapshot=snapshot)
        snapshot = None
        total += n
        if n < batch:
            return total
        await asyncio.sleep(0)  # the loop runs turns between two batches
