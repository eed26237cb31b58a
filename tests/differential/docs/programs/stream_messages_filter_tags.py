# From LangGraph docs: how-tos/streaming.md, "LLM tokens / Filter by LLM invocation": two models
# tagged "joke" and "poem", only the joke's tokens printed. Changed: the models are scripted;
# the notebook's top-level `async for` runs under asyncio.run.
import asyncio
from typing import TypedDict

from langgraph.graph import START, StateGraph

from _fake import chat_model

joke_model = chat_model("Why was the cat sitting on the computer? To keep an eye on the mouse!", tags=["joke"])
poem_model = chat_model("Soft paws at dawn, a purr on the windowsill.", tags=["poem"])


class State(TypedDict):
    topic: str
    joke: str
    poem: str


async def call_model(state, config):
    topic = state["topic"]
    print("Writing joke...")
    # Note: Passing the config through explicitly is required for python < 3.11
    # Since context var support wasn't added before then: https://docs.python.org/3/library/asyncio-task.html#creating-tasks
    joke_response = await joke_model.ainvoke(
        [{"role": "user", "content": f"Write a joke about {topic}"}],
        config,
    )
    print("\n\nWriting poem...")
    poem_response = await poem_model.ainvoke(
        [{"role": "user", "content": f"Write a short poem about {topic}"}],
        config,
    )
    return {"joke": joke_response.content, "poem": poem_response.content}


graph = (
    StateGraph(State)
    .add_node(call_model)
    .add_edge(START, "call_model")
    .compile()
)


async def main():
    async for msg, metadata in graph.astream(
        {"topic": "cats"},
        stream_mode="messages",
    ):
        if metadata["tags"] == ["joke"]:
            print(msg.content, end="|", flush=True)
    print()


asyncio.run(main())
