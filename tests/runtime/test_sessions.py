"""Sessions through the async API on both stores: turns, state, streaming, errors."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypedDict

import pytest

from runtime import (
    START,
    EmptyInputError,
    InvalidConfigError,
    InvalidUpdateError,
    SerializationError,
    StateGraph,
)

from .conftest import cfg, tutorial_builder


async def test_300_concurrent_turns_on_one_thread_lose_nothing(
    store_factory: Callable[[], Any],
) -> None:
    graph = tutorial_builder().compile(checkpointer=store_factory())
    async with graph:
        await graph.ainvoke({"messages": []}, cfg("hot"))
        outs = await asyncio.gather(*(graph.ainvoke({}, cfg("hot")) for _ in range(300)))
        state = await graph.aget_state(cfg("hot"))
    assert len(state.values["messages"]) == 301
    # Serialized one at a time: each caller saw a distinct, growing conversation.
    assert sorted(len(o["messages"]) for o in outs) == list(range(2, 302))
    # And it is all durable: a new runtime over the same store reads the same state.
    if store_factory.kind == "sqlite":  # type: ignore[attr-defined]
        again = tutorial_builder().compile(checkpointer=store_factory())
        async with again:
            assert len((await again.aget_state(cfg("hot"))).values["messages"]) == 301


async def test_state_history_and_resume(store_factory: Callable[[], Any]) -> None:
    graph = tutorial_builder().compile(checkpointer=store_factory())
    async with graph:
        assert (await graph.aget_state(cfg("t"))).values == {}
        with pytest.raises(EmptyInputError):
            await graph.ainvoke(None, cfg("t"))
        await graph.ainvoke({"messages": []}, cfg("t"))
        out = await graph.ainvoke({}, cfg("t"))
        assert out == {"messages": ["Hello from the agent"] * 2}
        # invoke(None) on a finished thread returns the state and adds no checkpoint
        before = [s async for s in graph.aget_state_history(cfg("t"))]
        assert await graph.ainvoke(None, cfg("t")) == out
        history = [s async for s in graph.aget_state_history(cfg("t"))]
        assert len(history) == len(before) == 6
        assert [s.metadata["source"] for s in history] == ["loop", "loop", "input"] * 2
        assert [s.metadata["step"] for s in history] == [4, 3, 2, 1, 0, -1]
        assert history[1].next == ("agent",)
        # get_state at an old checkpoint rebuilds that state
        old = await graph.aget_state(history[3].config)
        assert old.values == {"messages": ["Hello from the agent"]}
        assert old.parent_config == history[4].config
        # limit / before / filter
        assert len([s async for s in graph.aget_state_history(cfg("t"), limit=2)]) == 2
        older = [s async for s in graph.aget_state_history(cfg("t"), before=history[2].config)]
        assert [s.metadata["step"] for s in older] == [1, 0, -1]
        inputs = [s async for s in graph.aget_state_history(cfg("t"), filter={"source": "input"})]
        assert len(inputs) == 2


async def test_stream_values_and_updates(store_factory: Callable[[], Any]) -> None:
    graph = tutorial_builder().compile(checkpointer=store_factory())
    async with graph:
        values = [
            ev async for ev in graph.astream({"messages": []}, cfg("s"), stream_mode="values")
        ]
        assert values == [{"messages": []}, {"messages": ["Hello from the agent"]}]
        # "updates" is the default, as for LangGraph's compiled StateGraph
        updates = [ev async for ev in graph.astream({}, cfg("s"))]
        assert updates == [{"agent": {"messages": ["Hello from the agent"] * 2}}]
        both = [ev async for ev in graph.astream({}, cfg("s"), stream_mode=["values", "updates"])]
        # no "values" event for the input step: `{}` writes nothing (LangGraph's rule)
        assert [mode for mode, _ in both] == ["updates", "values"]
        # the caller's copies are private: mutating them does not touch the session
        both[-1][1]["messages"].clear()
        assert len((await graph.aget_state(cfg("s"))).values["messages"]) == 3


async def test_returned_values_are_private_copies(store_factory: Callable[[], Any]) -> None:
    graph = tutorial_builder().compile(checkpointer=store_factory())
    async with graph:
        out = await graph.ainvoke({"messages": []}, cfg("p"))
        out["messages"].append("tampered")
        (await graph.aget_state(cfg("p"))).values["messages"].append("tampered")
        assert (await graph.ainvoke({}, cfg("p")))["messages"] == ["Hello from the agent"] * 2


async def test_node_that_mutates_then_raises_leaves_session_as_it_was(
    store_factory: Callable[[], Any],
) -> None:
    fail = {"on": False}

    def flaky(state: dict[str, Any]) -> dict[str, Any]:
        state["messages"].append("half-done")  # mutate the input...
        state["messages"].clear()
        if fail["on"]:
            raise RuntimeError("model timed out")  # ...then raise
        state["messages"].append("ok")
        return {"messages": state["messages"]}

    graph = tutorial_builder(flaky).compile(checkpointer=store_factory())
    async with graph:
        await graph.ainvoke({"messages": ["hi"]}, cfg("f"))
        before = await graph.aget_state(cfg("f"))
        fail["on"] = True
        with pytest.raises(RuntimeError, match="model timed out") as info:
            await graph.ainvoke({}, cfg("f"))
        assert any("'agent'" in n and "'f'" in n for n in info.value.__notes__)
        after = await graph.aget_state(cfg("f"))
        assert after.values == before.values == {"messages": ["ok"]}
        # other sessions do not notice, and this one stays usable
        fail["on"] = False
        assert await graph.ainvoke({"messages": ["x"]}, cfg("other")) == {"messages": ["ok"]}
        assert await graph.ainvoke({}, cfg("f")) == {"messages": ["ok"]}


async def test_bad_node_return_and_unserializable_value(store_factory: Callable[[], Any]) -> None:
    mode = {"ret": "ok"}

    def node(state: dict[str, Any]) -> Any:
        if mode["ret"] == "int":
            return 5
        if mode["ret"] == "object":
            return {"messages": [*state["messages"], {"nested": object()}]}
        return {"messages": [*state["messages"], "ok"]}

    graph = tutorial_builder(node).compile(checkpointer=store_factory())
    async with graph:
        await graph.ainvoke({"messages": []}, cfg("b"))
        before = (await graph.aget_state(cfg("b"))).values
        mode["ret"] = "int"
        with pytest.raises(InvalidUpdateError, match="Expected dict, got 5"):
            await graph.ainvoke({}, cfg("b"))
        mode["ret"] = "object"
        with pytest.raises(SerializationError) as info:
            await graph.ainvoke({}, cfg("b"))
        assert info.value.path == "state['messages'][1]['nested']"
        assert info.value.thread_id == "b" and info.value.node == "agent"
        assert (await graph.aget_state(cfg("b"))).values == before
        mode["ret"] = "ok"
        assert (await graph.ainvoke({}, cfg("b")))["messages"] == ["ok", "ok"]


@pytest.mark.parametrize(
    "config",
    [
        None,
        {},
        {"configurable": {}},
        {"configurable": {"thread_id": ""}},
        {"thread_id": "x"},
        {"configurable": {"thread_id": 1.5}},
        "thread-1",
    ],
)
async def test_bad_config_fails_at_once_showing_the_shape(config: Any) -> None:
    from stores import MemoryStore

    graph = tutorial_builder().compile(checkpointer=MemoryStore())
    async with graph:
        with pytest.raises(InvalidConfigError, match=r'"configurable": \{"thread_id"'):
            await graph.ainvoke({}, config)
        assert graph.statistics().active == 0


async def test_int_and_uuid_thread_ids_are_accepted() -> None:
    import uuid

    from stores import MemoryStore

    graph = tutorial_builder().compile(checkpointer=MemoryStore())
    async with graph:
        u = uuid.uuid4()
        await graph.ainvoke({"messages": []}, {"configurable": {"thread_id": u}})
        await graph.ainvoke({"messages": []}, {"configurable": {"thread_id": 7}})
        assert (await graph.aget_state(cfg(str(u)))).values["messages"]
        assert (await graph.aget_state(cfg("7"))).values["messages"]


async def test_without_checkpointer_each_invoke_starts_fresh() -> None:
    graph = tutorial_builder().compile()
    assert await graph.ainvoke({"messages": []}) == {"messages": ["Hello from the agent"]}
    assert await graph.ainvoke({"messages": []}, cfg("x")) == {"messages": ["Hello from the agent"]}
    await graph.aclose()


class TwoKeys(TypedDict, total=False):
    messages: list
    turns: int


async def test_caller_objects_are_not_shared_with_the_session(
    store_factory: Callable[[], Any],
) -> None:
    # The node leaves "messages" alone and counts turns: if the runtime kept the caller's
    # list instead of a copy, the caller's later change would surface as soon as another
    # key changes and the state is encoded again.
    builder = StateGraph(TwoKeys)
    builder.add_node("count", lambda s: {"turns": s.get("turns", 0) + 1})
    builder.add_edge(START, "count")
    graph = builder.compile(checkpointer=store_factory())
    async with graph:
        mine = ["from the caller"]
        await graph.ainvoke({"messages": mine}, cfg("c"))
        mine.append("changed later")  # must not reach the session
        out = await graph.ainvoke({}, cfg("c"))
        assert out == {"messages": ["from the caller"], "turns": 2}


async def test_thread_lifecycle(store_factory: Callable[[], Any]) -> None:
    graph = tutorial_builder().compile(checkpointer=store_factory())
    async with graph:
        made = await graph.acreate_thread("t1", metadata={"user": "ada", "plan": "pro"})
        assert (made.thread_id, made.status, made.metadata) == (
            "t1",
            "idle",
            {"user": "ada", "plan": "pro"},
        )
        await graph.acreate_thread("t2", metadata={"user": "bob"}, values={"messages": ["hi"]})
        assert (await graph.aget_state(cfg("t2"))).values == {"messages": ["hi"]}
        assert [t.thread_id for t in await graph.alist_threads(metadata={"user": "ada"})] == ["t1"]
        await graph.ainvoke({"messages": []}, cfg("t1"))
        assert (await graph.aget_thread("t1")).checkpoints == 3  # type: ignore[union-attr]
        assert await graph.adelete_thread("t2")
        assert await graph.aget_thread("t2") is None
        assert (await graph.aget_state(cfg("t2"))).values == {}
        await graph.aflush()
        assert graph.statistics().dirty == 0
