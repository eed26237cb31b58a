"""The model side of ``create_react_agent``: prompt, tool binding, history checks.

Split from ``chat_agent_executor`` so that module holds only the graph and its states.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, SystemMessage, ToolMessage
from langchain_core.runnables import Runnable, RunnableBinding, RunnableLambda, RunnableSequence
from langchain_core.tools import BaseTool

__all__ = [
    "as_node",
    "get_model",
    "prompt_runnable",
    "should_bind_tools",
    "state_value",
    "tool_call_with_context",
    "validate_chat_history",
]

PROMPT_RUNNABLE_NAME = "Prompt"


def state_value(state: Any, key: str, default: Any = None) -> Any:
    return state.get(key, default) if isinstance(state, dict) else getattr(state, key, default)


def prompt_runnable(prompt: Any) -> Runnable[Any, Any]:
    if prompt is None:
        return RunnableLambda(
            lambda state: state_value(state, "messages"), name=PROMPT_RUNNABLE_NAME
        )
    if isinstance(prompt, str):
        system = SystemMessage(content=prompt)
        return RunnableLambda(
            lambda state: [system, *state_value(state, "messages")], name=PROMPT_RUNNABLE_NAME
        )
    if isinstance(prompt, SystemMessage):
        return RunnableLambda(
            lambda state: [prompt, *state_value(state, "messages")], name=PROMPT_RUNNABLE_NAME
        )
    if isinstance(prompt, Runnable):
        return prompt
    if callable(prompt):
        return RunnableLambda(prompt, name=PROMPT_RUNNABLE_NAME)
    raise ValueError(f"Got unexpected type for `prompt`: {type(prompt)}")


def _first_model_step(model: Any) -> Any:
    if isinstance(model, RunnableSequence):
        return next(
            (s for s in model.steps if isinstance(s, RunnableBinding | BaseChatModel)), model
        )
    return model


def should_bind_tools(model: Any, tools: Sequence[BaseTool], num_builtin: int = 0) -> bool:
    """``False`` when the model already has these tools bound (checked, as LangGraph)."""
    model = _first_model_step(model)
    if not isinstance(model, RunnableBinding) or "tools" not in model.kwargs:
        return True
    bound = model.kwargs["tools"]
    if len(tools) != len(bound) - num_builtin:
        raise ValueError(
            "Number of tools in the model.bind_tools() and tools passed to create_react_agent "
            f"must match Got {len(tools)} tools, expected {len(bound) - num_builtin}"
        )
    bound_names = set()
    for t in bound:
        if t.get("type") == "function":  # OpenAI's shape
            bound_names.add(t["function"]["name"])
        elif t.get("name"):  # Anthropic's
            bound_names.add(t["name"])
    if missing := {t.name for t in tools} - bound_names:
        raise ValueError(f"Missing tools '{missing}' in the model.bind_tools()")
    return False


def get_model(model: Any) -> BaseChatModel:
    model = _first_model_step(model)
    if isinstance(model, RunnableBinding):
        model = model.bound
    if not isinstance(model, BaseChatModel):
        raise TypeError(
            "Expected `model` to be a ChatModel or RunnableBinding (e.g. model.bind_tools(...)), "
            f"got {type(model)}"
        )
    return model


def validate_chat_history(messages: Sequence[BaseMessage]) -> None:
    """Every tool call in the history must have its ``ToolMessage`` (providers insist)."""
    answered = {m.tool_call_id for m in messages if isinstance(m, ToolMessage)}
    missing = [
        c
        for m in messages
        if isinstance(m, AIMessage)
        for c in m.tool_calls
        if c["id"] not in answered
    ]
    if not missing:
        return
    raise ValueError(
        "Found AIMessages with tool_calls that do not have a corresponding ToolMessage. "
        f"Here are the first few of those tool calls: {missing[:3]}.\n\n"
        "Every tool call (LLM requesting to call a tool) in the message history MUST have a "
        "corresponding ToolMessage (result of a tool invocation to return to the LLM) - this "
        "is required by most LLM providers.\n"
        "For troubleshooting, visit: https://docs.langchain.com/oss/python/langgraph/errors/"
        "INVALID_CHAT_HISTORY"
    )


def as_node(hook: Any) -> Any:
    """A hook that is a ``Runnable`` (not a function) as a node this builder accepts."""
    if callable(hook) or not isinstance(hook, Runnable):
        return hook
    runnable = hook

    async def run(state: Any, config: Any) -> Any:
        return await runnable.ainvoke(state, config)

    run.__name__ = getattr(hook, "name", None) or "hook"
    return run


def tool_call_with_context(call: Any, state: Any) -> dict[str, Any]:
    return {"__type": "tool_call_with_context", "tool_call": call, "state": state}
