# From LangGraph docs: agents/memory.md, "Long-term memory" ("Read" and "Write"):
# create_react_agent(store=store) with tools reaching the store through get_store(); the page
# puts the user's record into the store from application code first and reads the saved one
# back from application code at the end. Changed: the model is scripted; the two examples of
# the page run one after the other on one store.
from langchain_core.runnables import RunnableConfig
from langgraph.config import get_store
from langgraph.prebuilt import create_react_agent
from langgraph.store.memory import InMemoryStore
from typing_extensions import TypedDict

from _fake import call, chat_model, tool_ai

store = InMemoryStore()

store.put(
    ("users",),
    "user_123",
    {
        "name": "John Smith",
        "language": "English",
    }
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
        tool_ai(call("get_user_info", {}, "call_1")),
        "The user is John Smith and speaks English.",
    ),
    tools=[get_user_info],
    store=store
)

# Run the agent
result = agent.invoke(
    {"messages": [{"role": "user", "content": "look up user information"}]},
    config={"configurable": {"user_id": "user_123"}}
)
print([m.content for m in result["messages"]])


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
        tool_ai(call("save_user_info", {"user_info": {"name": "John Smith"}}, "call_2")),
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

# You can access the store directly to get the value
print(store.get(("users",), "user_123").value)
