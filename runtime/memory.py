"""Cross-session memory: LangGraph's ``BaseStore`` face over a store's items.

``compile(store=db)`` gives nodes this face (the ``store`` parameter, or ``get_store()``)
and ``graph.memory`` gives it to the application. Items live in the store's own table, so
they survive thread deletion and, with ``SqliteStore``, the process.

The async methods (``aput``, ``aget``, ...) work anywhere on the runtime's loop. The sync
ones block, so they work from other threads (a sync node that declares ``store`` runs in a
worker thread for exactly this reason) but not on the loop itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from stores import Store
from stores import records as r

T = TypeVar("T")


@dataclass(frozen=True, slots=True, repr=False)
class Item:
    """One memory entry (LangGraph's ``Item`` fields, and its printed form)."""

    namespace: tuple[str, ...]
    key: str
    value: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    def dict(self) -> dict[str, Any]:
        return {
            "namespace": list(self.namespace),
            "key": self.key,
            "value": self.value,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }

    def __repr__(self) -> str:
        return f"Item({', '.join(f'{k}={v!r}' for k, v in self.dict().items())})"


@dataclass(frozen=True, slots=True, repr=False)
class SearchItem(Item):
    """An item found by ``search``: with its relevance ``score`` (``None`` without an
    embedding index, which is always the case here), as LangGraph's."""

    score: float | None = None

    def dict(self) -> dict[str, Any]:
        return {**Item.dict(self), "score": self.score}


ItemT = TypeVar("ItemT", bound=Item)


def _item(raw: r.Item, cls: type[ItemT]) -> ItemT:
    return cls(
        raw.namespace,
        raw.key,
        raw.value,
        datetime.fromtimestamp(raw.created_at, UTC),
        datetime.fromtimestamp(raw.updated_at, UTC),
    )


class Memory:
    """Namespaced key-value memory shared by every thread of a graph."""

    def __init__(self, store: Store, loop: Callable[[], asyncio.AbstractEventLoop | None]) -> None:
        self.store = store
        self._loop = loop

    # -- async ---------------------------------------------------------------------------
    async def aput(self, namespace: tuple[str, ...], key: str, value: dict[str, Any]) -> None:
        if not isinstance(value, dict):
            raise TypeError(f"memory values are dicts, got {type(value).__name__}")
        await self.store.put_item(tuple(namespace), key, value)

    async def aget(self, namespace: tuple[str, ...], key: str) -> Item | None:
        raw = await self.store.get_item(tuple(namespace), key)
        return None if raw is None else _item(raw, Item)

    async def adelete(self, namespace: tuple[str, ...], key: str) -> None:
        await self.store.delete_item(tuple(namespace), key)

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
        # Without an embedding index, LangGraph's stores ignore ``query`` and list the
        # namespace's items (filtered, in their order); so does this one.
        found = await self.store.search_items(
            tuple(namespace_prefix), filter=filter, limit=limit, offset=offset
        )
        return [_item(i, SearchItem) for i in found]

    async def alist_namespaces(
        self,
        *,
        prefix: tuple[str, ...] | None = None,
        max_depth: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[tuple[str, ...]]:
        return await self.store.list_item_namespaces(
            prefix=tuple(prefix or ()), max_depth=max_depth, limit=limit, offset=offset
        )

    # -- sync: block on the runtime's loop from another thread ---------------------------
    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        loop = self._loop()
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop is None or loop is running or not loop.is_running():
            coro.close()
            raise RuntimeError(
                "the sync memory methods block, so they cannot run on the runtime's event "
                "loop: use `await store.aput(...)` (aget, asearch, ...) in an async node; a "
                "sync node that declares a `store` parameter runs in a worker thread where "
                "the sync methods work"
            )
        return asyncio.run_coroutine_threadsafe(coro, loop).result()

    def put(self, namespace: tuple[str, ...], key: str, value: dict[str, Any]) -> None:
        self._run(self.aput(namespace, key, value))

    def get(self, namespace: tuple[str, ...], key: str) -> Item | None:
        return self._run(self.aget(namespace, key))

    def delete(self, namespace: tuple[str, ...], key: str) -> None:
        self._run(self.adelete(namespace, key))

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
        return self._run(
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
        return self._run(
            self.alist_namespaces(prefix=prefix, max_depth=max_depth, limit=limit, offset=offset)
        )
