"""Twin of ``langgraph.cache.memory`` (not built yet)."""

from __future__ import annotations

from runtime._unbuilt import unbuilt

__all__: list[str] = []

_WHY = "node caching (CachePolicy, compile(cache=...)) comes with issue 13"
__getattr__ = unbuilt(
    __name__,
    {"InMemoryCache": _WHY, "BaseCache": _WHY, "SerializerProtocol": _WHY, "ValueT": _WHY},
)
