"""``add_messages`` on LangChain message objects: LangGraph 1.2's results, cheaper.

Imported only when ``langchain_core`` is (see :mod:`.message`). The results are LangGraph's
(its ``langgraph/graph/message.py`` is the reference): both sides are coerced with
``convert_to_messages`` and chunks turned into messages with ``message_chunk_to_message``;
messages without an id get a uuid4 one, set on the object itself as LangGraph does.

Where this differs is cost. ``left`` is almost always this reducer's own previous result, and
a turn usually only appends. LangGraph walks the whole conversation in Python for each merge
(its ids, then an id -> position dict). Here, when ``left`` needs no coercion, every pass over
it runs in C (its classes, its ids against the update's, the list copy; for edits and
removals an id -> position dict and a filter) and Python code runs per message of ``right``
only: about half LangGraph's time per stored message (``examples/bench_messages.py``).

Stored data written before messages were LangChain objects holds a removal as the dict
``{"type": "remove", "id": ...}``, which ``convert_to_messages`` rejects (no ``content``); such a
dict is read as the ``RemoveMessage`` it was written from.
"""

from __future__ import annotations

import uuid
from itertools import compress, count
from operator import attrgetter, not_
from typing import Annotated, Any

from langchain_core.messages import (
    AnyMessage,
    BaseMessage,
    BaseMessageChunk,
    RemoveMessage,
    convert_to_messages,
    convert_to_openai_messages,
    message_chunk_to_message,
)
from typing_extensions import TypedDict

from .message import REMOVE_ALL_MESSAGES, add_messages

__all__ = ["MessagesState", "merge"]

_id = attrgetter("id")
_plain: set[type] = set()
"""Classes seen to need no coercion (message classes, not chunks): checked once each."""


def _needs_no_coercion(messages: list[Any]) -> bool:
    types = set(map(type, messages))
    if types <= _plain:
        return True
    if all(issubclass(t, BaseMessage) and not issubclass(t, BaseMessageChunk) for t in types):
        _plain.update(types)
        return True
    return False


def _stored_removal(m: Any) -> Any:
    if (
        isinstance(m, dict)
        and m.get("type") == "remove"
        and "role" not in m
        and "content" not in m
        and "id" in m
    ):
        return RemoveMessage(id=m["id"])
    return m


def _coerce(messages: list[Any]) -> list[Any]:
    """``messages`` as message objects (the same list when they already are)."""
    if _needs_no_coercion(messages):
        return messages
    converted = convert_to_messages([_stored_removal(m) for m in messages])
    return [message_chunk_to_message(m) for m in converted]


def _fresh_id() -> str:
    return str(uuid.uuid4())


def merge(left: Any, right: Any, format: str | None = None) -> list[Any]:
    """LangGraph's ``add_messages(left, right, format=format)``; see :func:`.add_messages`."""
    left = _coerce(left if isinstance(left, list) else [left])
    updates = _coerce(right if isinstance(right, list) else [right])

    # The usual turn: ``left`` is this reducer's earlier result and every update is a new
    # message. Then one C-level pass over ``left`` (the isdisjoint below) proves that no
    # message there lacks an id or shares one with an update, and the merge is an append.
    appendable = True
    probe: set[Any] = {None}
    remove_all_at = None
    for i, m in enumerate(updates):
        if isinstance(m, RemoveMessage):
            appendable = False
            if m.id == REMOVE_ALL_MESSAGES:
                remove_all_at = i
        elif m.id is not None:
            if m.id in probe:  # twice in one update: the second replaces the first
                appendable = False
            probe.add(m.id)
    if appendable and probe.isdisjoint(map(_id, left)):
        _give_ids(updates)
        return _formatted([*left, *updates], format)

    ids = list(map(_id, left))
    if None in ids:
        for i, m in enumerate(left):
            if m.id is None:
                m.id = ids[i] = _fresh_id()
    _give_ids(updates)  # after left's, as LangGraph does
    if remove_all_at is not None:
        return updates[remove_all_at + 1 :]  # LangGraph applies no format here
    return _formatted(_merge_by_id(left, ids, updates), format)


def _give_ids(messages: list[Any]) -> None:
    for m in messages:
        if m.id is None:
            m.id = _fresh_id()


def _formatted(messages: list[Any], format: str | None) -> list[Any]:
    if format == "langchain-openai":
        return convert_to_messages(convert_to_openai_messages(messages))
    if format:
        raise ValueError(f"Unrecognized {format=}. Expected one of 'langchain-openai', None.")
    return messages


def _merge_by_id(left: list[Any], ids: list[Any], updates: list[Any]) -> list[Any]:
    merged = list(left)
    # Built in C; with repeated ids the last position wins, as in LangGraph.
    position = dict(zip(ids, count()))
    to_remove: set[Any] = set()
    for m in updates:
        at = position.get(m.id)
        if at is None:
            if isinstance(m, RemoveMessage):
                raise ValueError(
                    f"Attempting to delete a message with an ID that doesn't exist ('{m.id}')"
                )
            position[m.id] = len(merged)
            merged.append(m)
        elif isinstance(m, RemoveMessage):
            to_remove.add(m.id)
        else:
            to_remove.discard(m.id)  # re-added after its removal in the same update: kept
            merged[at] = m
    if to_remove:
        # Every message with a removed id goes (duplicates in ``left`` too), as in LangGraph.
        keep = map(not_, map(to_remove.__contains__, map(_id, merged)))
        merged = list(compress(merged, keep))
    return merged


class MessagesState(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]
