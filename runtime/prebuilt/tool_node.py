"""``ToolNode`` and ``tools_condition``: run the tool calls of the last AI message.

``ToolNode(tools)`` is a graph node. Its input is the state (a dict or object with a
``messages`` key), a list of messages, a list of tool calls, or one tool call sent with its
state by ``Send("tools", ToolCallWithContext(...))`` (as ``create_react_agent`` does). It
runs every tool call of the latest ``AIMessage`` concurrently and answers with one
``ToolMessage`` per call: ``{"messages": [...]}`` for a state input, a list for a list input.
A tool that returns a ``Command`` makes the output a list of updates and ``Command``\\ s.

In a graph the node is async: async tools run concurrently on the loop and sync tools in
worker threads (LangGraph's ``ainvoke`` path; its sync path threads them too). ``invoke``
and ``ainvoke`` run it outside a graph, without a store or context.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from copy import deepcopy
from dataclasses import dataclass, replace
from typing import Any, Literal, TypedDict, cast

from langchain_core.messages import AIMessage, ToolCall, ToolMessage, convert_to_messages
from langchain_core.messages import RemoveMessage as LCRemoveMessage
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.runnables.config import get_config_list, get_executor_for_config
from langchain_core.tools import BaseTool
from langchain_core.tools import tool as create_tool
from pydantic import ValidationError

from runtime.graph import REMOVE_ALL_MESSAGES, Command, Send

from ._tool_output import carrying_copy, unwrap
from .injection import (
    InjectedArgs,
    InjectedState,
    InjectedStore,
    ToolRuntime,
    inject,
    injected_args,
)
from .tool_errors import (
    INVALID_TOOL_NAME_ERROR_TEMPLATE,
    ErrorHandler,
    ToolInvocationError,
    default_handle_tool_errors,
    error_content,
    filter_validation_errors,
    handled_types,
    msg_content_output,
)

__all__ = [
    "InjectedState",
    "InjectedStore",
    "ToolCallRequest",
    "ToolCallWithContext",
    "ToolNode",
    "ToolRuntime",
    "tools_condition",
]

InputType = Literal["list", "dict", "tool_calls"]
Output = ToolMessage | Command | list[ToolMessage | Command]


class ToolCallWithContext(TypedDict):
    """One tool call and the state it was made in, as ``Send`` carries it to the node."""

    tool_call: ToolCall
    __type: Literal["tool_call_with_context"]
    state: Any


@dataclass
class ToolCallRequest:
    """What a ``wrap_tool_call`` interceptor gets: the call, its tool (``None`` if
    unknown), the state and the tool's runtime. ``override()`` makes a changed copy."""

    tool_call: ToolCall
    tool: BaseTool | None
    state: Any
    runtime: ToolRuntime

    def override(self, **overrides: Any) -> ToolCallRequest:
        request = replace(self, **overrides)
        if "state" in overrides and isinstance(request.runtime, ToolRuntime):
            request = replace(request, runtime=replace(request.runtime, state=request.state))
        return request


ToolCallWrapper = Callable[[ToolCallRequest, Callable[[ToolCallRequest], Any]], Any]
AsyncToolCallWrapper = Callable[
    [ToolCallRequest, Callable[[ToolCallRequest], Awaitable[Any]]], Awaitable[Any]
]


def _no_writer(_: Any) -> None:
    pass


class ToolNode(Runnable[Any, Any]):
    """A node that runs the tool calls of the latest AI message (see the module doc)."""

    def __init__(
        self,
        tools: Sequence[BaseTool | Callable[..., Any]],
        *,
        name: str = "tools",
        tags: list[str] | None = None,
        handle_tool_errors: ErrorHandler = default_handle_tool_errors,
        messages_key: str = "messages",
        wrap_tool_call: ToolCallWrapper | None = None,
        awrap_tool_call: AsyncToolCallWrapper | None = None,
    ) -> None:
        self.name = name
        # add_node(tool_node) names the node after this, as LangGraph names it "tools".
        self.__name__ = name
        self.tags = tags
        self._handle_tool_errors = handle_tool_errors
        self._messages_key = messages_key
        self._wrap_tool_call = wrap_tool_call
        self._awrap_tool_call = awrap_tool_call
        self._tools_by_name: dict[str, BaseTool] = {}
        self._injected: dict[str, InjectedArgs] = {}
        self._runners: dict[str, BaseTool] = {}
        for t in tools:
            tool_ = t if isinstance(t, BaseTool) else create_tool(t)
            self._tools_by_name[tool_.name] = tool_
            self._injected[tool_.name] = injected_args(tool_)
            self._runners[tool_.name] = carrying_copy(tool_)

    @property
    def tools_by_name(self) -> dict[str, BaseTool]:
        return self._tools_by_name

    # -- entry points ------------------------------------------------------------------
    async def __call__(self, input: Any, config: RunnableConfig, *, runtime: Any) -> Any:
        """The graph's entry: the engine passes the config and its ``Runtime``."""
        return await self._arun(input, config, runtime)

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        calls, input_type = self._parse_input(input)
        runtimes = self._runtimes(input, calls, config, kwargs.get("runtime"))
        with get_executor_for_config(config) as executor:
            outputs = list(executor.map(self._run_one, calls, [input_type] * len(calls), runtimes))
        return self._combine(outputs, input_type)

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        return await self._arun(input, config, kwargs.get("runtime"))

    async def _arun(self, input: Any, config: RunnableConfig | None, runtime: Any) -> Any:
        calls, input_type = self._parse_input(input)
        runtimes = self._runtimes(input, calls, config, runtime)
        outputs = await asyncio.gather(
            *(self._arun_one(c, input_type, r) for c, r in zip(calls, runtimes, strict=True))
        )
        return self._combine(list(outputs), input_type)

    def _runtimes(
        self, input: Any, calls: list[ToolCall], config: RunnableConfig | None, runtime: Any
    ) -> list[ToolRuntime]:
        tools = list(self._tools_by_name.values())
        return [
            ToolRuntime(
                state=self._extract_state(input),
                tool_call_id=call["id"],
                config=cast(dict[str, Any], cfg),
                context=getattr(runtime, "context", None),
                store=getattr(runtime, "store", None),
                stream_writer=getattr(runtime, "stream_writer", None) or _no_writer,
                tools=tools,
            )
            for call, cfg in zip(calls, get_config_list(config, len(calls)), strict=True)
        ]

    # -- one call ----------------------------------------------------------------------
    def _run_one(self, call: ToolCall, input_type: InputType, runtime: ToolRuntime) -> Output:
        request = ToolCallRequest(
            call, self._tools_by_name.get(call["name"]), runtime.state, runtime
        )
        if self._wrap_tool_call is None:
            return self._execute(request, input_type)
        try:
            return cast(
                Output, self._wrap_tool_call(request, lambda r: self._execute(r, input_type))
            )
        except Exception as e:
            return self._wrapper_error(e, request)

    async def _arun_one(
        self, call: ToolCall, input_type: InputType, runtime: ToolRuntime
    ) -> Output:
        request = ToolCallRequest(
            call, self._tools_by_name.get(call["name"]), runtime.state, runtime
        )
        if self._awrap_tool_call is None and self._wrap_tool_call is None:
            return await self._aexecute(request, input_type)

        async def execute(r: ToolCallRequest) -> Output:
            return await self._aexecute(r, input_type)

        try:
            if self._awrap_tool_call is not None:
                return cast(Output, await self._awrap_tool_call(request, execute))
            assert self._wrap_tool_call is not None
            return cast(
                Output, self._wrap_tool_call(request, lambda r: self._execute(r, input_type))
            )
        except Exception as e:
            return self._wrapper_error(e, request)

    def _wrapper_error(self, e: Exception, request: ToolCallRequest) -> ToolMessage:
        # An interceptor's own failure is handled without looking at the exception type.
        if not self._handle_tool_errors:
            raise e
        return self._error_message(request.tool_call, error_content(e, self._handle_tool_errors))

    def _prepare(self, request: ToolCallRequest) -> dict[str, Any] | ToolMessage:
        call, tool = request.tool_call, request.tool
        if tool is None:
            if (invalid := self._validate_tool_call(call)) is not None:
                return invalid
            raise TypeError(f"Tool {call['name']} is not registered with ToolNode")
        wants = self._injected.get(call["name"]) or injected_args(tool)
        injected = inject(cast(dict[str, Any], call), request.runtime, wants, self._messages_key)
        return {**injected, "type": "tool_call"}

    def _execute(self, request: ToolCallRequest, input_type: InputType) -> Output:
        args = self._prepare(request)
        if isinstance(args, ToolMessage):
            return args
        call = request.tool_call
        tool = self._runner(cast(BaseTool, request.tool))
        try:
            try:
                response = tool.invoke(args, request.runtime.config)  # type: ignore[arg-type]
            except ValidationError as exc:
                raise self._invocation_error(call, exc) from exc
            return self._normalize(unwrap(response), call, input_type)
        except Exception as e:
            return self._handled(e, call)

    async def _aexecute(self, request: ToolCallRequest, input_type: InputType) -> Output:
        args = self._prepare(request)
        if isinstance(args, ToolMessage):
            return args
        call = request.tool_call
        tool = self._runner(cast(BaseTool, request.tool))
        try:
            try:
                response = await tool.ainvoke(args, request.runtime.config)  # type: ignore[arg-type]
            except ValidationError as exc:
                raise self._invocation_error(call, exc) from exc
            return self._normalize(unwrap(response), call, input_type)
        except Exception as e:
            return self._handled(e, call)

    def _runner(self, tool: BaseTool) -> BaseTool:
        """The copy of ``tool`` that runs (an interceptor may hand in a tool of its own)."""
        if self._tools_by_name.get(tool.name) is tool:
            return self._runners[tool.name]
        return carrying_copy(tool)

    def _invocation_error(self, call: ToolCall, exc: ValidationError) -> ToolInvocationError:
        kept = filter_validation_errors(exc, self._injected.get(call["name"]))
        return ToolInvocationError(call["name"], exc, call["args"], kept)

    def _handled(self, e: Exception, call: ToolCall) -> ToolMessage:
        """The error message for ``e``, or ``e`` raised again if it is not handled.

        ``interrupt()`` raises a ``BaseException``, which never gets here: a pause always
        reaches the engine, whatever ``handle_tool_errors`` says.
        """
        flag = self._handle_tool_errors
        if not flag or not isinstance(e, handled_types(flag)):
            raise e
        return self._error_message(call, error_content(e, flag))

    @staticmethod
    def _error_message(call: ToolCall, content: str) -> ToolMessage:
        return ToolMessage(
            content=content, name=call["name"], tool_call_id=call["id"], status="error"
        )

    def _validate_tool_call(self, call: ToolCall) -> ToolMessage | None:
        if call["name"] in self._tools_by_name:
            return None
        content = INVALID_TOOL_NAME_ERROR_TEMPLATE.format(
            requested_tool=call["name"], available_tools=", ".join(self._tools_by_name)
        )
        return ToolMessage(content, name=call["name"], tool_call_id=call["id"], status="error")

    # -- input and output --------------------------------------------------------------
    def _parse_input(self, input: Any) -> tuple[list[ToolCall], InputType]:
        key = self._messages_key
        if isinstance(input, list):
            if isinstance(input[-1], dict) and input[-1].get("type") == "tool_call":
                return cast(list[ToolCall], input), "tool_calls"
            messages = input
            input_type: InputType = "list"
        elif isinstance(input, dict) and input.get("__type") == "tool_call_with_context":
            return [input["tool_call"]], "tool_calls"
        elif (isinstance(input, dict) and (messages := input.get(key, []))) or (
            messages := getattr(input, key, [])
        ):
            input_type = "dict"  # a dict, or an object with the messages attribute
        else:
            raise ValueError("No message found in input")
        latest = next((m for m in reversed(messages) if isinstance(m, AIMessage)), None)
        if latest is None:
            raise ValueError("No AIMessage found in input")
        return list(latest.tool_calls), input_type

    def _extract_state(self, input: Any) -> Any:
        if isinstance(input, dict) and input.get("__type") == "tool_call_with_context":
            return input["state"]
        if (
            isinstance(input, list)
            and input
            and isinstance(input[-1], dict)
            and input[-1].get("type") == "tool_call"
        ):
            # Bare tool calls carry no state, and a node cannot read the graph's state
            # here: such tools see an empty one (LangGraph does when it has no reader).
            return {}
        return input

    def _combine(self, outputs: list[Output], input_type: InputType) -> Any:
        flat: list[ToolMessage | Command] = []
        for o in outputs:
            flat.extend(o) if isinstance(o, list) else flat.append(o)
        key = self._messages_key
        if not any(isinstance(o, Command) for o in flat):
            return flat if input_type == "list" else {key: flat}
        combined: list[Any] = []
        parent: Command | None = None
        for o in flat:
            if not isinstance(o, Command):
                combined.append([o] if input_type == "list" else {key: [o]})
            elif (
                o.graph == Command.PARENT
                and isinstance(o.goto, list)
                and all(isinstance(s, Send) for s in o.goto)
            ):
                # Sends to the parent graph from several tools travel as one command.
                goto = [*cast(list[Send], parent.goto), *o.goto] if parent else o.goto
                parent = Command(graph=Command.PARENT, goto=goto)
            else:
                combined.append(o)
        if parent is not None:
            combined.append(parent)
        return combined

    # -- what a tool returned ----------------------------------------------------------
    def _normalize(self, response: Any, call: ToolCall, input_type: InputType) -> Output:
        if isinstance(response, Command):
            return self._validate_command(response, call, input_type)
        if isinstance(response, ToolMessage):
            response.content = cast(Any, msg_content_output(response.content))
            return response
        if isinstance(response, list):
            if all(isinstance(r, Command | ToolMessage) for r in response):
                return self._validate_command_list(response, call, input_type)
            raise TypeError(
                f"Tool {call['name']} returned a list with invalid element types: expected "
                "all Command or ToolMessage"
            )
        raise TypeError(f"Tool {call['name']} returned unexpected type: {type(response)}")

    def _validate_command_list(
        self, response: list[Any], call: ToolCall, input_type: InputType
    ) -> list[ToolMessage | Command]:
        expected = call["id"]
        found = 0
        for item in response:
            if isinstance(item, ToolMessage):
                found += item.tool_call_id == expected
            elif isinstance(item, Command) and isinstance(item.update, dict):
                found += sum(
                    isinstance(m, ToolMessage) and m.tool_call_id == expected
                    for m in item.update.get(self._messages_key, [])
                )
        if found != 1:
            raise ValueError(
                f"Tool {call['name']} returned a list with {found} messages bound to "
                f"tool_call_id {expected!r}; expected exactly one terminating ToolMessage."
            )
        out: list[ToolMessage | Command] = []
        for item in response:
            if isinstance(item, Command):
                out.append(self._validate_command(item, call, input_type, terminator=False))
            else:
                item.content = msg_content_output(item.content)
                out.append(item)
        return out

    def _validate_command(
        self, command: Command, call: ToolCall, input_type: InputType, *, terminator: bool = True
    ) -> Command:
        key = self._messages_key
        if isinstance(command.update, dict):
            if input_type not in ("dict", "tool_calls"):
                raise ValueError(
                    "Tools can provide a dict in Command.update only when using dict with "
                    f"'{key}' key as ToolNode input, got: {command.update} for tool "
                    f"'{call['name']}'"
                )
            command = deepcopy(command)
            messages = (command.update or {}).get(key, [])
        elif isinstance(command.update, list):
            if input_type != "list":
                raise ValueError(
                    "Tools can provide a list of messages in Command.update only when using "
                    f"list of messages as ToolNode input, got: {command.update} for tool "
                    f"'{call['name']}'"
                )
            command = deepcopy(command)
            messages = command.update
        else:
            return command
        messages = convert_to_messages([_as_langchain(m) for m in messages])
        if messages == [LCRemoveMessage(id=REMOVE_ALL_MESSAGES)]:
            return command
        matched = False
        for m in messages:
            if isinstance(m, ToolMessage) and m.tool_call_id == call["id"]:
                m.name = call["name"]
                matched = True
        if terminator and command.graph is None and not matched:
            terminal = '[ToolMessage("Success", tool_call_id=tool_call_id), ...]'
            example = (
                f'`Command(update={{"messages": {terminal}}}, ...)`'
                if input_type == "dict"
                else f"`Command(update={terminal}, ...)`"
            )
            raise ValueError(
                f"Expected to have a matching ToolMessage in Command.update for tool "
                f"'{call['name']}', got: {messages}. Every tool call (LLM requesting to call a "
                "tool) in the message history MUST have a corresponding ToolMessage. You can "
                f"fix it by modifying the tool to return {example}."
            )
        return command


def _as_langchain(message: Any) -> Any:
    """This runtime's ``RemoveMessage`` as langchain's, so ``convert_to_messages`` takes it."""
    if (
        type(message).__module__.startswith("runtime.")
        and getattr(message, "type", None) == "remove"
    ):
        return LCRemoveMessage(id=message.id)
    return message


def tools_condition(state: Any, messages_key: str = "messages") -> Literal["tools", "__end__"]:
    """``"tools"`` if the last message has tool calls, else ``"__end__"`` (END)."""
    if isinstance(state, list):
        last = state[-1]
    elif (isinstance(state, dict) and (messages := state.get(messages_key, []))) or (
        messages := getattr(state, messages_key, [])
    ):
        last = messages[-1]
    else:
        raise ValueError(f"No messages found in input state to tool_edge: {state}")
    if hasattr(last, "tool_calls") and len(last.tool_calls) > 0:
        return "tools"
    return "__end__"
