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

from runtime._unbuilt import unbuilt

from .chat_agent_executor import create_react_agent
from .tool_node import InjectedState, InjectedStore, ToolNode, ToolRuntime, tools_condition

__all__ = [
    "InjectedState",
    "InjectedStore",
    "ToolNode",
    "ToolRuntime",
    "create_react_agent",
    "tools_condition",
]

__getattr__ = unbuilt(
    __name__,
    {
        "ValidationNode": "use ToolNode, whose default handle_tool_errors reports invalid "
        "arguments to the model",
        "ToolCallTransformer": "it feeds LangGraph's streaming protocol v2 'tools' channel, "
        "which comes with issue 13",
    },
)
