# From LangGraph docs: how-tos/graph-api.md, "Create and control loops" ("Impose a recursion
# limit" and "Extended example: loops with branches"): a loop A -> B -> (C, D) -> A ended by a
# conditional edge, then the same graph with recursion_limit=4 raising GraphRecursionError.
# Changed: C and D run concurrently (which prints first is chance), so each node appends its
# line to a list, printed sorted (by length, then text: the steps in order, C before D).
import operator
from typing import Annotated, Literal
from typing_extensions import TypedDict
from langgraph.graph import StateGraph, START, END

lines = []


class State(TypedDict):
    aggregate: Annotated[list, operator.add]

def a(state: State):
    lines.append(f'Node A sees {state["aggregate"]}')
    return {"aggregate": ["A"]}

def b(state: State):
    lines.append(f'Node B sees {state["aggregate"]}')
    return {"aggregate": ["B"]}

def c(state: State):
    lines.append(f'Node C sees {state["aggregate"]}')
    return {"aggregate": ["C"]}

def d(state: State):
    lines.append(f'Node D sees {state["aggregate"]}')
    return {"aggregate": ["D"]}

# Define nodes
builder = StateGraph(State)
builder.add_node(a)
builder.add_node(b)
builder.add_node(c)
builder.add_node(d)

# Define edges
def route(state: State) -> Literal["b", END]:
    if len(state["aggregate"]) < 7:
        return "b"
    else:
        return END

builder.add_edge(START, "a")
builder.add_conditional_edges("a", route)
builder.add_edge("b", "c")
builder.add_edge("b", "d")
builder.add_edge(["c", "d"], "a")
graph = builder.compile()


def show():
    print("\n".join(sorted(lines, key=lambda line: (len(line), line))))
    lines.clear()


result = graph.invoke({"aggregate": []})
show()
print(result)

from langgraph.errors import GraphRecursionError

try:
    result = graph.invoke({"aggregate": []}, {"recursion_limit": 4})
except GraphRecursionError:
    print("Recursion Error")
show()
