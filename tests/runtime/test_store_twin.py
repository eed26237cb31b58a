"""``runtime.store.memory.InMemoryStore`` against LangGraph's, from application code and
from nodes: the same calls print the same items."""

import re
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver as LGSaver
from langgraph.graph import START as LG_START
from langgraph.graph import StateGraph as LGStateGraph
from langgraph.store.base import BaseStore as LGBaseStore
from langgraph.store.memory import InMemoryStore as LGInMemoryStore
from typing_extensions import TypedDict

from runtime import START, StateGraph
from runtime.store.base import BaseStore
from runtime.store.memory import InMemoryStore
from stores import MemoryStore


class S(TypedDict):
    seen: list[str]


def program(lib: str) -> list[str]:
    lg = lib == "lg"
    store = LGInMemoryStore() if lg else InMemoryStore()
    out: list[str] = []
    store.put(("users", "1"), "a", {"food": "pizza"})
    store.put(("users", "1"), "b", {"food": "pasta"})
    store.put(("users", "2"), "a", {"food": "soup"})
    store.put(("users", "1"), "a", {"food": "pizza!"})  # an update keeps its place

    Base = LGBaseStore if lg else BaseStore

    def node(state: S, *, store: Base) -> dict[str, Any]:  # type: ignore[valid-type]
        store.put(("users", "1"), "c", {"food": "rice"})
        return {"seen": [i.key for i in store.search(("users", "1"), query="food")]}

    builder = (LGStateGraph if lg else StateGraph)(S)
    builder.add_node("node", node)
    builder.add_edge(LG_START if lg else START, "node")
    graph = builder.compile(checkpointer=LGSaver() if lg else MemoryStore(), store=store)
    out.append(repr(graph.invoke({"seen": []}, {"configurable": {"thread_id": "t"}})))
    if not lg:
        graph.close()  # the store stays usable for the application, as LangGraph's
    out.append(repr(store.get(("users", "1"), "a")))
    out.append(repr(store.search(("users",), filter={"food": "pasta"})))
    out.append(repr([i.key for i in store.search(("users",), limit=3, offset=1)]))
    out.append(repr(store.list_namespaces()))
    store.delete(("users", "2"), "a")
    out.append(repr(store.list_namespaces(prefix=("users",))))
    out.append(repr(store.get(("users", "2"), "a")))
    # timestamps differ from run to run
    return [re.sub(r"'\d{4}-\d\d-\d\dT[^']*'", "<t>", line) for line in out]


def test_the_store_twin_prints_what_langgraphs_prints() -> None:
    assert program("ours") == program("lg")


async def test_async_twins_and_an_index_is_refused() -> None:
    store = InMemoryStore()
    await store.aput(("n",), "k", {"v": 1})
    assert (await store.aget(("n",), "k")).value == {"v": 1}  # type: ignore[union-attr]
    assert [i.key for i in await store.asearch(("n",))] == ["k"]
    assert await store.alist_namespaces() == [("n",)]
    await store.adelete(("n",), "k")
    assert await store.aget(("n",), "k") is None
    with pytest.raises(NotImplementedError, match="not built yet"):
        InMemoryStore(index={"dims": 3, "embed": lambda texts: []})
