# From LangGraph docs: agents/agents.md, "Configure structured output": response_format with a
# pydantic WeatherResponse, read from response["structured_response"]. Changed: the model is
# scripted (its structured reply is JSON the fake validates into the schema).
from pydantic import BaseModel

from langgraph.prebuilt import create_react_agent

from _fake import call, chat_model, tool_ai


def get_weather(city: str) -> str:
    """Get weather for a given city."""
    return f"It's always sunny in {city}!"


class WeatherResponse(BaseModel):
    conditions: str


agent = create_react_agent(
    model=chat_model(
        tool_ai(call("get_weather", {"city": "sf"}, "call_1")),
        "It's always sunny in sf!",
        '{"conditions": "sunny"}',
    ),
    tools=[get_weather],
    response_format=WeatherResponse
)

response = agent.invoke(
    {"messages": [{"role": "user", "content": "what is the weather in sf"}]}
)

print(repr(response["structured_response"]))
print(sorted(response))
