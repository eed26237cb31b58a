"""Twin of ``langgraph.func``: the functional API (not built yet)."""

from __future__ import annotations

from ._unbuilt import unbuilt

__all__: list[str] = []

_WHY = "the functional API (@entrypoint, @task) comes with issue 13; use StateGraph meanwhile"
__getattr__ = unbuilt(__name__, {"entrypoint": _WHY, "task": _WHY})
