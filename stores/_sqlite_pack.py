"""Packed checkpoint rows: a run of consecutive checkpoints of one thread in one SQLite row.

A flush carries a few consecutive checkpoints per thread (three per turn, several turns per
flush). Stored one per row, each costs a table row, an index entry and five bound values;
``write_batch`` stores each run of consecutive ``seq`` of one thread as *one* row instead.
This module is the only code that knows: the store API still sees one
:class:`CheckpointRow` per checkpoint.

A stored row (schema v3, ``UNIQUE (thread_id, first)``, the table's only index) holds the
checkpoints ``first``..``seq``, every one of them (a row never has holes: a cut or a prune
inside a row splits it):

* ``first == seq``: one checkpoint, its own ``parent``, ``base`` and ``payload`` (every row
  written before v3 is one of these, with ``first = seq``);
* ``first < seq``: ``payload`` is the msgpack array of the checkpoints' rows, each the
  array ``[thread_id, seq, parent, base, payload]``; the row's ``base`` is the smallest of
  their bases (a lower bound for the chain query) and its ``parent`` the first one's. A packed
  row is as long as its payloads together, so it stays under SQLite's length limit (1e9
  bytes) while a batch's payloads do (the flusher's ``max_dirty_bytes``, 256 MiB by default).

Rows of a thread never overlap, so checkpoint ``s`` is in the row with the greatest
``first <= s``, if that row's ``seq >= s``.

Duplicates: the unique index refuses a run whose first checkpoint is the first of a stored
row, and the grouping below refuses a checkpoint twice in one batch. A run that starts
*inside* a stored row (stored ``5..8``, new ``6..9``), or before a stored row and across its
start (stored ``5..8``, new ``4..6``), is not refused. The runtime cannot write one: it
numbers new checkpoints after the highest one of the thread, and what it loaded always
ends at a stored row's end (a batch is committed whole; a cut ends its row at the cut), so
even two processes that both write after the same stored state start at the same ``first``.
"""

from __future__ import annotations

import operator
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec

from . import _sqlite_schema as sql
from ._check import check_rows
from .errors import CorruptCheckpointError
from .records import CheckpointRow

__all__ = ["discard", "expand", "insert", "prune", "rows_of"]

_encode_into = msgspec.msgpack.Encoder().encode_into
_decode = msgspec.msgpack.Decoder(list[CheckpointRow]).decode
_base, _payload = operator.itemgetter(3), operator.itemgetter(4)
_BYTES = frozenset({bytes})

#: A stored row as the reads select it (sql.COLS): thread_id, first, seq, parent, base, payload.
Stored = tuple[str, int, int, int | None, int, bytes]


# -- writing -------------------------------------------------------------------------------
def insert(db: sqlite3.Connection, rows: Sequence[CheckpointRow]) -> int:
    """Insert ``rows`` (flusher order: each thread's ascending, threads interleaved), each
    thread's runs of consecutive ``seq`` as one row; returns ``len(rows)``.

    Raises ``IntegrityError`` for a checkpoint twice in ``rows`` or a run whose first
    checkpoint already starts a stored row (see the module docstring).
    """
    sql.bulk(db, sql.INSERT, pack(rows))
    return len(rows)


def pack(rows: Sequence[CheckpointRow]) -> list[tuple[Any, ...]]:
    """The stored rows for ``rows``: one parameter tuple (``sql.COLS``) per run.

    The hot path of a flush: about 0.3 us of Python per checkpoint (three per turn). A
    packed payload is the run's rows encoded as they are (msgspec, in C: the thread id and
    ``seq`` ride along, ~20 bytes per checkpoint, for no Python per checkpoint).
    """
    if not _BYTES.issuperset(map(type, map(_payload, rows))) or None in map(_base, rows):
        # a row that SQLite's constraints judge (a NULL), or a payload that is no bytes (it
        # could not come back as it went in): one row each, and SQLite judges, as it always did
        return list(map(_single, rows))
    runs: list[list[CheckpointRow]] = []
    open_runs: dict[str, list[CheckpointRow]] = {}
    get = open_runs.get
    try:
        for r in rows:
            run = get(r[0])
            if run is None:
                open_runs[r[0]] = [r]
                continue
            if r[1] == run[-1][1] + 1:
                run.append(r)
                continue
            if r[1] <= run[-1][1]:  # not ascending: the only way a batch can hold a duplicate
                _refuse_duplicates(rows)
            runs.append(run)
            open_runs[r[0]] = [r]
        runs.extend(open_runs.values())
        return [
            (last[0], first[1], last[1], first[2], min(map(_base, run)), _packed(run))
            if len(run) > 1
            else (last[0], last[1], last[1], last[2], last[3], last[4])
            for run in runs
            for first, last in ((run[0], run[-1]),)
        ]
    except TypeError:  # a seq that is no number, a parent msgpack cannot hold: as above
        return list(map(_single, rows))


def _packed(run: list[CheckpointRow]) -> bytearray:
    # a bytearray, not bytes: the sqlite3 module binds it without asking the adapter
    # registry first (~0.3 us a value saved; see sql.bulk)
    buf = bytearray()
    _encode_into(run, buf)
    return buf


def _single(r: CheckpointRow) -> tuple[Any, ...]:
    return (r[0], r[1], r[1], r[2], r[3], r[4])


def _refuse_duplicates(rows: Sequence[CheckpointRow]) -> None:
    # one statement cannot see its own rows, so a duplicate within a batch is found here
    seen: set[tuple[str, int]] = set()
    for r in rows:
        key = (r[0], r[1])
        if key in seen:
            raise sqlite3.IntegrityError(
                f"UNIQUE constraint failed: checkpoint {r[1]} of {r[0]!r} twice in one batch"
            )
        seen.add(key)


def _rewrite(db: sqlite3.Connection, rowid: int, keep: Sequence[CheckpointRow]) -> None:
    """Make stored row ``rowid`` hold ``keep`` (ascending; split into runs; none: deleted)."""
    db.execute(sql.DELETE_ROW, (rowid,))
    if keep:
        sql.bulk(db, sql.INSERT, pack(keep))


def _row(db: sqlite3.Connection, tid: str, seq: int) -> tuple[int, Stored] | None:
    """The stored row (rowid, columns) holding checkpoint ``seq`` of ``tid``, if any."""
    found = db.execute(sql.HOLDING, (tid, seq)).fetchone()
    if found is None or found[3] < seq:
        return None
    return found[0], found[1:]


def discard(db: sqlite3.Connection, cuts: Sequence[tuple[str, int]]) -> int:
    """Delete each thread's checkpoints with ``seq >= cut``; a row the cut falls inside
    keeps its checkpoints before the cut. Returns how many stored rows were touched."""
    n = 0
    for tid, cut in cuts:
        inside = _row(db, tid, cut)
        n += db.execute(sql.DISCARD, (tid, cut)).rowcount
        if inside is not None and inside[1][1] < cut:
            rowid, stored = inside
            _rewrite(db, rowid, [r for r in expand(stored) if r.seq < cut])
            n += 1
    return n


def prune(db: sqlite3.Connection, tid: str, before: int, limit: int, snapshot: bytes | None) -> int:
    """Retention (see ``Store.prune_checkpoints``): with ``snapshot``, checkpoint ``before``
    becomes that snapshot and the later checkpoints based below it are based on it (nothing
    at all happens if ``before`` is not there); then up to ``limit`` checkpoints below
    ``before`` go, newest first (a partial prune never strands a checkpoint's snapshot)."""
    if snapshot is not None:
        at = _row(db, tid, before)
        if at is None:
            return 0
        later = db.execute(sql.BASED_BELOW, (tid, at[1][1], before)).fetchall()
        for rowid, *stored in [(at[0], *at[1]), *later]:
            old = expand(tuple(stored))
            new = [
                r._replace(payload=snapshot, base=before)
                if r.seq == before
                else r._replace(base=before)
                if r.seq > before and r.base < before
                else r
                for r in old
            ]
            if new != old:
                _rewrite(db, rowid, new)
    deleted = 0
    # every row with first < before holds at least one checkpoint below before
    for rowid, *stored in db.execute(sql.BELOW, (tid, before, limit)).fetchall():
        held = expand(tuple(stored))
        below = [r.seq for r in held if r.seq < before]
        drop = set(below[max(0, len(below) - (limit - deleted)) :])
        _rewrite(db, rowid, [r for r in held if r.seq not in drop])
        deleted += len(drop)
        if deleted >= limit:
            break
    return deleted


# -- reading -------------------------------------------------------------------------------
def expand(stored: Stored) -> list[CheckpointRow]:
    """The checkpoints one stored row holds, ascending; a damaged row (columns of the wrong
    type, a packed payload that is not the run its columns say) raises
    :class:`CorruptCheckpointError`."""
    tid, first, seq, parent, base, payload = stored
    if first == seq:
        rows = [CheckpointRow(tid, seq, parent, base, payload)]
    else:
        try:
            if type(first) is not int or type(seq) is not int:
                raise ValueError(f"its ids are {first!r}-{seq!r}")
            rows = _decode(payload)
            if [r[1] for r in rows] != list(range(first, seq + 1)):
                raise ValueError(f"it holds {len(rows)} checkpoints")
        # anything: damaged bytes can fail in any way (a nesting too deep: RecursionError)
        except Exception as exc:
            raise CorruptCheckpointError(
                f"the stored row of checkpoints {first}-{seq} cannot be unpacked ({exc}); "
                "the row is left as it is",
                thread_id=tid if isinstance(tid, str) else repr(tid),
            ) from exc
    check_rows(rows, tid)
    return rows


def rows_of(stored: Iterable[Stored]) -> list[CheckpointRow]:
    """The checkpoints of stored rows, in the rows' order."""
    return [row for s in stored for row in expand(s)]
