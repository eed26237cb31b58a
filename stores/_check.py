"""Structural checks of what a store reads back: checkpoint rows, thread rows, records.

A file can be damaged (flipped bytes, a crafted row, a row written by a newer version), and
SQLite keeps whatever type a column was given. Everything read is checked here before any
code relies on its shape, so damage surfaces as :class:`CorruptCheckpointError` naming the
thread and the checkpoint, never as a ``TypeError`` deep in a replay or as a loop over
parents that never ends. The checks run on read paths only (loading a thread, history,
listings, imports), never in a turn.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from .errors import CorruptCheckpointError
from .records import APPEND, CHECKPOINT_FORMAT, SET, Checkpoint, CheckpointRow, ThreadRow

__all__ = ["check_record", "check_rows", "check_thread", "corrupt", "readable_threads"]

log = logging.getLogger("stores")

_OPS = frozenset({SET, APPEND})


def corrupt(what: str, thread_id: Any, seq: Any = None) -> CorruptCheckpointError:
    """The error for damaged data of ``thread_id`` (checkpoint ``seq`` when known)."""
    where = "" if seq is None else f"checkpoint {seq!r}: "
    tid = thread_id if isinstance(thread_id, str) else repr(thread_id)
    return CorruptCheckpointError(f"{where}{what}; the row is left as it is", thread_id=tid)


def _is_int(v: Any) -> bool:
    return type(v) is int  # bool is no checkpoint id


def _is_time(v: Any) -> bool:
    if type(v) is not float and type(v) is not int:
        return False
    if not math.isfinite(v):
        return False
    try:  # what a timestamp must become (ThreadInfo, snapshots) without an OverflowError
        dt.datetime.fromtimestamp(v, dt.UTC)
    except (OverflowError, ValueError, OSError):
        return False
    return True


def check_rows(rows: Sequence[CheckpointRow], thread_id: str) -> Sequence[CheckpointRow]:
    """``rows`` (of ``thread_id``) as they are, if each has the types and the order its
    fields promise: ids from 1, a parent and a base at or before the checkpoint (a parent
    strictly before, so following parents always ends), bytes as the payload."""
    for row in rows:
        if type(row) is not CheckpointRow and not (isinstance(row, tuple) and len(row) == 5):
            raise corrupt(f"a checkpoint row is a {type(row).__name__}", thread_id)
        tid, seq, parent, base, payload = row
        if tid != thread_id:
            raise corrupt(f"a row of thread {tid!r} is among its checkpoints", thread_id, seq)
        if not _is_int(seq) or seq < 1:
            raise corrupt("the checkpoint id is no positive integer", thread_id, seq)
        if parent is not None and (not _is_int(parent) or not 1 <= parent < seq):
            raise corrupt(f"its parent {parent!r} does not come before it", thread_id, seq)
        if not _is_int(base) or not 1 <= base <= seq:
            raise corrupt(f"its snapshot {base!r} does not come before it", thread_id, seq)
        if type(payload) is not bytes:
            raise corrupt(f"its payload is a {type(payload).__name__}", thread_id, seq)
    return rows


def check_record(record: Checkpoint, thread_id: str | None, seq: int | None) -> Checkpoint:
    """``record`` as it is, if this version can read it: a format version it knows, known
    change ops (an append's value a list), a timestamp that is a time."""
    if not 1 <= record.v <= CHECKPOINT_FORMAT:
        newer = " (written by a newer version)" if record.v > CHECKPOINT_FORMAT else ""
        raise corrupt(f"unknown record format {record.v}{newer}", thread_id, seq)
    for change in record.changes:
        op, value = change[1], change[2]
        if op not in _OPS:
            raise corrupt(f"unknown change op {op} on channel {change[0]!r}", thread_id, seq)
        if op == APPEND and not isinstance(value, list | tuple):
            raise corrupt(f"an append to {change[0]!r} holds no list", thread_id, seq)
    if not _is_time(record.created_at):
        raise corrupt(f"its time {record.created_at!r} is no timestamp", thread_id, seq)
    return record


def check_thread(row: Sequence[Any]) -> ThreadRow:
    """A thread row read back, as a :class:`ThreadRow` if its columns have their types."""
    if len(row) != 6:
        raise corrupt(f"a thread row has {len(row)} columns", row[0] if row else None)
    tid, status, created, updated, metadata, head = row
    if type(tid) is not str:
        raise corrupt(f"a thread id is a {type(tid).__name__}", tid)
    if type(status) is not str:
        raise corrupt(f"its thread row's status is a {type(status).__name__}", tid)
    if not _is_time(created) or not _is_time(updated):
        raise corrupt(f"its thread row's times ({created!r}, {updated!r}) are no times", tid)
    if metadata is not None and type(metadata) is not bytes:
        raise corrupt(f"its thread row's metadata is a {type(metadata).__name__}", tid)
    if not _is_int(head) or head < 0:
        raise corrupt(f"its thread row's head {head!r} is no checkpoint id", tid)
    return row if type(row) is ThreadRow else ThreadRow(*row)


def readable_threads(rows: Iterable[Sequence[Any]]) -> Iterator[ThreadRow]:
    """The thread rows that pass :func:`check_thread`; a damaged one is logged and left
    out, so that one bad row never hides every other thread from a listing."""
    for row in rows:
        try:
            yield check_thread(row)
        except CorruptCheckpointError as exc:
            log.warning("a thread row is left out of a listing: %s", exc)
