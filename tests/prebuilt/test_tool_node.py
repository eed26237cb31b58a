"""ToolNode on its own, against LangGraph's: inputs, outputs, errors, Commands, injection.

No engine here: both nodes are invoked directly (LangGraph's with a runtime in its config,
which it needs outside a graph). Tools are defined per side, because the injection markers
are each side's own. This module must not use ``from __future__ import annotations``: the
tools' annotations name closure variables, which langchain resolves eagerly.
"""

import asyncio
import threading
from typing import Annotated, Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.messages import RemoveMessage as LCRemoveMessage
from langchain_core.tools import InjectedToolArg, InjectedToolCallId, tool

from .helpers import ai, norm
from .sides import LANGGRAPH, OURS, SIDES, Side


def basic_tools(side: Side) -> list[Any]:
    @tool
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    @tool
    def fail(kind: str) -> str:
        """Raise the named error."""
        raise {"value": ValueError, "type": TypeError}[kind](f"bad {kind}")

    @tool
    def data(n: int) -> dict:
        """Return a dict (JSON in the message)."""
        return {"n": n, "text": "é"}

    def plain(word: str) -> str:
        """A plain function, converted by the node."""
        return word.upper()

    return [add, fail, data, plain]


def both(fn: Any) -> tuple[Any, Any]:
    """``fn(side)`` on each side, normalized; exceptions as (class name, message)."""
    out = []
    for side in SIDES:
        try:
            out.append(norm(fn(side)))
        except Exception as exc:
            out.append(("raised", type(exc).__name__, str(exc)))
    return out[0], out[1]


CALLS = ai("", ("add", {"a": 1, "b": 2}, "c1"), ("plain", {"word": "hi"}, "c2"))


@pytest.mark.parametrize(
    "make_input",
    [
        pytest.param(lambda: {"messages": [HumanMessage("q", id="h"), CALLS]}, id="dict"),
        pytest.param(lambda: [HumanMessage("q", id="h"), CALLS], id="list"),
        pytest.param(lambda: list(CALLS.tool_calls), id="tool-calls"),
        pytest.param(
            lambda: {
                "__type": "tool_call_with_context",
                "tool_call": CALLS.tool_calls[0],
                "state": {"messages": [CALLS]},
            },
            id="tool-call-with-context",
        ),
        pytest.param(
            lambda: {"messages": [CALLS, HumanMessage("later", id="x")]}, id="ai-not-last"
        ),
    ],
)
def test_input_shapes_and_outputs(make_input: Any) -> None:
    theirs, mine = both(lambda s: s.invoke_node(s.ToolNode(basic_tools(s)), make_input()))
    assert theirs == mine
    assert "raised" not in theirs


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param({"messages": []}, id="no-messages"),
        pytest.param({"messages": [HumanMessage("q")]}, id="no-ai-message"),
        pytest.param({"other": 1}, id="no-key"),
    ],
)
def test_bad_inputs_fail_alike(bad: Any) -> None:
    theirs, mine = both(lambda s: s.invoke_node(s.ToolNode(basic_tools(s)), bad))
    assert theirs == mine
    assert theirs[0] == "raised"


def test_ainvoke_matches_invoke() -> None:
    async def run(side: Side) -> Any:
        return await side.ainvoke_node(side.ToolNode(basic_tools(side)), {"messages": [CALLS]})

    theirs = norm(asyncio.run(run(LANGGRAPH)))
    mine = norm(asyncio.run(run(OURS)))
    assert theirs == mine
    assert mine == norm(OURS.invoke_node(OURS.ToolNode(basic_tools(OURS)), {"messages": [CALLS]}))


def test_custom_messages_key_and_name() -> None:
    theirs, mine = both(
        lambda s: s.invoke_node(
            s.ToolNode(basic_tools(s), name="my_tools", messages_key="chat"),
            {"chat": [CALLS]},
        )
    )
    assert theirs == mine
    assert list(mine) == ["chat"]
    assert OURS.ToolNode([], name="my_tools").name == "my_tools"


def test_content_of_structured_outputs() -> None:
    msg = ai("", ("data", {"n": 3}, "d1"))
    theirs, mine = both(lambda s: s.invoke_node(s.ToolNode(basic_tools(s)), [msg]))
    assert theirs == mine
    assert mine[0]["content"] == '{"n": 3, "text": "é"}'


# -- errors --------------------------------------------------------------------------------


ERROR_CALLS = ai(
    "",
    ("nope", {}, "e1"),  # unknown tool: always a message
    ("add", {"a": "x", "b": 2}, "e2"),  # invalid arguments
    ("fail", {"kind": "value"}, "e3"),
)


def _value_only(e: ValueError) -> str:
    return f"handled {type(e).__name__}: {e}"


def _value_or_key(e: ValueError | KeyError) -> str:
    return "value or key"


HANDLERS: list[Any] = [
    pytest.param(None, id="default"),
    pytest.param(True, id="true"),
    pytest.param(False, id="false"),
    pytest.param("custom text", id="str"),
    pytest.param(_value_only, id="callable-annotated"),
    pytest.param(_value_or_key, id="callable-union"),
    pytest.param(lambda e: f"any: {e}", id="callable-bare"),
    pytest.param(ValueError, id="exception-type"),
    pytest.param(TypeError, id="other-exception-type"),
    pytest.param((KeyError, ValueError), id="tuple"),
]


@pytest.mark.parametrize("handler", HANDLERS)
@pytest.mark.parametrize(
    "calls",
    [
        pytest.param(ERROR_CALLS, id="all"),
        pytest.param(ai("", ("nope", {}, "e1"), ("add", {"a": "x", "b": 2}, "e2")), id="no-raise"),
        pytest.param(ai("", ("fail", {"kind": "type"}, "t1")), id="type-error"),
    ],
)
def test_handle_tool_errors(handler: Any, calls: AIMessage) -> None:
    kw = {} if handler is None else {"handle_tool_errors": handler}
    theirs, mine = both(lambda s: s.invoke_node(s.ToolNode(basic_tools(s), **kw), [calls]))
    assert theirs == mine


def test_default_invalid_argument_message_text() -> None:
    mine = OURS.invoke_node(OURS.ToolNode(basic_tools(OURS)), [ai("", ("add", {"a": "x"}, "i"))])
    assert mine[0].status == "error"
    assert mine[0].content.startswith(
        "Error invoking tool 'add' with kwargs {'a': 'x'} with error:"
    )
    assert "b: Field required" in mine[0].content


def test_handler_with_non_exception_annotation_fails_alike() -> None:
    def handler(e: int) -> str:
        return "x"

    theirs, mine = both(
        lambda s: s.invoke_node(
            s.ToolNode(basic_tools(s), handle_tool_errors=handler),
            [ai("", ("fail", {"kind": "value"}, "z"))],
        )
    )
    assert theirs == mine
    assert theirs[0] == "raised"


# -- parallel calls ------------------------------------------------------------------------


def test_sync_tools_run_in_parallel_threads() -> None:
    """Each tool waits for the other at a barrier: it passes only if they run at once."""
    for side in SIDES:
        barrier = threading.Barrier(2, timeout=10)

        @tool
        def meet(who: str, barrier: Annotated[Any, InjectedToolArg] = barrier) -> str:
            """Wait for the other tool."""
            barrier.wait()
            return who

        out = side.invoke_node(
            side.ToolNode([meet]),
            [ai("", ("meet", {"who": "a"}, "1"), ("meet", {"who": "b"}, "2"))],
        )
        assert [m.content for m in out] == ["a", "b"], side


def test_async_tools_run_concurrently_in_order_of_calls() -> None:
    async def run(side: Side) -> list[str]:
        first_waits = asyncio.Event()
        order: list[str] = []

        @tool
        async def slow(x: str) -> str:
            """Finishes only after 'fast' ran."""
            await first_waits.wait()
            order.append(x)
            return x

        @tool
        async def fast(x: str) -> str:
            """Lets 'slow' finish."""
            order.append(x)
            first_waits.set()
            return x

        node = side.ToolNode([slow, fast])
        out = await asyncio.wait_for(
            side.ainvoke_node(node, [ai("", ("slow", {"x": "s"}, "1"), ("fast", {"x": "f"}, "2"))]),
            timeout=10,
        )
        assert order == ["f", "s"]  # ran concurrently
        return [m.content for m in out]

    assert asyncio.run(run(LANGGRAPH)) == asyncio.run(run(OURS)) == ["s", "f"]


# -- tools returning Command ---------------------------------------------------------------


def command_tools(side: Side) -> list[Any]:
    @tool
    def goto_tool(target: str, tool_call_id: Annotated[str, InjectedToolCallId]) -> Any:
        """Update the state and go to a node."""
        return side.Command(
            update={
                "messages": [ToolMessage("moved", tool_call_id=tool_call_id)],
                "where": target,
            },
            goto=target,
        )

    @tool
    def no_message(x: int) -> Any:
        """Forgets its ToolMessage."""
        return side.Command(update={"where": "nowhere"})

    @tool
    def as_list(tool_call_id: Annotated[str, InjectedToolCallId]) -> Any:
        """A list-shaped update."""
        return side.Command(update=[ToolMessage("listed", tool_call_id=tool_call_id)])

    @tool
    def many(tool_call_id: Annotated[str, InjectedToolCallId]) -> Any:
        """Returns a Command and a ToolMessage."""
        return [
            side.Command(update={"where": "many"}),
            ToolMessage("many done", tool_call_id=tool_call_id),
        ]

    @tool
    def remove_all(x: int) -> Any:
        """Clears the messages."""
        return side.Command(update={"messages": [LCRemoveMessage(id="__remove_all__")]})

    @tool
    def to_parent(x: int) -> Any:
        """Sends to the parent graph."""
        return side.Command(graph=side.Command.PARENT, goto=[side.Send("n", {"x": x})])

    return [goto_tool, no_message, as_list, many, remove_all, to_parent, *basic_tools(side)]


@pytest.mark.parametrize(
    "calls",
    [
        pytest.param(
            ai("", ("goto_tool", {"target": "a"}, "g1"), ("add", {"a": 1, "b": 1}, "a1")),
            id="goto-and-plain",
        ),
        pytest.param(ai("", ("no_message", {"x": 1}, "n1")), id="missing-tool-message"),
        pytest.param(ai("", ("as_list", {}, "l1")), id="list-update-with-dict-input"),
        pytest.param(ai("", ("many", {}, "m1")), id="list-of-command-and-message"),
        pytest.param(ai("", ("remove_all", {"x": 1}, "r1")), id="remove-all"),
        pytest.param(
            ai("", ("to_parent", {"x": 1}, "p1"), ("to_parent", {"x": 2}, "p2")),
            id="parent-sends-merged",
        ),
    ],
)
@pytest.mark.parametrize("shape", ["dict", "list"])
def test_tools_returning_commands(calls: AIMessage, shape: str) -> None:
    def run(side: Side) -> Any:
        node = side.ToolNode(command_tools(side))
        return side.invoke_node(node, {"messages": [calls]} if shape == "dict" else [calls])

    theirs, mine = both(run)
    assert theirs == mine


def test_our_remove_message_clears_without_a_tool_message() -> None:
    import runtime

    @tool
    def clear(x: int) -> Any:
        """Clears the messages with this runtime's RemoveMessage."""
        return runtime.Command(update={"messages": [runtime.RemoveMessage(id="__remove_all__")]})

    out = OURS.invoke_node(OURS.ToolNode([clear]), {"messages": [ai("", ("clear", {"x": 1}, "c"))]})
    assert out == [
        runtime.Command(update={"messages": [runtime.RemoveMessage(id="__remove_all__")]})
    ]


# -- injection -----------------------------------------------------------------------------


class FakeStore:
    def __init__(self) -> None:
        self.items: dict[str, Any] = {"k": "stored"}


def injected_tools(side: Side) -> list[Any]:
    @tool
    def whole(x: int, state: Annotated[dict, side.InjectedState]) -> str:
        """Sees the whole state."""
        return f"{x}:{sorted(state)}:{len(state['messages'])}"

    @tool
    def one_key(x: int, foo: Annotated[str, side.InjectedState("foo")]) -> str:
        """Sees state['foo']."""
        return f"{foo}{x}"

    @tool
    def optional_key(x: int, bar: Annotated[str, side.InjectedState("bar")] = "dflt") -> str:
        """Sees state['bar'] if there is one."""
        return f"{bar}{x}"

    @tool
    def messages_only(msgs: Annotated[list, side.InjectedState("messages")]) -> int:
        """Counts the messages."""
        return len(msgs)

    @tool
    def with_store(key: str, store: Annotated[Any, side.InjectedStore()]) -> str:
        """Reads the store."""
        return store.items[key]

    @tool
    def with_id(x: int, tool_call_id: Annotated[str, InjectedToolCallId]) -> str:
        """Knows its call id."""
        return f"id={tool_call_id}"

    @tool
    def with_runtime(x: int, runtime: side.ToolRuntime) -> str:  # type: ignore[valid-type]
        """Sees the runtime."""
        return (
            f"{runtime.tool_call_id}:{sorted(runtime.state)}:{[t.name for t in runtime.tools][:2]}"
        )

    return [whole, one_key, optional_key, messages_only, with_store, with_id, with_runtime]


INJECT_CALLS = ai(
    "",
    ("whole", {"x": 1}, "w"),
    ("one_key", {"x": 2}, "o"),
    ("optional_key", {"x": 3}, "p"),
    ("messages_only", {}, "m"),
    ("with_store", {"key": "k"}, "s"),
    ("with_id", {"x": 4}, "i"),
    ("with_runtime", {"x": 5}, "r"),
)


def test_injection_from_dict_state() -> None:
    theirs, mine = both(
        lambda s: s.invoke_node(
            s.ToolNode(injected_tools(s)),
            {"messages": [INJECT_CALLS], "foo": "F"},
            store=FakeStore(),
        )
    )
    assert theirs == mine
    contents = [m["content"] for m in mine["messages"]]
    assert contents == [
        "1:['foo', 'messages']:1",
        "F2",
        "dflt3",
        "1",
        "stored",
        "id=i",
        "r:['foo', 'messages']:['whole', 'one_key']",
    ]


def test_injection_from_send_payload_uses_its_state() -> None:
    payload = {
        "__type": "tool_call_with_context",
        "tool_call": {"name": "one_key", "args": {"x": 7}, "id": "q", "type": "tool_call"},
        "state": {"messages": [], "foo": "S"},
    }
    theirs, mine = both(lambda s: s.invoke_node(s.ToolNode(injected_tools(s)), payload))
    assert theirs == mine
    assert mine["messages"][0]["content"] == "S7"


@pytest.mark.parametrize(
    "calls",
    [
        pytest.param(ai("", ("messages_only", {}, "m")), id="list-serves-messages"),
        pytest.param(ai("", ("one_key", {"x": 1}, "o")), id="list-lacks-key"),
        pytest.param(ai("", ("with_store", {"key": "k"}, "s")), id="no-store"),
    ],
)
def test_injection_failures_from_list_input(calls: AIMessage) -> None:
    theirs, mine = both(lambda s: s.invoke_node(s.ToolNode(injected_tools(s)), [calls]))
    assert theirs == mine


def test_model_cannot_forge_injected_arguments() -> None:
    forged = ai("", ("one_key", {"x": 1, "foo": "FORGED"}, "o"))
    theirs, mine = both(
        lambda s: s.invoke_node(
            s.ToolNode(injected_tools(s)), {"messages": [forged], "foo": "real"}
        )
    )
    assert theirs == mine
    assert mine["messages"][0]["content"] == "real1"


def test_injected_arguments_are_hidden_from_the_model() -> None:
    for side in SIDES:
        schemas = {t.name: t.tool_call_schema.model_json_schema() for t in injected_tools(side)}
        assert sorted(schemas["whole"]["properties"]) == ["x"], side
        assert sorted(schemas["with_runtime"]["properties"]) == ["x"], side
        assert sorted(schemas["with_store"]["properties"]) == ["key"], side


# -- wrap_tool_call ------------------------------------------------------------------------


def test_wrap_tool_call_can_retry_and_rewrite() -> None:
    def wrapper(request: Any, execute: Any) -> Any:
        first = execute(request)
        if first.status == "error":
            fixed = {**request.tool_call, "args": {"a": 1, "b": 1}}
            return execute(request.override(tool_call=fixed))
        return first

    calls = ai("", ("add", {"a": "bad", "b": 1}, "x"))
    theirs, mine = both(
        lambda s: s.invoke_node(s.ToolNode(basic_tools(s), wrap_tool_call=wrapper), [calls])
    )
    assert theirs == mine
    assert mine[0]["content"] == "2"


# -- tools_condition -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "state",
    [
        {"messages": [CALLS]},
        {"messages": [AIMessage("done")]},
        [CALLS],
        {"messages": [HumanMessage("q")]},
        {"messages": []},
        {"chat": [CALLS]},
    ],
)
def test_tools_condition(state: Any) -> None:
    theirs, mine = both(lambda s: s.tools_condition(state))
    assert theirs == mine
