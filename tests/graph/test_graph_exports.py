"""runtime.graph re-exports its public names, and only those."""

from __future__ import annotations

import runtime.graph as graph
from runtime.graph import builder, message, spec, types, validate

EXPECTED = {
    "StateGraph": builder.StateGraph,
    "UnsupportedOptionWarning": builder.UnsupportedOptionWarning,
    "UnreachableNodeWarning": validate.UnreachableNodeWarning,
    "START": spec.START,
    "END": spec.END,
    "GraphSpec": spec.GraphSpec,
    "NodeSpec": spec.NodeSpec,
    "BranchSpec": spec.BranchSpec,
    "ChannelSpec": spec.ChannelSpec,
    "CallableSpec": spec.CallableSpec,
    "add_messages": message.add_messages,
    "MessagesState": message.MessagesState,
    "RemoveMessage": message.RemoveMessage,
    "REMOVE_ALL_MESSAGES": message.REMOVE_ALL_MESSAGES,
    "Send": types.Send,
    "Command": types.Command,
    "Interrupt": types.Interrupt,
}


def test_all_lists_exactly_the_public_names() -> None:
    assert sorted(graph.__all__) == sorted(EXPECTED)


def test_each_name_is_the_defining_object() -> None:
    for name, obj in EXPECTED.items():
        assert getattr(graph, name) is obj, name


def test_constants_match_langgraph() -> None:
    from langgraph.graph import END, START
    from langgraph.graph.message import REMOVE_ALL_MESSAGES

    assert (graph.START, graph.END) == (START, END)
    assert graph.REMOVE_ALL_MESSAGES == REMOVE_ALL_MESSAGES
