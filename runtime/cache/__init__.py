"""Twin of ``langgraph.cache`` (node caching: not built yet)."""
