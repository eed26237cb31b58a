# From LangGraph docs: how-tos/streaming.md, "Stream from an agent / LLM tokens" (Async tab):
# agent.astream(..., stream_mode="messages") printing each token and its metadata. Changed: the
# model is scripted; asyncio.run around the loop (the page runs in a notebook); a second loop
# filters the tokens by metadata["langgraph_node"], as "Filter by node" does.
import asyncio

from langgraph.prebuilt import create_react_agent

from _fake import call, chat_model, tool_ai


def get_weather(city: str) -> str:
    """Get weather for a given city."""
    return f"It's always sunny in {city}!"


agent = create_react_agent(
    model=chat_model(
        tool_ai(call("get_weather", {"city": "sf"}, "call_1")),
        "It's always sunny in sf!",
        tool_ai(call("get_weather", {"city": "nyc"}, "call_2")),
        "It's always sunny in nyc too!",
    ),
    tools=[get_weather],
)


async def main():
    async for token, metadata in agent.astream(
        {"messages": [{"role": "user", "content": "what is the weather in sf"}]},
        stream_mode="messages"
    ):
        print("Token", token)
        print("Metadata", metadata)
        print("\n")

    async for msg, metadata in agent.astream(
        {"messages": [{"role": "user", "content": "and in nyc?"}]},
        stream_mode="messages"
    ):
        if msg.content and metadata["langgraph_node"] == "agent":
            print(msg.content, end="|", flush=True)
    print()


asyncio.run(main())
