# From LangGraph docs: how-tos/graph-api.md, "Map-Reduce and the Send API": generate_topics,
# one Send("generate_joke", {"subject": s}) per subject, best_joke after them. Changed: the
# three generate_joke updates of one step arrive in the order their tasks finish (chance), so
# the stream is printed with that step's chunks sorted; the invoke result (reduced in task
# order) is printed as is.
from langgraph.graph import StateGraph, START, END
from langgraph.types import Send
from typing_extensions import TypedDict, Annotated
import operator

class OverallState(TypedDict):
    topic: str
    subjects: list[str]
    jokes: Annotated[list[str], operator.add]
    best_selected_joke: str

def generate_topics(state: OverallState):
    return {"subjects": ["lions", "elephants", "penguins"]}

def generate_joke(state: OverallState):
    joke_map = {
        "lions": "Why don't lions like fast food? Because they can't catch it!",
        "elephants": "Why don't elephants use computers? They're afraid of the mouse!",
        "penguins": "Why don't penguins like talking to strangers at parties? Because they find it hard to break the ice."
    }
    return {"jokes": [joke_map[state["subject"]]]}

def continue_to_jokes(state: OverallState):
    return [Send("generate_joke", {"subject": s}) for s in state["subjects"]]

def best_joke(state: OverallState):
    return {"best_selected_joke": "penguins"}

builder = StateGraph(OverallState)
builder.add_node("generate_topics", generate_topics)
builder.add_node("generate_joke", generate_joke)
builder.add_node("best_joke", best_joke)
builder.add_edge(START, "generate_topics")
builder.add_conditional_edges("generate_topics", continue_to_jokes, ["generate_joke"])
builder.add_edge("generate_joke", "best_joke")
builder.add_edge("best_joke", END)
graph = builder.compile()

# Call the graph: here we call it to generate a list of jokes
steps = [step for step in graph.stream({"topic": "animals"})]
print(steps[0])
for step in sorted(steps[1:4], key=repr):
    print(step)
print(steps[4:])
print(graph.invoke({"topic": "animals"}))
