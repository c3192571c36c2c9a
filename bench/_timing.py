"""Shared timing helpers for the benchmarks: whole-process medians, throwaway venvs, a ratio table."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import venv
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

__all__ = [
    "Goal",
    "bench_venv",
    "bytecode_env",
    "instructions",
    "median_call",
    "median_process",
    "print_goals",
    "print_table",
]

CACHE = Path.home() / ".cache" / "torchsmith-bench"


def bench_venv(name: str, packages: Sequence[str]) -> Path:
    """A venv under ~/.cache/torchsmith-bench/<name> with `packages` installed (made once); its python."""
    root = CACHE / name
    python = root / "bin" / "python"
    marker = root / ".installed"
    wanted = " ".join(packages)
    if not marker.exists() or marker.read_text() != wanted:
        venv.create(root, with_pip=True, clear=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *packages], check=True)
        marker.write_text(wanted)
    return python


def bytecode_env() -> dict[str, str]:
    """This environment without PYTHONDONTWRITEBYTECODE: an installed package has its bytecode compiled, so
    timing processes that recompile every module on each start would measure the sandbox, not the tool."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def median_process(
    command: Sequence[str], runs: int = 15, env: dict[str, str] | None = None, *, check: bool = True
) -> float:
    """Median wall time in seconds of running `command` to completion (one warm-up run first); `check=False`
    for commands whose exit code is part of the result (lint exits 1 on findings)."""
    env = env if env is not None else bytecode_env()
    subprocess.run(command, capture_output=True, check=check, env=env)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=check, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def instructions(command: Sequence[str], env: dict[str, str] | None = None) -> float:
    """Millions of user-space instructions `command` runs under valgrind's callgrind (with any child forked
    before its exec; programs it execs are not counted). The same on a quiet or a loaded machine."""
    import re

    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        capture_output=True,
        text=True,
        env=env if env is not None else bytecode_env(),
        check=False,
    )
    counts = re.findall(r"Collected : ([0-9]+)", done.stderr)
    if not counts:
        raise RuntimeError(f"callgrind printed no count for {command[0]}: {done.stderr[-300:]}")
    return sum(int(n) for n in counts) / 1e6


def median_call(function: Callable[[], object], runs: int = 200) -> float:
    """Median seconds of an in-process call (after one warm-up call)."""
    function()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def print_table(title: str, rows: Sequence[tuple[str, float]], reference: str) -> None:
    """Print each median in ms and its ratio to the `reference` row (measured in the same run)."""
    base = dict(rows)[reference]
    print(f"\n{title}  (python {sys.version.split()[0]})")
    print(f"{'what':58} {'median':>10} {'ratio':>8}")
    for label, seconds in rows:
        print(f"{label:58} {seconds * 1000:8.1f}ms {seconds / base:7.2f}x")


class Goal(NamedTuple):
    """A performance goal (issue 17): `measured` (a ratio, or ms when `unit` says so) must be <= `limit`."""

    what: str
    measured: float
    limit: float
    unit: str = "x"


def print_goals(goals: Sequence[Goal]) -> bool:
    """Print each goal with PASS/FAIL (measured in this run); True when all pass. Ratios are against rows
    timed in the same run, so a busy machine slows both sides alike."""
    print("\ngoals")
    ok = True
    for goal in goals:
        passed = goal.measured <= goal.limit
        ok = ok and passed
        if goal.unit == "ms":
            shown, limit = f"{goal.measured:.0f} ms", f"<= {goal.limit:.0f} ms"
        else:
            shown, limit = f"{goal.measured:.2f}x", f"<= {goal.limit:.2f}x"
        print(f"  {'PASS' if passed else 'FAIL'}  {goal.what:60} {shown:>10}  (goal {limit})")
    return ok
