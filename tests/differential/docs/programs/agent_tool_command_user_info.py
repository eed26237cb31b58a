# From LangGraph docs: how-tos/update-state-from-tools ("How to update graph state from
# tools"): lookup_user_info reads user_id from the config and returns Command(update=...) with
# user_info and a ToolMessage; a prompt callable builds the system message from user_info;
# streamed for two users. Changed: the model is scripted; state_modifier= -> prompt= (the
# parameter's name in LangGraph 1.x, the same function); the prompt is printed as the model sees
# it (the scripted model ignores it).
USER_INFO = [
    {"user_id": "1", "name": "Bob Dylan", "location": "New York, NY"},
    {"user_id": "2", "name": "Taylor Swift", "location": "Beverly Hills, CA"},
]

USER_ID_TO_USER_INFO = {info["user_id"]: info for info in USER_INFO}


from langgraph.prebuilt.chat_agent_executor import AgentState
from langgraph.types import Command
from langchain_core.tools import tool
from langchain_core.tools.base import InjectedToolCallId
from langchain_core.messages import ToolMessage
from langchain_core.runnables import RunnableConfig

from typing_extensions import Any, Annotated

from _fake import call, chat_model, tool_ai


class State(AgentState):
    # updated by the tool
    user_info: dict[str, Any]


@tool
def lookup_user_info(
    tool_call_id: Annotated[str, InjectedToolCallId], config: RunnableConfig
):
    """Use this to look up user information to better assist them with their questions."""
    user_id = config.get("configurable", {}).get("user_id")
    if user_id is None:
        raise ValueError("Please provide user ID")

    if user_id not in USER_ID_TO_USER_INFO:
        raise ValueError(f"User '{user_id}' not found")

    user_info = USER_ID_TO_USER_INFO[user_id]
    return Command(
        update={
            # update the state keys
            "user_info": user_info,
            # update the message history
            "messages": [
                ToolMessage(
                    "Successfully looked up user information", tool_call_id=tool_call_id
                )
            ],
        }
    )


def state_modifier(state: State):
    user_info = state.get("user_info")
    if user_info is None:
        return state["messages"]

    system_msg = (
        f"User name is {user_info['name']}. User lives in {user_info['location']}"
    )
    return [{"role": "system", "content": system_msg}] + state["messages"]


def printed(state: State):
    messages = state_modifier(state)
    print("prompt:", messages[0])
    return messages


from langgraph.prebuilt import create_react_agent

model = chat_model(
    tool_ai(call("lookup_user_info", {}, "call_1")),
    "Hi Bob! Since you're in New York, NY, take a walk in Central Park.",
    tool_ai(call("lookup_user_info", {}, "call_2")),
    "Hi Taylor! Since you're in Beverly Hills, hike Runyon Canyon.",
)

agent = create_react_agent(
    model,
    # pass the tool that can update state
    [lookup_user_info],
    state_schema=State,
    # pass dynamic prompt function
    prompt=printed,
)

for chunk in agent.stream(
    {"messages": [("user", "hi, what should i do this weekend?")]},
    # provide user ID in the config
    {"configurable": {"user_id": "1"}},
):
    print(chunk)
    print("\n")

for chunk in agent.stream(
    {"messages": [("user", "hi, what should i do this weekend?")]},
    {"configurable": {"user_id": "2"}},
):
    print(chunk)
    print("\n")
