"""The SQLite file deleted or replaced under a running runtime: detected, never written to."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from runtime.errors import StoreFileGoneError, StoreUnavailableError
from stores import SqliteStore

from .conftest import cfg, tutorial_builder


@pytest.mark.parametrize("how", ["deleted", "replaced"])
async def test_sync_turns_into_a_file_deleted_or_replaced_fail_and_none_is_acknowledged(
    tmp_path: Path, how: str
) -> None:
    path = tmp_path / "chat.db"
    # a long backpressure_timeout: the error must come from the check, not from waiting
    graph = tutorial_builder().compile(
        checkpointer=SqliteStore(path), durability="sync", backpressure_timeout=600
    )
    async with graph:
        for _ in range(3):
            await graph.ainvoke({"messages": []}, cfg("t"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        if how == "replaced":  # another database now at the path, as a restore would put it
            other = SqliteStore(tmp_path / "other.db")
            await other.open()
            await other.close()
            Path(other.path).replace(path)
        for tid in ("t", "u"):  # a thread it knew and a new one
            async with asyncio.timeout(60):  # a safety net, not a synchronisation
                with pytest.raises(StoreFileGoneError, match=how) as info:
                    await graph.ainvoke({"messages": []}, cfg(tid))
            err = info.value
            assert isinstance(err, StoreUnavailableError)
            assert err.path == str(path) and str(path) in str(err) and err.thread_id == tid
        # the turns ran and are kept in memory, unwritten: nothing else can be done with them
        assert graph.statistics().dirty > 0
        graph.supervisor.flusher.take_all()  # lets this test close without a store to flush to
    if how == "replaced":  # the file at the path took none of the turns
        fresh = SqliteStore(path)
        await fresh.open()
        try:
            assert await fresh.list_threads() == []
        finally:
            await fresh.close()
