# From LangGraph docs: how-tos/memory/add-memory.md, "Manage checkpoints": view the thread
# state (graph.get_state), the history (graph.get_state_history), and the checkpointer API
# (checkpointer.get_tuple, checkpointer.list) of the delete-messages conversation;
# "Delete all checkpoints for a thread" (checkpointer.delete_thread). Changed: the model is
# scripted; the notebook's bare expressions are printed.
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import StateGraph, START, MessagesState

from _fake import chat_model

model = chat_model(
    "Hi Bob! How are you doing today?",
    "Your name is Bob.",
)


def call_model(state: MessagesState):
    response = model.invoke(state["messages"])
    return {"messages": response}


builder = StateGraph(MessagesState)
builder.add_node(call_model)
builder.add_edge(START, "call_model")
checkpointer = InMemorySaver()
graph = builder.compile(checkpointer=checkpointer)

config = {
    "configurable": {
        "thread_id": "1",
    }
}
graph.invoke({"messages": [{"role": "user", "content": "hi! I'm bob"}]}, config)
graph.invoke({"messages": [{"role": "user", "content": "what's my name?"}]}, config)

print(graph.get_state(config))
for snapshot in graph.get_state_history(config):
    print(snapshot)

thread_id = "1"
checkpointer.delete_thread(thread_id)
print(graph.get_state(config))
