"""Twin of ``langgraph.store.memory``.

``InMemoryStore()`` is this project's in-process store, passed as ``compile(store=...)``;
nodes reach it through their ``store`` parameter or ``get_store()``, and the application
through ``graph.memory``. (Calling ``put``/``get`` on the store object itself, outside a
graph, comes with issue 13: those names raise ``AttributeError`` until then.)
"""

from __future__ import annotations

from runtime._unbuilt import unbuilt
from runtime.memory import Item
from runtime.memory import Memory as BaseStore
from stores.memory import MemoryStore as InMemoryStore

from . import base

__all__ = ["BaseStore", "InMemoryStore", "Item"]

__getattr__ = unbuilt(__name__, dict(base._UNBUILT))
