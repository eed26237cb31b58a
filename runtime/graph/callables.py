"""What the builder learns from a user callable: name, sync/async, config, annotations.

Everything here is best effort on introspection, like LangGraph's: a callable whose
signature or annotations cannot be read is simply called with the state alone.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from .spec import CallableSpec
from .types import Command

__all__ = [
    "callable_name",
    "command_destinations",
    "hinted_input_type",
    "literal_return",
    "make_callable_spec",
]

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
#: Parameters a node may declare to have the engine fill them (LangGraph's names).
INJECTABLE = frozenset({"store", "writer", "runtime"})


def callable_name(fn: Callable[..., Any]) -> str:
    """The node name ``add_node(fn)`` gives ``fn`` (LangGraph's rule, ``partial`` included)."""
    name = getattr(fn, "__name__", None)
    return name if isinstance(name, str) else type(fn).__name__


def _unwrap(fn: Any) -> Any:
    while isinstance(fn, functools.partial):
        fn = fn.func
    return fn


def is_async_callable(fn: Callable[..., Any]) -> bool:
    if inspect.iscoroutinefunction(fn):
        return True
    target = _unwrap(fn)
    if inspect.iscoroutinefunction(target):
        return True
    call = getattr(target, "__call__", None)  # noqa: B004 - instances with async __call__
    return call is not None and inspect.iscoroutinefunction(call)


def _signature(fn: Callable[..., Any]) -> inspect.Signature | None:
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):  # builtins and C callables without a signature
        return None


def make_callable_spec(fn: Callable[..., Any]) -> CallableSpec:
    """Freeze ``fn`` with how it must be called.

    ``takes_config`` is true when ``fn`` has a parameter named ``config`` (LangGraph's rule)
    or a second positional parameter without a default (it could not be called without
    one). An optional second parameter under another name is left alone: LangGraph never
    fills it, so filling it here would change what the node sees. A keyword-only ``config``
    is adapted so the engine can always pass the config as the second positional argument.
    """
    is_async = is_async_callable(fn)
    sig = _signature(fn)
    if sig is None:
        return CallableSpec(fn=fn, is_async=is_async, takes_config=False)
    params = list(sig.parameters.values())
    config = sig.parameters.get("config")
    if config is not None and config.kind is inspect.Parameter.KEYWORD_ONLY:
        return CallableSpec(
            fn=_config_by_keyword(fn, is_async),
            is_async=is_async,
            takes_config=True,
            injected=_injected(params, skip=1),
        )
    positional = [p for p in params if p.kind in _POSITIONAL]
    # A second parameter named like an injectable (`runtime`, `store`, `writer`) gets that
    # object, not the config: LangGraph injects by name first.
    takes = (config is not None and config.kind in _POSITIONAL) or (
        len(positional) >= 2
        and positional[1].default is inspect.Parameter.empty
        and positional[1].name not in INJECTABLE
    )
    injected = _injected(params, skip=2 if takes else 1)
    return CallableSpec(fn=fn, is_async=is_async, takes_config=takes, injected=injected)


def _injected(params: list[inspect.Parameter], *, skip: int) -> tuple[str, ...]:
    """Parameters the engine fills by keyword: never the state or config slots."""
    positional = [p.name for p in params if p.kind in _POSITIONAL][:skip]
    return tuple(
        p.name
        for p in params
        if p.name in INJECTABLE
        and p.name not in positional
        and p.kind in (*_POSITIONAL, inspect.Parameter.KEYWORD_ONLY)
    )


def _config_by_keyword(fn: Callable[..., Any], is_async: bool) -> Callable[..., Any]:
    if is_async:

        @functools.wraps(fn)
        async def call_async(state: Any, config: Any) -> Any:
            return await fn(state, config=config)

        return call_async

    @functools.wraps(fn)
    def call(state: Any, config: Any) -> Any:
        return fn(state, config=config)

    return call


def _hints(fn: Callable[..., Any]) -> dict[str, Any]:
    """Resolved annotations of ``fn`` (or of its ``__call__``); empty when unreadable."""
    target = _unwrap(fn)
    candidates = [target]
    if not (inspect.isfunction(target) or inspect.ismethod(target)):
        candidates.insert(0, getattr(target, "__call__", None))  # noqa: B004
    for candidate in candidates:
        if candidate is None:
            continue
        try:
            hints = get_type_hints(candidate)
        except Exception:  # unresolvable forward refs, odd objects: no hints, as LangGraph
            continue
        if hints:
            return hints
    return {}


def hinted_input_type(fn: Callable[..., Any]) -> type | None:
    """The class annotated on ``fn``'s first parameter, if it is a schema-like class.

    LangGraph gives such a node only that schema's keys, so the builder uses it as the
    node's input schema.
    """
    hints = _hints(fn)
    sig = _signature(_unwrap(fn))
    if not hints or sig is None or not sig.parameters:
        return None
    first = next(iter(sig.parameters))
    hint = hints.get(first)
    if not isinstance(hint, type):
        return None
    try:
        return hint if get_type_hints(hint) else None
    except Exception:
        return None


def literal_return(fn: Callable[..., Any]) -> tuple[Any, ...] | None:
    """The values of a ``-> Literal[...]`` return annotation (a path function's targets)."""
    rtn = _hints(fn).get("return")
    if rtn is not None and get_origin(rtn) is Literal:
        return get_args(rtn)
    return None


def command_destinations(fn: Callable[..., Any]) -> tuple[str, ...]:
    """Targets declared by ``-> Command[Literal[...]]`` (also inside a ``Union``)."""
    rtn = _hints(fn).get("return")
    if rtn is None:
        return ()
    options = get_args(rtn) if get_origin(rtn) in (Union, UnionType) else (rtn,)
    for option in options:
        args = get_args(option)
        if get_origin(option) is Command and args and get_origin(args[0]) is Literal:
            return tuple(str(v) for v in get_args(args[0]))
    return ()
