"""LangGraph's session tutorial, unchanged but for its import lines.

Every invocation with the same thread_id continues the session the previous one left.
Run: python examples/tutorial.py
"""

from typing import TypedDict

from runtime import END, START, StateGraph
from stores.memory import InMemorySaver


class State(TypedDict):
    messages: list


def agent(state: State):
    state["messages"].append("Hello from the agent")
    return {"messages": state["messages"]}


builder = StateGraph(State)
builder.add_node("agent", agent)
builder.add_edge(START, "agent")
builder.add_edge("agent", END)
graph = builder.compile(checkpointer=InMemorySaver())

config = {"configurable": {"thread_id": "1"}}
print(graph.invoke({"messages": []}, config))
print(graph.invoke({}, config))
print(graph.invoke({}, config))
