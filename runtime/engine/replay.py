"""Rebuilding states from stored checkpoint rows (rehydration, ``get_state``, history)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stores import codec
from stores.errors import CorruptCheckpointError
from stores.records import Checkpoint, CheckpointRow

from .interrupts import PENDING, PendingStep
from .state import MIN_SNAPSHOT_SPACING, ThreadState, apply_changes, apply_owned


def decode_row(row: CheckpointRow) -> Checkpoint:
    return codec.decode_checkpoint(row.payload, thread_id=row.thread_id, seq=row.seq)


def _snapshot_values(row: CheckpointRow, record: Checkpoint) -> dict[str, Any]:
    if record.values is None:
        raise CorruptCheckpointError(
            f"checkpoint {row.seq} is marked as a snapshot but holds no state",
            thread_id=row.thread_id,
        )
    try:
        values: dict[str, Any] = codec.decode(record.values)
    except Exception as exc:
        raise CorruptCheckpointError(
            f"the state in checkpoint {row.seq} cannot be decoded ({exc})",
            thread_id=row.thread_id,
        ) from exc
    if type(values) is not dict:
        raise CorruptCheckpointError(
            f"the state in checkpoint {row.seq} is a {type(values).__name__}, not a dict",
            thread_id=row.thread_id,
        )
    return values


def _apply(
    values: dict[str, Any],
    row: CheckpointRow,
    record: Checkpoint,
    owned: set[int] | None = None,
) -> None:
    """Replay ``record``'s changes onto ``values``; changes that cannot apply (an append to
    a channel that holds no list) are damage, reported as such. With ``owned`` (see
    ``apply_owned``), lists this rebuild made are extended in place."""
    try:
        if owned is None:
            apply_changes(values, record.changes)
        else:
            apply_owned(values, record.changes, owned)
    except (TypeError, ValueError, AttributeError) as exc:
        raise CorruptCheckpointError(
            f"the changes of checkpoint {row.seq} do not apply to its parent's state ({exc})",
            thread_id=row.thread_id,
        ) from exc


def _pending(row: CheckpointRow, record: Checkpoint) -> PendingStep:
    try:
        return PendingStep.from_extra(record.extra.get("pending", {}))
    except (TypeError, ValueError, AttributeError) as exc:
        raise CorruptCheckpointError(
            f"the paused step in checkpoint {row.seq} cannot be read ({exc})",
            thread_id=row.thread_id,
        ) from exc


def chain(rows: list[CheckpointRow], target: int | None = None) -> list[CheckpointRow]:
    """The rows from the target's base snapshot to the target, following parents.

    ``rows`` is what ``Store.load_chain`` returned (ascending, maybe with other branches).
    """
    if not rows:
        return []
    by_seq = {r.seq: r for r in rows}
    row = rows[-1] if target is None else by_seq.get(target)
    if row is None:
        return []
    base = row.base
    out = [row]
    while row.seq != base:
        parent = by_seq.get(row.parent) if row.parent is not None else None
        # a parent always comes before its child: a parent id that does not (a damaged row)
        # could loop forever
        if parent is None or parent.seq >= row.seq:
            raise CorruptCheckpointError(
                f"checkpoint {row.seq} has no path back to its snapshot {base}",
                thread_id=row.thread_id,
            )
        row = parent
        out.append(row)
    out.reverse()
    return out


def rebuild(rows: list[CheckpointRow]) -> tuple[dict[str, Any], Checkpoint]:
    """Values at the last row of a chain (as :func:`chain` returns), and its record."""
    first = rows[0]
    record = decode_row(first)
    values = _snapshot_values(first, record)
    owned: set[int] = set()
    for row in rows[1:]:
        record = decode_row(row)
        _apply(values, row, record, owned)
    return values, record


def rehydrate(rows: list[CheckpointRow], head: ThreadState) -> ThreadState:
    """Fill a fresh ``head`` from the rows of the thread's head chain (ascending)."""
    path = chain(rows)
    if path:
        checkout(head, path, top=path[-1].seq)
        head.flushed = head.top
    return head


def checkout(head: ThreadState, path: list[CheckpointRow], *, top: int) -> ThreadState:
    """Move ``head`` to the last checkpoint of ``path`` (a chain from its base snapshot).

    ``top`` is the thread's highest checkpoint id (new checkpoints continue after it). A
    hidden pending record at the end of the path becomes ``head.pending``.
    """
    records = [decode_row(r) for r in path]
    pending = None
    if records[-1].source == PENDING:
        pending = _pending(path[-1], records[-1])
        path, records = path[:-1], records[:-1]
        if not path:
            raise CorruptCheckpointError(
                "a pending step has no checkpoint before it", thread_id=head.thread_id
            )
    values = _snapshot_values(path[0], records[0])
    owned: set[int] = set()
    for row, record in zip(path[1:], records[1:], strict=True):
        _apply(values, row, record, owned)
    last, record = path[-1], records[-1]
    head.reset(values)
    head.seq = last.seq
    head.top = max(top, last.seq)
    head.step = record.step
    head.next = tuple(record.next)
    head.extra = dict(record.extra)
    if record.source == "input" and record.changes:
        head.extra["input"] = record.changes[0][2]  # a replay from here re-reads the input
    head.parent = last.parent
    head.source = record.source
    head.checkpoint_meta = record.metadata
    head.checkpoint_at = record.created_at
    head.writers = tuple(t[0] for t in record.tasks)
    head.state_version = record.state_version
    head.pending = pending
    head.base = last.base
    head.snapshot_bytes = max(len(path[0].payload), MIN_SNAPSHOT_SPACING)
    head.delta_bytes = sum(len(r.payload) for r in path[1:])
    head.delta_count = len(path) - 1
    head.updated_at = record.created_at
    return head


def states_forward(
    rows: Iterable[CheckpointRow],
    paused: dict[int, PendingStep] | None = None,
) -> Iterable[tuple[CheckpointRow, Checkpoint, dict[str, Any]]]:
    """Every checkpoint's values, oldest first, computing each from its parent's.

    Values dicts share unchanged objects with their parent's; callers copy what they hand out.
    Hidden pending records are not yielded; with ``paused`` given, the latest paused step
    of each checkpoint is put there by the checkpoint's id.
    """
    states: dict[int, dict[str, Any]] = {}
    for row in rows:
        record = decode_row(row)
        if row.base == row.seq:
            values = _snapshot_values(row, record)
        else:
            parent = states.get(row.parent) if row.parent is not None else None
            if parent is None:
                raise CorruptCheckpointError(
                    f"checkpoint {row.seq} comes before its parent {row.parent}",
                    thread_id=row.thread_id,
                )
            values = dict(parent)
            _apply(values, row, record)
        states[row.seq] = values
        if record.source != PENDING:
            yield row, record, values
        elif paused is not None and row.parent is not None:
            paused[row.parent] = _pending(row, record)
