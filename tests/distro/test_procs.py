"""`run_logged`: a command's exit, its deadline and a stop, seen through the log and the return value.

The wait is blocking (no polling interval), so these check what it must still do: end at the deadline with
the whole process group killed, report the exit status, and turn a stop into `Stopped`.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from torchsmith.distro.procs import Stopped, Stopper, run_logged

ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}


def test_exit_status_is_returned_and_logged(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    assert run_logged(["sh", "-c", "echo hello"], log, ENV, tmp_path, 30, Stopper()) is True
    assert run_logged(["sh", "-c", "exit 3"], log, ENV, tmp_path, 30, Stopper()) is False
    text = log.read_text()
    assert "$ sh -c echo hello\nhello\n[exit 0]\n" in text and "[exit 3]" in text


def test_deadline_kills_the_group_grandchildren_included(tmp_path: Path) -> None:
    log, marker = tmp_path / "b.log", tmp_path / "grandchild-survived"
    # the grandchild would write the marker after 1.5 s unless its group is killed at the 0.5 s deadline
    script = f"(sleep 1.5; touch {marker}) & sleep 30"
    started = time.monotonic()
    assert run_logged(["sh", "-c", script], log, ENV, tmp_path, 0.5, Stopper()) is False
    assert time.monotonic() - started < 10
    assert "[timed out after 0 s]" in log.read_text() or "[timed out after 1 s]" in log.read_text()
    time.sleep(2)
    assert not marker.exists()


def test_stop_ends_a_running_command_with_stopped(tmp_path: Path) -> None:
    stopper = Stopper()
    threading.Timer(0.3, stopper.stop).start()
    started = time.monotonic()
    with pytest.raises(Stopped):
        run_logged(["sleep", "30"], tmp_path / "c.log", ENV, tmp_path, 60, stopper)
    assert time.monotonic() - started < 10
    with pytest.raises(Stopped):  # and nothing starts after a stop
        run_logged(["true"], tmp_path / "d.log", ENV, tmp_path, 60, stopper)
