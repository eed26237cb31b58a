# From LangGraph docs: agents/human-in-the-loop (how-tos/human_in_the_loop/add-human-in-the-loop.md,
# "Review tool calls", "In an agent"): a book_hotel tool that calls interrupt(), the agent
# streamed until the interrupt, then resumed with Command(resume={"type": "accept"}).
# Changed: the model is scripted.
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import interrupt, Command
from langgraph.prebuilt import create_react_agent

from _fake import call, chat_model, tool_ai


# An example of a sensitive tool that requires human review / approval
def book_hotel(hotel_name: str):
    """Book a hotel"""
    response = interrupt(
        f"Trying to call `book_hotel` with args {{'hotel_name': {hotel_name}}}. "
        "Please approve or suggest edits."
    )
    if response["type"] == "accept":
        pass
    elif response["type"] == "edit":
        hotel_name = response["args"]["hotel_name"]
    else:
        raise ValueError(f"Unknown response type: {response['type']}")
    return f"Successfully booked a stay at {hotel_name}."


checkpointer = InMemorySaver()

agent = create_react_agent(
    model=chat_model(
        tool_ai(call("book_hotel", {"hotel_name": "McKittrick Hotel"}, "call_1")),
        "I've booked your stay at the McKittrick Hotel.",
    ),
    tools=[book_hotel],
    checkpointer=checkpointer,
)

config = {
    "configurable": {
        "thread_id": "1"
    }
}

for chunk in agent.stream(
    {"messages": [{"role": "user", "content": "book a stay at McKittrick hotel"}]},
    config
):
    print(chunk)
    print("\n")

for chunk in agent.stream(
    Command(resume={"type": "accept"}),
    # Command(resume={"type": "edit", "args": {"hotel_name": "McKittrick Hotel"}}),
    config
):
    print(chunk)
    print("\n")
