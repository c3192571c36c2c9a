"""Benchmark: the start-up goals of issue 17 in one run, as ratios to `python -c pass` with PASS/FAIL.

Each command runs as a whole process (this interpreter's console script, this checkout's code on
PYTHONPATH), median of N runs after a warm-up, alternated with the reference in the same run:
  - `torchsmith probe --json`                           goal <= 3x `python -c pass`
  - `torchsmith plan torch torchvision` offline          goal <= 5x (TORCHSMITH_OFFLINE=1, shipped knowledge)
  - `torchsmith lint tests/lint/corpus`                  goal <= 4x (exits 1: the corpus holds traps)

`--instructions` counts user-space instructions under valgrind's callgrind instead of wall time (slow,
but the same on a loaded machine: wall-time ratios on a machine shared by many jobs swing by 2x). Child
processes the commands start are not counted either way they differ: the wall-time run includes them.

Run from the repository root: python bench/startup.py [--runs N] [--instructions]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import Goal, bytecode_env, instructions, median_process, print_goals, print_table

ROOT = Path(__file__).resolve().parent.parent
GOALS = {"probe --json": 3.0, "plan torch torchvision (offline)": 5.0, "lint tests/lint/corpus": 4.0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--instructions", action="store_true", help="count instructions (callgrind)")
    args = parser.parse_args()
    if args.instructions and shutil.which("valgrind") is None:
        sys.exit("--instructions needs valgrind (apt-get install valgrind)")
    torchsmith = str(Path(sys.executable).parent / "torchsmith")
    with tempfile.TemporaryDirectory() as cache:
        env = {
            **bytecode_env(),
            "PYTHONPATH": str(ROOT / "src"),
            "TORCHSMITH_CACHE_DIR": cache,
            "NO_COLOR": "1",
        }
        offline = {**env, "TORCHSMITH_OFFLINE": "1"}
        commands = [
            ("python -c pass", [sys.executable, "-c", "pass"], env),
            ("probe --json", [sys.executable, torchsmith, "probe", "--json"], env),
            (
                "plan torch torchvision (offline)",
                [sys.executable, torchsmith, "plan", "torch", "torchvision"],
                offline,
            ),
            (
                "lint tests/lint/corpus",
                [sys.executable, torchsmith, "lint", str(ROOT / "tests/lint/corpus")],
                env,
            ),
        ]
        rows = []
        for label, command, environment in commands:
            subprocess.run(command, capture_output=True, env=environment, cwd=ROOT, check=False)  # warm
            if args.instructions:
                measured = instructions(command, environment) / 1000  # the table's "ms" = millions
            else:
                measured = median_process(command, runs=args.runs, env=environment, check=False)
            rows.append((label, measured))
    unit = "millions of instructions in the ms column" if args.instructions else "wall time"
    print_table(f"start-up, {unit}; {os.cpu_count()} CPUs", rows, reference="python -c pass")
    base = rows[0][1]
    goals = [Goal(f"{label} / python -c pass", value / base, GOALS[label]) for label, value in rows[1:]]
    return 0 if print_goals(goals) else 1


if __name__ == "__main__":
    sys.exit(main())
