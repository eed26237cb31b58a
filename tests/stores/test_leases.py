"""Leases on a shared SQLite file: one owner per thread, fencing, release and expiry."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from store_helpers import batch, row, seqs, thread

from stores import SqliteStore, StaleOwnerError


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def pair(tmp_path: Path, clock: Clock) -> AsyncIterator[tuple[SqliteStore, SqliteStore]]:
    """Two stores on one file, as two processes would have (distinct owners)."""
    a = SqliteStore(tmp_path / "shared.db", lease_ttl=30, clock=clock)
    b = SqliteStore(tmp_path / "shared.db", lease_ttl=30, clock=clock)
    await a.open()
    await b.open()
    yield a, b
    await a.close()
    await b.close()


async def test_one_owner_at_a_time_and_release_hands_over(
    pair: tuple[SqliteStore, SqliteStore],
) -> None:
    a, b = pair
    assert a.owner != b.owner
    await a.acquire_lease("t")
    with pytest.raises(StaleOwnerError, match="another process") as caught:
        await b.acquire_lease("t")
    assert caught.value.thread_id == "t" and a.owner in str(caught.value)
    await a.write_batch(batch([row("t", 1)], [thread("t", head=1)]))
    await a.release_leases(["t"])
    await b.acquire_lease("t")  # released: B takes it at once
    await b.write_batch(batch([row("t", 2, parent=1)], [thread("t", head=2)]))
    assert seqs(await b.load_chain("t")) == [1, 2]


async def test_a_stale_owner_write_is_refused_and_never_applied(
    pair: tuple[SqliteStore, SqliteStore], clock: Clock
) -> None:
    a, b = pair
    await a.acquire_lease("t")
    await a.acquire_lease("u")
    await a.write_batch(batch([row("t", 1)], [thread("t", head=1)]))
    clock.now += 31  # A's lease expired (A did not renew): B takes over
    await b.acquire_lease("t")
    with pytest.raises(StaleOwnerError) as caught:
        # one batch with a thread A still owns (u) and one it lost (t): nothing is written
        await a.write_batch(
            batch([row("t", 2, parent=1), row("u", 1)], [thread("t", head=2), thread("u")])
        )
    assert caught.value.thread_id == "t"
    assert seqs(await b.load_chain("t")) == [1] and await b.load_chain("u") == []
    # A lost t for good (until it takes it again); u is still A's
    with pytest.raises(StaleOwnerError):
        await a.write_batch(batch([row("t", 2, parent=1)]))
    await a.write_batch(batch([row("u", 1)], [thread("u", head=1)]))
    assert seqs(await a.load_chain("u")) == [1]


async def test_writing_renews_and_renewal_keeps_a_lease(
    pair: tuple[SqliteStore, SqliteStore], clock: Clock
) -> None:
    a, b = pair
    await a.acquire_lease("t")
    await a.acquire_lease("idle")
    clock.now += 20
    await a.write_batch(batch([row("t", 1)], [thread("t", head=1)]))  # renews t
    assert await a.renew_leases() == 2  # renews both
    clock.now += 20  # 40 s after taking them, 20 s after renewing: still A's
    for tid in ("t", "idle"):
        with pytest.raises(StaleOwnerError):
            await b.acquire_lease(tid)


async def test_closing_releases_every_lease(tmp_path: Path, clock: Clock) -> None:
    a = SqliteStore(tmp_path / "c.db", lease_ttl=30, clock=clock)
    b = SqliteStore(tmp_path / "c.db", lease_ttl=30, clock=clock)
    await a.open()
    await b.open()
    try:
        await a.acquire_lease("t")
        await a.close()
        await b.acquire_lease("t")
    finally:
        await a.close()
        await b.close()


async def test_without_lease_ttl_nothing_is_leased_or_fenced(tmp_path: Path) -> None:
    a, b = SqliteStore(tmp_path / "n.db"), SqliteStore(tmp_path / "n.db")
    await a.open()
    await b.open()
    try:
        await a.acquire_lease("t")
        await b.acquire_lease("t")
        await a.write_batch(batch([row("t", 1)], [thread("t", head=1)]))
        assert await a.renew_leases() == 0
    finally:
        await a.close()
        await b.close()


def test_lease_ttl_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="lease_ttl"):
        SqliteStore(tmp_path / "x.db", lease_ttl=0)
