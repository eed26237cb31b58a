"""A LangChain tool-calling agent with a durable session, its tokens streamed as they come.

    pip install -e '.[langchain]' && python examples/agent_langchain.py

The program is LangGraph's: only its imports say ``runtime`` and ``stores``. The chat model is
a scripted fake (no network, no key): it asks for the weather tool once, then answers from
what the tool said, streaming its answer word by word. Run it twice: the second run continues
the conversation kept in ``agent.db``.
"""

import itertools
import json
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage
from langchain_core.outputs import ChatGenerationChunk
from langchain_core.tools import tool

from runtime.prebuilt import create_react_agent  # was: langgraph.prebuilt
from stores.sqlite import SqliteSaver  # was: langgraph.checkpoint.sqlite


class ScriptedModel(GenericFakeChatModel):
    """GenericFakeChatModel with the bind_tools a tool-calling agent asks for, streaming a
    reply with tool calls as one chunk (the fake's own streaming would drop the calls)."""

    def bind_tools(self, tools: Any, **kwargs: Any) -> "ScriptedModel":
        return self

    def _stream(self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any) -> Any:
        reply = next(self.messages)
        if not reply.tool_calls:
            self.messages = itertools.chain([reply], self.messages)
            yield from super()._stream(messages, stop, run_manager, **kw)
            return
        chunks = [
            {"name": c["name"], "args": json.dumps(c["args"]), "id": c["id"], "index": i}
            for i, c in enumerate(reply.tool_calls)
        ]
        yield ChatGenerationChunk(message=AIMessageChunk(reply.content, tool_call_chunks=chunks))


@tool
def get_weather(city: str) -> str:
    """Get the weather for a city."""
    return f"It is always sunny in {city}."


def script() -> Any:
    while True:
        yield AIMessage(
            "Let me check.",
            tool_calls=[{"name": "get_weather", "args": {"city": "Paris"}, "id": "w1"}],
        )
        yield AIMessage("The tool says it is always sunny in Paris. Enjoy!")


agent = create_react_agent(
    ScriptedModel(messages=script()),
    [get_weather],
    prompt="You are a helpful assistant.",
    checkpointer=SqliteSaver("agent.db"),
)
config = {"configurable": {"thread_id": "demo"}}

said = None
for chunk, meta in agent.stream(
    {"messages": [HumanMessage("What is the weather in Paris?")]}, config, stream_mode="messages"
):
    if meta["langgraph_node"] == "agent" and chunk.content:
        if said not in (None, chunk.id):
            print()  # the model's next message
        said = chunk.id
        print(chunk.content, end="", flush=True)  # token by token
print()
for message in agent.get_state(config).values["messages"][-4:]:
    message.pretty_print()
print(f"{len(agent.get_state(config).values['messages'])} messages kept in agent.db")
