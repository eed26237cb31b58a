# From LangGraph docs: concepts/persistence.md, "Memory Store" ("Basic Usage"): the application
# puts a memory into an InMemoryStore by hand and searches it, then a graph node reads it back
# ("Using in LangGraph"). Changed: the memory id is fixed (the page uses uuid.uuid4()); the
# search results are printed.
from langgraph.store.memory import InMemoryStore
from langgraph.store.base import BaseStore
from langgraph.graph import StateGraph, MessagesState, START

in_memory_store = InMemoryStore()

user_id = "1"
namespace_for_memory = (user_id, "memories")

memory_id = "memory-1"
memory = {"food_preference" : "I like pizza"}
in_memory_store.put(namespace_for_memory, memory_id, memory)

memories = in_memory_store.search(namespace_for_memory)
print(memories[-1].dict())


def update_memory(state: MessagesState, *, store: BaseStore):
    print([m.value for m in store.search(namespace_for_memory)])
    store.put(namespace_for_memory, "memory-2", {"food_preference": "and pasta"})
    return {}


graph = (
    StateGraph(MessagesState)
    .add_node(update_memory)
    .add_edge(START, "update_memory")
    .compile(store=in_memory_store)
)
graph.invoke({"messages": []})
print([m.key for m in in_memory_store.search(namespace_for_memory)])
