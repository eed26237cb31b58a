"""``langgraph.prebuilt`` names this runtime does not build yet: they fail when used.

They are importable, so ``from runtime.prebuilt import *`` and imports of the names a
program never uses keep working; making one raises ``NotImplementedError`` saying so.
"""

from __future__ import annotations

from typing import Any, NoReturn

__all__ = ["ToolCallTransformer", "ValidationNode"]


class _NotBuilt:
    _why = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _fail(type(self).__name__, self._why)


def _fail(name: str, why: str) -> NoReturn:
    raise NotImplementedError(
        f"runtime.prebuilt.{name} is not built yet in session-actors ({why}); "
        "it is LangGraph's langgraph.prebuilt."
        f"{name}"
    )


class ToolCallTransformer(_NotBuilt):
    """Not built yet: LangGraph's ``"tools"`` stream channel transformer."""

    _why = "it feeds LangGraph's streaming protocol v2 'tools' channel, which this runtime lacks"


class ValidationNode(_NotBuilt):
    """Not built yet: validates tool calls against schemas without running them."""

    _why = "use ToolNode, whose default handle_tool_errors reports invalid arguments"
