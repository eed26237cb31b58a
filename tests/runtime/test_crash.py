"""Crash safety: real worker processes (crash_worker.py) killed with SIGKILL under load.

Each test runs a plan of cycles on one SQLite file. A cycle starts the worker, which
continues every session from whatever the file holds, and ends with SIGKILL: sent by this
process once the worker has acknowledged a given number of turns (never after a sleep), or
sent by the worker to itself in the middle of a batch's transaction. After every crash a
fresh connection and a fresh runtime check the file:

* ``PRAGMA integrity_check`` is ok; each thread's checkpoint ids are 1..head, no gaps;
* every batch the worker saw committed is there; the batch it died in is not, not one row;
* each thread holds a prefix of its turns (messages numbered, so the check is exact), and
  its head is at a step boundary consistent with that prefix;
* history: ids strictly increasing along the parent chain, every checkpoint's state a
  prefix no shorter than its parent's, and exactly one input checkpoint per turn;
* ``sync`` and ``exit``: every acknowledged turn is there; ``async``: the acknowledged turns
  missing are only those of the last flush window (acknowledged after the second-to-last
  commit);
* ``exit``: one checkpoint per finished turn, each the parent of the next, the thread's head
  at the last stored one (never past it: a thread row pointing at a checkpoint that is not
  stored hid whole threads);
* the next worker starts from exactly the state found here, and after the last crash every
  session continues by one turn from its surviving prefix.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from stores import SqliteSaver

from .crash_worker import build_graph, expected, message, thread_id

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("crash_worker.py")
THREADS = 24
#: A safety net against a hung worker, not a synchronisation: cycles take well under 2 s.
WATCHDOG_SECONDS = 60


@dataclass(frozen=True)
class KillAt:
    """This process sends SIGKILL once the worker has acknowledged ``acks`` turns."""

    acks: int
    max_active: int = 10_000


@dataclass(frozen=True)
class DieInBatch:
    """The worker kills itself inside the transaction of its ``batch``-th checkpoint batch."""

    batch: int
    where: str  # see crash_worker.die_in_batch


@dataclass(frozen=True)
class DieInMigration:
    """On a new file, the worker kills itself inside the schema migration's transaction."""


@dataclass(frozen=True)
class KillAfter:
    """This process sends SIGKILL ``seconds`` after the worker reported its first session:
    a moment in time, not tied to any acknowledgement (chosen at random by the tests)."""

    seconds: float


@dataclass(frozen=True)
class KillWhenBlocked:
    """Thread 0 sends two turns at once, ``after`` turns past where it starts; the second
    one's node blocks (crash_worker ``--block-at``). SIGKILL comes once that node runs and
    the first turn is acknowledged: while a turn sits in a slow node, with its thread's row
    written meanwhile."""

    after: int


@dataclass(frozen=True)
class Finish:
    """No kill: every session runs ``more`` turns past the furthest one, then the worker
    exits by itself."""

    more: int


Cycle = KillAt | KillAfter | KillWhenBlocked | DieInBatch | DieInMigration | Finish


@dataclass
class Run:
    """What one worker process reported before it died, in the order it reported it."""

    records: list[list[Any]] = field(default_factory=list)

    def of(self, kind: str) -> Iterator[tuple[int, list[Any]]]:
        return ((k, r) for k, r in enumerate(self.records) if r[0] == kind)


@dataclass(frozen=True)
class Found:
    """A thread as read back after a crash."""

    length: int
    """Number of messages: 2 per finished turn, +1 when a turn's input is applied but its
    node has not run."""
    next: tuple[str, ...]


def run_worker(
    db: Path,
    mode: str,
    cycle: Cycle,
    writer: str,
    turns: int,
    stderr_path: Path,
    block_at: int = 0,
) -> Run:
    args = [sys.executable, str(WORKER), str(db), mode, "--threads", str(THREADS)]
    args += ["--writer", writer, "--turns", str(turns)]
    if isinstance(cycle, KillAt):
        args += ["--max-active", str(cycle.max_active)]
    elif isinstance(cycle, DieInBatch):
        args += ["--die-in-batch", str(cycle.batch), "--die-at", cycle.where]
    elif isinstance(cycle, DieInMigration):
        args += ["--die-in-migration"]
    elif isinstance(cycle, KillWhenBlocked):
        args += ["--block-at", str(block_at)]
    path = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    run = Run()
    with stderr_path.open("wb") as err:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err, env=env)
    assert proc.stdout is not None
    hung = threading.Event()

    def stop_hung_worker() -> None:
        hung.set()
        proc.kill()

    watchdog = threading.Timer(WATCHDOG_SECONDS, stop_hung_worker)
    watchdog.start()
    timer = None
    if isinstance(cycle, KillAfter):
        timer = threading.Timer(cycle.seconds, proc.send_signal, (signal.SIGKILL,))
    try:
        acks = 0
        blocked = acked = False
        for line in proc.stdout:
            if not line.endswith(b"\n"):
                break  # cut by the kill mid-write: never reported
            record = json.loads(line)
            run.records.append(record)
            if record[0] == "start" and timer is not None and timer.ident is None:
                timer.start()  # the clock starts with the sessions, not with the imports
            elif record[0] == "blocked":
                blocked = True
            elif record[0] == "ack":
                acks += 1
                acked = acked or record[1:3] == [0, block_at - 1]
                if isinstance(cycle, KillAt) and acks == cycle.acks:
                    proc.send_signal(signal.SIGKILL)
            if isinstance(cycle, KillWhenBlocked) and blocked and acked:
                proc.send_signal(signal.SIGKILL)
                blocked = False
        code = proc.wait()
    finally:
        watchdog.cancel()
        if timer is not None:
            timer.cancel()
        proc.stdout.close()
    log = stderr_path.read_text()
    assert not hung.is_set(), f"the worker made no progress for {WATCHDOG_SECONDS} s:\n{log}"
    assert not list(run.of("bad")), f"a turn returned a wrong state: {list(run.of('bad'))}"
    want = 0 if isinstance(cycle, Finish) else -signal.SIGKILL
    assert code == want, f"worker exited with {code}, expected {want}:\n{log}"
    return run


def check_file(db: Path, run: Run, mode: str) -> None:
    """Integrity and row-level checks, on a fresh connection (it recovers the WAL)."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        # a stored row holds the checkpoints first..seq (stores/_sqlite_pack.py)
        q = "SELECT thread_id, first, seq FROM checkpoints"
        rows = {(t, s) for t, first, last in conn.execute(q) for s in range(first, last + 1)}
        heads = dict(conn.execute("SELECT thread_id, head FROM threads").fetchall())
    finally:
        conn.close()
    seqs: dict[str, list[int]] = {}
    for tid, seq in sorted(rows):
        seqs.setdefault(tid, []).append(seq)
    for tid, ids in seqs.items():
        # "exit" stores a turn's last checkpoint only: ids have gaps, the head is the last
        if mode != "exit":
            assert ids == list(range(1, len(ids) + 1)), f"{tid}: checkpoint ids with a gap: {ids}"
        assert heads.get(tid) == ids[-1], f"{tid}: thread head {heads.get(tid)}, rows {ids}"
    assert set(heads) == set(seqs)
    committed = {(tid, seq) for _, (_, batch) in run.of("flush") for tid, seq in batch}
    assert committed <= rows, f"committed rows lost: {sorted(committed - rows)[:10]}"
    for _, (_, batch, _) in run.of("dying"):
        torn = {(tid, seq) for tid, seq in batch} & rows
        assert not torn, f"rows of the batch killed before COMMIT survived: {sorted(torn)}"


def check_unmigrated(db: Path) -> None:
    """A migration killed before its COMMIT leaves a new file as it was: empty."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA user_version").fetchone() == (0,)
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == []
    finally:
        conn.close()


async def read_back(db: Path, mode: str) -> dict[int, Found]:
    """Every thread's state and history through a fresh runtime, checked for consistency."""
    found: dict[int, Found] = {}
    graph = build_graph().compile(checkpointer=SqliteSaver(db))
    async with graph:
        for i in range(THREADS):
            config = {"configurable": {"thread_id": thread_id(i)}}
            snap = await graph.aget_state(config)
            msgs = snap.values.get("messages", [])
            assert msgs == expected(i, len(msgs)), f"thread {i} is not a prefix of its turns"
            n = Found(len(msgs), tuple(snap.next))
            if n.length % 2:
                assert n.next == ("respond",), f"thread {i}: {n}"
            else:
                assert n.next in ((), ("__start__",)), f"thread {i}: {n}"
            history = [s async for s in graph.aget_state_history(config)][::-1]
            if mode == "exit":
                check_exit_history(i, history, n)
            else:
                check_history(i, history, n)
            found[i] = n
    return found


def check_history(i: int, history: list[Any], head: Found) -> None:
    ids = [int(s.config["configurable"]["checkpoint_id"]) for s in history]
    assert ids == list(range(1, len(ids) + 1)), f"thread {i}: checkpoint ids {ids}"
    inputs: list[int] = []
    length = 0
    for k, s in enumerate(history):
        parent = s.parent_config["configurable"]["checkpoint_id"] if s.parent_config else None
        assert parent == (history[k - 1].config["configurable"]["checkpoint_id"] if k else None)
        msgs = s.values.get("messages", [])
        assert msgs == expected(i, len(msgs)), f"thread {i}, checkpoint {ids[k]}: torn state"
        assert len(msgs) >= length, f"thread {i}, checkpoint {ids[k]}: state went back"
        length = len(msgs)
        if s.metadata["source"] == "input":
            inputs.append(length)
    if history:
        assert len(history[-1].values.get("messages", [])) == head.length
    # one input checkpoint per turn started, each before its own message: none applied twice
    started = (head.length + 1) // 2 + (head.next == ("__start__",))
    assert inputs == [2 * n for n in range(started)], f"thread {i}: input checkpoints {inputs}"


def check_exit_history(i: int, history: list[Any], head: Found) -> None:
    """Under "exit" every stored checkpoint is one whole turn, the parent of the next."""
    assert head.length % 2 == 0 and head.next == (), f"thread {i}: a torn exit turn: {head}"
    assert len(history) == head.length // 2, f"thread {i}: {len(history)} checkpoints"
    ids = [int(s.config["configurable"]["checkpoint_id"]) for s in history]
    assert ids == sorted(set(ids)), f"thread {i}: checkpoint ids {ids}"
    for k, s in enumerate(history):
        parent = s.parent_config["configurable"]["checkpoint_id"] if s.parent_config else None
        assert parent == (history[k - 1].config["configurable"]["checkpoint_id"] if k else None)
        assert s.values["messages"] == expected(i, 2 * k + 2), f"thread {i}, turn {k}"
        assert s.metadata["source"] == "loop"


def check_acks(mode: str, run: Run, found: dict[int, Found]) -> int:
    """Acknowledged turns against what survived; returns how many were lost (async only)."""
    flushes = [k for k, _ in run.of("flush")]
    # A turn acknowledged before the second-to-last commit was in a batch that began after
    # its acknowledgement at the latest, and that batch committed: it must be there.
    window = flushes[-2] if len(flushes) >= 2 else -1
    lost = [(k, i, n) for k, (_, i, n, _) in run.of("ack") if found[i].length < 2 * n + 2]
    if mode != "async":
        assert not lost, f"acknowledged {mode} turns lost: {lost[:10]}"
    else:
        early = [x for x in lost if x[0] < window]
        assert not early, f"turns lost from before the last flush window: {early[:10]}"
    return len(lost)


@dataclass
class Outcome:
    """What a plan of cycles did: each cycle's report and its lost acknowledged turns."""

    runs: list[Run] = field(default_factory=list)
    lost: list[int] = field(default_factory=list)
    found: dict[int, Found] = field(default_factory=dict)
    """The threads as read back after the last cycle."""


async def crash_cycles(
    tmp_path: Path, mode: str, plan: list[Cycle], *, writer: str = "loop"
) -> Outcome:
    db = tmp_path / "crash.db"
    out = Outcome(found={i: Found(0, ()) for i in range(THREADS)})
    for number, cycle in enumerate(plan):
        # turns per session: past the furthest one for a clean finish, else out of reach
        turns = max(f.length for f in out.found.values()) // 2 + 1
        turns += cycle.more if isinstance(cycle, Finish) else 1_000_000
        block_at = out.found[0].length // 2 + bool(out.found[0].next)
        block_at += cycle.after if isinstance(cycle, KillWhenBlocked) else 0
        err = tmp_path / f"worker{number}.err"
        run = run_worker(db, mode, cycle, writer, turns, err, block_at)
        if isinstance(cycle, DieInMigration):
            assert [r[0] for r in run.records] == ["dying"], "it did not die in the migration"
            check_unmigrated(db)
        else:
            starts = {i: Found(n, tuple(nxt)) for _, (_, i, n, nxt) in run.of("start")}
            # a kill at a random moment may come before every session has reported
            if not isinstance(cycle, KillAfter) or len(starts) == THREADS:
                assert starts == out.found, "the worker did not start from the state found before"
            else:
                assert starts == {i: out.found[i] for i in starts}, "a session started elsewhere"
            check_file(db, run, mode)
        out.found = await read_back(db, mode)
        out.runs.append(run)
        out.lost.append(check_acks(mode, run, out.found))
        if isinstance(cycle, DieInBatch):  # the kill happened where the test meant it to
            dying = list(run.of("dying"))
            assert len(dying) == 1 and dying[0][1][1], "the worker did not die inside a batch"
            if cycle.where == "spill":
                assert dying[0][1][2], "no uncommitted page reached the WAL before the kill"
        if isinstance(cycle, KillWhenBlocked):  # the kill came while the slow node ran
            blocked = [r for _, r in run.of("blocked")]
            assert blocked == [["blocked", 0, block_at, True]], blocked
        if isinstance(cycle, Finish):  # a clean exit loses nothing, whatever the durability
            assert out.lost[-1] == 0
            assert set(out.found.values()) == {Found(2 * turns, ())}
    await continue_each(db, out.found, mode)
    return out


async def continue_each(db: Path, found: dict[int, Found], mode: str) -> None:
    """After the last crash every session continues, in this process, from its prefix."""
    graph = build_graph().compile(checkpointer=SqliteSaver(db), durability=mode)
    async with graph:
        for i, f in found.items():
            config = {"configurable": {"thread_id": thread_id(i)}}
            n = f.length // 2
            if f.next:  # finish the turn the crash cut short
                assert (await graph.ainvoke(None, config))["messages"] == expected(i, 2 * n + 2)
                n += 1
            out = await graph.ainvoke({"messages": [message(i, n)]}, config)
            assert out["messages"] == expected(i, 2 * n + 2)
    after = await read_back(db, mode)
    for i, f in found.items():
        assert after[i] == Found(2 * (f.length // 2 + bool(f.next)) + 2, ())


KILL_POINTS: list[Cycle] = [KillAt(1), KillAt(60), KillAt(400), KillAt(1500)]


@pytest.mark.parametrize("mode", ["sync", "async", "exit"])
async def test_sigkill_under_load(tmp_path: Path, mode: str) -> None:
    out = await crash_cycles(tmp_path, mode, [*KILL_POINTS, Finish(more=10)])
    if mode != "async":
        assert out.lost == [0] * len(out.runs)
    # under load: turns of many sessions went into the same batches
    widest = max(len({tid for tid, _ in b}) for r in out.runs for _, (_, b) in r.of("flush"))
    assert widest >= 2


@pytest.mark.parametrize("mode", ["sync", "async", "exit"])
async def test_sigkill_while_evicting(tmp_path: Path, mode: str) -> None:
    # fewer resident actors than sessions: actors are flushed, evicted and rehydrated
    out = await crash_cycles(tmp_path, mode, [KillAt(300, max_active=4), KillAt(900, max_active=4)])
    assert max(a[3] for r in out.runs for _, a in r.of("ack")) > 0, "no session was rehydrated"


@pytest.mark.parametrize(
    ("mode", "batch", "where", "writer"),
    [
        ("sync", 1, "commit", "loop"),
        ("sync", 9, "inserts", "loop"),
        ("sync", 25, "spill", "loop"),
        ("sync", 5, "commit", "thread"),
        ("async", 1, "inserts", "loop"),
        ("async", 4, "commit", "loop"),
        ("async", 6, "spill", "loop"),
        ("async", 1, "inserts", "thread"),
        ("exit", 3, "commit", "loop"),
        ("exit", 7, "inserts", "thread"),
    ],
)
async def test_sigkill_inside_a_flush(
    tmp_path: Path, mode: str, batch: int, where: str, writer: str
) -> None:
    plan: list[Cycle] = [DieInBatch(batch, where), KillAt(200)]
    await crash_cycles(tmp_path, mode, plan, writer=writer)


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_sigkill_inside_the_schema_migration(tmp_path: Path, mode: str) -> None:
    await crash_cycles(tmp_path, mode, [DieInMigration(), KillAt(100)])


@pytest.mark.parametrize("mode", ["exit", "sync"])
async def test_sigkill_while_a_turn_sits_in_a_slow_node(tmp_path: Path, mode: str) -> None:
    # The batch that writes thread 0's acknowledged turn is taken while its next turn runs
    # (its checkpoints counted in the thread's head, not handed to the flusher yet): the
    # thread row written then must point at stored checkpoints only, or the file reads
    # back as an empty thread and the next turn collides with stored ids.
    out = await crash_cycles(tmp_path, mode, [KillAt(100), KillWhenBlocked(after=3), KillAt(50)])
    assert out.lost == [0, 0, 0]
    assert out.found[0].length >= 2 * 4


#: SIGKILL moments, in seconds after the worker reports its sessions: from before the first
#: turn to well into the run. CRASH_SEED=n replays a plan; the seed is in the test's output.
RANDOM_KILLS = 8


@pytest.mark.parametrize("mode", ["sync", "async", "exit"])
async def test_sigkill_at_random_moments(tmp_path: Path, mode: str) -> None:
    seed = int(os.environ.get("CRASH_SEED", random.randrange(2**32)))
    print(f"CRASH_SEED={seed}")
    rng = random.Random(seed)
    plan: list[Cycle] = [KillAfter(rng.uniform(0.0, 0.6)) for _ in range(RANDOM_KILLS)]
    out = await crash_cycles(tmp_path, mode, [*plan, Finish(more=5)])
    acks = sum(1 for r in out.runs for _ in r.of("ack"))
    print(
        f"mode={mode} kills={RANDOM_KILLS} acknowledged={acks} lost={sum(out.lost)} "
        f"per kill={out.lost}"
    )
    if mode != "async":
        assert out.lost == [0] * len(out.runs)
    assert acks > 0
