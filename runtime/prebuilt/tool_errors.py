"""How a failing tool call becomes a message the model can read, word for word LangGraph's.

``handle_tool_errors`` on ``ToolNode`` says which exceptions become an error
``ToolMessage`` and what it says: ``True`` (all, a standard text), a string (all, that text),
an exception class or tuple of them (those, the standard text), a callable (the exceptions
its first parameter is annotated with, its return value), ``False`` (none). The default
handles only bad arguments from the model (:class:`ToolInvocationError`) and re-raises the
rest.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from types import UnionType
from typing import TYPE_CHECKING, Any, Union, cast, get_args, get_origin, get_type_hints

from langchain_core.tools.base import TOOL_MESSAGE_BLOCK_TYPES, ToolException

if TYPE_CHECKING:
    from pydantic import ValidationError
    from pydantic_core import ErrorDetails

    from .injection import InjectedArgs

__all__ = [
    "INVALID_TOOL_NAME_ERROR_TEMPLATE",
    "TOOL_CALL_ERROR_TEMPLATE",
    "TOOL_EXECUTION_ERROR_TEMPLATE",
    "TOOL_INVOCATION_ERROR_TEMPLATE",
    "ErrorHandler",
    "ToolInvocationError",
    "default_handle_tool_errors",
    "error_content",
    "filter_validation_errors",
    "handled_types",
    "msg_content_output",
]

ErrorHandler = bool | str | Callable[..., str] | type[Exception] | tuple[type[Exception], ...]

INVALID_TOOL_NAME_ERROR_TEMPLATE = (
    "Error: {requested_tool} is not a valid tool, try one of [{available_tools}]."
)
TOOL_CALL_ERROR_TEMPLATE = "Error: {error}\n Please fix your mistakes."
TOOL_EXECUTION_ERROR_TEMPLATE = (
    "Error executing tool '{tool_name}' with kwargs {tool_kwargs} with error:\n"
    " {error}\n"
    " Please fix the error and try again."
)
TOOL_INVOCATION_ERROR_TEMPLATE = (
    "Error invoking tool '{tool_name}' with kwargs {tool_kwargs} with error:\n"
    " {error}\n"
    " Please fix the error and try again."
)


class ToolInvocationError(ToolException):
    """The model called a tool with arguments its schema refuses.

    The message lists only the arguments the model controls (injected ones are the
    graph's business, and the model could not fix them).
    """

    def __init__(
        self,
        tool_name: str,
        source: ValidationError,
        tool_kwargs: dict[str, Any],
        filtered_errors: list[ErrorDetails] | None = None,
    ) -> None:
        if filtered_errors is None:
            shown = str(source)
        else:
            shown = "\n".join(
                f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'Unknown error')}"
                for e in filtered_errors
            )
        self.message = TOOL_INVOCATION_ERROR_TEMPLATE.format(
            tool_name=tool_name, tool_kwargs=tool_kwargs, error=shown
        )
        self.tool_name = tool_name
        self.tool_kwargs = tool_kwargs
        self.source = source
        self.filtered_errors = filtered_errors
        super().__init__(self.message)


def default_handle_tool_errors(e: Exception) -> str:
    """Bad arguments become a message for the model; any other error propagates."""
    if isinstance(e, ToolInvocationError):
        return e.message
    raise e


def handled_types(flag: ErrorHandler) -> tuple[type[Exception], ...]:
    """The exception classes ``flag`` turns into messages (all of them for ``True``/str)."""
    if isinstance(flag, type) and issubclass(flag, Exception):
        return (flag,)
    if isinstance(flag, tuple):
        return flag
    if callable(flag) and not isinstance(flag, type):
        return _annotated_types(flag)
    return (Exception,)


def _annotated_types(handler: Callable[..., str]) -> tuple[type[Exception], ...]:
    params = list(inspect.signature(handler).parameters.values())
    if not params:
        return (Exception,)
    first = params[1] if params[0].name in ("self", "cls") and len(params) == 2 else params[0]
    hints = get_type_hints(handler)
    if first.name not in hints:
        return (Exception,)  # no annotation: every exception, as LangGraph
    if get_origin(first.annotation) in (Union, UnionType):
        options = get_args(first.annotation)
        if all(issubclass(o, Exception) for o in options):
            return tuple(options)
        raise ValueError(
            "All types in the error handler error annotation must be Exception types. "
            "For example, `def custom_handler(e: Union[ValueError, TypeError])`. "
            f"Got '{first.annotation}' instead."
        )
    hinted = hints[first.name]
    if Exception in hinted.__mro__:
        return (hinted,)
    raise ValueError(
        "Arbitrary types are not supported in the error handler signature. Please annotate "
        "the error with either a specific Exception type or a union of Exception types. "
        "For example, `def custom_handler(e: ValueError)` or "
        "`def custom_handler(e: Union[ValueError, TypeError])`. "
        f"Got '{hinted}' instead."
    )


def error_content(e: Exception, flag: ErrorHandler) -> str:
    """The text of the error ``ToolMessage`` for ``e`` under ``flag``."""
    if isinstance(flag, bool | tuple) or (isinstance(flag, type) and issubclass(flag, Exception)):
        return TOOL_CALL_ERROR_TEMPLATE.format(error=repr(e))
    if isinstance(flag, str):
        return flag
    if callable(flag):
        return cast(Callable[[Exception], str], flag)(e)
    raise ValueError(
        "Got unexpected type of `handle_tool_error`. Expected bool, str or callable. "
        f"Received: {flag}"
    )


def filter_validation_errors(
    error: ValidationError, injected: InjectedArgs | None
) -> list[ErrorDetails]:
    """The validation errors about arguments the model gave, without injected values."""
    hidden: set[str] = set()
    if injected is not None:
        hidden.update(injected.state)
        if injected.store:
            hidden.add(injected.store)
        if injected.runtime:
            hidden.add(injected.runtime)
    kept: list[ErrorDetails] = []
    for detail in error.errors():
        if not detail["loc"] or detail["loc"][0] in hidden:
            continue
        copy: dict[str, Any] = {**detail}
        if isinstance(copy.get("input"), dict):
            copy["input"] = {k: v for k, v in copy["input"].items() if k not in hidden}
        kept.append(copy)  # type: ignore[arg-type]
    return kept


def msg_content_output(output: Any) -> str | list[dict[str, Any]]:
    """Tool output as ``ToolMessage`` content: text and content blocks as they are, other
    values as JSON (``str()`` when not JSON-able)."""
    if isinstance(output, str) or (
        isinstance(output, list)
        and all(isinstance(x, dict) and x.get("type") in TOOL_MESSAGE_BLOCK_TYPES for x in output)
    ):
        return output
    try:
        return json.dumps(output, ensure_ascii=False)
    except Exception:
        return str(output)
