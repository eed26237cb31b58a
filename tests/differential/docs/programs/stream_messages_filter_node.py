# From LangGraph docs: how-tos/streaming.md, "LLM tokens / Filter by node": write_joke and
# write_poem run concurrently, only write_poem's tokens printed. Changed: the model is scripted
# (both calls get the same reply, so which parallel node draws which reply cannot matter).
from typing import TypedDict

from langgraph.graph import START, StateGraph

from _fake import chat_model

model = chat_model("Whiskers twitch in the moonlight.", "Whiskers twitch in the moonlight.")


class State(TypedDict):
    topic: str
    joke: str
    poem: str


def write_joke(state: State):
    topic = state["topic"]
    joke_response = model.invoke(
        [{"role": "user", "content": f"Write a joke about {topic}"}]
    )
    return {"joke": joke_response.content}


def write_poem(state: State):
    topic = state["topic"]
    poem_response = model.invoke(
        [{"role": "user", "content": f"Write a short poem about {topic}"}]
    )
    return {"poem": poem_response.content}


graph = (
    StateGraph(State)
    .add_node(write_joke)
    .add_node(write_poem)
    # write both the joke and the poem concurrently
    .add_edge(START, "write_joke")
    .add_edge(START, "write_poem")
    .compile()
)

for msg, metadata in graph.stream(
    {"topic": "cats"},
    stream_mode="messages",
):
    if msg.content and metadata["langgraph_node"] == "write_poem":
        print(msg.content, end="|", flush=True)
print()
