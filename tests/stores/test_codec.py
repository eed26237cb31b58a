"""The codec: checkpoint round trips, the extension registry, and its two error paths."""

from __future__ import annotations

import datetime
import pickle

import msgspec
import pytest

from stores import (
    CHECKPOINT_FORMAT,
    Checkpoint,
    CorruptCheckpointError,
    SerializationError,
    codec,
    register_type,
)


class Point:
    """A type msgspec cannot encode by itself."""

    def __init__(self, x: int, y: int) -> None:
        self.x, self.y = x, y

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Point) and (other.x, other.y) == (self.x, self.y)

    def __hash__(self) -> int:
        return hash((self.x, self.y))


register_type(
    Point, 101, lambda p: f"{p.x},{p.y}".encode(), lambda b: Point(*map(int, b.split(b",")))
)


def _checkpoint(**kw: object) -> Checkpoint:
    fields: dict[str, object] = {
        "v": CHECKPOINT_FORMAT,
        "step": 3,
        "source": "loop",
        "created_at": 1700000000.25,
        "next": ("agent", "tools"),
        "changes": [("messages", 1, ["hi"]), ("count", 0, 4)],
    }
    fields.update(kw)
    return Checkpoint(**fields)  # type: ignore[arg-type]


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


def test_registered_type_round_trips_inside_a_checkpoint() -> None:
    cp = _checkpoint(changes=[("where", 0, Point(1, 2))], metadata={"at": [Point(3, 4)]})
    back = codec.decode_checkpoint(codec.encode_checkpoint(cp))
    assert back.changes[0][2] == Point(1, 2) and back.metadata["at"] == [Point(3, 4)]
    assert codec.decode(codec.encode({"p": Point(5, 6)})) == {"p": Point(5, 6)}


def test_register_type_checks_codes() -> None:
    with pytest.raises(ValueError, match=r"0\.\.127"):
        register_type(complex, 128, bytes, complex)
    with pytest.raises(ValueError, match="already registered"):
        register_type(complex, 101, bytes, complex)
    register_type(Point, 101, lambda p: f"{p.x},{p.y}".encode(), lambda b: Point(1, 1))
    register_type(
        Point, 101, lambda p: f"{p.x},{p.y}".encode(), lambda b: Point(*map(int, b.split(b",")))
    )


def test_serialization_error_names_the_key_path() -> None:
    value = {"messages": ["ok", {"meta": {"when": datetime.date(2024, 1, 1), "bad": object()}}]}
    with pytest.raises(SerializationError) as info:
        codec.encode_value(value, what="state", thread_id="t1")
    err = info.value
    assert err.path == "state['messages'][1]['meta']['bad']"
    assert err.thread_id == "t1" and "object" in str(err)
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.path, copy.thread_id, type(copy)) == (err.path, "t1", SerializationError)


@pytest.mark.parametrize(
    "payload",
    [b"", b"\xc1", b"not msgpack at all", msgspec.msgpack.encode([1, 2, 3]), b"\x96\x01"],
)
def test_garbage_is_a_corrupt_checkpoint(payload: bytes) -> None:
    with pytest.raises(CorruptCheckpointError) as info:
        codec.decode_checkpoint(payload, thread_id="t", seq=7)
    assert info.value.thread_id == "t" and "checkpoint 7" in str(info.value)


def test_unknown_extension_is_a_corrupt_checkpoint() -> None:
    raw = msgspec.msgpack.encode([1, 0, "input", 1.0, [], [["c", 0, msgspec.msgpack.Ext(77, b"")]]])
    with pytest.raises(CorruptCheckpointError, match="unknown extension code 77"):
        codec.decode_checkpoint(raw)
