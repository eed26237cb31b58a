# From LangGraph docs: how-tos/streaming.md, "Stream from a workflow / LLM tokens": a dataclass
# state, llm.invoke inside the node, stream_mode="messages" printing each token. Changed: the
# model is scripted.
from dataclasses import dataclass

from langgraph.graph import StateGraph, START

from _fake import chat_model


@dataclass
class MyState:
    topic: str
    joke: str = ""


llm = chat_model("Why did the ice cream truck break down? It had a rocky road.")


def call_model(state: MyState):
    """Call the LLM to generate a joke about a topic"""
    llm_response = llm.invoke(
        [
            {"role": "user", "content": f"Generate a joke about {state.topic}"}
        ]
    )
    return {"joke": llm_response.content}


graph = (
    StateGraph(MyState)
    .add_node(call_model)
    .add_edge(START, "call_model")
    .compile()
)

for message_chunk, metadata in graph.stream(
    {"topic": "ice cream"},
    stream_mode="messages",
):
    if message_chunk.content:
        print(message_chunk.content, end="|", flush=True)
print()
