"""Damaged data fails its own thread with CorruptCheckpointError, and nothing else.

Hypothesis builds structurally wrong rows and records (payload bytes, packed SQLite rows,
thread rows, records with fields of the wrong type, unknown change ops, format versions,
parent ids that loop), puts them under one thread of a store that real turns wrote, and
checks through the graph API that reading that thread raises the typed error naming it,
while the other threads are listed and take turns as before. Every check runs under a
watchdog: a replay that loops forever on the event loop cannot be cancelled from inside
it, so the scenario runs on a thread of its own that must end in time.
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, note, reject, settings
from hypothesis import strategies as st

from runtime import CorruptCheckpointError
from stores import MemoryStore, SqliteStore, codec
from stores import _sqlite_pack as pack
from stores import _sqlite_schema as schema
from stores.memory import _Chain
from stores.records import CHECKPOINT_FORMAT, CheckpointRow

from .conftest import cfg, tutorial_builder

GOOD = ("a", "b")
BAD = "bad"
TURNS = 2

_enc = msgspec.msgpack.encode
#: Integers msgpack and SQLite can hold (a damaged record is still a record that was stored)
_I = st.integers(-(2**63), 2**63 - 1)
_dec = msgspec.msgpack.Decoder().decode  # extension values come back as Ext, untouched


def bounded(scenario: Callable[[], Awaitable[None]], seconds: float = 60.0) -> None:
    """Run ``scenario`` on a loop of its own thread; fail if it has not ended in time."""
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(scenario())  # type: ignore[arg-type]
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True, name="damaged-data")
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"reading damaged data did not end within {seconds}s"
    if outcome:
        raise outcome[0]


class Place:
    """Where the threads live: a memory store object, or an SQLite file."""

    def __init__(self, kind: str, root: Path) -> None:
        self.kind = kind
        self.path = root / "damaged.db"
        self.memory = MemoryStore()

    def store(self) -> Any:
        return self.memory if self.kind == "memory" else SqliteStore(self.path)

    # -- reading and writing stored rows as they are ---------------------------------------
    def rows(self, tid: str) -> list[CheckpointRow]:
        if self.kind == "memory":
            chain = self.memory._chains[tid]
            return [chain.rows[s] for s in chain.seqs]
        with sqlite3.connect(self.path) as db:
            q = f"SELECT {schema.COLS} FROM checkpoints WHERE thread_id = ? ORDER BY first"
            return pack.rows_of(db.execute(q, (tid,)).fetchall())

    def put_rows(self, tid: str, rows: list[tuple[Any, ...]]) -> None:
        """Make ``rows`` (thread_id, seq, parent, base, payload) the thread's checkpoints,
        one stored row each, whatever their types."""
        if self.kind == "memory":
            chain = _Chain()
            for r in rows:
                chain.rows[r[1]] = CheckpointRow(*r)
                chain.seqs.append(r[1])
            self.memory._chains[tid] = chain
            return
        with sqlite3.connect(self.path) as db:
            db.execute("DELETE FROM checkpoints WHERE thread_id = ?", (tid,))
            try:
                db.executemany(schema.INSERT, [(r[0], r[1], r[1], r[2], r[3], r[4]) for r in rows])
            except sqlite3.IntegrityError:  # damage the schema itself refuses: not storable
                reject()

    def put_packed(self, tid: str, first: int, seq: int, held: Any, keep: list[Any]) -> None:
        """SQLite: the thread's rows are ``keep`` (one stored row each) plus one packed row
        claiming checkpoints ``first``..``seq`` whose payload is ``held`` encoded."""
        self.put_rows(tid, keep)
        with sqlite3.connect(self.path) as db:
            db.execute(schema.INSERT, (tid, first, seq, first - 1 or None, 1, _enc(held)))

    def set_thread(self, tid: str, column: str, value: Any) -> None:
        if self.kind == "memory":
            row = self.memory._threads[tid]
            self.memory._threads[tid] = row._replace(**{column: value})
            return
        with sqlite3.connect(self.path) as db:
            db.execute(f"UPDATE threads SET {column} = ? WHERE thread_id = ?", (value, tid))


async def write_threads(place: Place) -> None:
    graph = tutorial_builder().compile(checkpointer=place.store())
    async with graph:
        for tid in (*GOOD, BAD):
            await graph.ainvoke({"messages": []}, cfg(tid), durability="sync")
            for _ in range(TURNS - 1):
                await graph.ainvoke({}, cfg(tid), durability="sync")


# -- the damage ------------------------------------------------------------------------------
def _record(row: CheckpointRow) -> list[Any]:
    fields: list[Any] = _dec(row.payload)
    return fields


# values of a type the field at each index of the record's array layout does not take
_WRONG: dict[int, st.SearchStrategy[Any]] = {
    0: st.text() | st.none() | st.floats() | st.lists(_I, max_size=2),  # v
    1: st.text() | st.none() | st.floats(allow_nan=False) | st.binary(),  # step
    2: _I | st.none() | st.lists(st.text(), max_size=2),  # source
    3: st.text() | st.none() | st.lists(_I, max_size=2),  # created_at
    4: _I | st.text(min_size=1) | st.lists(_I, min_size=1),  # next
    5: _I  # changes
    | st.text()
    | st.lists(_I, min_size=1)
    | st.lists(st.tuples(_I, st.text(), st.none()), min_size=1),
}
_INT64 = st.integers(-(2**63), 2**63 - 1)
_BAD_EXT = st.sampled_from(
    [
        msgspec.msgpack.Ext(8, b"abc"),  # a UUID of 3 bytes
        msgspec.msgpack.Ext(4, b"not a date"),
        msgspec.msgpack.Ext(4, b"2024-01-01T00:00:00[Not/A_Zone]"),
        msgspec.msgpack.Ext(9, b"\xff\xfe"),  # a Decimal that is no text
        msgspec.msgpack.Ext(2, b"\xc1"),  # a set that is no msgpack
        msgspec.msgpack.Ext(7, b"12"),  # a timedelta of 2 bytes
        msgspec.msgpack.Ext(99, b""),  # no such extension
    ]
)


@st.composite
def record_damage(draw: st.DrawFn, head: CheckpointRow) -> bytes:
    """The head checkpoint's payload with one thing structurally wrong."""
    fields = _record(head)
    how = draw(
        st.sampled_from(
            ["field", "op", "version", "append", "time", "ext", "deep", "truncated", "bytes"]
        )
    )
    if how == "field":
        i = draw(st.sampled_from(sorted(_WRONG)))
        fields[i] = draw(_WRONG[i])
    elif how == "op":
        fields[5] = [["messages", draw(_INT64.filter(lambda op: op not in (0, 1))), ["x"]]]
    elif how == "version":
        fields[0] = draw(_INT64.filter(lambda v: not 1 <= v <= CHECKPOINT_FORMAT))
    elif how == "append":  # an append whose value is no list
        fields[5] = [["messages", 1, draw(_I | st.none() | st.floats())]]
    elif how == "time":
        fields[3] = draw(st.sampled_from([float("inf"), float("-inf"), float("nan"), 1e300]))
    elif how == "ext":
        fields[5] = [["messages", 0, draw(_BAD_EXT)]]
    elif how == "deep":  # a value nested deeper than any decoder recurses
        fields[5] = [["messages", 0, "<deep>"]]
        depth = draw(st.integers(50_000, 200_000))
        return _enc(fields).replace(_enc("<deep>"), b"\x91" * depth + b"\xc0")
    elif how == "truncated":
        return head.payload[: draw(st.integers(0, len(head.payload) - 1))]
    else:  # 0xc1 is a byte msgpack never uses
        return b"\xc1" + draw(st.binary())
    note(f"record damage {how}: {fields!r:.300}")
    return _enc(fields)


@st.composite
def damage(draw: st.DrawFn, place: Place) -> str:
    """Damage thread BAD in ``place``; returns what kind of damage (``thread`` when only
    its thread row is damaged)."""
    rows: list[tuple[Any, ...]] = [tuple(r) for r in place.rows(BAD)]
    head = CheckpointRow(*rows[-1])
    seq = head.seq
    kinds = ["record", "loop", "parent", "base", "payload-type", "thread", "values"]
    if place.kind == "sqlite":
        kinds.append("packed")
    kind = draw(st.sampled_from(kinds))
    if kind == "record":
        rows[-1] = (*rows[-1][:4], draw(record_damage(head)))
    elif kind == "loop":
        if draw(st.booleans()):  # the head is its own parent
            rows[-1] = (BAD, seq, seq, 1, head.payload)
        else:  # the head and a new checkpoint after it are each other's parents
            rows[-1] = (BAD, seq, seq + 1, 1, head.payload)
            rows.append((BAD, seq + 1, seq, 1, head.payload))
    elif kind == "parent":  # a parent id after the checkpoint, or no id at all
        bad = draw(st.integers(seq, 2**62) | st.integers(-(2**63), 0) | _NOT_AN_ID)
        rows[-1] = (BAD, seq, bad, 1, head.payload)
    elif kind == "base":  # a snapshot after the checkpoint, or no id at all
        bad = draw(st.integers(seq + 1, 2**62) | st.integers(-(2**63), 0) | _NOT_AN_ID)
        rows[-1] = (BAD, seq, head.parent, bad, head.payload)
    elif kind == "payload-type":
        bad = draw(st.text() | _I | st.floats())
        rows[-1] = (BAD, seq, head.parent, head.base, bad)
    elif kind == "values":  # the head made a snapshot whose state is no dict, or no state
        fields = _record(head)
        while len(fields) < 7:
            fields.append(None)
        fields[6] = draw(st.none() | st.sampled_from([_enc([1, 2]), b"\xc1"]).map(_raw))
        rows[-1] = (BAD, seq, head.parent, seq, _enc(fields))
    elif kind == "packed":
        held: list[list[Any]] = [list(r) for r in rows]
        how = draw(st.sampled_from(["thread", "count", "types", "garbage"]))
        if how == "thread":
            held[-1][0] = GOOD[0]
        elif how == "count":
            del held[draw(st.integers(0, len(held) - 1))]
        elif how == "types":
            i = draw(st.integers(0, len(held) - 1))
            j = draw(st.sampled_from([1, 2, 3, 4]))
            held[i][j] = draw(st.text() | st.floats() | st.lists(_I, max_size=2))
        else:
            place.put_rows(BAD, [])
            with sqlite3.connect(place.path) as db:
                db.execute(schema.INSERT, (BAD, 1, seq, None, 1, b"\xc1" + draw(st.binary())))
            return kind
        place.put_packed(BAD, 1, seq, held, [])
        return kind
    else:
        column, bad = draw(
            st.sampled_from(["status", "created_at", "updated_at", "metadata", "head"]).flatmap(
                lambda c: st.tuples(st.just(c), _BAD_COLUMN[c](place.kind))
            )
        )
        place.set_thread(BAD, column, bad)
        return kind
    place.put_rows(BAD, rows)
    return kind


def _raw(b: bytes) -> msgspec.Raw:
    return msgspec.Raw(b)


# SQLite turns text that reads as a number, and a float without a fraction, into a number in
# a column of numeric affinity (and NaN into NULL): damage is what stays wrong once stored
_TEXT = st.text().map(lambda s: "x" + s)
_FRACTION = st.floats(allow_nan=False).filter(lambda f: f != f // 1)
_NOT_AN_ID = _TEXT | _FRACTION | st.binary()


def _times(kind: str) -> st.SearchStrategy[Any]:
    bad = st.sampled_from([float("inf"), float("-inf"), 1e300, -1e300])
    return bad | _TEXT | st.binary() if kind == "sqlite" else bad | _TEXT | st.none()


_BAD_COLUMN: dict[str, Callable[[str], st.SearchStrategy[Any]]] = {
    # a TEXT column keeps a number as text
    "status": lambda kind: st.binary() if kind == "sqlite" else _I | st.binary(),
    "created_at": _times,
    "updated_at": _times,
    "metadata": lambda kind: (
        st.sampled_from(
            [b"\xc1", codec.encode([1, 2]), codec.encode("text"), b"\x91" * 100_000 + b"\xc0"]
        )
        | (st.text(min_size=1) if kind == "sqlite" else _I)
    ),
    "head": lambda kind: st.integers(-(2**63), -1) | _NOT_AN_ID,
}


# -- the checks ------------------------------------------------------------------------------
async def check_only_bad_fails(place: Place, kind: str) -> None:
    graph = tutorial_builder().compile(checkpointer=place.store())
    async with graph:
        if kind == "thread":
            with pytest.raises(CorruptCheckpointError) as info:
                await graph.aget_thread(BAD)
            assert info.value.thread_id == BAD
        else:

            async def history() -> list[Any]:
                return [s async for s in graph.aget_state_history(cfg(BAD))]

            for attempt in (
                lambda: graph.aget_state(cfg(BAD)),
                history,
                lambda: graph.ainvoke({}, cfg(BAD)),
            ):
                with pytest.raises(CorruptCheckpointError, match="checkpoint") as info:
                    await attempt()
                assert info.value.thread_id == BAD
        # every other thread: listed, readable, and takes turns as before
        listed = {t.thread_id for t in await graph.alist_threads()}
        assert set(GOOD) <= listed
        assert (BAD in listed) == (kind != "thread")
        for tid in GOOD:
            state = await graph.aget_state(cfg(tid))
            assert len(state.values["messages"]) == TURNS
            assert len([s async for s in graph.aget_state_history(cfg(tid))]) == 3 * TURNS
            out = await graph.ainvoke({}, cfg(tid), durability="sync")
            assert len(out["messages"]) == TURNS + 1


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_damaged_rows_fail_their_own_thread_only(kind: str, data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as root:
        place = Place(kind, Path(root))
        bounded(lambda: write_threads(place))
        what = data.draw(damage(place), label="damage")
        bounded(lambda: check_only_bad_fails(place, what))


# -- a head past the stored checkpoints ------------------------------------------------------
@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_a_head_past_the_stored_checkpoints_reads_the_latest_one(kind: str) -> None:
    """A thread row may name a checkpoint that never got stored (a crash between the two):
    the thread reads as its latest stored checkpoint, never as an empty thread."""
    with tempfile.TemporaryDirectory() as root:
        place = Place(kind, Path(root))
        bounded(lambda: write_threads(place))
        top = place.rows(BAD)[-1].seq
        place.set_thread(BAD, "head", top + 5)

        async def check() -> None:
            graph = tutorial_builder().compile(checkpointer=place.store())
            async with graph:
                state = await graph.aget_state(cfg(BAD))
                assert len(state.values["messages"]) == TURNS
                assert state.config["configurable"]["checkpoint_id"] is not None
                out = await graph.ainvoke({}, cfg(BAD), durability="sync")
                assert len(out["messages"]) == TURNS + 1

        bounded(check)
