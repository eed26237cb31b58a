# From LangGraph docs: how-tos/tool-calling.md, "Use in a workflow / ToolNode" (the full
# tool-calling agent built from StateGraph, MessagesState, ToolNode and a should_continue
# edge), streamed with stream_mode="values". Changed: the model is scripted.
from langgraph.prebuilt import ToolNode
from langgraph.graph import StateGraph, MessagesState, START, END

from _fake import call, chat_model, tool_ai


def get_weather(location: str):
    """Call to get the current weather."""
    if location.lower() in ["sf", "san francisco"]:
        return "It's 60 degrees and foggy."
    else:
        return "It's 90 degrees and sunny."


tool_node = ToolNode([get_weather])

model = chat_model(
    tool_ai(call("get_weather", {"location": "sf"}, "call_1")),
    "It's 60 degrees and foggy in San Francisco.",
)
model_with_tools = model.bind_tools([get_weather])


def should_continue(state: MessagesState):
    messages = state["messages"]
    last_message = messages[-1]
    if last_message.tool_calls:
        return "tools"
    return END


def call_model(state: MessagesState):
    messages = state["messages"]
    response = model_with_tools.invoke(messages)
    return {"messages": [response]}


builder = StateGraph(MessagesState)

# Define the two nodes we will cycle between
builder.add_node("call_model", call_model)
builder.add_node("tools", tool_node)

builder.add_edge(START, "call_model")
builder.add_conditional_edges("call_model", should_continue, ["tools", END])
builder.add_edge("tools", "call_model")

graph = builder.compile()

for chunk in graph.stream(
    {"messages": [{"role": "user", "content": "what's the weather in sf?"}]},
    stream_mode="values",
):
    chunk["messages"][-1].pretty_print()
