"""PostgreSQL checkpointer: not built yet (issue 16).

A program ported from ``langgraph.checkpoint.postgres`` fails here at import, saying so,
rather than running on another store than the one it asked for.
"""

raise ImportError(
    "stores.postgres (LangGraph's langgraph.checkpoint.postgres) is not built yet in "
    "session-actors: use stores.sqlite.SqliteSaver(path) meanwhile; PostgreSQL comes with "
    "issue 16"
)
