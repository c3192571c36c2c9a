"""Benchmark: `torchsmith lint` on the lint corpus and on generated trees, with the goals of issue 17.

Compared (each the median of N runs after one warm-up, all as fresh processes, this checkout's code on
PYTHONPATH, started by this interpreter):
  - `torchsmith lint tests/lint/corpus`          goal: <= 4x `python -c pass` (exits 1: it holds traps)
  - `python -c pass`                               (the interpreter's own start-up, same environment)
  - `ruff check --no-cache` on the same tree      (a fast Rust linter reading the same folder, for scale)
and the in-process `lint_paths()` call, to separate start-up from linting. Child processes run without
`PYTHONDONTWRITEBYTECODE`, so the warm-up run leaves byte code behind as any installed package has.
`--instructions` counts the corpus run and `python -c pass` with valgrind's callgrind instead (the same on
a quiet or a loaded machine; see bench/README.md).

Then a synthetic repository (`_make_repo`: services with pyproject.toml for uv / Poetry, pixi.toml,
environment files, nested requirements with `-r` includes and constraints, pip.conf, .condarc, a
.gitignore) is linted at 10, 100 and 1,000 config files, as a whole process. Goals: 1,000 files in <= 2 s,
and linear growth: the cost of each extra file from 100 to 1,000 within 1.5x of that from 10 to 100.
Both the wall time and the CPU time (user + system) of the child are printed; the verdicts use CPU time,
because this machine's 2 cores are shared by several engineers and under that load the wall time mostly
measures the queue (the load average is printed with it). On a quiet machine the two agree.

Run: python bench/lint.py [--runs N] [--instructions]; exits 1 when a goal fails.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import Goal, bytecode_env, instructions, median_call, median_process, print_goals, print_table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))  # the in-process rows time this checkout too, as the children do
CORPUS = ROOT / "tests" / "lint" / "corpus"
GOAL_RATIO = 4.0  # corpus process / `python -c pass`
GOAL_1000_S = 2.0  # CPU seconds for the 1,000-file repository
GOAL_LINEAR = 1.5  # per extra file, 100 -> 1,000 against 10 -> 100

_UV = """[project]
name = "svc{i}"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = ["torch>=2.5", "torchvision>=0.20", "numpy"]

[tool.uv.sources]
torch = {{ index = "pytorch-cu124", marker = "sys_platform == 'linux'" }}
torchvision = {{ index = "pytorch-cu124", marker = "sys_platform == 'linux'" }}

[[tool.uv.index]]
name = "pytorch-cu124"
url = "https://download.pytorch.org/whl/cu124"
explicit = true
"""
_POETRY = """[tool.poetry]
name = "svc{i}"
version = "0.1.0"
description = ""
authors = ["a <a@example.com>"]

[tool.poetry.dependencies]
python = "^3.10"
torch = {{ version = "^2.5", source = "pytorch" }}

[[tool.poetry.source]]
name = "pytorch"
url = "https://download.pytorch.org/whl/cpu"
"""
_PIXI = """[workspace]
name = "svc{i}"
channels = ["conda-forge"]
platforms = ["linux-64", "osx-arm64"]

[system-requirements]
cuda = "12"

[dependencies]
python = "3.12.*"

[target.linux-64.dependencies]
pytorch-gpu = ">=2.5"
cuda-version = "12.6.*"
"""
_ENV = """name: svc{i}
channels:
  - conda-forge
dependencies:
  - python=3.11
  - pip
  - pip:
    - --extra-index-url https://download.pytorch.org/whl/cu124
    - torch==2.5.1+cu124
    - torchvision==0.20.1+cu124
"""
_FILES = (
    ("pyproject.toml", _UV),
    ("poetry/pyproject.toml", _POETRY),
    ("pixi.toml", _PIXI),
    ("environment.yml", _ENV),
    ("requirements.txt", "-r requirements/base.txt\n-c constraints.txt\ntorch==2.5.1\n"),
    ("requirements/base.txt", "numpy>=1.26\nrequests\n"),
    ("requirements/dev.txt", "-r base.txt\npytest\n"),
    ("constraints.txt", "numpy<2\n"),
    ("pip.conf", "[global]\ntimeout = 60\n"),
    ("conda-cpu.yml", "channels:\n  - conda-forge\ndependencies:\n  - pytorch-cpu=2.5\n"),
)


def _make_repo(root: Path, files: int) -> Path:
    """A repository with exactly `files` config files, ten per service folder."""
    repo = root / f"repo-{files}"
    (repo / "generated").mkdir(parents=True)
    (repo / ".gitignore").write_text("generated/\n")
    (repo / "generated" / "requirements.txt").write_text("torch\n")  # ignored: not counted
    for n in range(files):
        name, text = _FILES[n % len(_FILES)]
        path = repo / f"services/svc{n // len(_FILES):04d}" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.format(i=n))
    return repo


def _median_wall_cpu(command: Sequence[str], runs: int, env: dict[str, str]) -> tuple[float, float]:
    """Median wall seconds and median child CPU seconds (user + system) of `command`, after a warm-up."""
    subprocess.run(command, capture_output=True, check=False, env=env)
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=False, env=env)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def _curve(torchsmith: list[str], runs: int, env: dict[str, str]) -> list[Goal]:
    """The 10 / 100 / 1,000-file curve (printed) and its two goals."""
    from torchsmith.lint import lint_paths

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nlinear growth: `torchsmith lint REPO` on synthetic repositories (load average {load:.1f})")
    print(f"{'files':>7} {'wall s':>9} {'cpu s':>9} {'cpu ms/file':>12} {'findings':>9}")
    points: list[tuple[int, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for count in (10, 100, 1000):
            repo = _make_repo(Path(tmp), count)
            result = lint_paths([repo])
            assert len(result.files) == count, (count, len(result.files))
            command = [*torchsmith, "lint", "--output-format", "concise", str(repo)]
            wall, seconds = _median_wall_cpu(command, runs, env)
            points.append((count, seconds))
            print(
                f"{count:>7} {wall:>9.3f} {seconds:>9.3f} {seconds / count * 1000:>12.2f} "
                f"{len(result.findings):>9}"
            )
    (n1, t1), (n2, t2), (n3, t3) = points
    early = (t2 - t1) / (n2 - n1)
    late = (t3 - t2) / (n3 - n2)
    print(f"per extra file (CPU): {early * 1000:.2f} ms (10 -> 100), {late * 1000:.2f} ms (100 -> 1,000)")
    return [
        Goal("1,000-file repository, CPU time", t3 * 1000, GOAL_1000_S * 1000, unit="ms"),
        Goal("per extra file: (100 -> 1,000) / (10 -> 100)", late / max(early, 1e-5), GOAL_LINEAR),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--instructions", action="store_true", help="count the corpus run (callgrind)")
    args = parser.parse_args()
    if args.instructions and shutil.which("valgrind") is None:
        sys.exit("--instructions needs valgrind (apt-get install valgrind)")
    bin_dir = Path(sys.executable).parent
    torchsmith = [sys.executable, str(bin_dir / "torchsmith")]
    ruff = shutil.which("ruff", path=str(bin_dir)) or shutil.which("ruff")

    from torchsmith.lint import lint_paths

    files = len(lint_paths([CORPUS]).files)
    with tempfile.TemporaryDirectory() as cache:
        env = {
            **bytecode_env(),
            "PYTHONPATH": str(ROOT / "src"),
            "TORCHSMITH_CACHE_DIR": cache,
            "NO_COLOR": "1",
        }
        commands = [
            (f"torchsmith lint tests/lint/corpus ({files} files)", [*torchsmith, "lint", str(CORPUS)]),
            ("python -c pass", [sys.executable, "-c", "pass"]),
        ]
        rows = []
        for label, command in commands:
            if args.instructions:
                subprocess.run(command, capture_output=True, env=env, check=False)  # byte code
                rows.append((label, instructions(command, env) / 1000))  # the table's "ms" = millions
            else:
                rows.append((label, median_process(command, args.runs, env, check=False)))
        if ruff and not args.instructions:
            ruff_command = [ruff, "check", "--no-cache", "--quiet", str(CORPUS)]
            rows.append(
                ("ruff check --no-cache (same tree)", median_process(ruff_command, args.runs, check=False))
            )
        if not args.instructions:
            rows.append(
                ("lint_paths() in-process", median_call(lambda: lint_paths([CORPUS]), runs=args.runs))
            )
        unit = "millions of instructions in the ms column" if args.instructions else "wall time"
        print_table(f"torchsmith lint, {unit}", rows, reference="python -c pass")
        goals = [Goal("lint tests/lint/corpus / python -c pass", rows[0][1] / rows[1][1], GOAL_RATIO)]
        goals += _curve(torchsmith, max(3, args.runs // 3), env)
    return 0 if print_goals(goals) else 1


if __name__ == "__main__":
    sys.exit(main())
