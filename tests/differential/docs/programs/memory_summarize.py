# From LangGraph docs: how-tos/memory/add-memory.md, "Summarize messages" ("In a workflow"):
# State(MessagesState) with a summary key; summarize_conversation deletes all but the last two
# messages with RemoveMessage. The docs give the node; the graph around it follows the
# chatbot-with-summary pattern of the same page. Changed: the model is scripted.
from typing import Literal

from langchain_core.messages import HumanMessage, RemoveMessage, SystemMessage

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, MessagesState, StateGraph

from _fake import chat_model

model = chat_model(
    "Hi Bob!",
    "Cats are graceful.",
    "Bob introduced himself and asked about cats.",
    "Dogs are loyal.",
    "Bob asked about cats and then dogs.",
)


class State(MessagesState):
    summary: str


def call_model(state: State):
    summary = state.get("summary", "")
    if summary:
        system_message = f"Summary of conversation earlier: {summary}"
        messages = [SystemMessage(content=system_message)] + state["messages"]
    else:
        messages = state["messages"]
    response = model.invoke(messages)
    return {"messages": [response]}


def should_continue(state: State) -> Literal["summarize_conversation", END]:
    """Return the next node to execute."""
    messages = state["messages"]
    if len(messages) > 3:
        return "summarize_conversation"
    return END


def summarize_conversation(state: State):
    # First, we get any existing summary
    summary = state.get("summary", "")

    # Create our summarization prompt
    if summary:
        # A summary already exists
        summary_message = (
            f"This is a summary of the conversation to date: {summary}\n\n"
            "Extend the summary by taking into account the new messages above:"
        )
    else:
        summary_message = "Create a summary of the conversation above:"

    # Add prompt to our history
    messages = state["messages"] + [HumanMessage(content=summary_message)]
    response = model.invoke(messages)

    # Delete all but the 2 most recent messages
    delete_messages = [RemoveMessage(id=m.id) for m in state["messages"][:-2]]
    return {"summary": response.content, "messages": delete_messages}


workflow = StateGraph(State)
workflow.add_node("conversation", call_model)
workflow.add_node(summarize_conversation)
workflow.add_edge(START, "conversation")
workflow.add_conditional_edges("conversation", should_continue)
workflow.add_edge("summarize_conversation", END)

checkpointer = InMemorySaver()
app = workflow.compile(checkpointer=checkpointer)

config = {"configurable": {"thread_id": "4"}}
for text in ["hi! I'm bob", "tell me about cats", "and dogs?"]:
    input_message = HumanMessage(content=text)
    for event in app.stream({"messages": [input_message]}, config, stream_mode="updates"):
        for k, v in event.items():
            print(k, v)
values = app.get_state(config).values
print(values["summary"] if "summary" in values else None)
print([(m.type, m.content) for m in values["messages"]])
