# From LangGraph docs: how-tos/memory/add-memory.md, "Add long-term memory" ("Use in
# production" / the InMemoryStore example): call_model takes `store: BaseStore`, searches
# ("memories", user_id) and puts a memory when asked to remember; a second thread of the same
# user finds it. Changed: the model is scripted; the system message the node builds is printed
# (the scripted model ignores it); the store is searched from a node of a third thread.
import uuid

from langchain_core.runnables import RunnableConfig
from langgraph.graph import StateGraph, MessagesState, START
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.store.memory import InMemoryStore
from langgraph.store.base import BaseStore

from _fake import chat_model

model = chat_model("Hi Bob! I'll remember that.", "Your name is Bob.")


def call_model(
    state: MessagesState,
    config: RunnableConfig,
    *,
    store: BaseStore,
):
    user_id = config["configurable"]["user_id"]
    namespace = ("memories", user_id)
    memories = store.search(namespace, query=str(state["messages"][-1].content))
    info = "\n".join([d.value["data"] for d in memories])
    system_msg = f"You are a helpful assistant talking to the user. User info: {info}"
    print(system_msg)

    # Store new memories if the user asks the model to remember
    last_message = state["messages"][-1]
    if "remember" in last_message.content.lower():
        memory = "User name is Bob"
        store.put(namespace, str(uuid.uuid4()), {"data": memory})

    response = model.invoke(
        [{"role": "system", "content": system_msg}] + state["messages"]
    )
    return {"messages": response}


checkpointer = InMemorySaver()
store = InMemoryStore()

builder = StateGraph(MessagesState)
builder.add_node(call_model)
builder.add_edge(START, "call_model")

graph = builder.compile(
    checkpointer=checkpointer,
    store=store,
)

config = {
    "configurable": {
        "thread_id": "1",
        "user_id": "1",
    }
}
for chunk in graph.stream(
    {"messages": [{"role": "user", "content": "Hi! Remember: my name is Bob"}]},
    config,
    stream_mode="values",
):
    chunk["messages"][-1].pretty_print()

config = {
    "configurable": {
        "thread_id": "2",
        "user_id": "1",
    }
}

for chunk in graph.stream(
    {"messages": [{"role": "user", "content": "what is my name?"}]},
    config,
    stream_mode="values",
):
    chunk["messages"][-1].pretty_print()


class Probe(MessagesState):
    pass


def look(state: Probe, *, store: BaseStore):
    items = store.search(("memories", "1"))
    print([(item.namespace, item.value) for item in items])
    print(store.get(("memories", "1"), items[0].key).value)
    print(store.search(("memories", "2")))
    return {}


probe = StateGraph(Probe).add_node(look).add_edge(START, "look").compile(store=store)
probe.invoke({"messages": []})
