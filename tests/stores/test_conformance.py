"""The one conformance suite every store backend passes (the ``store`` fixture runs each)."""

from __future__ import annotations

import msgspec
import pytest
from store_helpers import batch, row, seqs, thread

from stores import SerializationError, Store, StoreError, StoreUnavailableError


async def test_is_a_store_and_open_close_are_idempotent(store: Store) -> None:
    assert isinstance(store, Store)
    await store.open()
    await store.write_batch(batch([row("t", 1)]))
    await store.close()
    await store.close()
    with pytest.raises(StoreUnavailableError, match="closed"):
        await store.get_thread("t")
    await store.open()
    await store.open()
    assert seqs(await store.load_chain("t")) == [1]


async def test_rows_come_back_as_given(store: Store) -> None:
    rows = [row("t", 1, base=1, payload=b"\x00\xff" * 50), row("t", 2, base=1, payload=b"")]
    await store.write_batch(batch(rows, [thread("t", metadata=b"\x01", head=2)]))
    assert await store.load_chain("t") == rows
    assert rows[0].parent is None
    assert await store.get_thread("t") == thread("t", metadata=b"\x01", head=2)
    assert await store.get_thread("nobody") is None


async def test_duplicate_in_store_rejects_whole_batch(store: Store) -> None:
    await store.write_batch(batch([row("t", 1)], [thread("t", head=1)]))
    bad = batch(
        [row("t", 2), row("u", 1), row("t", 1, payload=b"again")],
        [thread("t", status="busy", head=2), thread("u", head=1)],
        discard=[("v", 1)],
    )
    with pytest.raises(StoreError) as info:
        await store.write_batch(bad)
    assert not isinstance(info.value, StoreUnavailableError)  # retrying cannot help
    assert info.value.thread_id == "t"
    assert "checkpoint 1" in str(info.value)
    assert seqs(await store.load_chain("t")) == [1]
    assert (await store.load_chain("t"))[0].payload == b"t:1"
    assert await store.load_chain("u") == []
    assert await store.get_thread("u") is None
    assert (await store.get_thread("t")) == thread("t", head=1)
    # still usable, and the failure is counted
    await store.write_batch(batch([row("t", 2)], [thread("t", head=2)]))
    assert seqs(await store.load_chain("t")) == [1, 2]
    assert store.statistics().write_errors == 1


async def test_duplicate_within_batch_rejects_whole_batch(store: Store) -> None:
    with pytest.raises(StoreError, match="checkpoint 2"):
        await store.write_batch(batch([row("t", 1), row("t", 2), row("t", 2)], [thread("t")]))
    assert await store.list_checkpoints("t") == []
    assert await store.list_threads() == []


async def test_discard_drops_tail_before_inserting(store: Store) -> None:
    await store.write_batch(batch([row("t", s) for s in range(1, 5)] + [row("o", 3)]))
    new3 = row("t", 3, payload=b"redo")
    await store.write_batch(batch([new3], [thread("t", head=3)], discard=[("t", 3)]))
    assert await store.list_checkpoints("t", ascending=True) == [row("t", 1), row("t", 2), new3]
    assert seqs(await store.list_checkpoints("o")) == [3]  # other threads untouched
    # discarding everything, and a discard for an unknown thread, are fine
    await store.write_batch(batch(discard=[("t", 1), ("ghost", 1)]))
    assert await store.list_checkpoints("t") == []
    assert await store.get_thread("t") == thread("t", head=3)  # the row is the caller's


async def test_thread_upsert_keeps_created_at_and_absent_metadata(store: Store) -> None:
    await store.write_batch(batch(threads=[thread("t", created=1.0, updated=1.0, metadata=b"m")]))
    new = thread("t", status="busy", created=9.0, updated=5.0, metadata=None, head=7)
    await store.write_batch(batch(threads=[new]))
    assert await store.get_thread("t") == thread(
        "t", status="busy", created=1.0, updated=5.0, metadata=b"m", head=7
    )
    await store.write_batch(batch(threads=[thread("t", updated=6.0, metadata=b"n", head=8)]))
    assert await store.get_thread("t") == thread("t", updated=6.0, metadata=b"n", head=8)


async def test_load_chain_from_base_to_target(store: Store) -> None:
    rows = [
        row("t", 1, base=1),
        row("t", 2, base=1),
        row("t", 3, base=1),
        row("t", 4, base=4),  # a snapshot
        row("t", 5, base=4),
        row("t", 6, parent=2, base=1),  # a fork from 2: replayed from snapshot 1
    ]
    await store.write_batch(batch(rows, [thread("t", head=5)]))
    assert seqs(await store.load_chain("t")) == [4, 5]  # the head from the thread row
    assert seqs(await store.load_chain("t", 3)) == [1, 2, 3]
    assert seqs(await store.load_chain("t", 4)) == [4]
    chain = await store.load_chain("t", 6)
    assert chain[0].seq == 1 and chain[-1].seq == 6 and seqs(chain) == sorted(seqs(chain))
    assert {1, 2} <= set(seqs(chain))  # the parent path is there
    assert await store.load_chain("t", 99) == []
    assert await store.load_chain("nobody") == []
    await store.write_batch(batch(threads=[thread("t", head=2)]))
    assert seqs(await store.load_chain("t")) == [1, 2]


async def test_load_chain_with_a_head_past_the_stored_rows_reads_the_latest_below(
    store: Store,
) -> None:
    # A thread row may point past what is stored (written while a turn had not handed its
    # checkpoints over, by a runtime killed then): the thread is not empty for that.
    await store.write_batch(batch([row("t", 1, base=1), row("t", 2, base=1)]))  # packed in one
    await store.write_batch(batch([row("t", 5, parent=2, base=1)], [thread("t", head=8)]))
    assert seqs(await store.load_chain("t")) == [1, 2, 5]
    await store.write_batch(batch(threads=[thread("t", head=4)]))
    assert seqs(await store.load_chain("t")) == [1, 2]
    await store.write_batch(batch([row("u", 3, base=3)], [thread("u", head=1)]))
    assert await store.load_chain("u") == []  # a head below every row: nothing to read


async def test_load_chain_without_thread_row_uses_latest(store: Store) -> None:
    await store.write_batch(batch([row("t", 1, base=1), row("t", 2, base=2), row("t", 3, base=2)]))
    assert seqs(await store.load_chain("t")) == [2, 3]


async def test_list_checkpoints_order_before_limit(store: Store) -> None:
    await store.write_batch(batch([row("t", s) for s in range(1, 8)] + [row("u", 1)]))
    assert seqs(await store.list_checkpoints("t")) == [7, 6, 5, 4, 3, 2, 1]
    assert seqs(await store.list_checkpoints("t", ascending=True)) == [1, 2, 3, 4, 5, 6, 7]
    assert seqs(await store.list_checkpoints("t", before=5)) == [4, 3, 2, 1]
    assert seqs(await store.list_checkpoints("t", limit=2)) == [7, 6]
    assert seqs(await store.list_checkpoints("t", before=5, limit=2)) == [4, 3]
    assert seqs(await store.list_checkpoints("t", before=5, limit=2, ascending=True)) == [1, 2]
    assert await store.list_checkpoints("t", limit=0) == []
    assert await store.list_checkpoints("t", before=1) == []
    assert await store.list_checkpoints("nobody") == []
    with pytest.raises(ValueError):
        await store.list_checkpoints("t", limit=-1)


async def test_list_threads_order_status_window(store: Store) -> None:
    threads = [
        thread("a", updated=3.0),
        thread("b", updated=1.0, status="archived"),
        thread("c", updated=2.0),
        thread("d", updated=2.0, status="archived"),
    ]
    await store.write_batch(batch(threads=threads))

    def ids(rows: list[object]) -> list[str]:
        return [r.thread_id for r in rows]  # type: ignore[attr-defined]

    assert ids(await store.list_threads()) == ["a", "d", "c", "b"]  # ties: thread_id desc
    assert ids(await store.list_threads(status="archived")) == ["d", "b"]
    assert ids(await store.list_threads(status="busy")) == []
    assert ids(await store.list_threads(limit=2)) == ["a", "d"]
    assert ids(await store.list_threads(limit=2, offset=1)) == ["d", "c"]
    assert ids(await store.list_threads(offset=3)) == ["b"]
    assert (await store.list_threads())[0] == threads[0]


async def test_delete_thread(store: Store) -> None:
    await store.write_batch(
        batch([row("t", 1), row("t", 2), row("u", 1), row("v", 1)], [thread("t"), thread("u")])
    )
    assert await store.delete_thread("t") is True
    assert await store.get_thread("t") is None
    assert await store.load_chain("t") == await store.list_checkpoints("t") == []
    assert await store.delete_thread("t") is False
    assert await store.delete_thread("v") is True  # checkpoints without a thread row
    assert seqs(await store.list_checkpoints("u")) == [1]
    assert [t.thread_id for t in await store.list_threads()] == ["u"]
    await store.write_batch(batch([row("t", 1)]))  # the id can be used again


async def test_items_put_get_replace_delete(store: Store) -> None:
    assert await store.get_item(("users", "u1"), "prefs") is None
    value = {"theme": "dark", "n": 1, "nested": {"a": [1, 2]}}
    await store.put_item(("users", "u1"), "prefs", value)
    value["theme"] = "mutated after put"
    first = await store.get_item(("users", "u1"), "prefs")
    assert first is not None
    assert first.namespace == ("users", "u1") and first.key == "prefs"
    assert first.value == {"theme": "dark", "n": 1, "nested": {"a": [1, 2]}}
    assert first.created_at == first.updated_at
    await store.put_item(("users", "u1"), "prefs", {"theme": "light"})
    second = await store.get_item(("users", "u1"), "prefs")
    assert second is not None and second.value == {"theme": "light"}
    assert second.created_at == first.created_at and second.updated_at > first.updated_at
    await store.delete_item(("users", "u1"), "prefs")
    await store.delete_item(("users", "u1"), "prefs")  # deleting nothing is fine
    assert await store.get_item(("users", "u1"), "prefs") is None


async def test_items_reject_bad_namespaces_and_values(store: Store) -> None:
    for bad in [(), ("a.b",), ("",), ("ok", 3)]:
        with pytest.raises(ValueError):
            await store.put_item(bad, "k", {})  # type: ignore[arg-type]
    with pytest.raises(SerializationError) as info:
        await store.put_item(("a",), "k", {"ok": 1, "bad": [1, object()]})
    assert info.value.path == "value['bad'][1]"
    assert await store.search_items(()) == []


async def test_search_items_prefix_filter_order_window(store: Store) -> None:
    await store.put_item(("users", "u1"), "a", {"kind": "pref", "n": 1})
    await store.put_item(("users", "u1", "deep"), "b", {"kind": "fact", "n": 2})
    await store.put_item(("users2",), "c", {"kind": "pref", "n": 1})
    await store.put_item(("us_rs", "x%"), "d", {"kind": "pref", "n": 1.0, "tag": {"x": [1]}})
    await store.put_item(("users", "u2"), "e", {"kind": "pref", "n": True})

    def keys(items: list[object]) -> list[str]:
        return [i.key for i in items]  # type: ignore[attr-defined]

    assert keys(await store.search_items(("users",))) == ["e", "b", "a"]  # newest first
    assert keys(await store.search_items(("users", "u1"))) == ["b", "a"]
    assert keys(await store.search_items(("users", "u1", "deep"))) == ["b"]
    assert keys(await store.search_items(("us_rs",))) == ["d"]  # no LIKE wildcards
    assert keys(await store.search_items((), limit=100)) == ["e", "d", "c", "b", "a"]
    assert keys(await store.search_items((), limit=2, offset=1)) == ["d", "c"]
    pref = {"kind": "pref"}
    assert keys(await store.search_items((), filter=pref)) == ["e", "d", "c", "a"]
    assert keys(await store.search_items((), filter=pref, limit=2, offset=1)) == ["d", "c"]
    assert keys(await store.search_items(("users",), filter={"kind": "pref", "n": 1})) == [
        "e",
        "a",
    ]  # Python equality, as JSON would have it: 1 == 1.0 == True
    assert keys(await store.search_items((), filter={"tag": {"x": [1]}})) == ["d"]
    assert keys(await store.search_items((), filter={"missing": None})) == []
    found = await store.search_items(("users", "u1", "deep"))
    assert found[0].namespace == ("users", "u1", "deep") and found[0].value["n"] == 2


async def test_list_item_namespaces(store: Store) -> None:
    for ns in [("a", "b", "c"), ("a", "b"), ("a", "x"), ("b",), ("a-c",), ("a", "b", "d")]:
        await store.put_item(ns, "k", {})
    await store.put_item(("a", "b"), "k2", {})
    assert await store.list_item_namespaces() == [
        ("a", "b"),
        ("a", "b", "c"),
        ("a", "b", "d"),
        ("a", "x"),
        ("a-c",),
        ("b",),
    ]
    assert await store.list_item_namespaces(prefix=("a", "b")) == [
        ("a", "b"),
        ("a", "b", "c"),
        ("a", "b", "d"),
    ]
    assert await store.list_item_namespaces(max_depth=1) == [("a",), ("a-c",), ("b",)]
    assert await store.list_item_namespaces(prefix=("a",), max_depth=2) == [("a", "b"), ("a", "x")]
    assert await store.list_item_namespaces(limit=2, offset=2) == [("a", "b", "d"), ("a", "x")]
    assert await store.list_item_namespaces(prefix=("zzz",)) == []


async def test_statistics_is_a_frozen_snapshot(store: Store) -> None:
    before = store.statistics()
    await store.write_batch(batch([row("t", 1), row("t", 2)], [thread("t")], [("t", 5)]))
    after = store.statistics()
    assert isinstance(after, msgspec.Struct)
    assert (after.batches, after.rows_written) == (before.batches + 1, before.rows_written + 2)
    assert after.threads_written == 1 and after.discards == 1
    with pytest.raises(AttributeError):
        after.batches = 0


async def test_data_survives_close_and_open(store: Store) -> None:
    await store.write_batch(batch([row("t", 1), row("t", 2)], [thread("t", head=2)]))
    await store.put_item(("n",), "k", {"v": 1})
    await store.close()
    await store.open()
    assert seqs(await store.load_chain("t")) == [1, 2]
    assert (await store.get_thread("t")) == thread("t", head=2)
    item = await store.get_item(("n",), "k")
    assert item is not None and item.value == {"v": 1}


async def test_rows_written_out_of_order_are_listed_in_order(store: Store) -> None:
    await store.write_batch(batch([row("t", 5, base=5), row("t", 2, base=2)]))
    await store.write_batch(batch([row("t", 3, base=2), row("t", 9, base=5)]))
    assert seqs(await store.list_checkpoints("t", ascending=True)) == [2, 3, 5, 9]
    assert seqs(await store.load_chain("t", 3)) == [2, 3]
    assert seqs(await store.load_chain("t")) == [5, 9]  # no thread row: the latest
    assert store.statistics().rows_written == 4


# -- retention ----------------------------------------------------------------------------
async def test_set_thread_status(store: Store) -> None:
    await store.write_batch(batch([row("t", 1)], [thread("t", metadata=b"m", head=1)]))
    assert await store.set_thread_status("t", "archived", updated_at=7.0) is True
    assert await store.get_thread("t") == thread(
        "t", status="archived", updated=7.0, metadata=b"m", head=1
    )
    assert await store.set_thread_status("nobody", "archived", updated_at=7.0) is False
    assert await store.get_thread("nobody") is None


async def test_prune_checkpoints_in_bounded_batches_newest_first(store: Store) -> None:
    await store.write_batch(
        batch([row("t", s) for s in range(1, 9)] + [row("u", 1)], [thread("t", head=8)])
    )
    # one bounded batch takes the newest rows below the bound: what is left is a prefix
    assert await store.prune_checkpoints("t", 6, limit=2) == 2
    assert seqs(await store.list_checkpoints("t", ascending=True)) == [1, 2, 3, 6, 7, 8]
    assert await store.prune_checkpoints("t", 6, limit=2) == 2
    assert await store.prune_checkpoints("t", 6, limit=2) == 1  # fewer than limit: done
    assert await store.prune_checkpoints("t", 6, limit=2) == 0
    assert seqs(await store.list_checkpoints("t", ascending=True)) == [6, 7, 8]
    assert seqs(await store.list_checkpoints("u")) == [1]  # other threads untouched
    assert await store.get_thread("t") == thread("t", head=8)
    assert await store.prune_checkpoints("nobody", 5, limit=10) == 0
    with pytest.raises(ValueError, match="limit"):
        await store.prune_checkpoints("t", 8, limit=0)
    # everything can go; the thread row stays, and new rows can follow
    assert await store.prune_checkpoints("t", 100, limit=10) == 3
    assert await store.list_checkpoints("t") == [] and await store.load_chain("t") == []
    assert await store.get_thread("t") == thread("t", head=8)
    await store.write_batch(batch([row("t", 9, base=9)]))
    assert seqs(await store.load_chain("t", 9)) == [9]


async def test_prune_with_a_snapshot_rewrites_the_cut_first(store: Store) -> None:
    rows = [row("t", 1, base=1), *(row("t", s, base=1) for s in range(2, 7))]
    rows += [row("t", 7, base=7), row("t", 8, base=7), row("u", 5, parent=None, base=1)]
    await store.write_batch(batch(rows, [thread("t", head=8)]))
    # 4 becomes a snapshot, 5 and 6 replay from it; then a bounded delete below 4
    assert await store.prune_checkpoints("t", 4, limit=2, snapshot=b"full state at 4") == 2
    got = {r.seq: r for r in await store.list_checkpoints("t")}
    assert sorted(got) == [1, 4, 5, 6, 7, 8]
    assert got[4] == row("t", 4, base=4, payload=b"full state at 4")  # parent kept
    assert [got[s].base for s in (4, 5, 6, 7, 8)] == [4, 4, 4, 7, 7]
    assert [got[s].payload for s in (1, 5, 8)] == [b"t:1", b"t:5", b"t:8"]
    assert seqs(await store.load_chain("t", 6)) == [4, 5, 6]  # no longer needs 1..3
    assert (await store.list_checkpoints("u"))[0].base == 1  # other threads untouched
    # a cut that is not there changes nothing at all
    assert await store.prune_checkpoints("t", 3, limit=9, snapshot=b"x") == 0
    assert await store.prune_checkpoints("nobody", 1, limit=9, snapshot=b"x") == 0
    assert {r.seq: r for r in await store.list_checkpoints("t")} == got
    assert await store.prune_checkpoints("t", 4, limit=9) == 1  # the rest, no rewrite
    assert seqs(await store.list_checkpoints("t", ascending=True)) == [4, 5, 6, 7, 8]


async def test_expired_threads_oldest_first_with_a_cursor(store: Store) -> None:
    await store.write_batch(
        batch(
            threads=[
                thread("b", updated=2.0),
                thread("a", updated=2.0),
                thread("c", updated=1.0),
                thread("old-archived", updated=0.5, status="archived"),
                thread("d", updated=5.0, status="interrupted"),
                thread("fresh", updated=9.0),
            ]
        )
    )

    def ids(rows: list[object]) -> list[str]:
        return [r.thread_id for r in rows]  # type: ignore[attr-defined]

    assert ids(await store.expired_threads(9.0, limit=10)) == ["c", "a", "b", "d"]
    assert ids(await store.expired_threads(5.0, limit=10)) == ["c", "a", "b"]  # strictly older
    first = await store.expired_threads(9.0, limit=2)
    assert ids(first) == ["c", "a"]
    last = first[-1]
    assert ids(
        await store.expired_threads(9.0, limit=2, after=(last.updated_at, last.thread_id))
    ) == [
        "b",
        "d",
    ]
    assert await store.expired_threads(0.5, limit=10) == []
    assert (await store.expired_threads(9.0, limit=1))[0] == thread("c", updated=1.0)
    with pytest.raises(ValueError, match="limit"):
        await store.expired_threads(9.0, limit=0)
