"""The tutorial on SQLite: run it twice and the conversation continues across processes.

The script never closes anything: the runtime flushes every checkpoint at exit.
Run: python examples/chat_sqlite.py   (again: the session continues; delete chat.db to reset)
"""

from typing import TypedDict

from runtime import END, START, StateGraph
from stores.sqlite import SqliteSaver


class State(TypedDict):
    messages: list


def agent(state: State):
    state.setdefault("messages", []).append("Hello from the agent")
    return {"messages": state["messages"]}


builder = StateGraph(State)
builder.add_node("agent", agent)
builder.add_edge(START, "agent")
builder.add_edge("agent", END)
graph = builder.compile(checkpointer=SqliteSaver("chat.db"))

config = {"configurable": {"thread_id": "1"}}
for _ in range(3):
    print(graph.invoke({}, config))
