"""Runs programs of the corpus, each in a fresh child process, for one side.

``python runner.py SIDE OUTDIR PROGRAM...``: imports the heavy modules of ``SIDE`` once
(``langgraph`` for the original programs; ``runtime``/``stores`` for the ported ones;
``langchain_core`` for both), then forks one child per program, which runs it as
``__main__`` in its own empty working directory, stdin closed, stdout and stderr to
``OUTDIR/<name>.out`` / ``.err``; its exit status goes to ``OUTDIR/<name>.rc``. Forking
after the imports is what keeps ~70 program runs within seconds on two cores: a
``python program.py`` pays ~2 s of imports each. ``--exec`` runs each program as its own
``python program.py`` instead (slow, for checking that forking changes nothing).

A child also writes ``OUTDIR/<name>.mods``: ``langgraph`` if that package was imported by
the end of the run (a ported program must never need it).
"""

from __future__ import annotations

import atexit
import importlib
import os
import random
import runpy
import subprocess
import sys
import tempfile
import threading
import traceback
from pathlib import Path

PRELOAD = {
    "langgraph": [
        "langgraph.checkpoint.sqlite",
        "langgraph.graph",
        "langgraph.prebuilt",
        "langgraph.types",
        "langgraph.checkpoint.memory",
    ],
    "ours": ["runtime", "runtime.prebuilt", "stores.memory", "stores.sqlite"],
}
COMMON = [
    "pydantic",
    "langchain_core.messages",
    "langchain_core.tools",
    "langchain_core.language_models.fake_chat_models",
    "langchain_core.runnables",
]
PROGRAMS = Path(__file__).resolve().parent / "programs"


def _child(path: Path, outdir: Path, workdir: Path) -> None:
    name = path.stem
    code = 0
    try:
        os.chdir(workdir)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        out = os.open(outdir / f"{name}.out", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        err = os.open(outdir / f"{name}.err", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(out, 1)
        os.dup2(err, 2)
        sys.stdin = open(0, closefd=False)  # noqa: SIM115
        sys.argv = [str(path)]
        random.seed(0)
        try:
            runpy.run_path(str(path), run_name="__main__")
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            if exc.code is not None and not isinstance(exc.code, int):
                print(exc.code, file=sys.stderr)
        except BaseException:
            traceback.print_exc()
            code = 1
        # What the interpreter does at exit: wait for non-daemon threads, run atexit.
        threading._shutdown()  # type: ignore[attr-defined]
        atexit._run_exitfuncs()
        (outdir / f"{name}.mods").write_text("langgraph" if "langgraph" in sys.modules else "")
    except BaseException:
        traceback.print_exc()
        code = 70
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _exec(path: Path, outdir: Path, workdir: Path) -> int:
    name = path.stem
    probe = (
        "import runpy, sys; sys.argv = [sys.argv[1]]\n"
        "try:\n    runpy.run_path(sys.argv[0], run_name='__main__')\n"
        "finally:\n"
        f"    open({str(outdir / (name + '.mods'))!r}, 'w').write("
        "'langgraph' if 'langgraph' in sys.modules else '')\n"
    )
    with open(outdir / f"{name}.out", "wb") as out, open(outdir / f"{name}.err", "wb") as err:
        return subprocess.call(
            [sys.executable, "-c", probe, str(path)],
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
        )


def main(argv: list[str]) -> int:
    use_exec = "--exec" in argv
    argv = [a for a in argv if a != "--exec"]
    side, outdir, programs = argv[0], Path(argv[1]), [Path(p) for p in argv[2:]]
    sys.path.insert(0, str(PROGRAMS))
    if not use_exec:
        for module in COMMON + PRELOAD[side]:
            importlib.import_module(module)
        # Forking a process with threads could copy a lock held by one of them.
        use_exec = threading.active_count() > 1
    for path in programs:
        workdir = Path(tempfile.mkdtemp(prefix=f"{path.stem}-", dir=outdir))
        if use_exec:
            rc = _exec(path, outdir, workdir)
        else:
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                _child(path, outdir, workdir)
            rc = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        (outdir / f"{path.stem}.rc").write_text(str(rc))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
