"""Thread ids the Python API refuses up front (empty, lone surrogates) and ids it keeps
exactly (slashes, non-ASCII), over both stores."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from runtime.errors import InvalidConfigError

from .conftest import cfg, reopen, tutorial_builder

BAD = ["", "a\ud800", "\udfff", "x\ud83d"]  # empty; lone surrogates (high, low, half a pair)


@pytest.mark.parametrize("tid", BAD)
async def test_bad_thread_ids_are_refused_before_anything_changes(
    store_factory: Callable[[], Any], tid: str
) -> None:
    async with tutorial_builder().compile(checkpointer=store_factory()) as graph:
        calls: list[Callable[[], Any]] = [
            lambda: graph.ainvoke({"messages": []}, cfg(tid)),
            lambda: graph.ainvoke({"messages": []}, cfg(tid, metadata={"a": 1})),
            lambda: graph.aget_state(cfg(tid)),
            lambda: graph.aupdate_state(cfg(tid), {"messages": ["x"]}),
            lambda: graph.acreate_thread(tid),
            lambda: graph.aget_thread(tid),
            lambda: graph.adelete_thread(tid),
            lambda: graph.aarchive_thread(tid),
            lambda: graph.arestore_thread(tid),
        ]
        for call in calls:
            with pytest.raises(InvalidConfigError, match="thread_id"):
                await call()
        with pytest.raises(InvalidConfigError):
            async for _ in graph.astream({"messages": []}, cfg(tid)):
                pass
        assert await graph.alist_threads() == []  # no thread was made, none under a new id
    with pytest.raises(InvalidConfigError):
        graph.invoke({"messages": []}, cfg(tid))


async def test_odd_but_valid_ids_round_trip(store_factory: Callable[[], Any]) -> None:
    ids = ["a/b", "/", "é/ü", "\U0001f600", " ", "%2F"]
    store = store_factory()
    async with tutorial_builder().compile(checkpointer=store) as graph:
        for tid in ids:
            await graph.acreate_thread(tid)
            assert await graph.ainvoke({"messages": []}, cfg(tid)) == {
                "messages": ["Hello from the agent"]
            }
    async with tutorial_builder().compile(checkpointer=reopen(store, store_factory)) as graph:
        assert sorted(t.thread_id for t in await graph.alist_threads()) == sorted(ids)
        for tid in ids:
            snap = await graph.aget_state(cfg(tid))
            assert snap.values == {"messages": ["Hello from the agent"]}
            assert snap.config["configurable"]["thread_id"] == tid
