"""Pages of checkpoints newest first over packed stored rows: exactly the newest ``limit``
with ``seq < before``, in order, whatever the packing."""

from __future__ import annotations

from pathlib import Path

from store_helpers import batch, row, seqs

from stores import MemoryStore, SqliteStore


async def test_pages_newest_first_match_the_whole_list(tmp_path: Path) -> None:
    runs = [(1, 1), (2, 9), (10, 10), (11, 14), (15, 40), (41, 41), (42, 50)]
    for store in (SqliteStore(tmp_path / "p.db"), MemoryStore()):
        await store.open()
        try:
            for first, last in runs:  # one batch a run: SQLite packs each into one row
                await store.write_batch(batch([row("t", s) for s in range(first, last + 1)]))
            everything = seqs(await store.list_checkpoints("t"))
            assert everything == list(range(50, 0, -1))
            for before in (None, 1, 2, 5, 9, 10, 11, 13, 15, 30, 41, 42, 45, 51):
                for limit in (1, 2, 3, 4, 8, 16, 64):
                    page = await store.list_checkpoints("t", before=before, limit=limit)
                    want = [s for s in everything if before is None or s < before][:limit]
                    assert seqs(page) == want, (type(store).__name__, before, limit)
        finally:
            await store.close()
