"""Benchmark: `torchsmith install` against a raw `uv pip install` of the same pins, and doctor's overhead.

Both install the REAL torch 2.13.0 CPU wheel of this machine (/opt/wheels, served from a local PEP 503 index
on 127.0.0.1 laid out like download.pytorch.org/whl/cpu) into a fresh virtual environment per run; torch's
dependencies come from PyPI through uv's cache, warmed by a first run of each. Reported (medians of 3):
  - raw `uv pip install 'torch @ <url>#sha256=<hash>'`            (the reference)
  - `torchsmith install torch --no-verify`  (probe + plan + snapshot + the same uv call; goal <= 1.05x)
  - `torchsmith install torch`              (the same, then the doctor's verification in the new venv)
  - `torchsmith doctor --python <venv>` against `<venv>/bin/python -c "import torch"`
    (goal: overhead <= 300 ms)

Run from the repository root: python bench/install.py
"""

from __future__ import annotations

import hashlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _timing import Goal, bytecode_env, median_process, print_goals, print_table
from tests.support.index_tree import build_index, files_dir
from tests.support.server import serve

WHEEL = Path("/opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl")
BIN = Path(sys.executable).parent


def _venv(path: Path, env: dict[str, str]) -> Path:
    subprocess.run(
        [str(BIN / "uv"), "venv", str(path), "-q", "--python", sys.executable], check=True, env=env
    )
    return path


def _median_fresh_venv(
    make_command: Callable[[Path], list[str]], env: dict[str, str], scratch: Path
) -> float:
    """Median seconds of `make_command(venv)` into a new venv each run (venv creation not timed)."""
    times = []
    for run in range(4):  # the first run warms uv's cache and is not counted
        venv = _venv(scratch / f"venv-{len(list(scratch.iterdir()))}", env)
        command = make_command(venv)
        start = time.perf_counter()
        subprocess.run(command, check=True, env=env, capture_output=True)
        if run:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    if not WHEEL.exists():
        sys.exit(f"needs {WHEEL} (the real torch wheel this benchmark installs)")
    uv, torchsmith = str(BIN / "uv"), str(BIN / "torchsmith")
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        root = scratch / "index"
        target = files_dir(root, "cpu") / WHEEL.name
        target.parent.mkdir(parents=True)
        shutil.copyfile(WHEEL, target)  # the test server serves only files inside its root
        build_index(root, [("cpu", target)])
        digest = hashlib.sha256(WHEEL.read_bytes()).hexdigest()
        with serve(root) as url:
            env = {
                **bytecode_env(),
                "TORCHSMITH_INDEX_URL": f"{url}/whl",
                "UV_CACHE_DIR": str(scratch / "uv"),
                "TORCHSMITH_CACHE_DIR": str(scratch / "ts"),
            }
            pin = f"torch @ {url}/whl/cpu/{WHEEL.name.replace('+', '%2B')}#sha256={digest}"

            def raw(v: Path) -> list[str]:
                return [uv, "pip", "install", "--python", str(v / "bin/python"), pin]

            def ours(*extra: str) -> Callable[[Path], list[str]]:
                return lambda v: [
                    torchsmith,
                    "-q",
                    "install",
                    "torch",
                    "--venv",
                    str(v),
                    "--backend",
                    "cpu",
                    *extra,
                ]

            rows = [
                ("uv pip install 'torch @ url#sha256' (raw)", _median_fresh_venv(raw, env, scratch)),
                (
                    "torchsmith install torch --no-verify",
                    _median_fresh_venv(ours("--no-verify"), env, scratch),
                ),
                ("torchsmith install torch (with verification)", _median_fresh_venv(ours(), env, scratch)),
            ]
            venv = _venv(scratch / "doctor", env)
            subprocess.run(raw(venv), check=True, env=env, capture_output=True)
            python = str(venv / "bin/python")
            import_torch = median_process([python, "-c", "import torch"], runs=5, env=env)
            doctor = median_process([torchsmith, "doctor", "--python", python, "--json"], runs=5, env=env)
    print_table("install the real torch 2.13.0 (cpu) into a fresh venv", rows, reference=rows[0][0])
    doctor_rows = [('python -c "import torch"', import_torch), ("torchsmith doctor --python <venv>", doctor)]
    print_table("doctor against a bare import", doctor_rows, reference=doctor_rows[0][0])
    overhead = (doctor - import_torch) * 1000
    print(f"\ndoctor's overhead beyond torch's own import: {overhead:.0f} ms")
    goals = [
        Goal("install --no-verify / raw uv pip install", rows[1][1] / rows[0][1], 1.05),
        Goal('doctor / python -c "import torch"', doctor / import_torch, 1.0),
    ]
    sys.exit(0 if print_goals(goals) else 1)


if __name__ == "__main__":
    main()
