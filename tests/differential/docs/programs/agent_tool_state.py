# From LangGraph docs: how-tos/memory/add-memory.md, "Read short-term memory in tools" and
# "Write short-term memory from tools": InjectedState, a tool returning Command(update=...)
# with InjectedToolCallId, a custom AgentState. Changed: the model is scripted; results printed.
from typing import Annotated

from langchain_core.messages import ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import InjectedToolCallId

from langgraph.prebuilt import InjectedState, create_react_agent
from langgraph.prebuilt.chat_agent_executor import AgentState
from langgraph.types import Command

from _fake import call, chat_model, tool_ai


class CustomState(AgentState):
    user_name: str


def update_user_info(
    tool_call_id: Annotated[str, InjectedToolCallId],
    config: RunnableConfig
) -> Command:
    """Look up and update user info."""
    user_id = config["configurable"].get("user_id")
    name = "John Smith" if user_id == "user_123" else "Unknown user"
    return Command(update={
        "user_name": name,
        # update the message history
        "messages": [
            ToolMessage(
                "Successfully looked up user information",
                tool_call_id=tool_call_id
            )
        ]
    })


def greet(
    state: Annotated[CustomState, InjectedState]
) -> str:
    """Use this to greet the user once you found their info."""
    user_name = state["user_name"]
    return f"Hello {user_name}!"


agent = create_react_agent(
    model=chat_model(
        tool_ai(call("update_user_info", {}, "call_1")),
        tool_ai(call("greet", {}, "call_2")),
        "Hello John Smith!",
    ),
    tools=[update_user_info, greet],
    state_schema=CustomState
)

result = agent.invoke(
    {"messages": [{"role": "user", "content": "greet the user"}]},
    config={"configurable": {"user_id": "user_123"}}
)
for message in result["messages"]:
    message.pretty_print()
print(result["user_name"])
