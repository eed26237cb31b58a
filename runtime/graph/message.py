"""``add_messages``, ``MessagesState``, ``RemoveMessage``: twin of ``langgraph.graph.message``.

Which behaviour a process gets is settled the first time it is needed, once:

* ``langchain_core`` importable: LangGraph 1.2's, exactly. Dicts, ``(role, content)``
  tuples, strings and message chunks become LangChain message objects, messages without an
  id get a uuid4 one, ``RemoveMessage`` is ``langchain_core.messages.RemoveMessage`` and
  ``MessagesState`` holds ``list[AnyMessage]`` (see :mod:`._lc_messages`);
* otherwise the same merge rules on dicts and plain objects (see :mod:`._plain_messages`).

``import runtime`` never imports langchain_core: ``add_messages`` resolves it on its first
call, and the two names whose value depends on it are module attributes computed on first
access (``__getattr__`` below). ``MessageGraph`` and ``push_message`` are not built: importing
them fails, saying so.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, Final

from .._unbuilt import unbuilt

if TYPE_CHECKING:  # what the lazy names are when langchain is absent; mypy needs one type
    from ._plain_messages import MessagesState as MessagesState
    from ._plain_messages import RemoveMessage as RemoveMessage

__all__ = ["REMOVE_ALL_MESSAGES", "MessagesState", "RemoveMessage", "add_messages"]

REMOVE_ALL_MESSAGES: Final = "__remove_all__"
"""``RemoveMessage(id=REMOVE_ALL_MESSAGES)`` drops every message before it (LangGraph's id)."""

_Merge = Callable[[Any, Any, "str | None"], list[Any]]
_merge: _Merge | None = None
"""The implementation this process uses, once resolved."""


def langchain_available() -> bool:
    """Whether messages are LangChain objects here (``langchain_core`` can be imported)."""
    return importlib.util.find_spec("langchain_core") is not None


def _resolve() -> _Merge:
    global _merge
    if langchain_available():
        from . import _lc_messages

        _merge = _lc_messages.merge
    else:
        from . import _plain_messages

        _merge = _plain_messages.merge
    return _merge


def _merge_with(left: Any, right: Any, *, format: str | None = None) -> list[Any]:
    return (_merge or _resolve())(left, right, format)


def add_messages(left: Any = None, right: Any = None, *, format: str | None = None) -> Any:
    """Merge ``right`` into ``left`` by message id; returns a new list.

    A message whose id is already in ``left`` replaces it where it stands; other messages are
    appended in order, with a fresh uuid4 id if they had none; ``RemoveMessage(id=...)``
    deletes one (``ValueError`` if no message has that id) and
    ``RemoveMessage(id=REMOVE_ALL_MESSAGES)`` keeps only what follows it in ``right``. Either
    side may be one message instead of a list.

    Called with neither side, returns the reducer with ``format`` bound, for
    ``Annotated[list, add_messages(format="langchain-openai")]`` (contents in OpenAI's
    shape; needs langchain-core).
    """
    if left is not None and right is not None:
        return (_merge or _resolve())(left, right, format)
    if left is not None or right is not None:
        # LangGraph names the missing side by the truthiness of ``left``; so does this.
        given = "left" if left else "right"
        raise ValueError(
            "Must specify non-null arguments for both 'left' and 'right'. Only "
            f"received: '{given}'."
        )
    if format == "langchain-openai" and not langchain_available():
        raise ImportError(
            "add_messages(format='langchain-openai') needs langchain-core: "
            "pip install langchain-core"
        )
    return partial(_merge_with, format=format)


_refuse = unbuilt(
    __name__,
    {
        "MessageGraph": (
            "LangGraph deprecated it in 1.0; use StateGraph(MessagesState) and read and write "
            "state['messages']"
        ),
        "push_message": (
            "it writes to stream_mode='messages' and to the state from inside a running node "
            "(issue 11); return the message from the node meanwhile"
        ),
    },
)


def __getattr__(name: str) -> Any:
    # Each is computed once and then kept as an ordinary module global.
    if name not in ("MessagesState", "RemoveMessage"):
        return _refuse(name)
    if langchain_available():
        import langchain_core.messages

        from . import _lc_messages

        value = getattr(_lc_messages if name == "MessagesState" else langchain_core.messages, name)
    else:
        from . import _plain_messages

        value = getattr(_plain_messages, name)
    globals()[name] = value
    return value
