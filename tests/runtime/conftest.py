"""Shared fixtures: the tutorial graph over each store (a real SQLite file for SQLite)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypedDict

import pytest

from runtime import END, START, StateGraph
from stores import MemoryStore, SqliteStore


class ChatState(TypedDict):
    messages: list


def agent(state: ChatState) -> dict[str, Any]:
    # The tutorial's node: mutates its input, returns the whole list (no reducer).
    state.setdefault("messages", []).append("Hello from the agent")
    return {"messages": state["messages"]}


async def async_agent(state: ChatState) -> dict[str, Any]:
    """The tutorial's node as ``async def``: its turns can suspend, so they always go
    through the actor's mailbox (a sync graph's turn of an idle actor runs in the caller's
    task, see SessionActor.run_now)."""
    return agent(state)


def tutorial_builder(node: Callable[..., Any] = agent) -> StateGraph:
    builder = StateGraph(ChatState)
    builder.add_node("agent", node)
    builder.add_edge(START, "agent")
    builder.add_edge("agent", END)
    return builder


@pytest.fixture(params=["memory", "sqlite"])
def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], Any]:
    """Makes a store of the parametrized kind; SQLite ones share one file per test."""
    path = tmp_path / "sessions.db"

    def make() -> Any:
        return MemoryStore() if request.param == "memory" else SqliteStore(path)

    make.kind = request.param  # type: ignore[attr-defined]
    make.path = path  # type: ignore[attr-defined]
    return make


def cfg(thread_id: str, **extra: Any) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread_id}, **extra}


def reopen(store: Any, factory: Callable[[], Any]) -> Any:
    """The same data through a new store object (a memory store is its own data)."""
    return store if factory.kind == "memory" else factory()  # type: ignore[attr-defined]
