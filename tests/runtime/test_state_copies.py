"""Private copies of a thread's state: exact, never sharing a mutable object with the head."""

from __future__ import annotations

import enum
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.engine.state import ThreadState
from stores import codec
from stores.records import APPEND, SET

atoms = st.one_of(
    st.text(max_size=5),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
    st.binary(max_size=4),
)
values = st.recursive(
    atoms,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=8,
)
channels = st.sampled_from(["a", "b", "c"])
# a change: set a channel, or append items to it (when it holds a list)
changes = st.lists(
    st.tuples(channels, st.booleans(), st.lists(values, max_size=3) | values),
    min_size=1,
    max_size=12,
)


def _containers(value: Any, out: dict[int, Any]) -> dict[int, Any]:
    if isinstance(value, list | dict):
        out[id(value)] = value
        for v in value.values() if isinstance(value, dict) else value:
            _containers(v, out)
    return out


def _commit(head: ThreadState, ch: str, append: bool, value: Any) -> None:
    new = dict(head.values)
    old = new.get(ch)
    if append and type(old) is list and type(value) is list:
        new[ch] = [*old, *value]
        change = (ch, APPEND, value)
    else:
        new[ch] = value
        change = (ch, SET, value)
    head.commit(
        new,
        [change],
        None,
        step=head.step + 1,
        source="loop",
        next_nodes=(),
        metadata={},
        tasks=[],
        extra={},
    )


@settings(max_examples=150, deadline=None)
@given(changes)
def test_copies_equal_a_codec_round_trip_and_share_nothing_mutable(
    steps: list[tuple[str, bool, Any]],
) -> None:
    head = ThreadState("t")
    for ch, append, value in steps:
        _commit(head, ch, append, value)
        copy = head.copy_values()
        assert copy == codec.decode(codec.encode(head.values))
        assert copy is not head.values
        shared = _containers(head.values, {}).keys() & _containers(copy, {}).keys()
        assert not shared, "a copy shares a list or dict with the head"
    # and after a rehydration (reset) the same holds
    again = ThreadState("t")
    again.reset(codec.decode(codec.encode(head.values)))
    assert again.copy_values() == head.copy_values()


def test_appending_a_mutable_item_to_a_flat_list_makes_its_copies_deep() -> None:
    head = ThreadState("t")
    _commit(head, "messages", False, ["hi"])
    _commit(head, "messages", True, [{"role": "ai"}])
    copy = head.copy_values()
    copy["messages"][1]["role"] = "changed"
    assert head.values["messages"][1] == {"role": "ai"}
    # set back to a flat list: shallow again, still private
    _commit(head, "messages", False, ["a", "b"])
    copy = head.copy_values()
    copy["messages"].append("c")
    assert head.values["messages"] == ["a", "b"]


def test_subclasses_of_atoms_go_through_the_codec() -> None:
    class Level(enum.IntEnum):
        LOW = 1

    head = ThreadState("t")
    _commit(head, "levels", False, [1])
    assert "levels" in head._shallow
    _commit(head, "levels", True, [Level.LOW])
    assert "levels" in head._deep  # an int subclass is not an atom: no sharing by type alone


def test_lists_of_flat_dicts_are_copied_dict_by_dict_until_one_nests() -> None:
    head = ThreadState("t")
    _commit(head, "messages", False, [{"role": "user", "content": "hi", "id": "1"}])
    _commit(head, "messages", True, [{"role": "ai", "content": "yo", "id": "2", "n": 3}])
    assert "messages" in head._dicts and not head._deep
    copy = head.copy_values()
    copy["messages"][0]["content"] = "changed"
    copy["messages"].append({})
    assert head.values["messages"] == [
        {"role": "user", "content": "hi", "id": "1"},
        {"role": "ai", "content": "yo", "id": "2", "n": 3},
    ]
    _commit(head, "messages", True, [{"role": "ai", "tool_calls": [{"name": "f"}]}])
    assert "messages" in head._deep and "messages" not in head._dicts
    copy = head.copy_values()
    copy["messages"][2]["tool_calls"][0]["name"] = "g"
    assert head.values["messages"][2]["tool_calls"] == [{"name": "f"}]
