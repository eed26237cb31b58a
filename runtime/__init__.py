"""session-actors: durable multi-turn sessions for LangGraph-style graphs.

A supervisor runs one async actor per active thread; each actor serializes its thread's
turns through a mailbox and hands checkpoints to a write-behind flusher that group-commits
them to the store (SQLite by default). Idle actors are evicted and rehydrated on demand.

Layers (each uses only those below it)::

    runtime.api         CompiledGraph face, sync portal, snapshots, config parsing
    runtime.supervisor  thread id -> actor; activation, eviction, rehydration, shutdown
    runtime.retention   keep_last / TTL policy and its sweeper; archiving
    runtime.leases      one owner per thread across processes (take, renew, give back)
    runtime.stats       the statistics() snapshot
    runtime.flusher     write-behind group commit; durability waits; backpressure
    runtime.actor       SessionActor + Mailbox: one turn at a time per thread
    runtime.engine      one turn as super-steps; checkpoint records; replay
    runtime.graph       StateGraph builder and validation: pure, no I/O
    stores              Store protocol, records, codec, memory and SQLite backends
"""

from typing import TYPE_CHECKING, Any

from runtime.api import CompiledGraph, PregelTask, StateSnapshot, ThreadInfo
from runtime.engine.context import Runtime
from runtime.engine.interrupts import get_config, get_store, get_stream_writer, interrupt
from runtime.errors import (
    ActorCrashedError,
    CorruptCheckpointError,
    EmptyInputError,
    GraphDefinitionError,
    GraphRecursionError,
    InvalidConfigError,
    InvalidUpdateError,
    MailboxFullError,
    RolledBackError,
    SerializationError,
    SessionBusyError,
    SessionRuntimeError,
    ShutdownIncompleteError,
    ShuttingDownError,
    StaleOwnerError,
    StepTimeoutError,
    StoreError,
    StoreUnavailableError,
    ThreadArchivedError,
)
from runtime.graph import (
    END,
    START,
    Command,
    Interrupt,
    Send,
    StateGraph,
    add_messages,
)
from runtime.memory import Item, Memory
from runtime.retention import Retention, SweepResult
from runtime.stats import RuntimeStatistics
from runtime.supervisor import Supervisor

if TYPE_CHECKING:
    from runtime.graph import MessagesState, RemoveMessage

__all__ = [
    "END",
    "START",
    "ActorCrashedError",
    "Command",
    "CompiledGraph",
    "CorruptCheckpointError",
    "EmptyInputError",
    "GraphDefinitionError",
    "GraphRecursionError",
    "Interrupt",
    "InvalidConfigError",
    "InvalidUpdateError",
    "Item",
    "MailboxFullError",
    "Memory",
    "MessagesState",
    "PregelTask",
    "RemoveMessage",
    "Retention",
    "RolledBackError",
    "Runtime",
    "RuntimeStatistics",
    "Send",
    "SerializationError",
    "SessionBusyError",
    "SessionRuntimeError",
    "ShutdownIncompleteError",
    "ShuttingDownError",
    "StaleOwnerError",
    "StateGraph",
    "StateSnapshot",
    "StepTimeoutError",
    "StoreError",
    "StoreUnavailableError",
    "Supervisor",
    "SweepResult",
    "ThreadArchivedError",
    "ThreadInfo",
    "add_messages",
    "get_config",
    "get_store",
    "get_stream_writer",
    "interrupt",
]


if not TYPE_CHECKING:  # so that mypy flags a name that is not built

    def __getattr__(name: str) -> Any:
        # LangChain's classes when langchain-core is installed: looked up on first use, so that
        # importing runtime does not import langchain_core.
        if name in ("MessagesState", "RemoveMessage"):
            import runtime.graph

            return getattr(runtime.graph, name)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
