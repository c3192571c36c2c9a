"""Benchmark: `torchsmith lint` over the lint corpus (41 configs) as a whole process, against references.

Compared (each the median of N runs after one warm-up, all as fresh processes):
  - `torchsmith lint tests/lint/corpus`          (goal: <= 200 ms for a 30-file tree, issue 6)
  - `ruff check --no-cache` on the same tree      (a fast Rust linter reading the same folder, for scale)
  - `python -c pass`                               (the interpreter's own start-up)
and the in-process `lint_paths()` call, to separate start-up from linting. `torchsmith lint` exits 1 on
the corpus (it holds traps on purpose), so exit codes are not checked here. Child processes run without
`PYTHONDONTWRITEBYTECODE`, so the warm-up run leaves byte code behind as any installed package has.

Run: .venv/bin/python bench/lint.py [--runs N]
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import median_call, median_process, print_table

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "lint" / "corpus"
GOAL_S = 0.200


def _median_process(command: Sequence[str], runs: int) -> float:
    return median_process(command, runs, check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    bin_dir = Path(sys.executable).parent
    torchsmith = shutil.which("torchsmith", path=str(bin_dir)) or shutil.which("torchsmith") or "torchsmith"
    ruff = shutil.which("ruff", path=str(bin_dir)) or shutil.which("ruff")

    from torchsmith.lint import lint_paths

    files = len(lint_paths([CORPUS]).files)
    rows = [
        (f"torchsmith lint ({files} files)", _median_process([torchsmith, "lint", str(CORPUS)], args.runs)),
        ("python -c pass", _median_process([sys.executable, "-c", "pass"], args.runs)),
    ]
    if ruff:
        rows.append(
            (
                "ruff check --no-cache (same tree)",
                _median_process([ruff, "check", "--no-cache", "--quiet", str(CORPUS)], args.runs),
            )
        )
    rows.append(("lint_paths() in-process", median_call(lambda: lint_paths([CORPUS]), runs=args.runs)))
    print_table("torchsmith lint", rows, reference="python -c pass")
    seconds = rows[0][1]
    verdict = "ok" if seconds <= GOAL_S else "OVER"
    print(
        f"\ngoal: lint process <= {GOAL_S * 1000:.0f} ms for >= 30 files: {seconds * 1000:.1f} ms ({verdict})"
    )
    return 0 if seconds <= GOAL_S else 1


if __name__ == "__main__":
    sys.exit(main())
