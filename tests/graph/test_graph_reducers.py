"""add_messages without langchain: LangGraph's merge rules on dict and object messages.

``runtime.graph.message.add_messages`` uses this implementation only when langchain_core cannot
be imported (tests/graph/test_graph_messages.py checks that choice in a subprocess); here it is
called directly, since langchain_core is installed in the test environment.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any, get_type_hints

import msgspec
import pytest

from runtime.graph import message
from runtime.graph._plain_messages import MessagesState, RemoveMessage, merge
from runtime.graph.message import REMOVE_ALL_MESSAGES


def msg(content: str, id: str | None = None, role: str = "user") -> dict[str, Any]:
    m: dict[str, Any] = {"role": role, "content": content}
    if id is not None:
        m["id"] = id
    return m


@dataclasses.dataclass
class Obj:
    content: str
    id: str | None = None


@dataclasses.dataclass(frozen=True)
class FrozenObj:
    content: str
    id: str | None = None


class StructMsg(msgspec.Struct, frozen=True):
    content: str
    id: str | None = None


def test_appends_in_order() -> None:
    out = merge([msg("a", "1")], [msg("b", "2"), msg("c", "3")])
    assert [m["content"] for m in out] == ["a", "b", "c"]


def test_assigns_unique_string_ids_without_mutating_inputs() -> None:
    left = [msg("a")]
    right = [msg("b"), msg("c")]
    before = copy.deepcopy((left, right))
    out = merge(left, right)
    ids = [m["id"] for m in out]
    assert all(isinstance(i, str) and len(i) == 36 for i in ids)
    assert len(set(ids)) == 3
    assert (left, right) == before  # dicts are copied, never given an id in place


def test_existing_ids_are_kept() -> None:
    out = merge([], [msg("a", "keep-me")])
    assert out[0]["id"] == "keep-me"


def test_replaces_by_id_in_place() -> None:
    left = [msg("a", "1"), msg("b", "2"), msg("c", "3")]
    out = merge(left, [msg("B!", "2"), msg("d", "4")])
    assert [(m["id"], m["content"]) for m in out] == [
        ("1", "a"),
        ("2", "B!"),
        ("3", "c"),
        ("4", "d"),
    ]
    assert left[1]["content"] == "b"


def test_returns_new_list_and_leaves_left_alone() -> None:
    left = [msg("a", "1")]
    out = merge(left, [msg("b", "2")])
    assert out is not left
    assert left == [msg("a", "1")]


def test_single_messages_are_accepted_on_both_sides() -> None:
    out = merge(msg("a", "1"), msg("b", "2"))
    assert [m["id"] for m in out] == ["1", "2"]


def test_string_and_tuple_shorthands_become_dicts() -> None:
    out = merge([], ["hi", ("assistant", "hello")])
    assert [(m["role"], m["content"]) for m in out] == [("user", "hi"), ("assistant", "hello")]
    assert all("id" in m for m in out)


def test_remove_message() -> None:
    left = [msg("a", "1"), msg("b", "2"), msg("c", "3")]
    out = merge(left, [RemoveMessage("2")])
    assert [m["id"] for m in out] == ["1", "3"]


def test_remove_missing_id_raises() -> None:
    with pytest.raises(ValueError, match="'nope'"):
        merge([msg("a", "1")], [RemoveMessage("nope")])


def test_removed_then_readded_in_same_update_survives() -> None:
    out = merge([msg("a", "1")], [RemoveMessage("1"), msg("A", "1")])
    assert [(m["id"], m["content"]) for m in out] == [("1", "A")]


def test_added_then_removed_in_same_update_is_gone() -> None:
    out = merge([msg("a", "1")], [msg("b", "2"), RemoveMessage("2")])
    assert [m["id"] for m in out] == ["1"]


def test_remove_all_keeps_only_what_follows() -> None:
    left = [msg("a", "1"), msg("b", "2")]
    out = merge(left, [msg("x", "9"), RemoveMessage(REMOVE_ALL_MESSAGES), msg("c", "3")])
    assert [m["id"] for m in out] == ["3"]
    assert len(left) == 2


def test_remove_as_decoded_dict_still_removes() -> None:
    # What a RemoveMessage becomes after a msgpack round trip through the store.
    decoded = msgspec.msgpack.decode(msgspec.msgpack.encode(RemoveMessage("2")))
    assert decoded == {"id": "2", "type": "remove"}
    out = merge([msg("a", "1"), msg("b", "2")], [decoded])
    assert [m["id"] for m in out] == ["1"]


def test_remove_message_repr_and_equality() -> None:
    assert repr(RemoveMessage("x")) == "RemoveMessage(id='x')"
    assert RemoveMessage("x") == RemoveMessage("x")
    assert RemoveMessage("x") != RemoveMessage("y")


def test_object_messages_get_id_attribute_set() -> None:
    o = Obj("a")
    out = merge([], [o])
    assert out[0] is o
    assert isinstance(o.id, str)


def test_object_messages_replace_by_id() -> None:
    out = merge([Obj("a", "1"), Obj("b", "2")], [Obj("B", "2")])
    assert [(m.id, m.content) for m in out] == [("1", "a"), ("2", "B")]


@pytest.mark.parametrize("cls", [FrozenObj, StructMsg])
def test_immutable_object_messages_are_copied_with_an_id(cls: type) -> None:
    original = cls("a")
    out = merge([], [original])
    assert original.id is None
    assert out[0].content == "a"
    assert isinstance(out[0].id, str)


def test_mixed_dicts_and_objects() -> None:
    out = merge([msg("a", "1")], [Obj("b", "2"), msg("A", "1")])
    assert [m["content"] if isinstance(m, dict) else m.content for m in out] == ["A", "b"]


def test_message_without_id_attribute_is_rejected() -> None:
    with pytest.raises(TypeError, match="cannot merge int"):
        merge([], [42])


def test_messages_state_uses_add_messages() -> None:
    hint = get_type_hints(MessagesState, include_extras=True)["messages"]
    assert hint.__metadata__[-1] is message.add_messages


# -- against LangGraph ---------------------------------------------------------------------


def _lg_view(messages: list[Any]) -> list[tuple[str, Any]]:
    return [(m.id, m.content) for m in messages]


def _our_view(messages: list[Any]) -> list[tuple[str, Any]]:
    return [(m["id"], m["content"]) for m in messages]


REMOVE_ALL = {"type": "remove", "id": REMOVE_ALL_MESSAGES}
CASES: list[tuple[str, list[dict[str, Any]], list[Any]]] = [
    ("append", [msg("a", "1")], [msg("b", "2")]),
    ("replace", [msg("a", "1"), msg("b", "2")], [msg("B", "2"), msg("c", "3")]),
    ("replace twice", [msg("a", "1")], [msg("x", "1"), msg("y", "1")]),
    ("duplicate new ids", [], [msg("x", "5"), msg("y", "5")]),
    ("remove", [msg("a", "1"), msg("b", "2")], [{"type": "remove", "id": "1"}]),
    ("remove+readd", [msg("a", "1")], [{"type": "remove", "id": "1"}, msg("z", "1")]),
    ("remove all", [msg("a", "1")], [msg("q", "7"), REMOVE_ALL]),
    ("remove all, keep tail", [msg("a", "1")], [REMOVE_ALL, msg("t", "8")]),
]


@pytest.mark.parametrize(("name", "left", "right"), CASES, ids=[c[0] for c in CASES])
def test_matches_langgraph_on_dicts(name: str, left: list[Any], right: list[Any]) -> None:
    from langgraph.graph.message import add_messages as lg_add_messages

    # LangGraph needs content on a remove dict; ours ignores it.
    lg_right = [{**m, "content": ""} if m.get("type") == "remove" else m for m in right]
    ours = merge(copy.deepcopy(left), copy.deepcopy(right))
    theirs = lg_add_messages(copy.deepcopy(left), lg_right)
    assert _our_view(ours) == _lg_view(theirs)


def test_matches_langgraph_on_missing_remove_target() -> None:
    from langgraph.graph.message import add_messages as lg_add_messages

    with pytest.raises(ValueError) as lg_error:
        lg_add_messages([msg("a", "1")], [{"type": "remove", "id": "zz", "content": ""}])
    with pytest.raises(ValueError) as our_error:
        merge([msg("a", "1")], [RemoveMessage("zz")])
    assert str(our_error.value) == str(lg_error.value)


def test_matches_langgraph_on_id_assignment_shape() -> None:
    from langgraph.graph.message import add_messages as lg_add_messages

    ours = merge([msg("a")], [msg("b")])
    theirs = lg_add_messages([msg("a")], [msg("b")])
    assert [len(m["id"]) for m in ours] == [len(m.id) for m in theirs]
    assert [m["content"] for m in ours] == [m.content for m in theirs]
