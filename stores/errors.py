"""Errors shared by every layer.

The root lives here, in the leaf package, so that stores can raise typed errors without
importing ``runtime``; ``runtime.errors`` re-exports every class and draws the whole tree.

    SessionRuntimeError
    ├── StoreError
    │   ├── StoreUnavailableError     the store cannot take writes/reads now (after retries)
    │   │   └── StoreFileGoneError    the store's file was deleted or replaced under it
    │   ├── CorruptCheckpointError    a stored record cannot be decoded; only its thread fails
    │   └── StaleOwnerError           another process owns the thread now (fencing epoch moved)
    └── SerializationError            a value cannot be encoded; names the key path
"""

from __future__ import annotations


class SessionRuntimeError(Exception):
    """Root of every error this library raises on purpose.

    ``thread_id``, ``node`` and ``step`` say which session, node and super-step the error
    concerns, where known.
    """

    def __init__(
        self,
        message: str,
        *,
        thread_id: str | None = None,
        node: str | None = None,
        step: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.thread_id = thread_id
        self.node = node
        self.step = step

    def __str__(self) -> str:
        where = []
        if self.thread_id is not None:
            where.append(f"thread_id={self.thread_id!r}")
        if self.node is not None:
            where.append(f"node={self.node!r}")
        if self.step is not None:
            where.append(f"step={self.step}")
        return f"{self.message} ({', '.join(where)})" if where else self.message

    def __reduce__(self) -> tuple[object, ...]:
        # the instance dict rides along so that subclass fields (``path``...) survive pickling
        args = (type(self), self.message, self.thread_id, self.node, self.step)
        return (_rebuild, args, self.__dict__)


def _rebuild(
    cls: type[SessionRuntimeError],
    message: str,
    thread_id: str | None,
    node: str | None,
    step: int | None,
) -> SessionRuntimeError:
    err = cls.__new__(cls)
    SessionRuntimeError.__init__(err, message, thread_id=thread_id, node=node, step=step)
    return err


class StoreError(SessionRuntimeError):
    """A problem in a store backend."""


class StoreUnavailableError(StoreError):
    """The store cannot serve the request now, after retries and backpressure waits."""


class StoreFileGoneError(StoreUnavailableError):
    """The file the store opened is no longer the one at its path (deleted or replaced).

    Nothing more is written to it: a write there would be lost (an unlinked file) or go
    to a file nobody reads. ``path`` names the file. Rows waiting for it stay in memory.
    """

    def __init__(self, message: str, *, path: str = "", **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.path = path


class CorruptCheckpointError(StoreError):
    """A stored checkpoint cannot be decoded. The row is left untouched for diagnosis."""


class StaleOwnerError(StoreError):
    """This process no longer owns the thread: another owner took its lease."""


class SerializationError(SessionRuntimeError):
    """A value cannot be serialized. ``path`` names where, e.g. ``messages[3]``."""

    def __init__(self, message: str, *, path: str = "", **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.path = path
