"""What a tool may ask the graph for: its state, the store, the whole ``ToolRuntime``.

A tool declares it in its signature, hidden from the model: ``Annotated[dict,
InjectedState]`` (the state), ``Annotated[list, InjectedState("messages")]`` (one key),
``Annotated[Any, InjectedStore()]`` (the ``compile(store=...)`` store), or a parameter named
``runtime`` / typed ``ToolRuntime``. LangChain's own ``InjectedToolCallId`` is filled by
langchain_core itself from the tool call. The tool node reads a tool's wishes once (
:func:`injected_args`) and fills them for each call (:func:`inject`), after dropping any
value the model put under those names: a model must not forge hidden arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, Union, get_args, get_origin, get_type_hints

from langchain_core.tools import BaseTool, InjectedToolArg
from langchain_core.tools.base import (
    _DirectlyInjectedToolArg,
    _is_injected_arg_type,
    get_all_basemodel_annotations,
)
from typing_extensions import TypeVar

__all__ = [
    "InjectedArgs",
    "InjectedState",
    "InjectedStore",
    "ToolRuntime",
    "inject",
    "injected_args",
]

StateT = TypeVar("StateT", default=dict)
ContextT = TypeVar("ContextT", default=None)


@dataclass
class ToolRuntime(_DirectlyInjectedToolArg, Generic[ContextT, StateT]):
    """Everything a tool may reach at once: declare ``runtime: ToolRuntime``.

    ``execution_info`` and ``server_info`` exist for LangGraph code that reads them; this
    runtime has neither, so they are always ``None``.
    """

    state: StateT
    context: ContextT
    config: dict[str, Any]
    stream_writer: Callable[[Any], None]
    tool_call_id: str | None
    store: Any
    tools: list[BaseTool] = field(default_factory=list)
    execution_info: Any = None
    server_info: Any = None

    def emit_output_delta(self, delta: Any) -> None:
        """LangGraph streams it on its ``"tools"`` stream channel, which this runtime does
        not have; as LangGraph does when that channel is not requested, nothing happens."""


class InjectedState(InjectedToolArg):
    """``Annotated[T, InjectedState]``: the graph state; ``InjectedState("key")``: one key."""

    def __init__(self, field: str | None = None) -> None:
        self.field = field


class InjectedStore(InjectedToolArg):
    """``Annotated[T, InjectedStore()]``: the store the graph was compiled with."""


@dataclass
class InjectedArgs:
    """Where one tool wants injected values: parameter name -> source."""

    state: dict[str, str | None]
    """Parameter -> state key (``None``: the whole state)."""
    store: str | None
    runtime: str | None
    all_injected_keys: set[str]
    """Every hidden parameter (also langchain's own), stripped from the model's args."""
    optional_state_args: set[str]
    """State-key parameters with a default: a missing key is no error for them."""


def _is_injection(hint: Any, kind: type) -> bool:
    if isinstance(hint, kind) or (isinstance(hint, type) and issubclass(hint, kind)):
        return True
    origin = get_origin(hint)
    if origin is Union or origin is Annotated:
        return any(_is_injection(a, kind) for a in get_args(hint))
    return origin is not None and isinstance(origin, type) and issubclass(origin, kind)


def _injection(hint: Any, kind: type) -> Any:
    """The marker of ``kind`` in ``hint`` (an instance, or ``True`` for a bare class)."""
    found = [a for a in get_args(hint) if _is_injection(a, kind)]
    if len(found) > 1:
        raise ValueError(
            f"A tool argument should not be annotated with {kind.__name__} more than once. "
            f"Found: {found}"
        )
    if found:
        return found[0]
    return True if _is_injection(hint, kind) else None


def injected_args(tool: BaseTool) -> InjectedArgs:
    """Read ``tool``'s schema and function signature for injected parameters."""
    schema = tool.get_input_schema()
    from_schema = get_all_basemodel_annotations(schema)
    func = getattr(tool, "func", None) or getattr(tool, "coroutine", None)
    from_func = get_type_hints(func, include_extras=True) if func else {}
    state: dict[str, str | None] = {}
    store: str | None = None
    runtime: str | None = None
    hidden: set[str] = set()
    optional: set[str] = set()
    for name, hint in {**from_func, **from_schema}.items():
        if _is_injected_arg_type(hint):
            hidden.add(name)
        if name == "runtime":  # LangGraph's rule: the name alone asks for the runtime
            runtime = name
        marker = _injection(hint, InjectedState)
        if marker:
            if isinstance(marker, InjectedState) and marker.field:
                state[name] = marker.field
                info = getattr(schema, "model_fields", {}).get(name)
                if info is not None and not info.is_required():
                    optional.add(name)
            else:
                state[name] = None
        if _injection(hint, InjectedStore):
            store = name
        if _injection(hint, ToolRuntime):
            runtime = name
    return InjectedArgs(state, store, runtime, hidden, optional)


def _state_for(state: Any, wants: dict[str, str | None], tool_name: str, messages_key: str) -> Any:
    """A list input (messages alone) serves tools that want the messages or the state."""
    if not isinstance(state, list):
        return state
    fields = list(wants.values())
    if (len(fields) == 1 and fields[0] == messages_key) or fields[0] is None:
        return {messages_key: state}
    msg = f"Invalid input to ToolNode. Tool {tool_name} requires graph state dict as input."
    if any(fields):
        msg += f" State should contain fields {', '.join(f for f in fields if f)}."
    raise ValueError(msg)


def inject(
    call: dict[str, Any], runtime: ToolRuntime, wants: InjectedArgs, messages_key: str
) -> dict[str, Any]:
    """A copy of tool call ``call`` whose args carry the injected values."""
    values: dict[str, Any] = {}
    if wants.state:
        state = _state_for(runtime.state, wants.state, call["name"], messages_key)
        for arg, key in wants.state.items():
            if not key:
                values[arg] = state
            elif isinstance(state, dict):
                if key in state:
                    values[arg] = state[key]
                elif arg not in wants.optional_state_args:
                    raise KeyError(key)
            elif hasattr(state, key):
                values[arg] = getattr(state, key)
            elif arg not in wants.optional_state_args:
                raise AttributeError(key)
    if wants.store:
        if runtime.store is None:
            raise ValueError(
                "Cannot inject store into tools with InjectedStore annotations - "
                "please compile your graph with a store."
            )
        values[wants.store] = runtime.store
    if wants.runtime:
        values[wants.runtime] = runtime
    given = {k: v for k, v in call["args"].items() if k not in wants.all_injected_keys}
    return {**call, "args": {**given, **values}}
