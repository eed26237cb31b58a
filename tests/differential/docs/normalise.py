"""What differs between two runs of the same program by chance, made equal before comparing.

Applied to stdout of both sides alike, in this order:

1. checkpoint ids (``'checkpoint_id': '...'``, also ``parent_checkpoint_id`` and
   ``checkpoint_id=...``): LangGraph makes uuid6s, this project zero-padded counters per
   thread; each distinct id becomes ``<checkpoint N>`` by order of first appearance, so
   equal ids stay equal and a parent still points at the same label;
2. task ids (``PregelTask(id='...'``): LangGraph derives uuid-shaped ids from a hash of the
   checkpoint and task path, this project ``step:index:name``; ``<task N>`` by order of
   first appearance;
3. uuids anywhere (message ids ``lc_run--<uuid>``, run ids, task ids in
   ``checkpoint_ns``, interrupt ids are hex digests, see 3): ``<uuid N>`` by order of first
   appearance;
4. interrupt ids (``Interrupt(value=..., id='<32 hex>')``): LangGraph derives them from a
   hash of its task path; ``<interrupt N>`` by order of first appearance;
5. timestamps (ISO 8601 strings and ``datetime.datetime(...)`` reprs): ``<timestamp>``;
6. object addresses (``at 0x7f...``): ``at 0x?``.

Nothing else is touched: message contents, order, state values, ``next``, metadata,
exception text all compare exactly.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["normalise"]

_CHECKPOINT = re.compile(r"""(checkpoint_id['"]?\s*[:=]\s*['"])([^'"]+)(['"])""")
_TASK = re.compile(r"(PregelTask\(id=')([^']+)(')")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_INTERRUPT_ID = re.compile(r"""(\bid['"]?\s*[:=]\s*['"])([0-9a-f]{32})(['"])""")
_ISO = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:\d\d|Z)?")
_DATETIME = re.compile(r"datetime\.datetime\([^()]*(?:\([^()]*\)[^()]*)*\)")
_ADDRESS = re.compile(r"at 0x[0-9a-fA-F]+")


def _labeller(kind: str) -> Callable[[str], str]:
    seen: dict[str, str] = {}

    def label(value: str) -> str:
        if value not in seen:
            seen[value] = f"<{kind} {len(seen)}>"
        return seen[value]

    return label


def normalise(text: str) -> str:
    checkpoint = _labeller("checkpoint")
    text = _CHECKPOINT.sub(lambda m: m.group(1) + checkpoint(m.group(2)) + m.group(3), text)
    task = _labeller("task")
    text = _TASK.sub(lambda m: m.group(1) + task(m.group(2)) + m.group(3), text)
    uuid = _labeller("uuid")
    text = _UUID.sub(lambda m: uuid(m.group(0)), text)
    interrupt = _labeller("interrupt")
    text = _INTERRUPT_ID.sub(lambda m: m.group(1) + interrupt(m.group(2)) + m.group(3), text)
    text = _DATETIME.sub("<timestamp>", text)
    text = _ISO.sub("<timestamp>", text)
    return _ADDRESS.sub("at 0x?", text)
