"""Twin of ``langgraph.runtime``: the run context a node receives as ``runtime``."""

from __future__ import annotations

from ._unbuilt import unbuilt
from .engine.context import Runtime

__all__ = ["Runtime"]

_PLATFORM = "LangGraph Platform's server context comes with issue 17"
__getattr__ = unbuilt(
    __name__,
    {
        "get_runtime": "declare a keyword parameter `runtime` on the node to receive it",
        "BaseUser": _PLATFORM,
        "ServerInfo": _PLATFORM,
        "ExecutionInfo": _PLATFORM,
        "RunControl": _PLATFORM,
    },
)
