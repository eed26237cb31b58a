"""Versioned user state: sessions written by an older state schema are migrated on load.

``compile(state_version=N, migrations={0: to_v1, 1: to_v2, ...})``: every checkpoint records
the version its values are in. When a thread whose head is at an older version is loaded
into memory, the functions from its version up to ``N`` run in order on a copy of its
values, and the result is recorded as a checkpoint of its own (source ``"migration"``, the
versions in its metadata), so the audit trail shows when and from what a session moved.
Older checkpoints stay as they were written; history shows them as such.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from runtime.errors import InvalidConfigError, InvalidUpdateError
from stores.records import CheckpointRow

from .state import ThreadState

#: One migration: the values at version ``v`` (a private copy) -> the values at ``v + 1``.
Migration = Callable[[dict[str, Any]], dict[str, Any]]


class Migrations:
    """The state schema version of a graph and the functions that lead up to it."""

    def __init__(
        self, version: int, steps: Mapping[int, Migration] | None, channels: frozenset[str]
    ) -> None:
        if type(version) is not int or version < 0:
            raise ValueError(f"state_version must be an int >= 0, got {version!r}")
        steps = dict(steps or {})
        for v, fn in steps.items():
            if type(v) is not int or not 0 <= v < version or not callable(fn):
                raise ValueError(
                    f"migrations maps a version v (0 <= v < state_version={version}) to a "
                    f"function taking the values at v and returning them at v + 1; got "
                    f"{v!r}: {fn!r}"
                )
        self.version = version
        self.steps = steps
        self.channels = channels

    def apply(self, head: ThreadState) -> CheckpointRow | None:
        """Migrate a head just loaded from the store; the checkpoint that records it, or
        ``None`` if it is current. The head is untouched when a migration fails."""
        have, want = head.state_version, self.version
        if have == want or head.seq == 0:
            head.state_version = want  # a new thread starts at the current version
            return None
        if have > want:
            raise InvalidConfigError(
                f"this thread's state is at version {have}, newer than this graph's "
                f"state_version={want}: it was written by a newer deployment; run that one",
                thread_id=head.thread_id,
            )
        values = head.copy_values()
        for v in range(have, want):
            step = self.steps.get(v)
            if step is None:
                raise InvalidConfigError(
                    f"this thread's state is at version {v} and the graph at {want}, but no "
                    f"migration starts at {v}: compile(..., migrations={{{v}: fn, ...}})",
                    thread_id=head.thread_id,
                )
            try:
                values = step(values)
            except Exception as exc:
                exc.add_note(
                    f"raised by the state migration from version {v} of thread "
                    f"{head.thread_id!r}; the thread is left as it was"
                )
                raise
            if not isinstance(values, dict):
                raise InvalidUpdateError(
                    f"the state migration from version {v} returned "
                    f"{type(values).__name__}, not the dict of the state's values",
                    thread_id=head.thread_id,
                )
        unknown = sorted(set(values) - self.channels)
        if unknown:
            raise InvalidUpdateError(
                f"the state migrations returned keys the state schema does not have: {unknown}",
                thread_id=head.thread_id,
            )
        changes = head.diff(values, values.keys())
        dropped = head.values.keys() - values.keys()
        meta = {"migrated_from": have, "state_version": want}
        before = head.values, head.state_version, head.base
        head.state_version = want
        new_values: dict[str, Any] | None = values
        try:
            if dropped:  # a removed key cannot be replayed as a change: store a snapshot
                head.reset(values)
                head.base = 0
                new_values, changes = None, []
            return head.commit(
                new_values,
                changes,
                None,
                step=head.step,
                source="migration",
                next_nodes=head.next,
                metadata=meta,
                tasks=[],
                extra=head.extra,
            )
        except BaseException:
            old_values, head.state_version, head.base = before
            if dropped:
                head.reset(old_values)
            raise
