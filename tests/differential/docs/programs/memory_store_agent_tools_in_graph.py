# From LangGraph docs: agents/memory.md, "Long-term memory" ("Write", then "Read"):
# create_react_agent(store=store) with tools reaching the store through get_store().
# Changed: the model is scripted; the page's application-side store.put / store.get (see
# memory_store_agent_tools) are left out: the "Write" agent saves the record, the "Read" agent
# looks it up, on one store, and a third user is unknown.
from langchain_core.runnables import RunnableConfig
from langgraph.config import get_store
from langgraph.prebuilt import create_react_agent
from langgraph.store.memory import InMemoryStore
from typing_extensions import TypedDict

from _fake import call, chat_model, tool_ai

store = InMemoryStore()


class UserInfo(TypedDict):
    name: str

def save_user_info(user_info: UserInfo, config: RunnableConfig) -> str:
    """Save user info."""
    # Same as that provided to `create_react_agent`
    store = get_store()
    user_id = config["configurable"].get("user_id")
    store.put(("users",), user_id, user_info)
    return "Successfully saved user info."

agent = create_react_agent(
    model=chat_model(
        tool_ai(call("save_user_info", {"user_info": {"name": "John Smith"}}, "call_1")),
        "Saved.",
    ),
    tools=[save_user_info],
    store=store
)

# Run the agent
agent.invoke(
    {"messages": [{"role": "user", "content": "My name is John Smith"}]},
    config={"configurable": {"user_id": "user_123"}}
)


def get_user_info(config: RunnableConfig) -> str:
    """Look up user info."""
    # Same as that provided to `create_react_agent`
    store = get_store()
    user_id = config["configurable"].get("user_id")
    user_info = store.get(("users",), user_id)
    return str(user_info.value) if user_info else "Unknown user"

agent = create_react_agent(
    model=chat_model(
        tool_ai(call("get_user_info", {}, "call_2")),
        "The user is John Smith.",
        tool_ai(call("get_user_info", {}, "call_3")),
        "I don't know you yet.",
    ),
    tools=[get_user_info],
    store=store
)

# Run the agent
for user_id in ["user_123", "user_456"]:
    result = agent.invoke(
        {"messages": [{"role": "user", "content": "look up user information"}]},
        config={"configurable": {"user_id": user_id}}
    )
    print([m.content for m in result["messages"]])
