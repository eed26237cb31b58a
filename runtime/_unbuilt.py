"""LangGraph names that are not built here yet: importing one fails, saying so.

Each twin module (``runtime.types`` for ``langgraph.types``, ...) lists the names of its
LangGraph original that it does not offer, with the reason, and gets a module
``__getattr__`` from :func:`unbuilt`. ``from runtime.types import RetryPolicy`` then raises
an ``ImportError`` naming what is missing and what to use meanwhile, never a stand-in that
would behave differently.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["unbuilt"]


def unbuilt(module: str, names: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``module`` that refuses ``names`` (name -> reason)."""
    original = "langgraph" + module.removeprefix("runtime")

    def __getattr__(name: str) -> Any:
        why = names.get(name)
        if why is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        raise ImportError(
            f"{module}.{name} (LangGraph's {original}.{name}) is not built yet in "
            f"session-actors: {why}",
            name=module,
        )

    return __getattr__
