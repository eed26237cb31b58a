"""Where ``add_messages`` used to live; kept so that existing imports keep working.

The messages code is :mod:`runtime.graph.message` (the twin of ``langgraph.graph.message``).
"""

from typing import TYPE_CHECKING, Any

from . import message
from .message import REMOVE_ALL_MESSAGES, add_messages

if TYPE_CHECKING:
    from .message import MessagesState, RemoveMessage

__all__ = ["REMOVE_ALL_MESSAGES", "MessagesState", "RemoveMessage", "add_messages"]


def __getattr__(name: str) -> Any:
    if name in ("MessagesState", "RemoveMessage"):
        return getattr(message, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
