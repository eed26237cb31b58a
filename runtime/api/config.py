"""Parsing the LangGraph-shaped ``config`` dict into a ``RunConfig``, with clear errors."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from runtime.engine import RunConfig
from runtime.engine.context import DEFAULT_RECURSION_LIMIT, format_checkpoint_id

__all__ = [
    "EXPECTED",
    "check_thread_id",
    "format_checkpoint_id",
    "parse_checkpoint_id",
    "parse_config",
    "thread_id_arg",
]
from runtime.errors import InvalidConfigError

EXPECTED = (
    'expected config={"configurable": {"thread_id": "<id>"}} (thread_id: a str, int or UUID; '
    'optional: "checkpoint_id" in configurable, "recursion_limit": int > 0, "metadata": dict)'
)
#: ``configurable`` keys that address the checkpoint rather than describe the call.
_ADDRESS_KEYS = frozenset({"thread_id", "checkpoint_id", "checkpoint_ns"})
#: Checkpoint ids are stored as signed 64-bit integers.
_MAX_SEQ = 2**63 - 1


def parse_config(config: Any, *, what: str = "this call") -> RunConfig:
    """Validate ``config`` and extract what the runtime needs."""
    if type(config) is dict:
        # The common case, kept cheap: {"configurable": {"thread_id": "..."}}.
        conf = config.get("configurable")
        if type(conf) is dict and len(conf) == 1 and len(config) == 1:
            tid = conf.get("thread_id")
            # non-ASCII ids take the slow path, which checks they can be stored
            if type(tid) is str and tid and tid.isascii():
                return RunConfig(tid, raw=config, configurable=conf)
    if not isinstance(config, Mapping):
        raise InvalidConfigError(
            f"{what} needs a config with a thread_id: {EXPECTED}; got {config!r}"
        )
    conf = config.get("configurable")
    if not isinstance(conf, Mapping):
        raise InvalidConfigError(f'config has no "configurable" dict: {EXPECTED}; got {config!r}')
    tid = conf.get("thread_id")
    if type(tid) is not str:
        tid = _thread_id(tid, config)
    check_thread_id(tid)
    limit = config.get("recursion_limit", DEFAULT_RECURSION_LIMIT)
    if type(limit) is not int or limit < 1:
        raise InvalidConfigError(f"recursion_limit must be an int > 0, got {limit!r}: {EXPECTED}")
    meta = config.get("metadata")
    if meta is not None and not isinstance(meta, Mapping):
        raise InvalidConfigError(f"metadata must be a dict, got {type(meta).__name__}: {EXPECTED}")
    custom = {k: v for k, v in conf.items() if k not in _ADDRESS_KEYS and not k.startswith("__")}
    metadata = {**custom, **meta} if meta else custom
    return RunConfig(
        tid,
        raw=config,  # type: ignore[arg-type]
        configurable=conf,  # type: ignore[arg-type]
        checkpoint_id=parse_checkpoint_id(conf.get("checkpoint_id")),
        recursion_limit=limit,
        metadata=metadata or None,
    )


def _thread_id(tid: Any, config: Any) -> str:
    if isinstance(tid, bool) or not isinstance(tid, str | int | uuid.UUID):
        raise InvalidConfigError(f"config has no usable thread_id: {EXPECTED}; got {config!r}")
    return str(tid)


def thread_id_arg(value: Any) -> str:
    """A ``thread_id`` argument (``get_thread(thread_id)`` and the like) as the id it names."""
    if type(value) is not str:
        if isinstance(value, bool) or not isinstance(value, str | int | uuid.UUID):
            raise InvalidConfigError(
                f"thread_id must be a str, int or UUID, got {type(value).__name__}"
            )
        value = str(value)
    return check_thread_id(value)


def check_thread_id(tid: str) -> str:
    """``tid`` if it can name a thread: a non-empty string a store can write (UTF-8, so no
    lone surrogates); ``InvalidConfigError`` otherwise, before anything is changed."""
    if not tid:
        raise InvalidConfigError(f"thread_id must not be empty: {EXPECTED}")
    if not tid.isascii():
        try:
            tid.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidConfigError(
                f"thread_id {tid!r} is not valid Unicode text (it holds a lone surrogate); "
                f"{EXPECTED}"
            ) from None
    return tid


def parse_checkpoint_id(value: Any) -> int | None:
    if value is None:
        return None
    try:
        seq = int(value)
    except (TypeError, ValueError):
        seq = 0
    if seq < 1 or seq > _MAX_SEQ or isinstance(value, bool):
        raise InvalidConfigError(
            f"checkpoint_id {value!r} is not one of this runtime's checkpoint ids; take one "
            "from get_state(...).config or get_state_history(...)"
        )
    return seq
