"""A turn's own work does not grow with the conversation (besides the private copies).

Pinned by memory allocated, which does not vary with machine load as time does.
"""

from __future__ import annotations

import tracemalloc

from runtime.engine.state import APPEND, SET, ThreadState


def peak_during(fn: object) -> tuple[object, int]:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        result = fn()  # type: ignore[operator]
        return result, tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def test_diff_of_an_appended_long_list_allocates_only_the_new_items() -> None:
    n = 100_000
    head = ThreadState("t")
    head.reset({"messages": [f"m{i}" for i in range(n)]})
    new = head.copy_values()
    new["messages"] += ["a", "b"]
    changes, peak = peak_during(lambda: head.diff(new, ["messages"]))
    assert changes == [("messages", APPEND, ["a", "b"])]
    assert new["messages"][-3:] == [f"m{n - 1}", "a", "b"] and len(new["messages"]) == n + 2
    assert peak < n  # a slice of the old length alone would be 8 bytes an item


def test_diff_still_sees_a_changed_prefix_and_leaves_the_list_whole() -> None:
    head = ThreadState("t")
    head.reset({"messages": ["a", "b", "c"]})
    new = head.copy_values()["messages"]
    new[1] = "B"
    new.append("d")
    assert head.diff({"messages": new}, ["messages"]) == [("messages", SET, new)]
    assert new == ["a", "B", "c", "d"]
    same = ["a", "b", "c"]
    assert head.diff({"messages": same}, ["messages"]) == []
    longer = ["a", "b", "c", "d"]
    assert head.diff({"messages": longer}, ["messages"]) == [("messages", APPEND, ["d"])]
    assert longer == ["a", "b", "c", "d"]
