"""The codec: exact round trips of every type it keeps, in memory and through SQLite; the
extension registry; checkpoint records; and its error paths."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import enum
import importlib
import pickle
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any, TypedDict
from uuid import UUID

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime import END, START, StateGraph
from stores import (
    CHECKPOINT_FORMAT,
    Checkpoint,
    CorruptCheckpointError,
    MemoryStore,
    SerializationError,
    SqliteStore,
    codec,
    register_type,
)
from stores import _ext as ext

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
if str(FIXTURES) not in sys.path:
    sys.path.insert(0, str(FIXTURES))
ft = importlib.import_module("fixture_types")  # registers its types (codes 32..47)

SAMPLES = ft.samples()


class Point:
    """A type with its own encode/decode functions."""

    def __init__(self, x: int, y: int) -> None:
        self.x, self.y = x, y

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Point) and (other.x, other.y) == (self.x, self.y)

    def __hash__(self) -> int:
        return hash((self.x, self.y))


register_type(
    Point, 101, lambda p: f"{p.x},{p.y}".encode(), lambda b: Point(*map(int, b.split(b",")))
)


@dataclasses.dataclass
class Late:
    a: int
    b: list[int] = dataclasses.field(init=False, default_factory=list)


register_type(Late, 102)


@dataclasses.dataclass
class Unregistered:
    a: tuple[int, int]


class Plain(msgspec.Struct):
    a: int


class Shade(enum.Enum):
    DARK = ("d", 1)


register_type(Shade, 104)


class Opaque:
    def __eq__(self, other: object) -> bool:
        return type(other) is Opaque


@dataclasses.dataclass
class Pickled:
    inner: Opaque


def round_trip(value: Any) -> Any:
    return codec.decode(codec.encode(value))


def assert_same(got: Any, want: Any) -> None:
    diff = ft.same(got, want)
    assert diff is None, diff


# -- every type, in memory -------------------------------------------------------------------
@pytest.mark.parametrize("name", list(SAMPLES))
def test_every_kept_type_round_trips_exactly(name: str) -> None:
    value = SAMPLES[name]
    assert_same(round_trip(value), value)
    assert_same(round_trip({"nested": [value, (value,)]}), {"nested": [value, (value,)]})


def test_datetimes_keep_naivety_offset_zone_and_fold() -> None:
    paris = ft.PARIS
    first = dt.datetime(2024, 10, 27, 2, 30, tzinfo=paris)
    second = first.replace(fold=1)
    assert first.utcoffset() != second.utcoffset()  # the same wall time, twice
    for value in (first, second, dt.datetime(2024, 1, 1), dt.time(1, tzinfo=paris)):
        back = round_trip(value)
        assert (back, back.tzinfo, back.fold, back.utcoffset()) == (
            value,
            value.tzinfo,
            value.fold,
            value.utcoffset(),
        )
    assert round_trip(dt.datetime(2024, 1, 1, tzinfo=dt.UTC)).tzinfo is dt.UTC
    assert round_trip(dt.datetime(2024, 1, 1)).tzinfo is None


def test_subclasses_of_builtins_are_stored_as_their_base() -> None:
    class Stamp(dt.datetime):
        def isoformat(self, *args: Any, **kwargs: Any) -> str:
            return "not an iso date"

    class Name(str):
        def __str__(self) -> str:
            return "other"

    back = round_trip([Stamp(2024, 1, 2, 3), Name("ann"), ft.Pair(1, 2)[:1]])
    assert_same(back, [dt.datetime(2024, 1, 2, 3), "ann", (1,)])


def test_unregistered_classes_come_back_as_what_they_are_made_of() -> None:
    # documented: only registered classes come back as themselves; nothing is imported
    assert round_trip(ft.Loose.ONE) == 1
    assert_same(round_trip(Unregistered((1, 2))), {"a": (1, 2)})
    assert round_trip(Plain(3)) == {"a": 3}
    assert round_trip(bytearray(b"ab")) == b"ab"  # msgpack has one binary type


def test_registered_dataclass_keeps_fields_set_after_init() -> None:
    late = Late(1)
    late.b.append(2)
    back = round_trip(late)
    assert type(back) is Late and (back.a, back.b) == (1, [2])


@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False)
        | st.text()
        | st.binary()
        | st.datetimes(timezones=st.none() | st.timezones())
        | st.dates()
        | st.times()
        | st.timedeltas()
        | st.uuids()
        | st.decimals(allow_nan=False)
        | st.sampled_from(list(ft.Color) + list(ft.Level)),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.lists(inner, max_size=4).map(tuple)
            | st.dictionaries(st.text(max_size=5) | st.integers(-(2**63), 2**63), inner, max_size=4)
            | st.frozensets(st.integers() | st.text(max_size=5), max_size=4)
            | st.sets(st.tuples(st.integers(), st.text(max_size=3)), max_size=4)
        ),
        max_leaves=20,
    )
)
@settings(max_examples=300, deadline=None)
def test_nested_values_round_trip_exactly(value: Any) -> None:
    assert_same(round_trip(value), value)


json_like = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.floats() | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=5) | st.integers(0, 10), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(json_like)
@settings(max_examples=300, deadline=None)
def test_plain_values_are_plain_msgpack(value: Any) -> None:
    # the same bytes msgspec makes: payloads written before extension types existed decode
    # as they did, and encode_checkpoint may encode a plain state's changes with msgspec
    out = codec.encode(value)
    assert out == msgspec.msgpack.encode(value)


def test_older_payloads_decode_as_before() -> None:
    # the codec before extension types: tuples were arrays, aware datetimes msgpack timestamps
    old = msgspec.msgpack.encode({"t": (1, 2), "at": dt.datetime(2024, 1, 1, tzinfo=dt.UTC)})
    assert codec.decode(old) == {"t": [1, 2], "at": dt.datetime(2024, 1, 1, tzinfo=dt.UTC)}


# -- every type, through the runtime ---------------------------------------------------------
class State(TypedDict):
    values: dict
    items: list


def _graph(store: Any, seen: list[Any], **options: Any) -> Any:
    def first(state: State) -> dict[str, Any]:
        seen.append(state["values"])
        state["items"].append((len(state["items"]), ft.Color.RED, dt.date(2024, 1, 1)))
        return {"items": state["items"]}

    def second(state: State) -> dict[str, Any]:
        seen.append(state["items"])  # the engine's private copy of what first wrote
        return {}

    builder = StateGraph(State)
    builder.add_node("first", first)
    builder.add_node("second", second)
    builder.add_edge(START, "first")
    builder.add_edge("first", "second")
    builder.add_edge("second", END)
    return builder.compile(checkpointer=store, **options)


def _items(n: int) -> list[Any]:
    return [(i, ft.Color.RED, dt.date(2024, 1, 1)) for i in range(n)]


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
async def test_nodes_and_callers_get_exact_copies(kind: str, tmp_path: Path) -> None:
    seen: list[Any] = []
    store = MemoryStore() if kind == "memory" else SqliteStore(tmp_path / "s.db")
    async with _graph(store, seen) as graph:
        config = {"configurable": {"thread_id": "t"}}
        out = await graph.ainvoke({"values": ft.samples(), "items": []}, config)
        assert_same(seen, [SAMPLES, _items(1)])
        assert_same(out, {"values": SAMPLES, "items": _items(1)})
        assert_same((await graph.aget_state(config)).values, out)


async def test_sqlite_turns_read_back_exactly_after_reopening(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    config = {"configurable": {"thread_id": "t"}}
    meta = {"request": UUID(int=1), "at": dt.datetime(2024, 1, 1, tzinfo=ft.PARIS)}
    async with _graph(SqliteStore(path), []) as graph:
        await graph.ainvoke({"values": ft.samples(), "items": []}, {**config, "metadata": meta})
        for _ in range(3):  # deltas: each turn appends a tuple to items
            await graph.ainvoke({}, config)
    seen: list[Any] = []
    async with _graph(SqliteStore(path), seen) as graph:
        state = await graph.aget_state(config)
        assert_same(state.values, {"values": SAMPLES, "items": _items(4)})
        history = [s async for s in graph.aget_state_history(config)]
        assert [len(s.values.get("items", ())) for s in history[:3]] == [4, 4, 3]
        for snap in history:
            assert_same(snap.values.get("items", []), _items(len(snap.values.get("items", []))))
        first = history[-3]  # the input turn's first loop checkpoint
        assert_same({k: first.metadata[k] for k in meta}, meta)
        out = await graph.ainvoke({}, config)
        assert_same(out["items"], _items(5))
        assert_same(seen[0], SAMPLES)


async def test_evicted_thread_rehydrates_exactly(tmp_path: Path) -> None:
    async with _graph(SqliteStore(tmp_path / "s.db"), [], max_active=1) as graph:
        for tid in ("a", "b"):
            await graph.ainvoke(
                {"values": ft.samples(), "items": []}, {"configurable": {"thread_id": tid}}
            )
            await graph.aflush()
            graph.supervisor.sweep()
        assert graph.statistics().evictions_lru >= 1
        config = {"configurable": {"thread_id": "a"}}
        state = await graph.aget_state(config)
        assert_same(state.values, {"values": SAMPLES, "items": _items(1)})
        out = await graph.ainvoke({}, config)
        assert graph.statistics().rehydrations >= 1
        assert_same(out, {"values": SAMPLES, "items": _items(2)})


# -- checkpoint records ----------------------------------------------------------------------
def _checkpoint(**kw: Any) -> Checkpoint:
    fields: dict[str, Any] = {
        "v": CHECKPOINT_FORMAT,
        "step": 3,
        "source": "loop",
        "created_at": 1700000000.25,
        "next": ("agent", "tools"),
        "changes": [("messages", 1, ["hi"]), ("count", 0, 4)],
    }
    fields.update(kw)
    return Checkpoint(**fields)


def test_delta_checkpoint_round_trip() -> None:
    cp = _checkpoint(metadata={"user": "u1"}, extra={"pending": [1]})
    back = codec.decode_checkpoint(codec.encode_checkpoint(cp))
    assert back == cp
    assert back.values is None and back.next == ("agent", "tools")


def test_snapshot_checkpoint_keeps_values_raw() -> None:
    state = {"messages": ["a", "b"], "n": 2}
    cp = _checkpoint(changes=[], values=msgspec.Raw(codec.encode(state)))
    back = codec.decode_checkpoint(codec.encode_checkpoint(cp))
    assert isinstance(back.values, msgspec.Raw)
    assert codec.decode(back.values) == state
    assert back.step == 3 and back.metadata == {}


def test_older_shorter_payload_decodes_with_defaults() -> None:
    # a payload written before the trailing fields existed: only the required ones
    old = msgspec.msgpack.encode([1, 0, "input", 1.5, [], []])
    back = codec.decode_checkpoint(old)
    assert back.source == "input" and back.values is None and back.metadata == {}


def test_checkpoint_keeps_every_type_in_changes_metadata_and_extra() -> None:
    cp = _checkpoint(
        changes=[("values", 0, ft.samples()), ("input", 0, msgspec.Raw(codec.encode((1,))))],
        metadata={"at": [Point(3, 4)], "tags": ("a",)},
        extra={"pending": {"value": (dt.date(2024, 1, 1),)}},
    )
    back = codec.decode_checkpoint(codec.encode_checkpoint(cp))
    assert_same(back.changes[0], ("values", 0, SAMPLES))
    assert_same(back.changes[1], ("input", 0, (1,)))
    assert_same(back.metadata, {"at": [Point(3, 4)], "tags": ("a",)})
    assert_same(back.extra, {"pending": {"value": (dt.date(2024, 1, 1),)}})


def test_a_plain_checkpoint_is_msgspecs_bytes_and_a_rich_one_keeps_its_types() -> None:
    cp = _checkpoint(changes=[("messages", 1, ["b"])], metadata={"user": "ann"})
    assert codec.encode_checkpoint(cp) == msgspec.msgpack.encode(cp)  # one pass, no copy
    rich_cp = _checkpoint(changes=[("t", 0, (1, 2))], metadata={"at": dt.date(2024, 1, 2)})
    back = codec.decode_checkpoint(codec.encode_checkpoint(rich_cp))
    assert back.changes[0][2] == (1, 2)
    assert back.metadata == {"at": dt.date(2024, 1, 2)}
    big = _checkpoint(changes=[("n", 0, [2**70])])
    assert codec.decode_checkpoint(codec.encode_checkpoint(big)).changes[0][2] == [2**70]


# -- the registry ----------------------------------------------------------------------------
def test_register_type_checks_its_arguments() -> None:
    with pytest.raises(ValueError, match=r"32\.\.127, got 128"):
        register_type(complex, 128, bytes, complex)
    with pytest.raises(ValueError, match="reserved"):
        register_type(complex, 5, bytes, complex)
    with pytest.raises(ValueError, match="already registered for Point"):
        register_type(complex, 101, bytes, complex)
    with pytest.raises(ValueError, match="stored exactly without registration"):
        register_type(tuple, 103)
    with pytest.raises(TypeError, match="both encode and decode"):
        register_type(complex, 103, bytes)
    with pytest.raises(TypeError, match="needs encode and decode"):
        register_type(complex, 103)
    # registering a type again with its own code is allowed (a reload)
    register_type(
        Point, 101, lambda p: f"{p.x},{p.y}".encode(), lambda b: Point(*map(int, b.split(b",")))
    )
    assert round_trip(Point(5, 6)) == Point(5, 6)


def test_derived_codec_for_an_enum_keeps_a_tuple_value() -> None:
    assert round_trip([Shade.DARK]) == [Shade.DARK]
    assert Shade.DARK.value == ("d", 1)


def test_pickle_is_an_explicit_per_type_choice() -> None:
    with pytest.raises(SerializationError):
        codec.encode_value(Opaque())  # never pickled unless registered so
    register_type(Pickled, 105, pickle.dumps, pickle.loads)
    assert round_trip(Pickled(Opaque())) == Pickled(Opaque())


# -- errors ----------------------------------------------------------------------------------
def test_serialization_error_names_the_key_path() -> None:
    value = {"messages": ["ok", {"meta": {"when": (dt.date(2024, 1, 1),), "bad": object()}}]}
    with pytest.raises(SerializationError) as info:
        codec.encode_value(value, what="state", thread_id="t1")
    err = info.value
    assert err.path == "state['messages'][1]['meta']['bad']"
    assert err.thread_id == "t1" and "object" in str(err)
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.path, copy.thread_id, type(copy)) == (err.path, "t1", SerializationError)
    with pytest.raises(SerializationError) as info:
        codec.encode_value({"t": ("a", {1, 2}, [object()])}, what="state")
    assert info.value.path == "state['t'][2][0]"
    with pytest.raises(SerializationError) as info:
        codec.encode_value({"t": {object(): 1}}, what="state")
    assert info.value.path.startswith("state['t'] key <object object")
    with pytest.raises(SerializationError) as info:  # keys are plain msgpack: 64-bit ints
        codec.encode_value({"t": {2**64: 1}}, what="state")
    assert info.value.path == f"state['t'] key {2**64}"


async def test_unserializable_write_fails_the_turn_and_keeps_the_session(tmp_path: Path) -> None:
    class Chat(TypedDict):
        messages: list

    def node(state: Chat) -> dict[str, Any]:
        return {"messages": [*state["messages"], ("user", object())]}

    builder = StateGraph(Chat)
    builder.add_node("node", node)
    builder.add_edge(START, "node")
    builder.add_edge("node", END)
    config = {"configurable": {"thread_id": "t"}}
    async with builder.compile(checkpointer=SqliteStore(tmp_path / "s.db")) as graph:
        await graph.aupdate_state(config, {"messages": [("a", 1), ("b", 2), ("c", 3)]})
        before = await graph.aget_state(config)
        with pytest.raises(SerializationError) as info:
            await graph.ainvoke({}, config)
        assert info.value.path == "state['messages'][3][1]" and info.value.node == "node"
        after = await graph.aget_state(config)
        assert_same(after.values, before.values)


@pytest.mark.parametrize("code", [0, 12, 31, 77, 127])
def test_unknown_extension_codes_are_corrupt_data(code: int) -> None:
    payload = msgspec.msgpack.encode({"x": msgspec.msgpack.Ext(code, b"\x93\x01\x02\x03")})
    with pytest.raises(CorruptCheckpointError, match=f"unknown extension code {code}"):
        codec.decode(payload)
    raw = msgspec.msgpack.encode(
        [1, 0, "input", 1.0, [], [["c", 0, msgspec.msgpack.Ext(code, b"")]]]
    )
    with pytest.raises(CorruptCheckpointError, match=f"unknown extension code {code}") as info:
        codec.decode_checkpoint(raw, thread_id="t", seq=4)
    assert info.value.thread_id == "t" and "checkpoint 4" in str(info.value)


def test_stored_names_are_never_imported() -> None:
    # what a pickle-style codec would store to rebuild a class: module and name
    name = "session_actors_never_imported_module"
    for code in range(32):
        payload = msgspec.msgpack.encode(msgspec.msgpack.Ext(code, codec.encode([name, "X", {}])))
        # not a code the codec knows, or not its layout: refused either way
        with contextlib.suppress(CorruptCheckpointError):
            codec.decode(payload)
    assert name not in sys.modules


@pytest.mark.parametrize(
    ("code", "data"),
    [(ext._UUID, b"short"), (ext._DATETIME, b"not a date"), (ext._TIMEDELTA, b"\x00"), (101, b"x")],
)
def test_bad_extension_bytes_are_corrupt_data(code: int, data: bytes) -> None:
    payload = msgspec.msgpack.encode([msgspec.msgpack.Ext(code, data)])
    with pytest.raises(CorruptCheckpointError, match=f"code {code}"):
        codec.decode(payload)


async def test_a_type_not_registered_when_reading_is_a_corrupt_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Chat(TypedDict):
        messages: list

    builder = StateGraph(Chat)
    builder.add_node("node", lambda state: {})
    builder.add_edge(START, "node")
    builder.add_edge("node", END)
    path = tmp_path / "s.db"
    config = {"configurable": {"thread_id": "t"}}
    async with builder.compile(checkpointer=SqliteStore(path)) as graph:
        await graph.ainvoke({"messages": [Point(1, 2)]}, config)
    monkeypatch.delitem(ext._decoders, 101)  # a process that never registered Point
    async with builder.compile(checkpointer=SqliteStore(path)) as graph:
        with pytest.raises(CorruptCheckpointError, match="unknown extension code 101") as info:
            await graph.aget_state(config)
        assert info.value.thread_id == "t"


@pytest.mark.parametrize(
    "payload",
    [b"", b"\xc1", b"not msgpack at all", msgspec.msgpack.encode([1, 2, 3]), b"\x96\x01"],
)
def test_garbage_is_a_corrupt_checkpoint(payload: bytes) -> None:
    with pytest.raises(CorruptCheckpointError) as info:
        codec.decode_checkpoint(payload, thread_id="t", seq=7)
    assert info.value.thread_id == "t" and "checkpoint 7" in str(info.value)


def test_decimal_and_uuid_keep_their_exact_form() -> None:
    for value in (Decimal("1.10"), Decimal("-0"), Decimal("Infinity"), Decimal("1E+3")):
        assert str(round_trip(value)) == str(value)
    assert str(round_trip(Decimal("NaN"))) == "NaN"
    assert round_trip(UUID(int=0)) == UUID(int=0)
