"""The sync face's event loop: one private loop in a daemon thread, shared by all graphs.

Sync calls (``invoke``, ``get_state``, ``stream``) run the async core there and block for
the result: one copy of the logic. Daemon, so a script that never closes its graphs does
not hang at exit; an exit hook flushes and closes every runtime bound to it first.

The hook must run before the interpreter joins non-daemon threads (aiosqlite's worker is
one, and would otherwise wait forever for a close that never comes), which is when
``threading._register_atexit`` callbacks run (``concurrent.futures`` relies on the same).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import threading
import weakref
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_thread: threading.Thread | None = None
#: Close hooks of live runtimes, run at interpreter exit.
_closers: weakref.WeakSet[Any] = weakref.WeakSet()


def portal_loop() -> asyncio.AbstractEventLoop:
    global _loop, _thread
    with _lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            _thread = threading.Thread(target=run, name="session-actors-portal", daemon=True)
            _thread.start()
            ready.wait()
            _loop = loop
        return _loop


def run_sync(coro: Coroutine[Any, Any, T], loop: asyncio.AbstractEventLoop | None = None) -> T:
    """Run ``coro`` on ``loop`` (the portal loop by default) and block for its result."""
    target = loop or portal_loop()
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is target:
        coro.close()
        raise RuntimeError(
            "a sync method was called from inside the event loop that runs this graph; "
            "use the async twin (ainvoke, aget_state, astream, ...) in async code"
        )
    return asyncio.run_coroutine_threadsafe(coro, target).result()


def register_closer(obj: Any) -> None:
    """``obj.close_at_exit()`` will be called at interpreter exit while ``obj`` lives."""
    _closers.add(obj)


def _at_exit() -> None:
    for obj in list(_closers):
        with contextlib.suppress(Exception):
            obj.close_at_exit()


# Exit hooks run last-registered first. concurrent.futures registers one that refuses new
# work (stores may write through an executor), and it imports lazily: import it now so that
# ours is registered after it and the flush runs while executors still take work.
import concurrent.futures.thread  # noqa: E402, F401

_register = getattr(threading, "_register_atexit", None)
if _register is not None:
    _register(_at_exit)
else:  # pragma: no cover - every supported CPython has it
    atexit.register(_at_exit)

__all__ = ["Awaitable", "Callable", "portal_loop", "register_closer", "run_sync"]
