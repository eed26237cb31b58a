"""``add_messages`` without langchain: LangGraph's merge rules on dicts and plain objects.

:mod:`runtime.graph.message` uses this module only when ``langchain_core`` cannot be
imported (with it, messages become LangChain objects as in LangGraph). A message is a dict
(``role``/``content``/``id``, perhaps ``type``) or any object with an ``id`` attribute.
Shorthands LangGraph accepts are turned into dicts: a string is a user message, a
``(role, content)`` pair is that message.

The reducer runs again when a paused step's stored writes are applied, where a
``RemoveMessage`` comes back as a plain dict; so a dict with ``type == "remove"`` removes
just like the class does, and ids assigned once are stored with the message.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field
from itertools import repeat
from typing import Annotated, Any, TypedDict

import msgspec

from .message import REMOVE_ALL_MESSAGES, add_messages

__all__ = ["MessagesState", "RemoveMessage", "merge"]


@dataclass(frozen=True, slots=True)
class RemoveMessage:
    """Return it in a messages update to delete the message with this ``id``."""

    id: str
    # Stored with the write, so that a decoded RemoveMessage (a plain dict) still removes.
    type: str = field(default="remove", init=False, repr=False)


def _is_remove(message: Any) -> bool:
    if isinstance(message, RemoveMessage):
        return True
    if isinstance(message, dict):
        return message.get("type") == "remove"
    return getattr(message, "type", None) == "remove"


def _message_id(message: Any) -> Any:
    if isinstance(message, dict):
        return message.get("id")
    try:
        return message.id
    except AttributeError:
        raise TypeError(
            f"add_messages: cannot merge {type(message).__name__} {message!r}: a message is "
            "a dict (with 'role' and 'content'), an object with an 'id' attribute, a string "
            "or a (role, content) tuple"
        ) from None


def _with_id(message: Any, new_id: str) -> Any:
    """The message carrying ``new_id``: a copy for dicts and immutable objects."""
    if isinstance(message, dict):
        return {**message, "id": new_id}
    try:
        # LangGraph sets the id on the object itself; the caller keeps seeing that id.
        message.id = new_id
        return message
    except (AttributeError, TypeError, ValueError):  # frozen dataclass, Struct, pydantic
        pass
    if dataclasses.is_dataclass(message) and not isinstance(message, type):
        return dataclasses.replace(message, id=new_id)
    if isinstance(message, msgspec.Struct):
        return msgspec.structs.replace(message, id=new_id)
    model_copy = getattr(message, "model_copy", None)  # frozen pydantic models
    if callable(model_copy):
        return model_copy(update={"id": new_id})
    raise TypeError(f"add_messages: cannot assign an id to immutable {message!r}")


def _coerce(messages: Any) -> list[Any]:
    items = list(messages) if isinstance(messages, list) else [messages]
    out: list[Any] = []
    for m in items:
        if isinstance(m, str):
            m = {"role": "user", "content": m}
        elif isinstance(m, tuple) and len(m) == 2 and isinstance(m[0], str):
            m = {"role": m[0], "content": m[1]}
        if _message_id(m) is None:
            m = _with_id(m, str(uuid.uuid4()))
        out.append(m)
    return out


def _given_id(message: Any) -> Any:
    """The id a message arrives with (``None``: it gets a fresh one); removals count."""
    if isinstance(message, dict):
        return message.get("id")
    if isinstance(message, str | tuple):
        return None
    return getattr(message, "id", None)


def _ids(messages: Any) -> list[Any] | None:
    """The ids of an already merged list, or ``None`` if it needs coercing first."""
    if not isinstance(messages, list):
        return None
    if set(map(type, messages)) <= {dict}:  # plain dicts: read every id without a Python loop
        ids: list[Any] = list(map(dict.get, messages, repeat("id")))
    else:
        ids = [None if isinstance(m, str | tuple) else _given_id(m) for m in messages]
    return None if None in ids else ids


def merge(left: Any, right: Any, format: str | None = None) -> list[Any]:
    """Merge ``right`` into ``left`` by message id; returns a new list.

    - a message whose id is already present replaces it in place (edits);
    - other messages are appended, in order, with a fresh ``id`` if they had none;
    - ``RemoveMessage(id)`` deletes that message (``ValueError`` if no such id);
    - ``RemoveMessage(REMOVE_ALL_MESSAGES)`` discards everything before it, ``left``
      included, and keeps only what follows it in ``right``.

    Either side may be a single message instead of a list. ``left`` is never mutated.
    """
    if format == "langchain-openai":
        raise ImportError(
            "add_messages(format='langchain-openai') needs langchain-core: "
            "pip install langchain-core"
        )
    if format:
        raise ValueError(f"Unrecognized {format=}. Expected one of 'langchain-openai', None.")
    given = right if isinstance(right, list) else [right]
    # Messages without an id get a fresh one below, which nothing in ``left`` can carry.
    fresh = not any(_given_id(m) is not None for m in given)
    updates = _coerce(right)

    remove_all_at = None
    for index, m in enumerate(updates):
        if _is_remove(m) and _message_id(m) == REMOVE_ALL_MESSAGES:
            remove_all_at = index
    if remove_all_at is not None:
        return updates[remove_all_at + 1 :]

    # ``left`` is almost always this reducer's own earlier result: every message has an id.
    # Then a turn that only adds new messages costs a list copy, not a pass over the
    # conversation in Python (which made each turn of a 1000-message chat cost ~1.5 ms).
    ids = _ids(left)
    if ids is None:
        current = _coerce(left)
        ids = [_message_id(m) for m in current]
    else:
        current = left
    if fresh:
        return [*current, *updates]

    merged = list(current)
    position = {mid: i for i, mid in enumerate(ids)}
    to_remove: set[Any] = set()
    for m in updates:
        mid = _message_id(m)
        at = position.get(mid)
        if at is None:
            if _is_remove(m):
                raise ValueError(
                    f"Attempting to delete a message with an ID that doesn't exist ('{mid}')"
                )
            position[mid] = len(merged)
            merged.append(m)
        elif _is_remove(m):
            to_remove.add(mid)
        else:
            # A message re-added after its RemoveMessage in the same update survives.
            to_remove.discard(mid)
            merged[at] = m
    if to_remove:
        merged = [m for m in merged if _message_id(m) not in to_remove]
    return merged


class MessagesState(TypedDict):
    """A ready-made state with one ``messages`` key merged by :func:`add_messages`."""

    messages: Annotated[list[Any], add_messages]
