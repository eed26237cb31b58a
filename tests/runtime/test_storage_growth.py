"""Storage per turn does not grow with the conversation (append-shaped updates)."""

from __future__ import annotations

from typing import Annotated, Any, TypedDict

import pytest

from runtime import END, START, StateGraph
from runtime.graph import _plain_messages
from runtime.graph.message import add_messages
from stores import MemoryStore

from .conftest import cfg

TEXT = "x" * 200


def dict_messages(left: list[Any], right: Any) -> list[Any]:
    """add_messages as it is without langchain-core: messages stay dicts."""
    return _plain_messages.merge(left, right, None)


class Chat(TypedDict):
    # dict messages: 1500 turns stay cheap
    messages: Annotated[list, dict_messages]


class LangChainChat(TypedDict):
    messages: Annotated[list, add_messages]  # with langchain-core: message objects


class Tutorial(TypedDict):
    messages: list


def chat_graph(store: Any, schema: type = Chat) -> Any:
    def agent(state: Any) -> dict[str, Any]:
        return {"messages": [{"role": "assistant", "content": TEXT}]}

    b = StateGraph(schema)
    b.add_node("agent", agent)
    b.add_edge(START, "agent")
    b.add_edge("agent", END)
    return b.compile(checkpointer=store)


def tutorial_graph(store: Any) -> Any:
    def agent(state: Tutorial) -> dict[str, Any]:
        state["messages"] += [TEXT, TEXT]
        return {"messages": state["messages"]}

    b = StateGraph(Tutorial)
    b.add_node("agent", agent)
    b.add_edge(START, "agent")
    b.add_edge("agent", END)
    return b.compile(checkpointer=store)


async def _stored_bytes(store: MemoryStore) -> int:
    rows = await store.list_checkpoints("chat")
    return sum(len(r.payload) for r in rows)


@pytest.mark.parametrize("shape", ["add_messages", "langchain", "tutorial"])
async def test_bytes_per_turn_stay_flat_over_a_long_conversation(shape: str) -> None:
    store = MemoryStore()
    if shape == "tutorial":
        graph = tutorial_graph(store)
    else:
        graph = chat_graph(store, Chat if shape == "add_messages" else LangChainChat)
    # LangChain messages cost more CPU per turn (issues 12, 15): fewer, shorter windows
    window, windows = (100, 3) if shape == "langchain" else (500, 3)
    per_turn: list[float] = []  # stored bytes per turn within each window of turns
    stored = 0
    async with graph:
        for t in range(window * windows):
            if shape != "tutorial":
                inp: dict[str, Any] = {"messages": [{"role": "user", "content": TEXT}]}
            else:
                inp = {"messages": []} if t == 0 else {}
            await graph.ainvoke(inp, cfg("chat"))
            if (t + 1) % window == 0:
                await graph.aflush()
                now = await _stored_bytes(store)
                per_turn.append((now - stored) / window)
                stored = now
        state = await graph.aget_state(cfg("chat"))
        # what one turn's own records cost (the last turn wrote no snapshot)
        rows = await store.list_checkpoints("chat", limit=3)
        assert all(r.base != r.seq for r in rows)
        turn_bytes = sum(len(r.payload) for r in rows)
    assert len(state.values["messages"]) == 2 * window * windows
    # Snapshots included, a turn stores a small multiple of its own records, in the last
    # window as in the first. Snapshotting every K checkpoints instead (storage per turn
    # ~ state size / K) stores 11x a turn's records per turn by 1500 turns, and climbing.
    assert max(per_turn) < 6 * turn_bytes, (per_turn, turn_bytes)
