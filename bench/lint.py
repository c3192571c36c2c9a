"""Benchmark: `torchsmith lint` over the lint corpus (41 configs) as a whole process, against references.

Compared (each the median of N runs after one warm-up, all as fresh processes):
  - `torchsmith lint tests/lint/corpus`          (goal: <= 200 ms for a 30-file tree, issue 6)
  - `ruff check --no-cache` on the same tree      (a fast Rust linter reading the same folder, for scale)
  - `python -c pass`                               (the interpreter's own start-up)
and the in-process `lint_paths()` call, to separate start-up from linting. `torchsmith lint` exits 1 on
the corpus (it holds traps on purpose), so exit codes are not checked here. Child processes run without
`PYTHONDONTWRITEBYTECODE`, so the warm-up run leaves byte code behind as any installed package has.

Then a synthetic repository (`_make_repo`: services with pyproject.toml for uv / Poetry, pixi.toml,
environment files, nested requirements with `-r` includes and constraints, pip.conf, .condarc, a
.gitignore) is linted at 10, 100 and 1,000 config files, as a whole process: the curve must grow
linearly (the per-file cost between 100 and 1,000 files within 2x of that between 10 and 100) and
1,000 files must lint in <= 2 s. Both the wall time and the CPU time (user + system) of the child are
printed; the verdict uses CPU time, because this machine's 2 cores are shared by several engineers
and under that load the wall time mostly measures the queue (the load average is printed with it).

Run: .venv/bin/python bench/lint.py [--runs N]
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

from _timing import median_call, median_process, print_table

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "lint" / "corpus"
GOAL_S = 0.200
GOAL_1000_S = 2.0

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


def _median_wall_cpu(command: Sequence[str], runs: int) -> tuple[float, float]:
    """Median wall seconds and median child CPU seconds (user + system) of `command`, after a warm-up."""
    subprocess.run(command, capture_output=True, check=False)
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=False)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def _curve(torchsmith: str, runs: int) -> int:
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
            command = [torchsmith, "lint", "--output-format", "concise", str(repo)]
            wall, seconds = _median_wall_cpu(command, runs)
            points.append((count, seconds))
            print(
                f"{count:>7} {wall:>9.3f} {seconds:>9.3f} {seconds / count * 1000:>12.2f} "
                f"{len(result.findings):>9}"
            )
    (n1, t1), (n2, t2), (n3, t3) = points
    early = (t2 - t1) / (n2 - n1)
    late = (t3 - t2) / (n3 - n2)
    linear = late <= 2 * max(early, 1e-4)
    fast = t3 <= GOAL_1000_S
    print(
        f"per extra file: {early * 1000:.2f} ms (10->100), {late * 1000:.2f} ms (100->1000): "
        f"{'linear' if linear else 'SUPERLINEAR'}; 1,000 files in {t3:.2f} s of CPU "
        f"(goal <= {GOAL_1000_S:.0f} s: {'ok' if fast else 'OVER'})"
    )
    return 0 if linear and fast else 1


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
    curve = _curve(torchsmith, max(3, args.runs // 3))
    return 0 if seconds <= GOAL_S and curve == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
