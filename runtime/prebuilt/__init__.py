"""``runtime.prebuilt``: the twin of ``langgraph.prebuilt`` (tool node, ReAct agent).

Needs ``langchain-core`` (the ``session-actors[langchain]`` extra): tools, messages and chat
models are LangChain's. ``import runtime`` never imports this package.
"""

try:
    import langchain_core  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "runtime.prebuilt needs langchain-core, which is not installed: "
        "pip install 'session-actors[langchain]'"
    ) from exc

from ._not_built import ToolCallTransformer, ValidationNode
from .chat_agent_executor import create_react_agent
from .tool_node import InjectedState, InjectedStore, ToolNode, ToolRuntime, tools_condition

__all__ = [
    "InjectedState",
    "InjectedStore",
    "ToolCallTransformer",
    "ToolNode",
    "ToolRuntime",
    "ValidationNode",
    "create_react_agent",
    "tools_condition",
]
