"""Twin of ``langgraph.store``: cross-session memory (``runtime.store.base``, ``.memory``)."""
