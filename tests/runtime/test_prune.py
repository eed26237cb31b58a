"""``plan_prune`` on hand-made row layouts: what is kept, and when nothing may go."""

from __future__ import annotations

from typing import Any

import msgspec

from runtime.engine.replay import chain, rebuild
from runtime.engine.state import ThreadState
from runtime.prune import plan_prune
from stores import CHECKPOINT_FORMAT, Checkpoint, CheckpointRow, MemoryStore, WriteBatch, codec
from stores.records import APPEND


def row(seq: int, base: int, parent: int | None = -1, source: str = "loop") -> CheckpointRow:
    """Checkpoint ``seq``: a snapshot (``base == seq``) of ``{"n": [1..seq]}``, or a delta
    appending ``seq``; a ``pending`` record changes nothing."""
    values = msgspec.Raw(codec.encode({"n": list(range(1, seq + 1))})) if base == seq else None
    changes: list[tuple[str, int, Any]] = [] if source == "pending" else [("n", APPEND, [seq])]
    record = Checkpoint(CHECKPOINT_FORMAT, seq, source, 0.0, (), changes, values)
    up = (seq - 1 or None) if parent == -1 else parent
    return CheckpointRow("t", seq, up, base, codec.encode_checkpoint(record))


async def store_with(*rows: CheckpointRow) -> MemoryStore:
    store = MemoryStore()
    await store.open()
    await store.write_batch(WriteBatch(list(rows), [], []))
    return store


def head_at(seq: int, base: int) -> ThreadState:
    head = ThreadState("t")
    head.seq, head.base = seq, base
    return head


async def test_the_oldest_kept_delta_becomes_a_snapshot_of_its_state() -> None:
    store = await store_with(row(1, 1), *(row(s, 1) for s in range(2, 7)))
    plan = await plan_prune(store, "t", 3)
    assert plan is not None and plan.cut == 4 and sorted(plan.kept) == [4, 5, 6]
    assert plan.snapshot is not None
    values, record = rebuild(chain(await store.load_chain("t", 4), 4))
    rewritten = codec.decode_checkpoint(plan.snapshot)
    assert codec.decode(rewritten.values) == values == {"n": [1, 2, 3, 4]}  # type: ignore[arg-type]
    assert (rewritten.step, rewritten.changes) == (record.step, record.changes)


async def test_pending_records_are_kept_but_not_counted() -> None:
    rows = [row(1, 1), row(2, 1), row(3, 1), row(4, 1), row(5, 1, source="pending")]
    plan = await plan_prune(await store_with(*rows), "t", 2)
    assert plan is not None and plan.cut == 3 and sorted(plan.kept) == [3, 4, 5]


async def test_nothing_goes_when_nothing_is_older_or_too_few_checkpoints() -> None:
    store = await store_with(row(1, 1), row(2, 1), row(3, 1, source="pending"))
    assert await plan_prune(store, "t", 2) is None  # two checkpoints: all kept
    assert await plan_prune(store, "t", 5) is None
    assert await plan_prune(store, "nobody", 1) is None


async def test_a_self_contained_tail_needs_no_rewrite() -> None:
    store = await store_with(row(1, 1), row(2, 1), row(3, 3), row(4, 3))
    plan = await plan_prune(store, "t", 2)
    assert plan is not None and (plan.cut, plan.snapshot) == (3, None)


async def test_a_snapshot_cut_still_rebases_rows_that_replayed_from_further_back() -> None:
    # 4 is a snapshot, yet 5 replays from 1 through 4 (allowed: 4's state is the same)
    store = await store_with(row(1, 1), row(2, 1), row(3, 1), row(4, 4), row(5, 1))
    plan = await plan_prune(store, "t", 2)
    assert plan is not None and plan.cut == 4
    assert plan.snapshot == (await store.list_checkpoints("t", before=5, limit=1))[0].payload


async def test_a_row_that_does_not_reach_the_cut_keeps_its_whole_chain() -> None:
    # 6 replays from 3 through 4, skipping 5: cutting at 5 would strand it
    rows = [row(1, 1), row(2, 1), row(3, 3), row(4, 3), row(5, 3), row(6, 3, parent=4)]
    plan = await plan_prune(await store_with(*rows), "t", 2)
    assert plan is not None and (plan.cut, plan.snapshot) == (3, None)
    rows = [row(1, 1), row(2, 1), row(3, 1), row(4, 1, parent=2)]
    assert await plan_prune(await store_with(*rows), "t", 2) is None  # needs 1: keep all


async def test_the_head_is_always_kept() -> None:
    store = await store_with(row(1, 1), row(2, 1), row(3, 1), row(4, 4), row(5, 4))
    assert await plan_prune(store, "t", 2, head_at(2, 1)) is None  # an older branch
    plan = await plan_prune(store, "t", 2, head_at(5, 4))
    assert plan is not None and plan.cut == 4
