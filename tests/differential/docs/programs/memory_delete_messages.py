# From LangGraph docs: how-tos/memory/add-memory.md, "Delete messages" (full example):
# add_sequence([call_model, delete_messages]) removing the earliest two messages with
# RemoveMessage. Changed: the model is scripted.
from langchain_core.messages import RemoveMessage

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import StateGraph, START, MessagesState

from _fake import chat_model

model = chat_model(
    "Hi Bob! How are you doing today? Is there anything I can help you with?",
    "Your name is Bob.",
)
config = {"configurable": {"thread_id": "1"}}


def delete_messages(state):
    messages = state["messages"]
    if len(messages) > 2:
        # remove the earliest two messages
        return {"messages": [RemoveMessage(id=m.id) for m in messages[:2]]}


def call_model(state: MessagesState):
    response = model.invoke(state["messages"])
    return {"messages": response}


builder = StateGraph(MessagesState)
builder.add_sequence([call_model, delete_messages])
builder.add_edge(START, "call_model")

checkpointer = InMemorySaver()
app = builder.compile(checkpointer=checkpointer)

for event in app.stream(
    {"messages": [{"role": "user", "content": "hi! I'm bob"}]},
    config,
    stream_mode="values"
):
    print([(message.type, message.content) for message in event["messages"]])

for event in app.stream(
    {"messages": [{"role": "user", "content": "what's my name?"}]},
    config,
    stream_mode="values"
):
    print([(message.type, message.content) for message in event["messages"]])
