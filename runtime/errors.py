"""Every error the runtime raises on purpose, under one root.

    SessionRuntimeError                  (root; carries thread_id, node, step where known)
    ├── GraphDefinitionError             compile time: names the bad node, edge or key  (ValueError)
    ├── InvalidConfigError               bad ``config``: shows the expected shape  (also TypeError)
    ├── EmptyInputError                  ``invoke(None)`` on a thread with nothing to resume
    ├── InvalidUpdateError               a bad node return or two writes to a LastValue key
    ├── GraphRecursionError              more super-steps than ``recursion_limit``
    ├── SessionBusyError                 a turn is running and the strategy is ``reject``
    ├── RolledBackError                  this turn was cancelled and undone by a newer one
    ├── ActorCrashedError                the session's actor failed; it restarts on next use
    ├── MailboxFullError                 the thread's mailbox holds ``mailbox_size`` turns
    ├── ShuttingDownError                the runtime is closing or closed
    ├── ShutdownIncompleteError          ``aclose()`` ended with checkpoints the store never took
    ├── StepTimeoutError                 a super-step ran past ``step_timeout``  (TimeoutError)
    ├── ThreadArchivedError              a turn or update on an archived thread (restore it)
    ├── SerializationError               a value cannot be encoded; ``path`` names where
    └── StoreError
        ├── StoreUnavailableError        the store cannot serve now, after retries/backpressure
        │   └── StoreFileGoneError       the store's file was deleted or replaced under it
        ├── CorruptCheckpointError       a stored record cannot be decoded (only its thread fails)
        └── StaleOwnerError              another process owns the thread now

A node's own exception reaches the caller as itself (not wrapped), with a note
(``add_note``) naming the thread, node and step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runtime._unbuilt import unbuilt
from stores.errors import (
    CorruptCheckpointError,
    SerializationError,
    SessionRuntimeError,
    StaleOwnerError,
    StoreError,
    StoreFileGoneError,
    StoreUnavailableError,
)

__all__ = [
    "ActorCrashedError",
    "CorruptCheckpointError",
    "EmptyInputError",
    "GraphDefinitionError",
    "GraphRecursionError",
    "InvalidConfigError",
    "InvalidUpdateError",
    "MailboxFullError",
    "RolledBackError",
    "SerializationError",
    "SessionBusyError",
    "SessionRuntimeError",
    "ShutdownIncompleteError",
    "ShuttingDownError",
    "StaleOwnerError",
    "StepTimeoutError",
    "StoreError",
    "StoreFileGoneError",
    "StoreUnavailableError",
    "ThreadArchivedError",
]


class GraphDefinitionError(SessionRuntimeError, ValueError):
    """The graph cannot be compiled; the message names the culprit and the fix.

    Also a ``ValueError``, which is what LangGraph raises, so existing handlers still work.
    """


class InvalidConfigError(SessionRuntimeError, TypeError):
    """``config`` is not of the expected shape."""


class EmptyInputError(SessionRuntimeError):
    """``invoke(None, config)`` on a thread that has nothing to resume."""


class InvalidUpdateError(SessionRuntimeError):
    """A node returned something that is not an update, or two nodes wrote one LastValue key."""


class GraphRecursionError(SessionRuntimeError, RecursionError):
    """The turn needed more super-steps than ``config["recursion_limit"]``."""


class SessionBusyError(SessionRuntimeError):
    """A turn is already running on this thread and the multitask strategy is ``reject``."""


class RolledBackError(SessionRuntimeError):
    """A newer turn with ``multitask_strategy="rollback"`` cancelled this one and discarded
    its checkpoints; the thread is as it was before this turn."""


class ActorCrashedError(SessionRuntimeError):
    """The session's actor failed outside any node; it is restarted (with backoff) on the
    next call, from the store."""


class MailboxFullError(SessionRuntimeError):
    """The thread's mailbox is full (``mailbox_size``); retry later or raise the bound."""


class ShuttingDownError(SessionRuntimeError):
    """The runtime is closing or closed and takes no new turns."""


class StepTimeoutError(SessionRuntimeError, TimeoutError):
    """A super-step did not finish within ``step_timeout``; the turn failed there.

    Also the built-in ``TimeoutError`` (= ``asyncio.TimeoutError``), which is what LangGraph
    raises for its ``step_timeout``, so existing handlers still work. ``node`` names the
    step's nodes, ``step`` the step; the thread keeps its last committed checkpoint.
    """


class ShutdownIncompleteError(ShuttingDownError):
    """``aclose()`` ran out of time (``drain_timeout`` plus ``shutdown_grace``) with
    checkpoints the store had not taken; they are lost. ``unsaved`` maps each such thread
    to its count of unwritten checkpoints; ``cancelled`` counts the turns cut off."""

    def __init__(self, message: str, *, unsaved: dict[str, int], cancelled: int = 0) -> None:
        super().__init__(message)
        self.unsaved = unsaved
        self.cancelled = cancelled


class ThreadArchivedError(SessionRuntimeError):
    """A turn, update or ``create_thread`` on an archived thread. The thread is unchanged
    and stays readable; ``restore_thread(thread_id)`` makes it take turns again."""


_INTERNAL = "an engine internal of LangGraph's, with no counterpart here"
if not TYPE_CHECKING:  # so that mypy flags a name that is not built
    __getattr__ = unbuilt(
        __name__,
        {
            "NodeInterrupt": "raising it is deprecated in LangGraph; call interrupt(value)",
            "GraphInterrupt": "interrupt() pauses without an exception the caller could catch",
            "ParentCommand": "subgraphs come with issue 13",
            "NodeTimeoutError": "per-node timeouts (add_node(timeout=...)) are not built; "
            "compile(step_timeout=...) or graph.step_timeout bounds a whole super-step",
            "NodeCancelledError": _INTERNAL,
            "NodeError": _INTERNAL,
            "GraphBubbleUp": _INTERNAL,
            "GraphDrained": _INTERNAL,
            "EmptyChannelError": _INTERNAL,
            "TaskNotFound": _INTERNAL,
            "UnknownInterruptError": _INTERNAL,
            "ErrorCode": _INTERNAL,
            "is_invalid_resume": _INTERNAL,
        },
    )
