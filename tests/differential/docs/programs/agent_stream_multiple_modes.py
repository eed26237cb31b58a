# From LangGraph docs: how-tos/streaming.md, "Stream from an agent / Stream multiple modes":
# stream_mode=["updates", "messages", "custom"]. Changed: the model is scripted.
from langgraph.config import get_stream_writer
from langgraph.prebuilt import create_react_agent

from _fake import call, chat_model, tool_ai


def get_weather(city: str) -> str:
    """Get weather for a given city."""
    writer = get_stream_writer()
    # stream any arbitrary data
    writer(f"Looking up data for city: {city}")
    return f"It's always sunny in {city}!"


agent = create_react_agent(
    model=chat_model(tool_ai(call("get_weather", {"city": "sf"}, "call_1")), "It's always sunny in San Francisco!"),
    tools=[get_weather],
)

for stream_mode, chunk in agent.stream(
    {"messages": [{"role": "user", "content": "what is the weather in sf"}]},
    stream_mode=["updates", "messages", "custom"]
):
    print(stream_mode, chunk)
    print("\n")
