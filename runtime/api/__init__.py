"""The public face: ``CompiledGraph``, snapshots, config parsing, the sync portal."""

from .compiled import CompiledGraph
from .snapshot import PregelTask, StateSnapshot, ThreadInfo

__all__ = ["CompiledGraph", "PregelTask", "StateSnapshot", "ThreadInfo"]
