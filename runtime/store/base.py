"""Twin of ``langgraph.store.base``: the face nodes get as ``store`` (``BaseStore``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from runtime._unbuilt import unbuilt
from runtime.memory import Item, SearchItem
from runtime.memory import Memory as BaseStore

__all__ = ["BaseStore", "Item", "SearchItem"]

_OPS = "batched store operations come with issue 13; call put/get/search/delete directly"
_SEMANTIC = "semantic (embedding) search is not built; search() matches on prefix and filter"
_UNBUILT = {
    "GetOp": _OPS,
    "PutOp": _OPS,
    "SearchOp": _OPS,
    "ListNamespacesOp": _OPS,
    "Op": _OPS,
    "MatchCondition": _OPS,
    "NamespaceMatchType": _OPS,
    "NamespacePath": _OPS,
    "validate_op_namespace": _OPS,
    "SearchItem": _SEMANTIC,
    "Embeddings": _SEMANTIC,
    "ensure_embeddings": _SEMANTIC,
    "get_text_at_path": _SEMANTIC,
    "tokenize_path": _SEMANTIC,
    "IndexConfig": _SEMANTIC,
}
if not TYPE_CHECKING:  # so that mypy flags a name that is not built
    __getattr__ = unbuilt(__name__, _UNBUILT)
