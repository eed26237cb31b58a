"""The server's two shapes of ``stream_mode="messages"``, as LangGraph Platform sends them.

A run streamed with ``"messages-tuple"`` gets each ``(message, metadata)`` event of the
graph as it is: ``event: messages`` with ``[message, metadata]``. A run streamed with
``"messages"`` gets the messages assembled: the first event of a message id sends
``messages/metadata`` (``{id: {"metadata": ...}}``), then every chunk sends
``messages/partial`` with the message so far (its chunks added up), and a message that
came whole sends ``messages/complete``. Both modes ask the graph for its ``"messages"``
events; ``"messages-tuple"`` wins if a client asks for both.

Message objects are written as their ``model_dump()`` (see ``jsonio``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

#: Stream modes a client may ask for beyond the graph's own.
SERVER_MODES = ("messages-tuple",)


def graph_modes(modes: list[str]) -> list[str]:
    """What to ask the graph for, given what the client asked the server for."""
    out: list[str] = []
    for m in modes:
        m = "messages" if m == "messages-tuple" else m
        if m not in out:
            out.append(m)
    return out


class MessagesView:
    """Turns the graph's ``messages`` events into the client's SSE events."""

    __slots__ = ("messages", "tuples")

    def __init__(self, modes: list[str]) -> None:
        self.tuples = "messages-tuple" in modes
        self.messages: dict[Any, Any] = {}
        """The message so far, by id (``"messages"`` mode)."""

    def events(self, payload: tuple[Any, dict[str, Any]]) -> Iterator[tuple[str, Any]]:
        message, metadata = payload
        if self.tuples:
            yield "messages", [message, metadata]
            return
        # LangChain is loaded: this event came from one of its models or messages.
        from langchain_core.messages import BaseMessageChunk, message_chunk_to_message

        key = message.id
        known = self.messages.get(key)
        chunk = isinstance(message, BaseMessageChunk)
        if known is None:
            self.messages[key] = message
            yield "messages/metadata", {key: {"metadata": metadata}}
        elif chunk and isinstance(known, BaseMessageChunk):
            self.messages[key] = known + message
        else:  # a whole message again under a known id: it replaces what was there
            self.messages[key] = message
        current = message_chunk_to_message(self.messages[key])
        yield ("messages/partial" if chunk else "messages/complete"), [current]


__all__ = ["SERVER_MODES", "MessagesView", "graph_modes"]
