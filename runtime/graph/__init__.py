"""Graph building: ``StateGraph`` and what its nodes use, frozen into a ``GraphSpec``.

Pure and synchronous: nothing here does I/O or runs a node.
"""

from .builder import StateGraph, UnsupportedOptionWarning
from .reducers import REMOVE_ALL_MESSAGES, MessagesState, RemoveMessage, add_messages
from .spec import END, START, BranchSpec, CallableSpec, ChannelSpec, GraphSpec, NodeSpec
from .types import Command, Interrupt, Send
from .validate import UnreachableNodeWarning

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
