"""add_messages with langchain-core: LangGraph 1.2's results, exactly.

Every merge runs through ``langgraph.graph.message.add_messages`` (the oracle) and ours on deep
copies of the same inputs, compared with generated ids labelled (tests/graph/message_views.py);
generated ids are checked to be uuid4 strings and, within a result, distinct (labels follow the
order of first appearance, so equal outcomes also mean the same messages share ids on both
sides). Besides the result the comparison covers what the merge did to its inputs (LangGraph
sets ids on the message objects it was given) and which result items are the very objects given
(``("left", i)``/``("right", i)``). Names and imports: test_graph_messages_names.py; graphs:
test_graph_messages_graph.py.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from typing import Annotated, Any, TypedDict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

lc = pytest.importorskip("langchain_core.messages")
lg_message = pytest.importorskip("langgraph.graph.message")

from langchain_core.messages import (  # noqa: E402
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    HumanMessageChunk,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
)

from runtime.graph.message import REMOVE_ALL_MESSAGES, add_messages  # noqa: E402
from tests.graph.message_views import Ids, given_ids, view  # noqa: E402

Merge = Callable[..., Any]


# -- running both and comparing ------------------------------------------------------------------


def outcome(merge: Merge, left: Any, right: Any, ids: Ids, **kwargs: Any) -> Any:
    """What a user of ``merge`` observes: the result (or error) and the inputs afterwards."""
    left, right = copy.deepcopy(left), copy.deepcopy(right)
    origin: dict[int, Any] = {}
    for side, items in (("left", left), ("right", right)):
        for i, m in enumerate(items if isinstance(items, list) else [items]):
            origin.setdefault(id(m), (side, i))
    try:
        result = merge(left, right, **kwargs)
    except Exception as exc:
        return ("raised", type(exc), str(exc))
    assert type(result) is list
    return ("ok", view(result, ids, origin), view((left, right), ids))


def assert_same(left: Any, right: Any, **kwargs: Any) -> list[Any]:
    given = given_ids(left, right)
    theirs_ids, our_ids = Ids(given), Ids(given)
    theirs = outcome(lg_message.add_messages, left, right, theirs_ids, **kwargs)
    ours = outcome(add_messages, left, right, our_ids, **kwargs)
    assert ours == theirs
    result: list[Any] = ours[1] if ours[0] == "ok" else []
    generated = [f["id"] for _, f, _ in result if str(f["id"]).startswith("#")]
    assert len(generated) == len(set(generated)), generated
    return result


# -- hand-written cases (LangGraph's docs and the shapes its tests use) --------------------------


def h(content: str, id: str | None = None) -> HumanMessage:
    return HumanMessage(content=content, id=id)


def a(content: str, id: str | None = None, **kw: Any) -> AIMessage:
    return AIMessage(content=content, id=id, **kw)


TOOL_CALL = {"name": "search", "args": {"query": "X"}, "id": "call-1", "type": "tool_call"}
OPENAI_CALL = {
    "id": "call-2",
    "type": "function",
    "function": {"name": "search", "arguments": '{"query": "Y"}'},
}
IMAGE_BLOCKS = [
    {"type": "text", "text": "Here's an image:", "cache_control": {"type": "ephemeral"}},
    {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "1234"}},
]

CASES: dict[str, tuple[Any, Any, dict[str, Any]]] = {
    "docs: basic": ([h("Hello", "1")], [a("Hi there!", "2")], {}),
    "docs: overwrite": ([h("Hello", "1")], [h("Hello again", "1")], {}),
    "single on both sides": (h("x", "1"), a("y", "2"), {}),
    "single without ids": (h("x"), a("y"), {}),
    "missing ids on both sides": ([h("a"), a("b")], [h("c"), a("d")], {}),
    "empty update": ([h("a", "1")], [], {}),
    "empty left": ([], [h("a")], {}),
    "string": ([], "hello", {}),
    "tuples": ([], [("user", "q"), ("assistant", "r"), ("system", "s"), ("ai", "t")], {}),
    "openai dicts": (
        [],
        [
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": "", "tool_calls": [OPENAI_CALL]},
            {"role": "tool", "content": "sunny", "tool_call_id": "call-2", "id": "t1"},
            {"role": "developer", "content": "be brief"},
        ],
        {},
    ),
    "type dicts": (
        [],
        [{"type": "human", "content": "q", "id": "d1"}, {"type": "ai", "content": "r"}],
        {},
    ),
    "dict left coerced": ([{"role": "user", "content": "a", "id": "1"}], [h("b", "2")], {}),
    "tuple left": ([("user", "a")], [("assistant", "b")], {}),
    "chunks become messages": (
        [AIMessageChunk(content="partial", id="c1")],
        [AIMessageChunk(content="more", id="c2"), HumanMessageChunk(content="q")],
        {},
    ),
    "chunk replaces by id": ([a("old", "c1")], [AIMessageChunk(content="new", id="c1")], {}),
    "tool calls kept": (
        [],
        [a("", "x", tool_calls=[TOOL_CALL]), ToolMessage("r", tool_call_id="call-1")],
        {},
    ),
    "replace keeps position": (
        [h("a", "1"), a("b", "2"), h("c", "3")],
        [a("B", "2"), h("d", "4")],
        {},
    ),
    "same id twice in update": ([h("a", "1")], [a("x", "5"), a("y", "5")], {}),
    "replace twice": ([h("a", "1")], [h("x", "1"), h("y", "1")], {}),
    "duplicate ids in left": ([h("a", "1"), h("b", "1")], [h("c", "1")], {}),
    "duplicate ids in left, removed": (
        [h("a", "1"), h("b", "1"), h("c", "2")],
        [RemoveMessage(id="1")],
        {},
    ),
    "remove": ([h("a", "1"), a("b", "2")], [RemoveMessage(id="1")], {}),
    "remove single": ([h("a", "1"), a("b", "2")], RemoveMessage(id="2"), {}),
    "remove then re-add": ([h("a", "1")], [RemoveMessage(id="1"), h("z", "1")], {}),
    "add then remove": ([h("a", "1")], [h("b", "2"), RemoveMessage(id="2")], {}),
    "remove missing id": ([h("a", "1")], [RemoveMessage(id="nope")], {}),
    "remove from empty": ([], [RemoveMessage(id="1")], {}),
    "remove all": ([h("a", "1"), a("b", "2")], [RemoveMessage(id=REMOVE_ALL_MESSAGES)], {}),
    "remove all keeps tail": (
        [h("a", "1")],
        [h("q", "7"), RemoveMessage(id=REMOVE_ALL_MESSAGES), h("t", "8"), ("user", "u")],
        {},
    ),
    "remove all twice": (
        [h("a", "1")],
        [
            RemoveMessage(id=REMOVE_ALL_MESSAGES),
            h("x"),
            RemoveMessage(id=REMOVE_ALL_MESSAGES),
            h("y"),
        ],
        {},
    ),
    "remove all still ids left": ([h("a")], [RemoveMessage(id=REMOVE_ALL_MESSAGES)], {}),
    "remove as dict with content": (
        [h("a", "1")],
        [{"type": "remove", "id": "1", "content": ""}],
        {},
    ),
    "system message": ([SystemMessage("sys", id="s")], [h("hi")], {}),
    "format openai": (
        [],
        [{"role": "user", "content": IMAGE_BLOCKS}],
        {"format": "langchain-openai"},
    ),
    "format openai tool calls": (
        [h("q", "1")],
        [a("", "2", tool_calls=[TOOL_CALL]), ToolMessage("r", tool_call_id="call-1", id="3")],
        {"format": "langchain-openai"},
    ),
    "format with remove all": (
        [h("a", "1")],
        [RemoveMessage(id=REMOVE_ALL_MESSAGES), h("b")],
        {"format": "langchain-openai"},
    ),
    "unknown format": ([h("a", "1")], [h("b", "2")], {"format": "anthropic"}),
    "unknown format with remove all": (
        [h("a", "1")],
        [RemoveMessage(id=REMOVE_ALL_MESSAGES)],
        {"format": "anthropic"},
    ),
    "bad: int": ([], [42], {}),
    "bad: int in left": ([42], [h("a")], {}),
    "bad: dict without content": ([], [{"role": "user"}], {}),
    "bad: unknown role": ([], [("robot", "beep")], {}),
    "bad: triple": ([], [("user", "a", "b")], {}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_matches_langgraph(case: str) -> None:
    left, right, kwargs = CASES[case]
    assert_same(left, right, **kwargs)


def test_cases_cover_results_and_errors() -> None:
    # The table must exercise both: a differential test that only ever raises proves little.
    raised = {
        name
        for name, (left, right, kw) in CASES.items()
        if outcome(add_messages, left, right, Ids(given_ids(left, right)), **kw)[0] == "raised"
    }
    # LangGraph checks ``format`` only after a merge that did not remove everything.
    expected = {n for n in CASES if n.startswith(("bad", "remove missing", "remove from"))}
    assert raised == expected | {"unknown format"}


def test_messages_become_objects() -> None:
    out = add_messages([], [("user", "hi"), {"role": "assistant", "content": "hello"}, "bye"])
    assert [type(m) for m in out] == [HumanMessage, AIMessage, HumanMessage]
    assert [m.type for m in out] == ["human", "ai", "human"]
    assert out[1].content == "hello"


def test_given_ids_are_kept_and_generated_ones_are_fresh_uuid4s() -> None:
    out = add_messages([h("a", "keep")], [h("b"), h("c"), a("d", "mine")])
    assert [out[0].id, out[3].id] == ["keep", "mine"]
    generated = [out[1].id, out[2].id]
    assert all(uuid.UUID(i).version == 4 for i in generated)
    assert len(set(generated)) == 2


def test_ids_are_set_on_the_given_objects() -> None:
    # LangGraph sets ids in place; a node that keeps its message sees the id it was given.
    mine = a("reply")
    out = add_messages([h("a", "1")], [mine])
    assert out[1] is mine and isinstance(mine.id, str)


def test_remove_missing_id_error() -> None:
    with pytest.raises(
        ValueError, match=r"^Attempting to delete a message with an ID that doesn't exist \('zz'\)$"
    ):
        add_messages([h("a", "1")], [RemoveMessage(id="zz")])


# -- the add_messages(format=...) form and argument errors ---------------------------------------


def call_forms(fn: Merge) -> list[Any]:
    out: list[Any] = []
    for args, kwargs in [
        ((), {"left": [h("a", "1")]}),
        ((), {"right": [h("a", "1")]}),
        (([],), {}),
        ((None, [h("a", "1")]), {}),
        ((), {"left": [], "right": None}),
    ]:
        try:
            fn(*args, **kwargs)
        except Exception as exc:
            out.append((type(exc), str(exc)))
        else:
            out.append("returned")
    return out


def test_one_sided_calls_fail_as_in_langgraph() -> None:
    assert call_forms(add_messages) == call_forms(lg_message.add_messages)


def test_format_partial_is_a_reducer() -> None:
    ours, theirs = (
        add_messages(format="langchain-openai"),
        lg_message.add_messages(format="langchain-openai"),
    )
    assert callable(ours)
    left, right = [h("q", "1")], [{"role": "user", "content": IMAGE_BLOCKS}]
    ids = given_ids(left, right)
    assert outcome(ours, left, right, Ids(ids)) == outcome(theirs, left, right, Ids(ids))
    plain_ours, plain_theirs = add_messages(), lg_message.add_messages()
    assert outcome(plain_ours, left, right, Ids(ids)) == outcome(
        plain_theirs, left, right, Ids(ids)
    )


def test_format_partial_in_a_schema() -> None:
    from runtime.graph.schema import inspect_schema

    class State(TypedDict):
        messages: Annotated[list, add_messages(format="langchain-openai")]

    reducer = inspect_schema(State).channels["messages"].reducer
    assert reducer is not None
    out = reducer([], [{"role": "user", "content": IMAGE_BLOCKS}])
    assert out[0].content[1] == {
        "type": "image_url",
        "image_url": {"url": "data:image/jpeg;base64,1234"},
    }


# -- hypothesis: sequences of updates --------------------------------------------------------------

ID_POOL = ["a", "b", "c", "d"]
ids_or_none = st.sampled_from([None, *ID_POOL])
text = st.sampled_from(["", "hi", "more", "x" * 20])


@st.composite
def message_like(draw: st.DrawFn) -> Any:
    kind = draw(st.integers(0, 11))
    mid, content = draw(ids_or_none), draw(text)
    if kind == 0:
        return HumanMessage(content=content, id=mid)
    if kind == 1:
        calls = draw(st.sampled_from([[], [TOOL_CALL]]))
        return AIMessage(content=content, id=mid, tool_calls=calls)
    if kind == 2:
        return SystemMessage(content=content, id=mid)
    if kind == 3:
        return ToolMessage(content=content, tool_call_id="call-1", id=mid)
    if kind == 4:
        return draw(st.sampled_from([AIMessageChunk, HumanMessageChunk]))(content=content, id=mid)
    if kind == 5:
        role = draw(st.sampled_from(["user", "assistant", "system", "human", "ai"]))
        d: dict[str, Any] = {"role": role, "content": content}
        if mid is not None:
            d["id"] = mid
        return d
    if kind == 6:
        return (draw(st.sampled_from(["user", "assistant", "ai", "human"])), content)
    if kind == 7:
        return content or "empty"
    if kind in (8, 9):
        return RemoveMessage(id=draw(st.sampled_from([*ID_POOL, REMOVE_ALL_MESSAGES])))
    if kind == 10:
        return draw(st.sampled_from([42, {"role": "user"}, ("robot", "beep")]))  # invalid
    # an id already generated by an earlier merge: edits of a message the graph made
    return "__earlier__"


updates = st.one_of(message_like(), st.lists(message_like(), max_size=5))


def resolve_earlier(update: Any, state: list[Any], pick: int) -> Any:
    """Replace ``"__earlier__"`` by an edit of a message from ``state`` (same id, new text)."""

    def one(m: Any) -> Any:
        if m != "__earlier__":
            return m
        made = [m for m in state if isinstance(m, BaseMessage) and m.id is not None]
        if not made:
            return "no earlier message"
        return AIMessage(content="edited", id=made[pick % len(made)].id)

    return [one(m) for m in update] if isinstance(update, list) else one(update)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    start=st.one_of(st.lists(message_like(), max_size=5), message_like()),
    steps=st.lists(st.tuples(updates, st.integers(0, 10)), min_size=1, max_size=6),
    fmt=st.sampled_from([None, None, None, "langchain-openai"]),
)
def test_update_sequences_match_langgraph(
    start: Any, steps: list[tuple[Any, int]], fmt: str | None
) -> None:
    """Each side feeds its own results back in as ``left``, as a graph does turn after turn."""
    kwargs = {"format": fmt} if fmt else {}
    start = resolve_earlier(start, [], 0)
    ours_left, theirs_left = copy.deepcopy(start), copy.deepcopy(start)
    pool = given_ids(start, [s for s, _ in steps], ID_POOL, REMOVE_ALL_MESSAGES)
    our_ids, their_ids = Ids(pool), Ids(pool)
    for update, pick in steps:
        ours_update = resolve_earlier(
            update, ours_left if isinstance(ours_left, list) else [], pick
        )
        theirs_update = resolve_earlier(
            update, theirs_left if isinstance(theirs_left, list) else [], pick
        )
        try:
            ours = add_messages(ours_left, copy.deepcopy(ours_update), **kwargs)
        except Exception as exc:
            ours = ("raised", type(exc), str(exc))
        try:
            theirs = lg_message.add_messages(theirs_left, copy.deepcopy(theirs_update), **kwargs)
        except Exception as exc:
            theirs = ("raised", type(exc), str(exc))
        assert view(ours, our_ids) == view(theirs, their_ids)
        if isinstance(ours, tuple):
            return
        # The edit picked by position must have hit the same message on both sides.
        assert view(ours_update, our_ids) == view(theirs_update, their_ids)
        ours_left, theirs_left = ours, theirs


def test_fast_path_is_taken_and_matches() -> None:
    # The reducer's own result as left, new messages with and without ids: an append that
    # keeps the very objects; an update whose id is in left is a replacement, not an append.
    left = add_messages([], [h(f"m{i}") for i in range(50)])
    out = add_messages(left, [a("r1"), a("r2", "run-1")])
    assert out[:50] == left and all(x is y for x, y in zip(out, left, strict=False))
    assert [m.content for m in out[50:]] == ["r1", "r2"]
    edit = add_messages(out, [a("R2", "run-1")])
    assert len(edit) == 52 and edit[51].content == "R2"
    assert_same(left, [a("r1"), a("r2", "run-1")])
    assert_same(out, [a("R2", "run-1"), h("new")])


# -- stored data from before: dict messages and dict removals ------------------------------------


def test_stored_dict_messages_and_removals_replay_as_objects() -> None:
    # What the dict reducer stored: messages as dicts with ids, RemoveMessage as its fields.
    stored_left = [
        {"role": "user", "content": "one", "id": "1"},
        {"role": "assistant", "content": "two", "id": "2"},
    ]
    out = add_messages(
        stored_left, [{"id": "1", "type": "remove"}, {"role": "user", "content": "three"}]
    )
    assert [type(m) for m in out] == [AIMessage, HumanMessage]
    assert (out[0].id, out[1].content) == ("2", "three")
    # LangGraph reads the same removal when it carries content; the result is the same.
    with_content = [
        {"id": "1", "type": "remove", "content": ""},
        {"role": "user", "content": "three"},
    ]
    assert_same(stored_left, with_content)
    everything = add_messages(stored_left, [{"id": REMOVE_ALL_MESSAGES, "type": "remove"}])
    assert everything == []
    with pytest.raises(ValueError, match="'9'"):
        add_messages(stored_left, [{"id": "9", "type": "remove"}])
