"""A LangGraph chatbot program, run by tests/graph/test_graph_messages.py on both sides.

Kept in its own module, which must not import ``add_messages`` (nor use postponed annotations):
LangGraph resolves a ``MessagesState`` subclass's inherited annotation in the module that
defines the subclass first, so a module holding our ``add_messages`` would hand it to
LangGraph's graph too and the comparison would test nothing.
"""

from typing import Any

from langchain_core.messages import AIMessage

TOOL_CALL = {"name": "search", "args": {"query": "X"}, "id": "call-1", "type": "tool_call"}


def chatbot_program(ns: Any, checkpointer: Any = None) -> Any:
    """``ns`` supplies StateGraph, MessagesState, RemoveMessage, START and END."""

    class State(ns.MessagesState):  # type: ignore[name-defined, misc]
        turns: int

    def chatbot(state: State) -> dict[str, Any]:
        last = state["messages"][-1]
        reply = AIMessage(content=f"echo: {last.content}", tool_calls=[TOOL_CALL])
        return {"messages": [reply, ("assistant", last.type)], "turns": state.get("turns", 0) + 1}

    def tidy(state: State) -> dict[str, Any]:
        first = state["messages"][0]
        return {"messages": [ns.RemoveMessage(id=first.id), {"role": "user", "content": "done"}]}

    builder = ns.StateGraph(State)
    builder.add_node("chatbot", chatbot)
    builder.add_node("tidy", tidy)
    builder.add_edge(ns.START, "chatbot")
    builder.add_edge("chatbot", "tidy")
    builder.add_edge("tidy", ns.END)
    return builder.compile(checkpointer=checkpointer)


def reducer_of(graph: Any) -> Any:
    """The reducer the compiled graph merges ``messages`` with (LangGraph's or ours)."""
    builder = getattr(graph, "builder", None)
    if builder is not None:  # LangGraph
        return builder.channels["messages"].operator
    return graph.spec.channels["messages"].reducer
