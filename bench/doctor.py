"""Benchmark: `torchsmith doctor` against a bare `python -c "import torch"` on the same real torch venv.

Doctor's overhead is what it costs beyond torch's own import: starting torchsmith, probing the machine
(while torch imports in the target), the distribution scan, the device test and the rules. Goal: overhead
<= 300 ms (issue 4). Both commands run as fresh processes, alternately, and the medians are compared.

    .venv/bin/python bench/doctor.py [--venv DIR] [--runs N] [--no-device-test]

Without `--venv`, the venv the doctor tests build is used (tests/doctor/conftest.py), or one is built.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import Goal, print_goals

GOAL_MS = 300.0


def _default_venv() -> Path:
    base = Path(
        os.environ.get("TORCHSMITH_TEST_TORCH_VENV") or Path(tempfile.gettempdir()) / "torchsmith-tests"
    )
    return base / f"torch-2.13.0-py{sys.version_info[0]}{sys.version_info[1]}"


def _ensure_venv(path: Path) -> Path:
    python = path / "bin" / "python"
    if (path / ".complete").exists() and python.exists():
        return python
    print(f"building {path} (pip install torch==2.13.0) ...", file=sys.stderr)
    if path.exists():
        shutil.rmtree(path)
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "torch==2.13.0"], check=True)
    (path / ".complete").write_text("2.13.0")
    return python


def _time(command: list[str], expect: set[int]) -> tuple[float, str]:
    """Wall time of one fresh process in ms, and its stdout."""
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if completed.returncode not in expect:
        raise SystemExit(f"`{' '.join(command)}` exited with status {completed.returncode}")
    return elapsed * 1000.0, completed.stdout


def _import_ms(stdout: str) -> float:
    """torch's own import time inside doctor's target, from the `--json` document."""
    seconds = json.loads(stdout)["environment"]["torch"]["import_seconds"]
    return float(seconds) * 1000.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, default=None, help="a venv with torch installed")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-device-test", action="store_true")
    args = parser.parse_args(argv)
    python = _ensure_venv(args.venv or _default_venv())
    torchsmith = Path(sys.executable).with_name("torchsmith")
    doctor = ([str(torchsmith)] if torchsmith.exists() else [sys.executable, "-m", "torchsmith"]) + [
        "doctor",
        "--python",
        str(python),
        "--json",
    ]
    if args.no_device_test:
        doctor.append("--no-device-test")
    bare = [str(python), "-c", "import torch"]
    _time(bare, {0})  # warm the page cache for both
    _time(doctor, {0, 1})
    bare_ms: list[float] = []
    doctor_ms: list[float] = []
    inside_ms: list[float] = []
    for _ in range(args.runs):
        bare_ms.append(_time(bare, {0})[0])
        elapsed, stdout = _time(doctor, {0, 1})
        doctor_ms.append(elapsed)
        inside_ms.append(elapsed - _import_ms(stdout))
    bare_median, doctor_median = statistics.median(bare_ms), statistics.median(doctor_ms)
    overhead = doctor_median - bare_median
    beyond_import = statistics.median(inside_ms)

    def runs(values: list[float]) -> str:
        return ", ".join(f"{v:.0f}" for v in values)

    print(f"python -c 'import torch'   median {bare_median:8.1f} ms  (runs: {runs(bare_ms)})")
    print(f"torchsmith doctor          median {doctor_median:8.1f} ms  (runs: {runs(doctor_ms)})")
    print(f"overhead vs bare import           {overhead:8.1f} ms  (goal <= {GOAL_MS:.0f} ms)")
    print(
        f"doctor minus torch's own import   {beyond_import:8.1f} ms  (median; the bare command also pays "
        "interpreter start-up and torch's ~0.4 s teardown, which doctor's target skips)"
    )
    goals = [
        Goal('doctor / python -c "import torch" (issue 17)', doctor_median / bare_median, 1.0),
        Goal("doctor's overhead vs the bare import (issue 4)", overhead, GOAL_MS, "ms"),
    ]
    return 0 if print_goals(goals) else 1


if __name__ == "__main__":
    sys.exit(main())
