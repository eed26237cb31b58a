"""A thread's head in memory, and how steps turn into checkpoint records and back.

``ThreadState`` is owned by one actor; nothing else mutates it. Its ``values`` dict is never
handed to user code: nodes and callers get private copies (:meth:`ThreadState.copy_values`).

Copies are made without encoding where that is exact: channels holding an immutable scalar
are shared, lists of immutable scalars (the tutorial's chat) are copied shallowly, lists of
flat dicts (chat messages) dict by dict; only a state with some other value is copied through
an encode and decode. Which channels are which is kept
up to date incrementally (an append checks only the new items), so a turn on a long
conversation costs about what a turn on a short one does.
"""

from __future__ import annotations

import time
from collections.abc import Container, Iterable
from typing import Any, NamedTuple

import msgspec

from stores import codec
from stores.records import APPEND, CHECKPOINT_FORMAT, SET, Checkpoint, CheckpointRow

from .interrupts import PENDING, PendingStep

#: After this many delta checkpoints, snapshot as soon as the deltas reach 1/SNAPSHOT_RATIO
#: of the snapshot's size: bounds the number of records replayed for tiny deltas on a big
#: state while a snapshot still costs at most SNAPSHOT_RATIO times the deltas it replaces.
#: (A plain count would make storage per turn grow with the state: a 1000-message chat
#: would store its whole history every 256 checkpoints.)
MAX_DELTAS = 256
SNAPSHOT_RATIO = 2
#: Never snapshot before this many bytes of deltas: a small state would otherwise be
#: snapshotted nearly every checkpoint, and replaying a few KiB costs next to nothing.
MIN_SNAPSHOT_SPACING = 4096

Change = tuple[str, int, Any]

#: Values that can be shared with user code as they are: immutable, and decoded as
#: the same type (exact types: subclasses such as enums go through the codec).
_ATOMS = frozenset({str, int, float, bool, type(None), bytes})


def _all_atoms(items: list[Any]) -> bool:
    return set(map(type, items)) <= _ATOMS


def _all_flat_dicts(items: list[Any]) -> bool:
    """Every item a dict of str keys to atoms (chat messages): ``dict.copy`` copies each."""
    if set(map(type, items)) != {dict}:
        return False
    return all(set(map(type, d)) <= _STR and set(map(type, d.values())) <= _ATOMS for d in items)


_STR = frozenset({str})
#: How a channel's value is copied (see ThreadState.copy_values).
ATOM, SHALLOW, DICTS, DEEP = 0, 1, 2, 3


class ThreadState:
    """The latest checkpoint of one thread, held by its actor."""

    __slots__ = (
        "_deep",
        "_dicts",
        "_encoded",
        "_items",
        "_shallow",
        "base",
        "checkpoint_at",
        "checkpoint_meta",
        "collect",
        "created_at",
        "delta_bytes",
        "delta_count",
        "discarding",
        "epoch",
        "extra",
        "flushed",
        "metadata",
        "next",
        "parent",
        "pending",
        "seq",
        "snapshot_bytes",
        "source",
        "state_version",
        "status",
        "step",
        "thread_id",
        "top",
        "updated_at",
        "values",
        "writers",
    )

    def __init__(self, thread_id: str) -> None:
        self.thread_id = thread_id
        self.values: dict[str, Any] = {}
        self.seq = 0
        """Id of the checkpoint the head is at; 0 before the first checkpoint."""
        self.top = 0
        """Highest checkpoint id of the thread (the head may be at an older one after a fork)."""
        self.step = -2
        """Step of the latest checkpoint (the next turn's input checkpoint is ``step + 1``)."""
        self.next: tuple[str, ...] = ()
        self.parent: int | None = None
        """Parent of the checkpoint the head is at."""
        self.source = ""
        self.checkpoint_meta: dict[str, Any] = {}
        self.checkpoint_at = 0.0
        self.writers: tuple[str, ...] = ()
        """Nodes whose writes made the head checkpoint (``update_state`` infers ``as_node``)."""
        self.pending: PendingStep | None = None
        """The paused step after the head checkpoint, if ``interrupt()`` paused one."""
        self.extra: dict[str, Any] = {}
        self.base = 0
        self.delta_bytes = 0
        self.delta_count = 0
        self.snapshot_bytes = 0
        self.flushed = 0
        """Highest ``seq`` the store has committed (set by the flusher)."""
        self.epoch = 0
        """Bumped when checkpoints are discarded (rollback): a batch taken before that
        must not mark the new timeline as flushed."""
        self.discarding = False
        """A discard of this thread's checkpoints is waiting for the store."""
        self.status = "idle"
        now = time.time()
        self.created_at = now
        self.updated_at = now
        self.metadata: bytes | None = None
        """The thread's own metadata (encoded), as its thread row holds it."""
        self.state_version = 0
        """Schema version of the values (stored with each checkpoint; see migrate)."""
        self.collect: list[Checkpoint] | None = None
        """When a list, ``commit`` appends each checkpoint's record to it (see ``squash``)."""
        self._encoded: bytes | None = codec.encode(self.values)
        # Tuples, not sets: most are empty (the shared ``()``), and a resident idle session
        # should cost little more than its state (three empty sets were ~650 bytes).
        self._shallow: tuple[str, ...] = ()
        """Channels holding a list of atoms: a shallow copy is a private copy."""
        self._dicts: tuple[str, ...] = ()
        """Channels holding a list of flat dicts: copying each dict makes a private copy."""
        self._deep: tuple[str, ...] = ()
        """Channels holding anything else but an atom: copies go through the codec."""
        self._items: dict[str, tuple[int, bytes]] = _NO_ITEMS
        """For deep channels holding a list: the item count and the items' encodings, one
        after the other, kept up to date on appends once made (see :meth:`encoded`).
        Replaced, never changed in place (``become`` shares it)."""

    # -- copies ------------------------------------------------------------------------
    def encoded(self) -> bytes:
        """The values, encoded; cached until the next change.

        A list in a deep channel (LangChain messages) is encoded from its items' cached
        encodings: a turn that appends a message encodes that message, not the whole chat
        again for each copy of the state.
        """
        enc = self._encoded
        if enc is None:
            enc = self._encoded = self._encode()
        return enc

    def _encode(self) -> bytes:
        values = self.values
        lists = [ch for ch in self._deep if type(values.get(ch)) is list]
        if not lists:
            return codec.encode(values)
        items = dict(self._items)
        wire = dict(values)
        for ch in lists:
            value = values[ch]
            got = items.get(ch)
            if got is None or got[0] != len(value):
                got = items[ch] = (len(value), b"".join(map(codec.encode, value)))
            wire[ch] = msgspec.Raw(_array_header(got[0]) + got[1])
        self._items = items
        return codec.encode(wire)

    def become(self, other: ThreadState) -> None:
        """Take ``other``'s checkpoint state, keeping identity, flush and lifecycle fields."""
        keep = {"thread_id", "flushed", "epoch", "discarding", "created_at", "metadata"}
        for name in self.__slots__:
            if name not in keep:
                setattr(self, name, getattr(other, name))

    def reset(self, values: dict[str, Any]) -> None:
        """Replace the values outright (a new thread's initial values, a rehydration)."""
        self.values = values
        self._encoded = None
        self._shallow = self._dicts = self._deep = ()
        self._items = _NO_ITEMS
        self._track([(ch, SET, v) for ch, v in values.items()])

    def copy_values(self) -> dict[str, Any]:
        """A private deep copy of the values (what nodes and callers get)."""
        if self._deep:
            result: dict[str, Any] = codec.decode(self.encoded())
            return result
        values = self.values.copy()
        for ch in self._shallow:
            values[ch] = values[ch][:]
        for ch in self._dicts:
            values[ch] = list(map(dict.copy, values[ch]))
        return values

    def _track(self, changes: list[Change]) -> None:
        """Keep ``_shallow``/``_dicts``/``_deep`` right for ``changes`` just made."""
        items = self._items
        for ch, op, value in changes:
            if items and ch in items:
                items = self._items = _extend_items(items, ch, op, value)
            if op == APPEND:
                if ch in self._shallow:
                    if set(map(type, value)) <= _ATOMS:  # _all_atoms, without a call
                        continue
                elif ch in self._dicts:
                    if _all_flat_dicts(value):
                        continue
                else:
                    continue  # a list stays deep whatever is appended to it
                value = self.values[ch]  # the kind changes: look at the whole list
            t = type(value)
            if t is list:
                kind = SHALLOW if _all_atoms(value) else DICTS if _all_flat_dicts(value) else DEEP
            else:
                kind = ATOM if t in _ATOMS else DEEP
            self._set_kind(ch, kind)

    def _set_kind(self, ch: str, kind: int) -> None:
        if ch in self._shallow:
            if kind == SHALLOW:
                return
            self._shallow = tuple(c for c in self._shallow if c != ch)
        elif ch in self._dicts:
            if kind == DICTS:
                return
            self._dicts = tuple(c for c in self._dicts if c != ch)
        elif ch in self._deep:
            if kind == DEEP:
                return
            self._deep = tuple(c for c in self._deep if c != ch)
        if kind == SHALLOW:
            self._shallow += (ch,)
        elif kind == DICTS:
            self._dicts += (ch,)
        elif kind == DEEP:
            self._deep += (ch,)

    @property
    def dirty(self) -> bool:
        return self.flushed < self.top or self.discarding

    # -- changes -----------------------------------------------------------------------
    def diff(self, new_values: dict[str, Any], changed: Iterable[str]) -> list[Change]:
        """What making ``new_values`` the state would change, for the ``changed`` channels.

        A list that grew by appending is recorded as its new items only: that is what keeps
        storage per turn flat for chat-shaped state. Pure: the head is not touched.
        """
        old_values = self.values
        changes: list[Change] = []
        for ch in changed:
            new = new_values[ch]
            old = old_values.get(ch, _MISSING)
            if (
                type(new) is list
                and type(old) is list
                and new is not old  # an in-place mutation would hide what was appended
                and len(new) >= len(old)
            ):
                n = len(old)
                if n and (new[:n] != old if n < _LONG else not _starts_with(new, old)):
                    changes.append((ch, SET, new))
                elif len(new) > n:
                    changes.append((ch, APPEND, new[n:]))
                # equal lists: nothing changed
            elif new is not old:
                changes.append((ch, SET, new))
        return changes

    # -- records -----------------------------------------------------------------------
    def commit(
        self,
        new_values: dict[str, Any] | None,
        changes: list[Change],
        encoded: bytes | None,
        *,
        step: int,
        source: str,
        next_nodes: tuple[str, ...],
        metadata: dict[str, Any],
        tasks: list[tuple[str, float, list[str]]],
        extra: dict[str, Any],
    ) -> CheckpointRow:
        """Encode the next checkpoint and advance the head to it.

        ``new_values`` is the new state (``None``: unchanged) and ``encoded`` its encoding
        (required when ``changes`` is not empty). Everything is encoded before the head is
        touched: a value that cannot be stored raises ``TypeError``/``ValueError`` and leaves
        the thread exactly as it was.
        """
        seq = self.top + 1
        now = time.time()
        state_bytes = encoded if changes else self._encoded
        version = self.state_version
        record = Checkpoint(
            CHECKPOINT_FORMAT,
            step,
            source,
            now,
            next_nodes,
            changes,
            None,
            metadata,
            tasks,
            extra,
            version,
        )
        payload = codec.encode_checkpoint(record)
        size = len(payload)
        # Snapshot when the deltas since the last snapshot add up to its size: storage per
        # turn stays within 2x (3x for tiny deltas, see MAX_DELTAS) of what the turns change,
        # however long the conversation, and a replay reads at most about two snapshots' worth.
        # A checkpoint whose parent is not the previous one (a fork) starts from a snapshot
        # too: ``base`` must be an ancestor.
        deltas = self.delta_bytes + size
        snapshot = (
            self.base == 0
            or self.seq != self.top
            or (
                (deltas >= self.snapshot_bytes or self.delta_count >= MAX_DELTAS)
                and _snapshot_due(deltas, self.delta_count, self.snapshot_bytes)
            )
        )
        if snapshot:
            if state_bytes is None:
                state_bytes = codec.encode(
                    new_values if new_values is not None and changes else self.values
                )
            payload = codec.encode_checkpoint(
                Checkpoint(
                    CHECKPOINT_FORMAT,
                    step,
                    source,
                    now,
                    next_nodes,
                    [],
                    msgspec.Raw(state_bytes),
                    metadata,
                    tasks,
                    extra,
                    version,
                )
            )
        # -- nothing below can fail: commit
        if self.collect is not None:
            self.collect.append(record)
        row = _new_row(
            CheckpointRow,
            (self.thread_id, seq, self.seq or None, seq if snapshot else self.base, payload),
        )
        if snapshot:
            self.base = seq
            self.delta_bytes = 0
            self.delta_count = 0
            # the deltas may grow to the snapshot's size (but at least MIN_SNAPSHOT_SPACING)
            # before the next snapshot: stored once here, not recomputed per checkpoint
            self.snapshot_bytes = max(len(payload), MIN_SNAPSHOT_SPACING)
        else:
            self.delta_bytes += size
            self.delta_count += 1
        if changes and new_values is not None:
            self.values = new_values
            self._encoded = state_bytes
            self._track(changes)
        self.parent = self.seq or None
        self.seq = self.top = seq
        self.step = step
        self.source = source
        self.checkpoint_meta = metadata
        self.checkpoint_at = now
        self.next = next_nodes
        self.extra = extra
        n = len(tasks)
        self.writers = (tasks[0][0],) if n == 1 else tuple([t[0] for t in tasks]) if n else ()
        self.updated_at = now
        return row

    # -- durability="exit" ----------------------------------------------------------------
    def mark(self) -> TurnMark:
        """Where the head is before a turn whose checkpoints will be squashed."""
        return TurnMark(
            self.seq, self.base, self.delta_bytes, self.delta_count, self.snapshot_bytes
        )

    def squash(
        self, rows: list[CheckpointRow], records: list[Checkpoint], mark: TurnMark
    ) -> list[CheckpointRow]:
        """The rows to store for a turn under ``durability="exit"``: its last checkpoint only.

        ``records`` are the turn's checkpoints as ``commit`` collected them (in
        :attr:`collect`). The last checkpoint is re-recorded relative to the head at ``mark``:
        its changes are the turn's changes composed (a snapshot if the turn wrote one or one is
        due), and its parent is the checkpoint the turn started from, so the stored history
        holds one checkpoint per turn, as LangGraph's ``"exit"`` keeps. A paused step's hidden
        record follows it. The head's own fields are updated to match; values are unchanged.
        """
        kept = [r for r in rows if r.seq <= self.seq]
        after = [r for r in rows if r.seq > self.seq]  # a paused step's record
        if not kept or (len(kept) == 1 and kept[0].parent == (mark.seq or None)):
            return rows  # nothing to squash
        snapshot = mark.base == 0 or any(r.base == r.seq for r in kept)
        changes: dict[str, tuple[int, Any]] = {}
        only_last = True  # every change is the last checkpoint's own: its payload is reusable
        for i, record in enumerate(records):
            for ch, op, value in record.changes:
                if ch.startswith("__"):
                    continue  # a turn's input is kept by its input checkpoint only
                only_last = only_last and i == len(records) - 1
                if op == APPEND and ch in changes:
                    op0, value0 = changes[ch]
                    changes[ch] = (op0, [*value0, *value])
                else:
                    changes[ch] = (op, value)
        last = records[-1]
        if only_last and not snapshot:
            payload = kept[-1].payload
        else:
            payload = codec.encode_checkpoint(
                msgspec.structs.replace(
                    last, changes=[(ch, op, v) for ch, (op, v) in changes.items()], values=None
                )
            )
        size = len(payload)
        seq = self.seq
        if snapshot or _snapshot_due(
            mark.delta_bytes + size, mark.delta_count, mark.snapshot_bytes
        ):
            raw = msgspec.Raw(self.encoded())
            payload = codec.encode_checkpoint(msgspec.structs.replace(last, changes=[], values=raw))
            self.base = seq
            self.delta_bytes = 0
            self.delta_count = 0
            self.snapshot_bytes = max(len(payload), MIN_SNAPSHOT_SPACING)
        else:
            self.base = mark.base
            self.delta_bytes = mark.delta_bytes + size
            self.delta_count = mark.delta_count + 1
            self.snapshot_bytes = mark.snapshot_bytes
        self.parent = mark.seq or None
        row = CheckpointRow(self.thread_id, seq, self.parent, self.base, payload)
        return [row, *(r._replace(base=self.base) for r in after)]

    def commit_pending(self, pending: PendingStep, *, metadata: dict[str, Any]) -> CheckpointRow:
        """Record a paused step as a hidden record after the head checkpoint.

        The head stays at its checkpoint; the record carries the finished writes and the
        interrupts so that an answer can come after an eviction or a restart.
        """
        seq = self.top + 1
        now = time.time()
        extra = {"pending": pending.to_extra()}
        payload = codec.encode_checkpoint(
            Checkpoint(
                CHECKPOINT_FORMAT, self.step, PENDING, now, self.next, [], None, metadata, [], extra
            )
        )
        row = CheckpointRow(self.thread_id, seq, self.seq or None, self.base, payload)
        self.top = seq
        self.pending = pending
        self.updated_at = now
        return row


_MISSING: Any = object()
#: From this length on, a grown list is compared with the old one without a slice.
_LONG = 512
_NO_ITEMS: dict[str, tuple[int, bytes]] = {}


def _extend_items(
    items: dict[str, tuple[int, bytes]], ch: str, op: int, value: Any
) -> dict[str, tuple[int, bytes]]:
    """``items`` after a change to ``ch``: an append adds the new items' encodings; a set
    drops the channel (encoded anew when next needed)."""
    out = dict(items)
    if op == APPEND and type(value) is list:
        try:
            count, blob = out[ch]
            out[ch] = (count + len(value), blob + b"".join(map(codec.encode, value)))
            return out
        except (TypeError, ValueError, OverflowError):
            pass  # stored already, so not expected; encoded from the values when needed
    del out[ch]
    return out


def _array_header(n: int) -> bytes:
    """The msgpack header of an array of ``n`` items."""
    if n < 16:
        return bytes((0x90 | n,))
    if n < 0x10000:
        return b"\xdc" + n.to_bytes(2, "big")
    return b"\xdd" + n.to_bytes(4, "big")


def _starts_with(new: list[Any], old: list[Any]) -> bool:
    """Whether ``new`` begins with the items of ``old`` (``new[:len(old)] == old``).

    Without the slice: a slice of a long list touches every item's reference count twice
    (a cache miss each on a long conversation, the biggest cost of a turn at 20,000
    messages), while comparing two lists of one length skips items that are the same
    object. ``new`` is cut to ``old``'s length for the comparison and made whole again
    before anything else runs: it is a value a node returned, applied on the actor.
    """
    n = len(old)
    if len(new) == n:
        return new == old
    tail = new[n:]
    del new[n:]
    try:
        return new == old
    finally:
        new += tail


#: A row without the Python-level ``__new__`` that namedtuples have (once per checkpoint).
_new_row = tuple.__new__


def _snapshot_due(delta_bytes: int, delta_count: int, snapshot_bytes: int) -> bool:
    """Whether deltas adding up to ``delta_bytes`` (this one included) call for a snapshot."""
    return delta_bytes >= snapshot_bytes or (
        delta_count >= MAX_DELTAS and delta_bytes * SNAPSHOT_RATIO >= snapshot_bytes
    )


class TurnMark(NamedTuple):
    """The head's checkpoint and delta bookkeeping when a turn began (see ``squash``)."""

    seq: int
    base: int
    delta_bytes: int
    delta_count: int
    snapshot_bytes: int


def apply_changes(values: dict[str, Any], changes: list[Change]) -> None:
    """Replay recorded changes onto ``values`` (a private dict being rebuilt)."""
    for ch, op, value in changes:
        if ch.startswith("__"):
            continue
        if op == APPEND:
            cur = values.get(ch)
            values[ch] = [*cur, *value] if cur else list(value)
        else:
            values[ch] = value


def private_copy(values: dict[str, Any], flat: Container[str]) -> dict[str, Any]:
    """A deep copy of ``values`` that shares nothing mutable with it (history's states).

    ``flat`` names the channels known to hold a list of atoms: those are copied shallowly
    and atoms are shared, as :meth:`ThreadState.copy_values` does; any other value goes
    through the codec.
    """
    out: dict[str, Any] = {}
    deep: dict[str, Any] = {}
    for ch, value in values.items():
        if ch in flat:
            out[ch] = value[:]
        elif type(value) in _ATOMS:
            out[ch] = value
        else:
            deep[ch] = value
    if deep:
        out.update(codec.decode(codec.encode(deep)))
        out = {ch: out[ch] for ch in values}  # the order of the values
    return out


def apply_owned(values: dict[str, Any], changes: list[Change], owned: set[int]) -> None:
    """:func:`apply_changes` onto ``values`` decoded for one rebuild alone (a snapshot's),
    record after record with the same ``owned`` set.

    A list is copied the first time it is appended to, then extended in place: a rebuild
    across thousands of deltas of a long chat costs the deltas, not a copy of the whole
    list per delta. Lists from the records (set values) are never changed. ``owned``: ids
    of the lists made here that are in ``values`` now.
    """
    for ch, op, value in changes:
        if ch.startswith("__"):
            continue
        cur = values.get(ch)
        if op == APPEND:
            if cur and id(cur) in owned:
                cur.extend(value)
                continue
            new = [*cur, *value] if cur else list(value)
            owned.add(id(new))
        else:
            new = value
        owned.discard(id(cur))  # replaced: its id may be taken by a new object
        values[ch] = new
