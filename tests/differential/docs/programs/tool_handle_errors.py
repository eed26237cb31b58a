# From LangGraph docs: how-tos/tool-calling.md, "Handle errors": ToolNode's default error
# handling, handle_tool_errors=False, and a custom error message string. Changed: the page
# invokes the ToolNode on its own, which LangGraph 1.2 refuses outside a graph ("Missing
# required config key"), so each ToolNode runs as the only node of a MessagesState graph.
from langchain_core.messages import AIMessage
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode


def in_graph(tool_node):
    return StateGraph(MessagesState).add_node("tools", tool_node).add_edge(START, "tools").compile()


def multiply(a: int, b: int) -> int:
    """Multiply two numbers."""
    if a == 42:
        raise ValueError("The ultimate error")
    return a * b


message = AIMessage(
    content="",
    tool_calls=[{"name": "multiply", "args": {"a": 42, "b": 7}, "id": "1", "type": "tool_call"}],
)

# Default error handling (enabled by default)
tool_node = ToolNode([multiply])
tool_call = message.tool_calls[0]
try:
    print(in_graph(tool_node).invoke({"messages": [message]}))
except ValueError as e:
    # LangGraph 1.2's default handles only invalid tool arguments; this error propagates.
    print("ValueError:", e)

# Disable error handling
tool_node = ToolNode([multiply], handle_tool_errors=False)
try:
    in_graph(tool_node).invoke({"messages": [message]})
except ValueError as e:
    print("ValueError:", e)

# Custom error messages
tool_node = ToolNode(
    [multiply],
    handle_tool_errors=(
        "Can't use 42 as a first operand, you must switch operands!"
    )
)
print(in_graph(tool_node).invoke({"messages": [message]}))
