# From LangGraph docs: how-tos/streaming.md, "Stream from an agent / Agent progress":
# create_react_agent streamed with stream_mode="updates". Changed: the model is scripted.
from langgraph.prebuilt import create_react_agent

from _fake import call, chat_model, tool_ai


def get_weather(city: str) -> str:
    """Get weather for a given city."""
    return f"It's always sunny in {city}!"


agent = create_react_agent(
    model=chat_model(tool_ai(call("get_weather", {"city": "sf"}, "call_1")), "It's always sunny in San Francisco!"),
    tools=[get_weather],
)
for chunk in agent.stream(
    {"messages": [{"role": "user", "content": "what is the weather in sf"}]},
    stream_mode="updates"
):
    print(chunk)
    print("\n")
