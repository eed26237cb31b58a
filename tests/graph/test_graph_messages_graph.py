"""A MessagesState chatbot through runtime.StateGraph and through LangGraph: same observations.

The program is tests/graph/chat_program.py (see there why it is a module of its own).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

lg_message = pytest.importorskip("langgraph.graph.message")

from langchain_core.messages import HumanMessage, RemoveMessage  # noqa: E402

import runtime  # noqa: E402
from runtime.graph import message  # noqa: E402
from runtime.graph.message import REMOVE_ALL_MESSAGES, add_messages  # noqa: E402
from tests.graph.chat_program import chatbot_program, reducer_of  # noqa: E402
from tests.graph.message_views import Ids, given_ids, view  # noqa: E402


class _Ours:
    MessagesState = message.MessagesState
    RemoveMessage = message.RemoveMessage
    StateGraph = runtime.StateGraph
    START, END = runtime.START, runtime.END

    @staticmethod
    def saver() -> Any:
        from stores.memory import InMemorySaver

        return InMemorySaver()


class _Theirs:
    from langgraph.graph import END, START, MessagesState, StateGraph

    RemoveMessage = RemoveMessage

    @staticmethod
    def saver() -> Any:
        from langgraph.checkpoint.memory import InMemorySaver

        return InMemorySaver()


def run_chatbot(ns: Any, inputs: list[Any]) -> list[Any]:
    graph = chatbot_program(ns)
    out: list[Any] = []
    try:
        for value in inputs:
            out.append(graph.invoke(copy.deepcopy(value)))
            out.append(list(graph.stream(copy.deepcopy(value), stream_mode="values")))
    finally:
        close = getattr(graph, "close", None)
        if close is not None:
            close()
    return out


CHAT_INPUTS = [
    {"messages": [("user", "hi")]},
    {"messages": "hello"},
    {"messages": [{"role": "user", "content": "q", "id": "given"}, HumanMessage("again")]},
]


def test_each_side_merges_with_its_own_reducer() -> None:
    assert reducer_of(chatbot_program(_Theirs)) is lg_message.add_messages
    ours = chatbot_program(_Ours)
    try:
        assert reducer_of(ours) is add_messages
    finally:
        ours.close()


def test_chatbot_graph_matches_langgraph() -> None:
    given = given_ids(CHAT_INPUTS)
    theirs = view(run_chatbot(_Theirs, CHAT_INPUTS), Ids(given))
    ours = view(run_chatbot(_Ours, CHAT_INPUTS), Ids(given))
    assert ours == theirs


def test_chatbot_messages_are_objects_users_can_print(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_chatbot(_Ours, CHAT_INPUTS[:1])[0]
    for m in out["messages"]:
        m.pretty_print()
    printed = capsys.readouterr().out
    assert "Ai Message" in printed and "echo: hi" in printed


def run_session(ns: Any) -> list[Any]:
    """Turns on one thread with a checkpointer, a removal sent as input, and the stored state."""
    graph = chatbot_program(ns, ns.saver())
    config = {"configurable": {"thread_id": "chat"}}
    out: list[Any] = []
    try:
        for value in CHAT_INPUTS:
            out.append(graph.invoke(copy.deepcopy(value), config))
        second = graph.get_state(config).values["messages"][1]
        out.append(graph.invoke({"messages": [ns.RemoveMessage(id=second.id), "after"]}, config))
        restart = [ns.RemoveMessage(id=REMOVE_ALL_MESSAGES), "fresh start"]
        out.append(graph.invoke({"messages": restart}, config))
        out.append(graph.get_state(config).values)
        out.append([s.values for s in graph.get_state_history(config)])
    finally:
        close = getattr(graph, "close", None)
        if close is not None:
            close()
    return out


def test_chatbot_session_matches_langgraph() -> None:
    given = given_ids(CHAT_INPUTS)
    theirs = view(run_session(_Theirs), Ids(given))
    ours = view(run_session(_Ours), Ids(given))
    assert ours == theirs
    assert len(theirs[-1]) > 10  # the history really is a conversation
