"""The two sides of every prebuilt differential test: LangGraph's names and ours.

A test writes its program once against a :class:`Side` (``side.ToolNode``, ``side.Command``,
``side.StateGraph``, ...) and runs it on both.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import langgraph.graph as lg_graph
import langgraph.prebuilt as lg_prebuilt
import langgraph.prebuilt.chat_agent_executor as lg_agent
import langgraph.types as lg_types
from langchain_core.messages import RemoveMessage as LCRemoveMessage
from langgraph._internal._constants import CONFIG_KEY_RUNTIME
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.runtime import Runtime as LGRuntime

import runtime as ours
import runtime.prebuilt as our_prebuilt
import runtime.prebuilt.chat_agent_executor as our_agent
from stores.memory import InMemorySaver as OurSaver

warnings.filterwarnings("ignore", message=".*moved to `langchain.agents`.*")
warnings.filterwarnings("ignore", message=".*has been deprecated in favor of AgentState.*")


@dataclass(frozen=True)
class Side:
    name: str
    ToolNode: Any
    tools_condition: Any
    InjectedState: Any
    InjectedStore: Any
    ToolRuntime: Any
    create_react_agent: Any
    AgentState: Any
    StateGraph: Any
    START: str
    END: str
    add_messages: Any
    Command: Any
    Send: Any
    interrupt: Any
    RemoveMessage: Any
    saver: Any

    def __repr__(self) -> str:
        return self.name

    def direct_config(self, store: Any = None, context: Any = None) -> dict[str, Any]:
        """A config under which a ``ToolNode`` runs outside a graph on this side.

        LangGraph's ToolNode refuses to run without a runtime in its config ("Missing
        required config key 'N/A'"), so the oracle gets one; ours takes ``runtime=``.
        """
        if self.name == "langgraph":
            rt = LGRuntime(context=context, store=store)
            return {"configurable": {CONFIG_KEY_RUNTIME: rt}}
        return {}

    def invoke_node(self, node: Any, input: Any, store: Any = None, context: Any = None) -> Any:
        if self.name == "langgraph":
            return node.invoke(input, self.direct_config(store, context))
        return node.invoke(input, runtime=_Rt(store, context))

    async def ainvoke_node(
        self, node: Any, input: Any, store: Any = None, context: Any = None
    ) -> Any:
        if self.name == "langgraph":
            return await node.ainvoke(input, self.direct_config(store, context))
        return await node.ainvoke(input, runtime=_Rt(store, context))


@dataclass
class _Rt:
    store: Any
    context: Any
    stream_writer: Any = None


LANGGRAPH = Side(
    "langgraph",
    lg_prebuilt.ToolNode,
    lg_prebuilt.tools_condition,
    lg_prebuilt.InjectedState,
    lg_prebuilt.InjectedStore,
    lg_prebuilt.ToolRuntime,
    lg_prebuilt.create_react_agent,
    lg_agent.AgentState,
    lg_graph.StateGraph,
    lg_graph.START,
    lg_graph.END,
    lg_graph.add_messages,
    lg_types.Command,
    lg_types.Send,
    lg_types.interrupt,
    LCRemoveMessage,
    InMemorySaver,
)

OURS = Side(
    "ours",
    our_prebuilt.ToolNode,
    our_prebuilt.tools_condition,
    our_prebuilt.InjectedState,
    our_prebuilt.InjectedStore,
    our_prebuilt.ToolRuntime,
    our_prebuilt.create_react_agent,
    our_agent.AgentState,
    ours.StateGraph,
    ours.START,
    ours.END,
    ours.add_messages,
    ours.Command,
    ours.Send,
    ours.interrupt,
    ours.RemoveMessage,
    OurSaver,
)

SIDES = (LANGGRAPH, OURS)
