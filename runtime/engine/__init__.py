"""Running turns: super-steps over a thread's state, producing checkpoint rows and events.

Pure planning and an async executor; no knowledge of actors, mailboxes or stores beyond the
records it produces.
"""

from .context import EventSink, RowSink, RunConfig
from .state import ThreadState
from .turn import Engine

__all__ = ["Engine", "EventSink", "RowSink", "RunConfig", "ThreadState"]
