# From LangGraph docs: how-tos/memory/add-memory.md, "Delete messages" ("To remove all
# messages": RemoveMessage(id=REMOVE_ALL_MESSAGES)), in the same graph as the full example.
# Changed: the model is scripted.
from langchain_core.messages import RemoveMessage

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import StateGraph, START, MessagesState
from langgraph.graph.message import REMOVE_ALL_MESSAGES

from _fake import chat_model

model = chat_model("Hi Bob!", "I don't know your name.")
config = {"configurable": {"thread_id": "1"}}


def delete_messages(state):
    return {"messages": [RemoveMessage(id=REMOVE_ALL_MESSAGES)]}


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
