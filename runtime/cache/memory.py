"""Twin of ``langgraph.cache.memory`` (not built yet)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from runtime._unbuilt import unbuilt

__all__: list[str] = []

_WHY = "node caching (CachePolicy, compile(cache=...)) comes with issue 13"
if not TYPE_CHECKING:  # so that mypy flags a name that is not built
    __getattr__ = unbuilt(
        __name__,
        {"InMemoryCache": _WHY, "BaseCache": _WHY, "SerializerProtocol": _WHY, "ValueT": _WHY},
    )
