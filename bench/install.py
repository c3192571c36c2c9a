"""Benchmark: `torchsmith install` against a raw `uv pip install` of the same pins, and doctor's overhead.

Both install the REAL torch 2.13.0 CPU wheel of this machine (/opt/wheels, served from a local PEP 503 index
on 127.0.0.1 laid out like download.pytorch.org/whl/cpu) into a fresh virtual environment per run; torch's
dependencies come from PyPI through uv's cache, warmed by a first round. The three installs take turns in
each round; reported are medians of `--runs` rounds (default 6):
  - raw `uv pip install --python <venv> 'torch @ <url>#sha256=<hash>'`      (the reference)
  - `torchsmith install torch --no-verify`  (probe + plan + restore record + one uv call with the same
    arguments; goal <= 1.05x)
  - `torchsmith install torch`              (the same, then the doctor's verification in the new venv)
  - `python -c pass`: the start of the interpreter torchsmith runs in, so the lowest ratio any Python
    front-end of uv could reach is printed (raw + python -c pass) / raw
  - `torchsmith doctor --python <venv>` against `<venv>/bin/python -c "import torch"` (goal <= 1.0x)

Run from the repository root: python bench/install.py [--runs N]
"""

from __future__ import annotations

import argparse
import hashlib
import os
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


def _alternating(
    commands: dict[str, Callable[[Path], list[str]]], env: dict[str, str], scratch: Path, runs: int
) -> dict[str, float]:
    """Median seconds of each command, each run into a new venv (venv creation not timed). The commands
    take turns within every round, in the opposite order the next round, so a load that comes and goes or
    a slow drift slows them alike; the first round warms uv's cache (and torchsmith's) and is not counted.

    The timed rounds run uv offline (`UV_OFFLINE=1`, for both commands alike): torch's dependencies (sympy,
    networkx, jinja2, ...) come from PyPI, and uv revalidating their pages over the network varied its time
    by 100-200 ms between runs here, more than torchsmith's whole cost, so a 6-round median could not tell
    1.03x from 1.10x. Offline, uv takes them from the cache the first round filled, and does the same work
    in both commands. Each install writes some 700 MB of links and files and each removal deletes them: the
    disk is synced before every timed command, so one command's write-back does not land in the next one's
    time (runs of the same raw call ranged from 0.49 to 1.33 s without it).
    """
    times: dict[str, list[float]] = {label: [] for label in commands}
    order = list(commands)
    for round_ in range(runs + 1):
        if round_ == 1:
            env = {**env, "UV_OFFLINE": "1"}
        # every install here makes the next one a little slower (about 30 ms a run on this sandbox's disk):
        # the order is reversed every round, so no command always gets the later, slower turn
        for label in order if round_ % 2 else reversed(order):
            make_command = commands[label]
            venv = _venv(scratch / f"venv-{len(list(scratch.iterdir()))}", env)
            command = make_command(venv)
            os.sync()
            start = time.perf_counter()
            subprocess.run(command, check=True, env=env, capture_output=True)
            if round_:
                times[label].append(time.perf_counter() - start)
            shutil.rmtree(venv)
    return {label: statistics.median(values) for label, values in times.items()}


RAW = "uv pip install 'torch @ url#sha256' (raw)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=6, help="timed rounds after a warm-up (default 6)")
    runs = parser.parse_args().runs
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

            medians = _alternating(
                {
                    RAW: raw,
                    "torchsmith install torch --no-verify": ours("--no-verify"),
                    "torchsmith install torch (with verification)": ours(),
                },
                env,
                scratch,
                runs,
            )
            rows = list(medians.items())
            bare = median_process([sys.executable, "-c", "pass"], runs=9, env=env)
            venv = _venv(scratch / "doctor", env)
            subprocess.run(raw(venv), check=True, env=env, capture_output=True)
            python = str(venv / "bin/python")
            import_torch = median_process([python, "-c", "import torch"], runs=5, env=env)
            doctor = median_process([torchsmith, "doctor", "--python", python, "--json"], runs=5, env=env)
    print_table("install the real torch 2.13.0 (cpu) into a fresh venv", rows, reference=RAW)
    # torchsmith is a Python program in front of uv: its interpreter's start alone is a floor on the ratio
    print(
        f"\nfloor for any Python front-end: (raw uv + `python -c pass` {bare * 1000:.0f} ms) / raw uv = "
        f"{(medians[RAW] + bare) / medians[RAW]:.2f}x; torchsmith's own time beyond uv: "
        f"{(medians['torchsmith install torch --no-verify'] - medians[RAW]) * 1000:.0f} ms"
    )
    doctor_rows = [('python -c "import torch"', import_torch), ("torchsmith doctor --python <venv>", doctor)]
    print_table("doctor against a bare import", doctor_rows, reference=doctor_rows[0][0])
    overhead = (doctor - import_torch) * 1000
    print(f"\ndoctor's overhead beyond torch's own import: {overhead:.0f} ms")
    goals = [
        Goal("install --no-verify / raw uv pip install", rows[1][1] / medians[RAW], 1.05),
        Goal('doctor / python -c "import torch"', doctor / import_torch, 1.0),
    ]
    sys.exit(0 if print_goals(goals) else 1)


if __name__ == "__main__":
    main()
