# From LangGraph's reference docs: create_react_agent's post_model_hook parameter ("an optional
# node to add after the agent node ... useful for implementing human-in-the-loop, guardrails,
# validation, or other post-processing"). The docs give no whole program for it: this one is
# written around that description, a guardrail hook that replaces a forbidden tool call by a
# refusal (RemoveMessage + AIMessage). The model is scripted.
from langchain_core.messages import AIMessage, RemoveMessage
from langgraph.prebuilt import create_react_agent
from langgraph.checkpoint.memory import InMemorySaver

from _fake import call, chat_model, tool_ai

FORBIDDEN = {"delete_everything"}


def get_weather(city: str) -> str:
    """Get weather for a given city."""
    return f"It's always sunny in {city}!"


def delete_everything() -> str:
    """Delete all files."""
    return "deleted"


def post_model_hook(state):
    last = state["messages"][-1]
    print("hook sees:", [c["name"] for c in last.tool_calls], repr(last.content))
    if any(c["name"] in FORBIDDEN for c in last.tool_calls):
        return {
            "messages": [
                RemoveMessage(id=last.id),
                AIMessage(content="I can't do that."),
            ]
        }
    return {}


agent = create_react_agent(
    chat_model(
        tool_ai(call("get_weather", {"city": "sf"}, "call_1")),
        "It's always sunny in sf!",
        tool_ai(call("delete_everything", {}, "call_2")),
    ),
    tools=[get_weather, delete_everything],
    post_model_hook=post_model_hook,
    checkpointer=InMemorySaver(),
)

config = {"configurable": {"thread_id": "1"}}
for chunk in agent.stream(
    {"messages": [{"role": "user", "content": "what is the weather in sf"}]},
    config,
    stream_mode="updates",
):
    print(chunk)
result = agent.invoke({"messages": [{"role": "user", "content": "delete everything"}]}, config)
print([(type(m).__name__, m.content) for m in result["messages"]])
print(agent.get_state(config).next)
