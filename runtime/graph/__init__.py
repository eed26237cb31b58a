"""Graph building: ``StateGraph`` and what its nodes use, frozen into a ``GraphSpec``.

Pure and synchronous: nothing here does I/O or runs a node. ``MessagesState`` and
``RemoveMessage`` are looked up on first use (they are LangChain's when langchain-core is
installed, and importing this package must not import it).
"""

from typing import TYPE_CHECKING, Any

from .._unbuilt import unbuilt
from . import message
from .builder import StateGraph, UnsupportedOptionWarning
from .message import REMOVE_ALL_MESSAGES, add_messages
from .spec import END, START, BranchSpec, CallableSpec, ChannelSpec, GraphSpec, NodeSpec
from .types import Command, Interrupt, Send
from .validate import UnreachableNodeWarning

if TYPE_CHECKING:
    from .message import MessagesState, RemoveMessage

__all__ = [
    "END",
    "REMOVE_ALL_MESSAGES",
    "START",
    "BranchSpec",
    "CallableSpec",
    "ChannelSpec",
    "Command",
    "GraphSpec",
    "Interrupt",
    "MessagesState",
    "NodeSpec",
    "RemoveMessage",
    "Send",
    "StateGraph",
    "UnreachableNodeWarning",
    "UnsupportedOptionWarning",
    "add_messages",
]


_refuse = unbuilt(
    __name__,
    {"MessageGraph": "LangGraph deprecated it in 1.0; use StateGraph(MessagesState)"},
)


def __getattr__(name: str) -> Any:
    if name in ("MessagesState", "RemoveMessage"):
        return getattr(message, name)
    return _refuse(name)
