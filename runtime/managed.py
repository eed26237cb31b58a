"""Twin of ``langgraph.managed``: managed values (none built yet)."""

from __future__ import annotations

from ._unbuilt import unbuilt

__all__: list[str] = []

_WHY = "managed values come with issue 13; a node can count steps in its own state meanwhile"
__getattr__ = unbuilt(__name__, {"RemainingSteps": _WHY, "IsLastStep": _WHY})
