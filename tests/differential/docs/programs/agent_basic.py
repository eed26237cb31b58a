# From LangGraph docs: agents/agents.md ("Build an agent", basic agent and "Add memory"):
# create_react_agent with a get_weather tool, a prompt and an InMemorySaver, two turns on one
# thread. Changed: the model is scripted; the results are printed.
from langgraph.prebuilt import create_react_agent
from langgraph.checkpoint.memory import InMemorySaver

from _fake import call, chat_model, tool_ai


def get_weather(city: str) -> str:
    """Get weather for a given city."""
    return f"It's always sunny in {city}!"


checkpointer = InMemorySaver()

agent = create_react_agent(
    model=chat_model(
        tool_ai(call("get_weather", {"city": "sf"}, "call_1")),
        "It's always sunny in sf!",
        tool_ai(call("get_weather", {"city": "new york"}, "call_2")),
        "It's always sunny in New York too!",
    ),
    tools=[get_weather],
    prompt="You are a helpful assistant",
    checkpointer=checkpointer
)

# Run the agent
config = {"configurable": {"thread_id": "1"}}
sf_response = agent.invoke(
    {"messages": [{"role": "user", "content": "what is the weather in sf"}]},
    config
)
ny_response = agent.invoke(
    {"messages": [{"role": "user", "content": "what about new york?"}]},
    config
)
for message in ny_response["messages"]:
    message.pretty_print()
