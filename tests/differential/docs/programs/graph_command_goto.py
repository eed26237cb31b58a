# From LangGraph docs: how-tos/graph-api.md, "Combine control flow and state updates with
# Command": node_a returns Command(update=..., goto=...) chosen by random.choice; no edges
# between A, B and C. Changed: the graph runs several times and the results and a stream of
# updates are printed; `random` is a seeded generator of the program's own (LangGraph and this
# project both draw ids from the random module's shared generator, each differently).
import random

random = random.Random(0)
from typing_extensions import TypedDict, Literal
from langgraph.graph import StateGraph, START
from langgraph.types import Command


# Define graph state
class State(TypedDict):
    foo: str


# Define the nodes

def node_a(state: State) -> Command[Literal["node_b", "node_c"]]:
    print("Called A")
    value = random.choice(["b", "c"])
    # this is a replacement for a conditional edge function
    if value == "b":
        goto = "node_b"
    else:
        goto = "node_c"

    # note how Command allows you to BOTH update the graph state AND route to the next node
    return Command(
        # this is the state update
        update={"foo": value},
        # this is a replacement for an edge
        goto=goto,
    )

def node_b(state: State):
    print("Called B")
    return {"foo": state["foo"] + "b"}

def node_c(state: State):
    print("Called C")
    return {"foo": state["foo"] + "c"}


builder = StateGraph(State)
builder.add_edge(START, "node_a")
builder.add_node(node_a)
builder.add_node(node_b)
builder.add_node(node_c)

# NOTE: there are no edges between nodes A, B and C!

graph = builder.compile()

for _ in range(4):
    print(graph.invoke({"foo": ""}))
for chunk in graph.stream({"foo": ""}):
    print(chunk)
