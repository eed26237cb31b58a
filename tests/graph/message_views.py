"""Comparing message results of LangGraph and ours: generated ids labelled, fields compared.

Generated ids are uuid4s, so outcomes are compared after replacing each generated id by ``#n``
in order of first appearance (ids the inputs gave are kept); each generated id is checked to be
a uuid4 string on the way.
"""

from __future__ import annotations

import uuid
from typing import Any

from langchain_core.messages import BaseMessage

__all__ = ["Ids", "given_ids", "view"]


class Ids:
    """Replaces generated ids by ``#n``; checks they are fresh uuid4 strings."""

    def __init__(self, given: set[Any]) -> None:
        self.given = given
        self.labels: dict[str, str] = {}

    def __call__(self, value: Any) -> Any:
        if value is None or value in self.given:
            return value
        assert isinstance(value, str), value
        assert uuid.UUID(value).version == 4 and str(uuid.UUID(value)) == value, value
        return self.labels.setdefault(value, f"#{len(self.labels)}")


def given_ids(*values: Any) -> set[Any]:
    out: set[Any] = set()

    def walk(v: Any) -> None:
        if isinstance(v, BaseMessage):
            out.add(v.id)
        elif isinstance(v, dict):
            if "id" in v:
                out.add(v["id"])
            walk(list(v.values()))
        elif isinstance(v, list | tuple):
            for x in v:
                walk(x)

    walk(values)
    out.discard(None)
    return out


def view(value: Any, ids: Ids, origin: dict[int, Any] | None = None) -> Any:
    """A comparable picture of a result or input: message fields, with generated ids labelled."""
    if isinstance(value, BaseMessage):
        fields = value.model_dump()
        fields["id"] = ids(value.id)
        from_input = origin.get(id(value)) if origin is not None else None
        return (type(value).__name__, fields, from_input)
    if isinstance(value, list):
        return [view(v, ids, origin) for v in value]
    if isinstance(value, tuple):
        return tuple(view(v, ids, origin) for v in value)
    if isinstance(value, dict):
        return {k: view(v, ids, origin) for k, v in value.items()}
    return value
