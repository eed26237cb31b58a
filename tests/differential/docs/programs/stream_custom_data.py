# From LangGraph docs: how-tos/streaming.md, "Stream custom data" (node tab): get_stream_writer
# inside a node, stream_mode="custom"; then the same graph with ["updates", "custom"].
from typing import TypedDict

from langgraph.config import get_stream_writer
from langgraph.graph import StateGraph, START


class State(TypedDict):
    query: str
    answer: str


def node(state: State):
    writer = get_stream_writer()
    writer({"custom_key": "Generating custom data inside node"})
    return {"answer": "some data"}


graph = (
    StateGraph(State)
    .add_node(node)
    .add_edge(START, "node")
    .compile()
)

inputs = {"query": "example"}

# Usage
for chunk in graph.stream(inputs, stream_mode="custom"):
    print(chunk)

for mode, chunk in graph.stream(inputs, stream_mode=["updates", "custom"]):
    print(f"{mode}: {chunk}")
