# From LangGraph docs: how-tos/human_in_the_loop/add-human-in-the-loop.md, "Add interrupts to any
# tool": add_human_in_the_loop wraps a tool so that each call interrupts with a HumanInterrupt
# request; create_react_agent with the wrapped book_hotel, resumed with accept. Changed: the
# model is scripted; a second thread is resumed with the page's commented-out "edit" response.
from typing import Callable
from langchain_core.tools import BaseTool, tool as create_tool
from langchain_core.runnables import RunnableConfig
from langgraph.types import interrupt, Command
from langgraph.prebuilt.interrupt import HumanInterruptConfig, HumanInterrupt
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.prebuilt import create_react_agent

from _fake import call, chat_model, tool_ai


def add_human_in_the_loop(
    tool: Callable | BaseTool,
    *,
    interrupt_config: HumanInterruptConfig = None,
) -> BaseTool:
    """Wrap a tool to support human-in-the-loop review."""
    if not isinstance(tool, BaseTool):
        tool = create_tool(tool)

    if interrupt_config is None:
        interrupt_config = {
            "allow_accept": True,
            "allow_edit": True,
            "allow_respond": True,
        }

    @create_tool(
        tool.name,
        description=tool.description,
        args_schema=tool.args_schema
    )
    def call_tool_with_interrupt(config: RunnableConfig, **tool_input):
        request: HumanInterrupt = {
            "action_request": {
                "action": tool.name,
                "args": tool_input
            },
            "config": interrupt_config,
            "description": "Please review the tool call"
        }
        response = interrupt([request])[0]
        # approve the tool call
        if response["type"] == "accept":
            tool_response = tool.invoke(tool_input, config)
        # update tool call args
        elif response["type"] == "edit":
            tool_input = response["args"]["args"]
            tool_response = tool.invoke(tool_input, config)
        # respond to the LLM with user feedback
        elif response["type"] == "response":
            user_feedback = response["args"]
            tool_response = user_feedback
        else:
            raise ValueError(f"Unsupported interrupt response type: {response['type']}")

        return tool_response

    return call_tool_with_interrupt


def book_hotel(hotel_name: str):
   """Book a hotel"""
   return f"Successfully booked a stay at {hotel_name}."


checkpointer = InMemorySaver()
agent = create_react_agent(
    model=chat_model(
        tool_ai(call("book_hotel", {"hotel_name": "McKittrick hotel"}, "call_1")),
        "Your stay at the McKittrick hotel is booked.",
        tool_ai(call("book_hotel", {"hotel_name": "McKittrick hotel"}, "call_2")),
        "Your stay at the McKittrick Hotel is booked.",
    ),
    tools=[
        add_human_in_the_loop(book_hotel),
    ],
    checkpointer=checkpointer,
)

config = {"configurable": {"thread_id": "1"}}

# Run the agent
for chunk in agent.stream(
    {"messages": [{"role": "user", "content": "book a stay at McKittrick hotel"}]},
    config
):
    print(chunk)
    print("\n")

for chunk in agent.stream(
    Command(resume=[{"type": "accept"}]),
    config
):
    print(chunk)
    print("\n")

config = {"configurable": {"thread_id": "2"}}
for chunk in agent.stream(
    {"messages": [{"role": "user", "content": "book a stay at McKittrick hotel"}]},
    config
):
    print(chunk)
    print("\n")

for chunk in agent.stream(
    Command(resume=[{"type": "edit", "args": {"args": {"hotel_name": "McKittrick Hotel"}}}]),
    config
):
    print(chunk)
    print("\n")
print([m.content for m in agent.get_state(config).values["messages"]])
