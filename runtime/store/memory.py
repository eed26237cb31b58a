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


class InMemoryStore(MemoryStore):
    """LangGraph's ``InMemoryStore``: namespaced JSON items in this process."""

    def __init__(self, *, index: Any = None) -> None:
        if index is not None:
            raise NotImplementedError(
                "InMemoryStore(index=...) (semantic search over embeddings) is not built yet "
                "in session-actors; without an index, search(query=...) ignores the query, "
                "as LangGraph's does"
            )
        super().__init__()
        self._face = BaseStore(self, _no_loop)

    def _check_open(self) -> None:
        # always usable, as LangGraph's: a graph closing it keeps it readable for the app
        return None

    # LangGraph's InMemoryStore lists items in the order they were added, and keeps listing
    # a namespace whose items were all deleted
    _drop_empty_namespaces = False

    def _search_order(self, found: list[Any]) -> list[Any]:
        return found

    async def aput(self, namespace: tuple[str, ...], key: str, value: dict[str, Any]) -> None:
        await self._face.aput(namespace, key, value)

    async def aget(self, namespace: tuple[str, ...], key: str) -> Item | None:
        return await self._face.aget(namespace, key)

    async def adelete(self, namespace: tuple[str, ...], key: str) -> None:
        await self._face.adelete(namespace, key)

    async def asearch(
        self,
        namespace_prefix: tuple[str, ...],
        /,
        *,
        query: str | None = None,
        filter: dict[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
    ) -> list[SearchItem]:
        return await self._face.asearch(
            namespace_prefix, query=query, filter=filter, limit=limit, offset=offset
        )

    async def alist_namespaces(
        self,
        *,
        prefix: tuple[str, ...] | None = None,
        max_depth: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[tuple[str, ...]]:
        return await self._face.alist_namespaces(
            prefix=prefix, max_depth=max_depth, limit=limit, offset=offset
        )

    def put(self, namespace: tuple[str, ...], key: str, value: dict[str, Any]) -> None:
        _done(self.aput(namespace, key, value))

    def get(self, namespace: tuple[str, ...], key: str) -> Item | None:
        return _done(self.aget(namespace, key))

    def delete(self, namespace: tuple[str, ...], key: str) -> None:
        _done(self.adelete(namespace, key))

    def search(
        self,
        namespace_prefix: tuple[str, ...],
        /,
        *,
        query: str | None = None,
        filter: dict[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
    ) -> list[SearchItem]:
        return _done(
            self.asearch(namespace_prefix, query=query, filter=filter, limit=limit, offset=offset)
        )

    def list_namespaces(
        self,
        *,
        prefix: tuple[str, ...] | None = None,
        max_depth: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[tuple[str, ...]]:
        return _done(
            self.alist_namespaces(prefix=prefix, max_depth=max_depth, limit=limit, offset=offset)
        )


if not TYPE_CHECKING:  # so that mypy flags a name that is not built
    __getattr__ = unbuilt(__name__, dict(base._UNBUILT))
