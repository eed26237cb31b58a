"""The load tester's figures: latency percentiles, the final report, the live bar, the plot."""

from __future__ import annotations

import math
import resource
import sys
import time
from collections import Counter
from typing import Any, TextIO

from .common import table

#: Runtime counters reported as "during the run" (after minus before); others as they end.
COUNTERS = (
    "activations",
    "evictions",
    "evictions_idle",
    "evictions_lru",
    "rehydrations",
    "turns",
    "rejected",
    "flushes",
    "flushed_checkpoints",
    "flush_failures",
)


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (0 when empty)."""
    if not ordered:
        return 0.0
    rank = max(math.ceil(q * len(ordered)), 1)
    return ordered[min(rank, len(ordered)) - 1]


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def runtime_delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (v - before.get(k, 0) if k in COUNTERS and isinstance(v, int) else v)
        for k, v in after.items()
    }


class Recorder:
    """Per-turn outcomes as they happen: ``(finished at, latency)`` and errors by type."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        self.samples: list[tuple[float, float]] = []
        self.errors: Counter[str] = Counter()

    @property
    def done(self) -> int:
        return len(self.samples) + sum(self.errors.values())

    def ok(self, started: float) -> None:
        now = time.perf_counter()
        self.samples.append((now - self.t0, now - started))

    def failed(self, kind: str) -> None:
        self.errors[kind] += 1

    def summary(self, elapsed: float) -> dict[str, Any]:
        lat = sorted(s[1] for s in self.samples)
        ms = [round(percentile(lat, q) * 1000, 3) for q in (0.5, 0.9, 0.99, 1.0)]
        mean = round(sum(lat) / len(lat) * 1000, 3) if lat else 0.0
        return {
            "ok": len(lat),
            "failed": sum(self.errors.values()),
            "errors": dict(self.errors.most_common()),
            "elapsed_s": round(elapsed, 3),
            "turns_per_s": round(len(lat) / elapsed, 1) if elapsed > 0 else 0.0,
            "latency_ms": dict(zip(("p50", "p90", "p99", "max"), ms, strict=True), mean=mean),
        }


class Bar:
    """A rich progress bar on stderr, or nothing (not a TTY, ``--quiet``, no rich)."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.progress: Any = None
        if not enabled:
            return
        try:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )
        except ImportError:
            return
        self.progress = Progress(
            TextColumn("[bold]turns"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:>8} turns/s  errors {task.fields[errors]}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            auto_refresh=False,
        )
        self.task = self.progress.add_task("turns", total=total, rate="-", errors=0)
        self.progress.start()

    def update(self, rec: Recorder) -> None:
        if self.progress is None:
            return
        elapsed = time.perf_counter() - rec.t0
        rate = f"{len(rec.samples) / elapsed:,.0f}" if elapsed > 0 else "-"
        errors = sum(rec.errors.values())
        self.progress.update(self.task, completed=rec.done, rate=rate, errors=errors, refresh=True)

    def close(self, rec: Recorder) -> None:
        if self.progress is not None:
            self.update(rec)
            self.progress.stop()


def print_report(report: dict[str, Any], out: TextIO | None = None) -> None:
    stream = out or sys.stdout
    lat = report["latency_ms"]
    rows = [
        ("target", f"{report['mode']}  {report['target']}"),
        (
            "workload",
            f"S={report['sessions']} x T={report['turns_per_session']} at C="
            f"{report['concurrency']}"
            + (f", rate {report['rate']}/s" if report["rate"] else "")
            + (", in rounds" if report.get("order") == "rounds" else ""),
        ),
        ("turns", f"{report['ok']} ok, {report['failed']} failed in {report['elapsed_s']} s"),
        ("throughput", f"{report['turns_per_s']} turns/s"),
        (
            "latency ms",
            f"p50 {lat['p50']}  p90 {lat['p90']}  p99 {lat['p99']}  max {lat['max']}",
        ),
    ]
    for kind, n in report["errors"].items():
        rows.append(("error", f"{kind}: {n}"))
    rt = report.get("runtime") or {}
    if rt:
        rows.append(
            (
                "runtime",
                f"evictions {rt.get('evictions')}  rehydrations {rt.get('rehydrations')}  "
                f"flush batches {rt.get('flushes')} ({rt.get('flushed_checkpoints')} "
                f"checkpoints)  active {rt.get('active')}",
            )
        )
    rows.append(("peak RSS", f"{report['peak_rss_mb']} MB (this process)"))
    if report.get("server_peak_rss_mb") is not None:
        rows.append(("server RSS", f"{report['server_peak_rss_mb']} MB peak"))
    if report.get("plot"):
        rows.append(("plot", report["plot"]))
    elif report.get("plot_skipped"):
        rows.append(("plot", f"skipped: {report['plot_skipped']}"))
    table(("", ""), rows, stream)


def plot(samples: list[tuple[float, float]], path: str, title: str) -> str | None:
    """Latency over time as a PNG; returns why it was skipped, or ``None``."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed (pip install matplotlib)"
    fig, ax = plt.subplots(figsize=(10, 5))
    if samples:
        xs = [s[0] for s in samples]
        ys = [s[1] * 1000 for s in samples]
        ax.scatter(xs, ys, s=2, alpha=0.3, label="turn")
        buckets: dict[int, list[float]] = {}
        width = max(xs[-1] / 50, 0.1)
        for x, y in zip(xs, ys, strict=True):
            buckets.setdefault(int(x / width), []).append(y)
        keys = sorted(buckets)
        mids = [(k + 0.5) * width for k in keys]
        for q, style in ((0.5, "-"), (0.99, "--")):
            vals = [percentile(sorted(buckets[k]), q) for k in keys]
            ax.plot(mids, vals, style, color="black", label=f"p{round(q * 100)}")
        ax.set_yscale("log")
        ax.legend()
    ax.set_xlabel("seconds since start")
    ax.set_ylabel("turn latency (ms)")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return None
