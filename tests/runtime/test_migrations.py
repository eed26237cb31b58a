"""State schema versions: sessions written by an older schema are migrated when loaded."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypedDict

import pytest

from runtime import END, START, InvalidConfigError, StateGraph

from .conftest import cfg, reopen


class V0(TypedDict):
    messages: list


class V2(TypedDict):
    history: list
    turns: int


def v0_graph() -> StateGraph:
    b = StateGraph(V0)
    b.add_node("agent", lambda s: {"messages": [*s["messages"], "hi"]})
    b.add_edge(START, "agent").add_edge("agent", END)
    return b


def v2_graph() -> StateGraph:
    b = StateGraph(V2)
    b.add_node("agent", lambda s: {"history": [*s["history"], "hi"], "turns": s["turns"] + 1})
    b.add_edge(START, "agent").add_edge("agent", END)
    return b


def to_v1(values: dict[str, Any]) -> dict[str, Any]:  # messages -> history (a rename)
    return {"history": values.pop("messages"), "messages": []}


def to_v2(values: dict[str, Any]) -> dict[str, Any]:  # drop the old key, count the turns
    return {"history": values["history"], "turns": len(values["history"])}


MIGRATIONS = {0: to_v1, 1: to_v2}


async def test_an_old_session_is_migrated_on_load_and_goes_on(
    store_factory: Callable[[], Any],
) -> None:
    store = store_factory()
    async with v0_graph().compile(checkpointer=store) as old:
        await old.ainvoke({"messages": []}, cfg("t"))
        await old.ainvoke({}, cfg("t"))
    new = v2_graph().compile(
        checkpointer=reopen(store, store_factory), state_version=2, migrations=MIGRATIONS
    )
    async with new:
        out = await new.ainvoke({}, cfg("t"))
        assert out == {"history": ["hi", "hi", "hi"], "turns": 3}
        history = [h async for h in new.aget_state_history(cfg("t"))]
        migration = [h for h in history if h.metadata["source"] == "migration"]
        assert len(migration) == 1
        assert migration[0].metadata["migrated_from"] == 0
        assert migration[0].values == {"history": ["hi", "hi"], "turns": 2}
    # the migrated session, loaded again (from the store), is not migrated twice
    again = v2_graph().compile(
        checkpointer=reopen(store, store_factory), state_version=2, migrations=MIGRATIONS
    )
    async with again:
        out = await again.ainvoke({}, cfg("t"))
        assert out == {"history": ["hi"] * 4, "turns": 4}
        history = [h async for h in again.aget_state_history(cfg("t"))]
        assert [h.metadata["source"] for h in history].count("migration") == 1
        # a new thread starts at the current version: nothing to migrate
        assert await again.ainvoke({"history": [], "turns": 0}, cfg("new")) == {
            "history": ["hi"],
            "turns": 1,
        }


async def test_a_missing_or_failing_migration_leaves_the_session_as_it_was(
    store_factory: Callable[[], Any],
) -> None:
    store = store_factory()
    async with v0_graph().compile(checkpointer=store) as old:
        await old.ainvoke({"messages": []}, cfg("t"))

    def broken(values: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("bad migration")

    for migrations, error, match in (
        ({1: to_v2}, InvalidConfigError, "no migration starts at 0"),
        ({0: to_v1, 1: broken}, RuntimeError, "bad migration"),
    ):
        graph = v2_graph().compile(
            checkpointer=reopen(store, store_factory), state_version=2, migrations=migrations
        )
        async with graph:
            with pytest.raises(error, match=match):
                await graph.ainvoke({}, cfg("t"))
    async with v0_graph().compile(checkpointer=reopen(store, store_factory)) as old:
        state = await old.aget_state(cfg("t"))
        assert state.values == {"messages": ["hi"]}  # as it was, nothing written
        history = [h async for h in old.aget_state_history(cfg("t"))]
        assert "migration" not in [h.metadata["source"] for h in history]


async def test_a_session_newer_than_the_graph_is_refused(
    store_factory: Callable[[], Any],
) -> None:
    store = store_factory()
    graph = v2_graph().compile(checkpointer=store, state_version=2, migrations=MIGRATIONS)
    async with graph:
        await graph.ainvoke({"history": [], "turns": 0}, cfg("t"))
    older = v2_graph().compile(checkpointer=reopen(store, store_factory), state_version=1)
    async with older:
        with pytest.raises(InvalidConfigError, match="newer than this graph"):
            await older.ainvoke({}, cfg("t"))


def test_bad_migration_options_fail_at_compile() -> None:
    with pytest.raises(ValueError, match="state_version"):
        v2_graph().compile(state_version=-1)
    with pytest.raises(ValueError, match="migrations maps a version"):
        v2_graph().compile(state_version=1, migrations={1: to_v2})
