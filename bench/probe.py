"""Benchmark: `torchsmith probe --json` against other detectors, as whole processes, in one run.

Compared (each median of 15 runs, after one warm-up):
  - `torchsmith probe --json` (this checkout's console script)
  - torchruntime's GPU detection + platform choice   (`get_gpus()` + `get_torch_platform()`)
  - py-rattler's `VirtualPackage.detect()`            (conda virtual packages: __cuda, __glibc, ...)
  - light-the-torch's backend detection               (`detect_compatible_computation_backends()`)
  - `python -c pass`                                   (the interpreter's own start-up, for scale)
The others are installed into a throwaway venv under ~/.cache/torchsmith-bench (from PyPI). A venv does not
run the global site-packages' `.pth` hooks (this sandbox's imports certifi at every start), so the peers are
compared with `torchsmith probe --json` run by the same venv's python (this checkout's src on PYTHONPATH),
and the start-up ratio uses this interpreter for both sides. Also the
in-process probe on a fake root (goal: <= 5 ms). Issue 17's goals, printed with PASS/FAIL: the process is
faster than each peer and <= 3x `python -c pass`.

`--instructions` counts instructions under callgrind instead of wall time (see bench/README.md): the
processes the peers start (nvidia-smi, lspci) are not counted then, which favours them.

Run: python bench/probe.py [--instructions]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import (
    Goal,
    bench_venv,
    bytecode_env,
    instructions,
    median_call,
    print_goals,
    print_table,
)
from _timing import median_process as _timed

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    count = "--instructions" in sys.argv[1:]

    def median_process(command: list[str], env: dict[str, str] | None = None) -> float:
        """Wall seconds, or with `--instructions` millions of instructions shown in the ms column."""
        if count:
            _timed(command, runs=1, env=env)  # warm-up: byte code and caches, as timed runs have
            return instructions(command, env) / 1000
        return _timed(command, env=env)

    torchsmith = str(Path(sys.executable).parent / "torchsmith")  # this interpreter's install
    others = bench_venv(
        "detectors", ["torchruntime", "light-the-torch", "py-rattler", "packaging", "archspec"]
    )
    venv_env = {**bytecode_env(), "PYTHONPATH": str(ROOT / "src")}
    rows = [
        ("torchsmith probe --json", median_process([torchsmith, "probe", "--json"])),
        (
            "torchsmith probe --json (bench venv)",
            median_process([str(others), "-m", "torchsmith", "probe", "--json"], env=venv_env),
        ),
        (
            "torchruntime get_gpus + get_torch_platform",
            median_process(
                [
                    str(others),
                    "-c",
                    "from torchruntime.device_db import get_gpus;"
                    "from torchruntime.platform_detection import get_torch_platform;"
                    "get_torch_platform(get_gpus())",
                ]
            ),
        ),
        (
            "py-rattler VirtualPackage.detect()",
            median_process(
                [str(others), "-c", "from rattler import VirtualPackage; VirtualPackage.detect()"]
            ),
        ),
        (
            "light-the-torch detect_compatible_computation_backends",
            median_process(
                [
                    str(others),
                    "-c",
                    "from light_the_torch._cb import detect_compatible_computation_backends as d; d()",
                ]
            ),
        ),
        ("python -c pass (interpreter start-up)", median_process([sys.executable, "-c", "pass"])),
        ("python -c pass (bench venv)", median_process([str(others), "-c", "pass"])),
    ]
    print_table("probe as a process", rows, reference="torchsmith probe --json")
    times = dict(rows)
    ours = times["torchsmith probe --json"]
    in_venv = times["torchsmith probe --json (bench venv)"]
    goals = [
        Goal(f"probe / {label.split()[0]} (same venv; faster than each)", in_venv / times[label], 1.0)
        for label in (
            "torchruntime get_gpus + get_torch_platform",
            "py-rattler VirtualPackage.detect()",
            "light-the-torch detect_compatible_computation_backends",
        )
    ]
    goals.append(Goal("probe / python -c pass", ours / times["python -c pass (interpreter start-up)"], 3.0))

    from torchsmith.machine import probe_context
    from torchsmith.machine.context import ProbeContext

    fake = ROOT / "tests" / "machines" / "a100-t4-mixed"
    env = {"PATH": f"{fake}/usr/bin:{fake}/usr/sbin"}
    in_process = [
        (
            "probe_context on fake root a100-t4-mixed",
            median_call(lambda: probe_context(ProbeContext(root=fake, env=env, use_nvml=False))),
        ),
        (
            "probe_context on this machine (no NVML)",
            median_call(lambda: probe_context(ProbeContext(use_nvml=False))),
        ),
    ]
    # shown, not a goal: the fake root runs its fake nvidia-smi, so the row times a child process mostly
    print_table("probe in-process", in_process, reference="probe_context on fake root a100-t4-mixed")
    sys.exit(0 if print_goals(goals) else 1)


if __name__ == "__main__":
    main()
