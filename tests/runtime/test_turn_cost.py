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
    n = 100_000  # far beyond the length from which no slice is made
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


def test_a_deep_list_is_encoded_from_cached_items_and_stays_exact() -> None:
    """Appends to a deep list (tuples, datetimes, nested dicts) encode only the new items;
    the encoding decodes to the values after appends, sets and a set of the same length."""
    import datetime as dt

    from stores import codec

    head = ThreadState("t")
    head.reset({"log": [("a", 1)], "n": 0})
    from stores import _ext

    encodes = [0]
    default = _ext._default

    def counted(value: object) -> object:  # each value msgpack does not take as it is
        encodes[0] += 1
        return default(value)

    def commit(changes: list[tuple[str, int, object]]) -> None:
        values = dict(head.values)
        for ch, op, v in changes:
            values[ch] = [*values[ch], *v] if op == APPEND else v  # type: ignore[list-item]
        head.commit(
            values,
            changes,
            None,
            step=0,
            source="loop",
            next_nodes=(),
            metadata={},
            tasks=[],
            extra={},
        )
        assert codec.decode(head.encoded()) == head.values
        assert head.copy_values() == head.values

    commit([("log", APPEND, [("b", dt.date(2020, 1, 2))])])
    for i in range(40):
        commit([("log", APPEND, [{"i": (i,), "at": dt.datetime(2021, 1, 1)}]), ("n", SET, i)])
    import pytest

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_ext, "_default", counted)
        commit([("log", APPEND, [("c", 3)])])
    # the new tuple for the record and for the cached items, and what the checks above
    # decode and copy: not the 80 tuples and datetimes already in the list
    assert encodes[0] <= 4, encodes
    commit([("log", SET, [(str(i), i) for i in range(len(head.values["log"]))])])
    commit([("log", SET, [("x", 0)])])
    commit([("log", APPEND, [("y", 1)] * 20)])
