"""Run the probe script in a target interpreter, with a timeout, and collect its records.

The script (`target_script.py`, stdlib only, Python >= 3.6) is passed with `-c`, so nothing is written
into the target environment. The interpreter runs with the caller's environment on purpose: PYTHONPATH,
the user site and `LD_LIBRARY_PATH` are part of the environment being diagnosed, so `-I` (which drops
them) would hide exactly the traps doctor looks for. What `-I` would protect against, the working
directory shadowing installed packages, the script undoes itself by dropping `sys.path[0] == ""`.
`PYTHONDONTWRITEBYTECODE` keeps doctor from writing `__pycache__` into the target.

`start()` returns at once so that the caller can probe the machine while torch imports in the target;
`TargetRun.wait()` then collects the records. A crash or a timeout is not an error here: the facts
gathered so far come back with an `Interruption` naming the step that did not finish.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from torchsmith.errors import ProbeError, UsageError

if TYPE_CHECKING:
    from torchsmith.doctor.facts import TargetFacts

__all__ = ["DEFAULT_MATMUL_SIZE", "TargetRun", "script_text", "start"]

DEFAULT_MATMUL_SIZE = 1024
"""Side of the square float32 matrices of the device test (2·1024³ flops: milliseconds on any device)."""

_STDERR_TAIL = 2000


@cache
def script_text() -> str:
    """The probe script's source, read from the installed package."""
    from importlib import resources

    return resources.files("torchsmith.doctor").joinpath("target_script.py").read_text("utf-8")


def _child_env(env: Mapping[str, str]) -> dict[str, str]:
    child = dict(env)
    child["PYTHONDONTWRITEBYTECODE"] = "1"
    child["PYTHONIOENCODING"] = "utf-8"
    child.pop("PYTHONINSPECT", None)
    return child


@dataclass(slots=True)
class TargetRun:
    """A probe script running in the target; `wait()` turns its output into `TargetFacts`."""

    python: str
    process: subprocess.Popen[bytes]
    deadline: float
    timeout: float
    device_test: bool

    def stop(self) -> None:
        """Terminate the script's whole process group (torch may have started workers of its own)."""
        from torchsmith.children import terminate_group

        terminate_group(self.process, grace=1.0)

    def wait(self) -> TargetFacts:
        """Collect the records; a timeout kills the process group and keeps what it had reported.

        The deadline covers the whole group: a child of the target that keeps the pipes open after the
        target exited (or past the deadline) is killed, so it cannot hang doctor."""
        from torchsmith.children import collect
        from torchsmith.doctor.facts import Interruption, TargetFacts

        captured = collect(self.process, deadline=self.deadline)
        timed_out, stdout, stderr = captured.timed_out, captured.stdout, captured.stderr
        records = _parse_records(stdout)
        tail = stderr.decode("utf-8", errors="replace")[-_STDERR_TAIL:]
        finished = any(r.get("stage") == "done" for r in records)
        interrupted = None
        if timed_out:
            interrupted = Interruption("timed-out", None, f"did not finish within {self.timeout:g} s", tail)
        elif not finished:
            interrupted = Interruption("crashed", None, _describe_status(self.process.returncode), tail)
        if not any(r.get("stage") == "python" for r in records):
            raise ProbeError(
                f"cannot inspect the interpreter `{self.python}`: the probe script "
                + (interrupted.detail if interrupted else "reported nothing"),
                hint=_last_line(tail) or "doctor needs Python >= 3.6 in the target interpreter",
            )
        return TargetFacts.from_records(
            records, device_test_requested=self.device_test, interrupted=interrupted
        )


def start(
    python: str,
    *,
    env: Mapping[str, str],
    timeout: float,
    device_test: bool = True,
    matmul_size: int = DEFAULT_MATMUL_SIZE,
) -> TargetRun:
    """Start the probe script in `python`; raise `UsageError` when it is not a runnable file."""
    path = Path(python)
    if not path.is_file() or not os.access(path, os.X_OK):
        raise UsageError(
            f"invalid value `{python}` for `--python`: not an executable file",
            hint="give the interpreter itself, e.g. `--python .venv/bin/python`",
        )
    args = [python, "-c", script_text(), "--matmul-size", str(matmul_size)]
    if not device_test:
        args.append("--no-device-test")
    from torchsmith.children import spawn

    try:
        process = spawn(args, env=_child_env(env))
    except OSError as error:
        raise UsageError(
            f"cannot run `{python}` (from `--python`): {error.strerror or error}",
        ) from error
    return TargetRun(python, process, time.monotonic() + timeout, timeout, device_test)


def _parse_records(stdout: bytes) -> list[dict[str, Any]]:
    """Each complete JSON line is a record; a line cut off by a crash is dropped."""
    records = []
    for line in stdout.decode("utf-8", errors="replace").splitlines():
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            records.append(value)
    return records


def _describe_status(returncode: int | None) -> str:
    """`killed by SIGSEGV`, `exited with status 1`: how a process that did not finish ended."""
    if returncode is not None and returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"was killed by {name}"
    return f"exited with status {returncode}"


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""
