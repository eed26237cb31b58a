"""``create_react_agent``: a model that calls tools in a loop, as a ``runtime.StateGraph``.

The graph is LangGraph's, node for node: ``agent`` calls the model (tools bound), then
either ``tools`` runs the calls (one ``Send`` per call in ``version="v2"``, the whole list in
``"v1"``) and hands back to the agent, or the run ends, through ``post_model_hook`` and
``generate_structured_response`` when given. ``pre_model_hook`` runs before every model
call. The model nodes are async: in a graph they call ``model.ainvoke``.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Sequence
from typing import Annotated, Any, Literal, NotRequired, cast, get_type_hints

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AnyMessage, BaseMessage, SystemMessage, ToolMessage
from langchain_core.runnables import Runnable
from pydantic import BaseModel
from typing_extensions import TypedDict

import stores
from runtime.graph import END, Send, StateGraph, add_messages
from runtime.graph.builder import UnsupportedOptionWarning

from ._agent_model import (
    as_node,
    get_model,
    prompt_runnable,
    should_bind_tools,
    state_value,
    tool_call_with_context,
    validate_chat_history,
)
from .remaining import RemainingSteps, remaining_steps
from .tool_node import ToolNode

__all__ = [
    "AgentState",
    "AgentStatePydantic",
    "AgentStateWithStructuredResponse",
    "AgentStateWithStructuredResponsePydantic",
    "create_react_agent",
    "create_tool_calling_executor",
]

StructuredResponse = dict | BaseModel
StructuredResponseSchema = dict | type[BaseModel]


class AgentState(TypedDict):
    """The state of the agent."""

    messages: Annotated[Sequence[BaseMessage], add_messages]
    remaining_steps: NotRequired[RemainingSteps]


class AgentStatePydantic(BaseModel):
    """LangGraph's pydantic agent state. This runtime's graphs take TypedDict, dataclass or
    msgspec states, so ``create_react_agent(state_schema=...)`` refuses it at build time."""

    messages: Annotated[Sequence[BaseMessage], add_messages]
    remaining_steps: RemainingSteps = 25


class AgentStateWithStructuredResponse(AgentState):
    """The state of the agent with a structured response."""

    structured_response: StructuredResponse


class AgentStateWithStructuredResponsePydantic(AgentStatePydantic):
    """See :class:`AgentStatePydantic`."""

    structured_response: StructuredResponse


def _check_state_schema(state_schema: Any, response_format: Any) -> None:
    required = {"messages", "remaining_steps"}
    if response_format is not None:
        required.add("structured_response")
    if missing := required - set(get_type_hints(state_schema)):
        raise ValueError(f"Missing required key(s) {missing} in state_schema")


def create_react_agent(
    model: Any,
    tools: Sequence[Any] | ToolNode,
    *,
    prompt: Any = None,
    response_format: Any = None,
    pre_model_hook: Any = None,
    post_model_hook: Any = None,
    state_schema: Any = None,
    context_schema: type[Any] | None = None,
    checkpointer: Any = None,
    store: Any = None,
    interrupt_before: list[str] | None = None,
    interrupt_after: list[str] | None = None,
    debug: bool = False,
    version: Literal["v1", "v2"] = "v2",
    name: str | None = None,
    **deprecated_kwargs: Any,
) -> Any:
    """An agent graph that calls ``model`` and runs its tool calls until it stops calling.

    LangGraph's signature and graph (see the module doc). ``model`` is a chat model
    (``bind_tools`` is called unless it already has these tools bound), a
    ``"provider:model"`` string (needs the ``langchain`` package, as in LangGraph) or a
    ``(state, runtime) -> model`` callable, sync or async. Returns the compiled graph.
    """
    if (config_schema := deprecated_kwargs.pop("config_schema", None)) is not None:
        warnings.warn(
            "`config_schema` is deprecated and will be removed. Please use `context_schema` "
            "instead.",
            DeprecationWarning,
            stacklevel=2,
        )
        context_schema = context_schema or config_schema
    if deprecated_kwargs:
        raise TypeError(
            f"create_react_agent() got unexpected keyword arguments: {deprecated_kwargs}"
        )
    if version not in ("v1", "v2"):
        raise ValueError(f"Invalid version {version}. Supported versions are 'v1' and 'v2'.")
    if state_schema is not None:
        _check_state_schema(state_schema, response_format)
    else:
        state_schema = (
            AgentStateWithStructuredResponse if response_format is not None else AgentState
        )
    if debug:
        warnings.warn(
            "create_react_agent(debug=True): debug printing is not supported by this runtime; "
            'ignored (stream with stream_mode="debug" instead)',
            UnsupportedOptionWarning,
            stacklevel=2,
        )

    schema = response_format[1] if isinstance(response_format, tuple) else response_format
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        # The structured response is kept in the state, so checkpoints must store its class.
        stores.allow_type(schema)
    builtin: list[dict[str, Any]] = []
    if isinstance(tools, ToolNode):
        tool_node = tools
    else:
        builtin = [t for t in tools if isinstance(t, dict)]
        tool_node = ToolNode([t for t in tools if not isinstance(t, dict)])
    tool_classes = list(tool_node.tools_by_name.values())

    is_dynamic = not isinstance(model, str | Runnable) and callable(model)
    static_model: Runnable[Any, Any] | None = None
    if not is_dynamic:
        if isinstance(model, str):
            try:
                from langchain.chat_models import (  # type: ignore[import-not-found]
                    init_chat_model,
                )
            except ImportError:
                raise ImportError(
                    "Please install langchain (`pip install langchain`) to use "
                    "'<provider>:<model>' string syntax for `model` parameter."
                ) from None
            model = init_chat_model(model)
        if should_bind_tools(model, tool_classes, num_builtin=len(builtin)) and (
            tool_classes or builtin
        ):
            model = cast(BaseChatModel, model).bind_tools([*tool_classes, *builtin])
        static_model = prompt_runnable(prompt) | model
    return_direct = {t.name for t in tool_classes if t.return_direct}
    uses_pydantic = isinstance(state_schema, type) and issubclass(state_schema, BaseModel)

    async def resolve_model(state: Any, runtime: Any) -> Runnable[Any, Any]:
        if not is_dynamic:
            assert static_model is not None
            return static_model
        chosen = model(state, runtime)
        if inspect.isawaitable(chosen):
            chosen = await chosen
        composed: Runnable[Any, Any] = prompt_runnable(prompt) | chosen
        return composed

    def more_steps_needed(response: BaseMessage) -> bool:
        has_calls = isinstance(response, AIMessage) and bool(response.tool_calls)
        all_direct = isinstance(response, AIMessage) and all(
            c["name"] in return_direct for c in response.tool_calls
        )
        left = remaining_steps()
        if left is None:
            return False
        return (left < 1 and all_direct) or (left < 2 and has_calls)

    def model_input(state: Any) -> Any:
        if pre_model_hook is not None:
            messages = state_value(state, "llm_input_messages") or state_value(state, "messages")
            expected = "'llm_input_messages' or 'messages' key"
        else:
            messages = state_value(state, "messages")
            expected = "'messages' key"
        if messages is None:
            raise ValueError(f"Expected input to call_model to have {expected}, but got {state}")
        validate_chat_history(messages)
        if uses_pydantic:
            state.messages = messages
        else:
            state["messages"] = messages
        return state

    async def call_model(state: Any, config: Any, *, runtime: Any) -> Any:
        prepared = model_input(state)
        bound = await resolve_model(state, runtime)
        response = cast(AIMessage, await bound.ainvoke(prepared, config))
        response.name = name
        if more_steps_needed(response):
            return {
                "messages": [
                    AIMessage(
                        id=response.id,
                        content="Sorry, need more steps to process this request.",
                    )
                ]
            }
        return {"messages": [response]}

    async def generate_structured_response(state: Any, config: Any, *, runtime: Any) -> Any:
        messages = state_value(state, "messages")
        schema = response_format
        if isinstance(response_format, tuple):
            system_prompt, schema = response_format
            messages = [SystemMessage(content=system_prompt), *messages]
        bound = await resolve_model(state, runtime)
        structured = get_model(bound).with_structured_output(schema)
        return {"structured_response": await structured.ainvoke(messages, config)}

    input_schema: Any = state_schema
    if pre_model_hook is not None:
        if uses_pydantic:
            from pydantic import create_model

            input_schema = create_model(
                "CallModelInputSchema",
                llm_input_messages=(list[AnyMessage], ...),
                __base__=state_schema,
            )
        else:

            class CallModelInputSchema(state_schema):  # type: ignore[misc]
                llm_input_messages: list[AnyMessage]

            input_schema = CallModelInputSchema

    workflow = StateGraph(state_schema, context_schema=context_schema)
    workflow.add_node("agent", call_model, input_schema=input_schema)
    entrypoint = "agent"
    if pre_model_hook is not None:
        workflow.add_node("pre_model_hook", as_node(pre_model_hook))
        workflow.add_edge("pre_model_hook", "agent")
        entrypoint = "pre_model_hook"
    workflow.set_entry_point(entrypoint)
    if post_model_hook is not None:
        workflow.add_node("post_model_hook", as_node(post_model_hook))
        workflow.add_edge("agent", "post_model_hook")
    if response_format is not None:
        workflow.add_node("generate_structured_response", generate_structured_response)

    if tool_classes:
        _add_tool_loop(
            workflow,
            tool_node,
            entrypoint=entrypoint,
            has_post_hook=post_model_hook is not None,
            has_response_format=response_format is not None,
            return_direct=return_direct,
            version=version,
        )
    elif response_format is not None:
        source = "post_model_hook" if post_model_hook is not None else "agent"
        workflow.add_edge(source, "generate_structured_response")

    graph = workflow.compile(
        checkpointer=checkpointer,
        store=store,
        interrupt_before=interrupt_before,
        interrupt_after=interrupt_after,
    )
    if name is not None:
        graph.name = name
    return graph


def _add_tool_loop(
    workflow: StateGraph,
    tool_node: ToolNode,
    *,
    entrypoint: str,
    has_post_hook: bool,
    has_response_format: bool,
    return_direct: set[str],
    version: str,
) -> None:
    """The edges of the agent <-> tools loop (LangGraph's routing, case for case)."""
    finish = "generate_structured_response" if has_response_format else END

    def sends(calls: Sequence[Any], state: Any) -> list[Send]:
        return [Send("tools", tool_call_with_context(c, state)) for c in calls]

    def should_continue(state: Any) -> str | list[Send]:
        last = state_value(state, "messages")[-1]
        if not isinstance(last, AIMessage) or not last.tool_calls:
            return "post_model_hook" if has_post_hook else finish
        if version == "v1":
            return "tools"
        if has_post_hook:
            return "post_model_hook"
        return sends(last.tool_calls, state)

    workflow.add_node("tools", tool_node)
    agent_paths = ["post_model_hook" if has_post_hook else "tools"]
    post_hook_paths = [entrypoint, "tools"]
    if has_post_hook:
        post_hook_paths.append(finish)
    else:
        agent_paths.append(finish)

    if has_post_hook:

        def post_model_hook_router(state: Any) -> str | list[Send]:
            """Pending tool calls go to the tools; a tool answer goes back to the model."""
            messages = state_value(state, "messages")
            answered = {m.tool_call_id for m in messages if isinstance(m, ToolMessage)}
            last_ai = next(m for m in reversed(messages) if isinstance(m, AIMessage))
            pending = [c for c in last_ai.tool_calls if c["id"] not in answered]
            if pending:
                return sends(pending, state)
            if isinstance(messages[-1], ToolMessage):
                return entrypoint
            return finish

        workflow.add_conditional_edges(
            "post_model_hook", post_model_hook_router, path_map=post_hook_paths
        )
    workflow.add_conditional_edges("agent", should_continue, path_map=agent_paths)

    if not return_direct:
        workflow.add_edge("tools", entrypoint)
        return

    def route_tool_responses(state: Any) -> str:
        m: Any = None
        for m in reversed(state_value(state, "messages")):
            if not isinstance(m, ToolMessage):
                break
            if m.name in return_direct:
                return END
        # Parallel calls: the return_direct tool may have run in another Send's task.
        if isinstance(m, AIMessage) and any(c["name"] in return_direct for c in m.tool_calls):
            return END
        return entrypoint

    workflow.add_conditional_edges("tools", route_tool_responses, path_map=[entrypoint, END])


# LangGraph's older name, kept there for backwards compatibility.
create_tool_calling_executor = create_react_agent
