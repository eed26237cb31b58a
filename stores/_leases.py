"""Leases: one owner per thread across processes sharing a SQLite file.

A lease is a row ``(thread_id, owner, epoch, expires)``. A runtime takes it when it
activates a thread (:func:`acquire`), renews it while the thread stays in memory
(:func:`renew`, and every batch that writes the thread), and gives it back when the thread
leaves memory or the store closes (:func:`release`). Taking a lease bumps its ``epoch``:
every batch checks, in its own transaction, that each thread it writes is still leased to
this owner at the epoch it took (:func:`fence`), so a process whose lease expired and was
taken over can never apply a write, however late it arrives. Another process takes over
once the lease is released or has expired.

All functions run on the store's writer connection, inside its transactions.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

import msgspec

#: Take the lease if it is free, expired, or ours already; returns the new epoch.
ACQUIRE = """
    INSERT INTO leases (thread_id, owner, epoch, expires) VALUES (?1, ?2, 1, ?3)
    ON CONFLICT (thread_id) DO UPDATE SET owner = ?2, epoch = leases.epoch + 1, expires = ?3
    WHERE leases.owner = ?2 OR leases.expires < ?4
    RETURNING epoch"""
HOLDER = "SELECT owner, expires FROM leases WHERE thread_id = ?"
# the (thread_id, epoch) pairs of a batch, as JSON: one statement whatever the batch size
STALE = """
    SELECT json_extract(j.value, '$[0]') FROM json_each(?1) AS j
    LEFT JOIN leases AS l ON l.thread_id = json_extract(j.value, '$[0]')
    WHERE l.thread_id IS NULL OR l.owner != ?2 OR l.epoch != json_extract(j.value, '$[1]')"""
RENEW = """
    UPDATE leases SET expires = ?1
    WHERE owner = ?2 AND thread_id IN (SELECT value FROM json_each(?3))"""
RELEASE = "DELETE FROM leases WHERE owner = ?1 AND thread_id IN (SELECT value FROM json_each(?2))"
RELEASE_ALL = "DELETE FROM leases WHERE owner = ?"

_json = msgspec.json.Encoder()


class Held(Exception):
    """The lease is another owner's: ``owner`` holds it until ``expires`` (Unix time)."""

    def __init__(self, owner: str, expires: float) -> None:
        super().__init__(owner, expires)
        self.owner = owner
        self.expires = expires


class Stale(Exception):
    """A batch would write threads whose lease this owner no longer holds."""

    def __init__(self, thread_ids: list[str]) -> None:
        super().__init__(thread_ids)
        self.thread_ids = thread_ids


def acquire(db: sqlite3.Connection, thread_id: str, owner: str, now: float, ttl: float) -> int:
    """Take ``thread_id``'s lease for ``owner`` (inside a transaction); its new epoch, or
    :class:`Held` if another owner's lease has not expired (nothing is changed then)."""
    row = db.execute(ACQUIRE, (thread_id, owner, now + ttl, now)).fetchone()
    if row is None:
        held = db.execute(HOLDER, (thread_id,)).fetchone()
        raise Held(str(held[0]), float(held[1])) if held else Held("?", now)
    return int(row[0])


def fence(db: sqlite3.Connection, owner: str, epochs: list[tuple[str, int]], until: float) -> None:
    """Inside a batch's transaction: raise :class:`Stale` unless every thread in ``epochs``
    is still leased to ``owner`` at that epoch; then extend those leases to ``until``."""
    stale = [str(r[0]) for r in db.execute(STALE, (_json.encode(epochs), owner))]
    if stale:
        raise Stale(stale)
    db.execute(RENEW, (until, owner, _json.encode([tid for tid, _ in epochs])))


def renew(db: sqlite3.Connection, owner: str, thread_ids: Iterable[str], until: float) -> int:
    """Extend the leases ``owner`` holds on ``thread_ids``; how many it still held."""
    return db.execute(RENEW, (until, owner, _json.encode(list(thread_ids)))).rowcount


def release(db: sqlite3.Connection, owner: str, thread_ids: Iterable[str]) -> int:
    return db.execute(RELEASE, (owner, _json.encode(list(thread_ids)))).rowcount
