"""Timeouts cover the whole process group: an interpreter whose child keeps the pipe open cannot hang.

Issue 11: `doctor --timeout` and `install` hung on an interpreter whose child kept stdout open, because
the read waited for EOF that only the grandchild could give. The fake interpreters here start `sleep`
in the background (inheriting the pipes) and record its pid; each case asserts torchsmith returned in
bounded time with an allowed exit code and that the grandchild is dead afterwards.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from tests.robustness.cli_case import MACHINES, assert_handled, run_process

ROOT = MACHINES / "cpu-container"

# The interpreter itself answers, but leaves a child holding stdout and stderr.
LEAVES_CHILD = f"""#!/bin/sh
sleep 300 &
echo $! > "{{pidfile}}"
exec {sys.executable} "$@"
"""
# The interpreter never answers, and its child holds the pipes too.
HANGS = """#!/bin/sh
sleep 300 &
echo $! > "{pidfile}"
sleep 300
"""
# The interpreter prints half a line and hangs.
TRICKLES = """#!/bin/sh
printf '{{"stage": "pyth'
sleep 300 &
echo $! > "{pidfile}"
wait
"""

FAKES = {"leaves-child": LEAVES_CHILD, "hangs": HANGS, "trickles": TRICKLES}


def _fake(tmp: Path, kind: str) -> tuple[Path, Path]:
    pidfile = tmp / "grandchild.pid"
    python = tmp / "bin" / "python"
    python.parent.mkdir()
    python.write_text(FAKES[kind].format(pidfile=pidfile))
    python.chmod(0o755)
    return python, pidfile


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _grandchild_dead(pidfile: Path) -> None:
    if not pidfile.exists():
        return
    pid = int(pidfile.read_text().strip())
    try:
        deadline = time.monotonic() + 3
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(pid), "the interpreter's child outlived torchsmith"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


COMMANDS = {
    "doctor": lambda python: [
        "doctor",
        "--python",
        str(python),
        "--timeout",
        "2",
        "--no-device-test",
        "--root",
        str(ROOT),
    ],
    "install-dry-run": lambda python: [
        "install",
        "--python",
        str(python),
        "--dry-run",
        "--timeout",
        "2",
        "--offline",
        "--root",
        str(ROOT),
    ],
}


@pytest.mark.slow
@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("kind", sorted(FAKES))
def test_group_timeout(kind: str, command: str, tmp_path: Path) -> None:
    python, pidfile = _fake(tmp_path, kind)
    started = time.monotonic()
    outcome = run_process(COMMANDS[command](python), timeout=40)
    elapsed = time.monotonic() - started
    assert elapsed < 20, f"took {elapsed:.1f} s"
    assert_handled(outcome, codes={0, 1, 2})
    if kind != "leaves-child":
        assert outcome.code == 2
        assert str(python) in outcome.err
        assert "2 s" in outcome.err or "did not" in outcome.err
    _grandchild_dead(pidfile)
