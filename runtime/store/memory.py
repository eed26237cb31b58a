"""Twin of ``langgraph.store.memory``: ``InMemoryStore``.

It is this project's in-process store (``stores.MemoryStore``), passed as
``compile(store=...)`` (nodes reach it through their ``store`` parameter or
``get_store()``), with LangGraph's store API for application code as well: ``put``,
``get``, ``delete``, ``search``, ``list_namespaces`` and their ``a``-prefixed twins, usable
before, while and after graphs use it.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from runtime._unbuilt import unbuilt
from runtime.memory import Item, SearchItem
from runtime.memory import Memory as BaseStore
from stores.memory import MemoryStore

from . import base

__all__ = ["BaseStore", "InMemoryStore", "Item", "SearchItem"]

T = TypeVar("T")


def _done(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never suspends (a MemoryStore item call only takes a thread
    lock) to its end, without an event loop: the sync API works anywhere, loop or not."""
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    coro.close()
    raise RuntimeError("an in-memory store call suspended; use the async method")


def _no_loop() -> None:
    return None


class InMemoryStore(MemoryStore, BaseStore):
    """LangGraph's ``InMemoryStore``: namespaced JSON items in this process.

    A store (what ``compile(store=...)`` takes) that is also its own ``BaseStore`` face,
    whose blocking calls run at once: a memory store's item calls never wait.
    """

    # LangGraph's InMemoryStore lists items in the order they were added, and keeps listing
    # a namespace whose items were all deleted
    _drop_empty_namespaces = False

    def __init__(self, *, index: Any = None) -> None:
        if index is not None:
            raise NotImplementedError(
                "InMemoryStore(index=...) (semantic search over embeddings) is not built yet "
                "in session-actors; without an index, search(query=...) ignores the query, "
                "as LangGraph's does"
            )
        MemoryStore.__init__(self)
        BaseStore.__init__(self, self, _no_loop)

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return _done(coro)

    def _check_open(self) -> None:
        # always usable, as LangGraph's: a graph closing it keeps it readable for the app
        return None

    def _search_order(self, found: list[Any]) -> list[Any]:
        return found


if not TYPE_CHECKING:  # so that mypy flags a name that is not built
    __getattr__ = unbuilt(__name__, dict(base._UNBUILT))
