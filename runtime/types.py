"""Twin of ``langgraph.types``: the values nodes and callers use to steer a run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from stores import Store

from ._unbuilt import unbuilt
from .api.snapshot import PregelTask, StateSnapshot
from .engine.interrupts import interrupt
from .graph.types import Command, Interrupt, Send

__all__ = [
    "All",
    "Checkpointer",
    "Command",
    "Durability",
    "Interrupt",
    "PregelTask",
    "Send",
    "StateSnapshot",
    "StreamMode",
    "StreamWriter",
    "interrupt",
]

All = Literal["*"]
"""``interrupt_before="*"``: every node."""
StreamMode = Literal["values", "updates", "custom", "debug", "messages"]
Durability = Literal["sync", "async", "exit"]
StreamWriter = Callable[[Any], None]
"""What ``get_stream_writer()`` returns and a node's ``writer`` parameter receives."""
Checkpointer = Store | bool | None
"""What ``compile(checkpointer=...)`` takes: a store (``None``: none)."""

_ISSUE_13 = "node policies and the other LangGraph 1.2 graph features come with issue 13"
__getattr__ = unbuilt(
    __name__,
    {
        "RetryPolicy": _ISSUE_13,
        "CachePolicy": _ISSUE_13,
        "TimeoutPolicy": _ISSUE_13,
        "TracePolicy": _ISSUE_13,
        "Overwrite": _ISSUE_13,
        "StateUpdate": _ISSUE_13,
        "PregelExecutableTask": "an engine internal of LangGraph's",
        "ensure_valid_checkpointer": "an engine internal of LangGraph's",
        "omit_payload": "an engine internal of LangGraph's",
        "GraphOutput": "stream(version='v2') comes with issue 13",
        "StreamPart": "stream(version='v2') comes with issue 13",
        "ValuesStreamPart": "stream(version='v2') comes with issue 13",
        "UpdatesStreamPart": "stream(version='v2') comes with issue 13",
        "MessagesStreamPart": "stream(version='v2') comes with issue 13",
        "CustomStreamPart": "stream(version='v2') comes with issue 13",
        "DebugStreamPart": "stream(version='v2') comes with issue 13",
        "TasksStreamPart": "stream(version='v2') comes with issue 13",
        "CheckpointStreamPart": "stream(version='v2') comes with issue 13",
        "CheckpointPayload": "the 'checkpoints' stream mode comes with issue 13",
        "CheckpointTask": "the 'checkpoints' stream mode comes with issue 13",
        "TaskPayload": "the 'tasks' stream mode comes with issue 13",
        "TaskResultPayload": "the 'tasks' stream mode comes with issue 13",
        "DebugPayload": "typed 'debug' payloads come with issue 13",
    },
)
