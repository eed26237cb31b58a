"""``RemainingSteps``: how many steps a turn may still take before its recursion limit.

LangGraph fills a state key annotated ``RemainingSteps`` (a managed value) in every node's
input. This runtime has no managed values; the key is an ordinary, never written one, and
the agent asks the engine directly through :func:`remaining_steps`, which counts as
LangGraph does: a turn's first step sees ``recursion_limit - 1``, each later step one less.
"""

from __future__ import annotations

from typing import Annotated

from runtime.engine.interrupts import current_task

__all__ = ["RemainingSteps", "RemainingStepsManager", "remaining_steps"]


class RemainingStepsManager:
    """Marks a key as LangGraph's remaining-steps managed value (not a reducer)."""

    __slots__ = ()


RemainingSteps = Annotated[int, RemainingStepsManager()]


def remaining_steps() -> int | None:
    """Steps left in the running turn, inside a node; ``None`` outside one."""
    ctx = current_task.get()
    stop = getattr(ctx, "stop", None)
    if ctx is None or stop is None:
        return None
    return int(stop - ctx.step)
