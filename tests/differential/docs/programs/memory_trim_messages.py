# From LangGraph docs: how-tos/memory/add-memory.md, "Trim messages" (full example, "In a
# workflow"): trim_messages with count_tokens_approximately before each model call. Changed:
# the model is scripted and echoes which messages it was given, so the trimming shows.
from langchain_core.messages.utils import (
    trim_messages,
    count_tokens_approximately
)

from langgraph.graph import StateGraph, START, MessagesState
from langgraph.checkpoint.memory import InMemorySaver

from _fake import chat_model

model = chat_model(
    "Hi Bob!",
    "Cats: soft paws, bright eyes, a purr that fills the room, a nap in the sun all afternoon long.",
    "Dogs: loyal hearts, wagging tails, a bark at the door, muddy paws and endless joy on every walk.",
    "I'm sorry, I don't know your name.",
)
summarization_model = model.bind(max_tokens=128)


def call_model(state: MessagesState):
    messages = trim_messages(
        state["messages"],
        strategy="last",
        token_counter=count_tokens_approximately,
        max_tokens=128,
        start_on="human",
        end_on=("human", "tool"),
    )
    print("model sees:", [m.content for m in messages])
    response = model.invoke(messages)
    return {"messages": [response]}


checkpointer = InMemorySaver()
builder = StateGraph(MessagesState)
builder.add_node(call_model)
builder.add_edge(START, "call_model")
graph = builder.compile(checkpointer=checkpointer)

config = {"configurable": {"thread_id": "1"}}
graph.invoke({"messages": "hi, my name is bob"}, config)
graph.invoke({"messages": "write a short poem about cats"}, config)
graph.invoke({"messages": "now do the same but for dogs"}, config)
final_response = graph.invoke({"messages": "what's my name?"}, config)

final_response["messages"][-1].pretty_print()
print(len(final_response["messages"]))
