"""`torchsmith.children`: process groups, group-wide deadlines, and signals turned into `Interrupted`."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

from torchsmith.children import (
    Interrupted,
    run_captured,
    run_streaming,
    signals_raise,
    spawn,
    terminate_group,
)

GRANDCHILD = "sleep 300 & echo $! > {pidfile}; echo started"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_dead(pid: int, seconds: float = 3.0) -> bool:
    deadline = time.monotonic() + seconds
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not _alive(pid)


def test_captured_returns_when_the_leader_exits_though_a_grandchild_holds_the_pipe(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    started = time.monotonic()
    done = run_captured(["sh", "-c", GRANDCHILD.format(pidfile=pidfile)], timeout=30)
    assert time.monotonic() - started < 5
    assert done.returncode == 0 and not done.timed_out and done.stdout == b"started\n"
    assert _wait_dead(int(pidfile.read_text()))


def test_captured_deadline_kills_the_whole_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    started = time.monotonic()
    done = run_captured(["sh", "-c", GRANDCHILD.format(pidfile=pidfile) + "; sleep 300"], timeout=1)
    assert time.monotonic() - started < 5
    assert done.timed_out and done.returncode is None and done.stdout == b"started\n"
    assert _wait_dead(int(pidfile.read_text()))


def test_streaming_passes_lines_and_kills_strays(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    seen: list[str] = []
    status, lines = run_streaming(
        ["sh", "-c", GRANDCHILD.format(pidfile=pidfile) + "; echo done"], seen.append
    )
    assert status == 0 and lines == seen == ["started", "done"]
    assert _wait_dead(int(pidfile.read_text()))


def test_streaming_deadline(tmp_path: Path) -> None:
    started = time.monotonic()
    status, lines = run_streaming(["sh", "-c", "echo one; sleep 300"], lambda _: None, timeout=1)
    assert status is None and lines == ["one"]
    assert time.monotonic() - started < 5


def test_terminate_group_escalates_to_sigkill(tmp_path: Path) -> None:
    process = spawn(["sh", "-c", "trap '' TERM; sleep 300 & wait"])
    time.sleep(0.3)
    started = time.monotonic()
    terminate_group(process, grace=0.5)
    assert time.monotonic() - started < 5
    assert process.returncode is not None
    from tests.robustness.processes import group_members

    deadline = time.monotonic() + 3
    while group_members(process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert group_members(process.pid) == []  # zombies waiting for their reaper aside


def test_an_exception_while_streaming_stops_the_group() -> None:
    def boom(_: str) -> None:
        raise Interrupted(signal.SIGTERM)

    with pytest.raises(Interrupted):
        run_streaming(["sh", "-c", "echo x; sleep 300"], boom)


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130), (signal.SIGHUP, 130)]
)
def test_signals_raise_interrupted(signum: signal.Signals, code: int) -> None:
    before = signal.getsignal(signum)
    with pytest.raises(Interrupted) as raised, signals_raise():
        os.kill(os.getpid(), signum)
        time.sleep(1)
    assert raised.value.exit_code == code and raised.value.name == signum.name
    assert isinstance(raised.value, KeyboardInterrupt)
    assert signal.getsignal(signum) == before


def test_a_missing_program_is_an_os_error() -> None:
    with pytest.raises(OSError):
        run_captured([str(Path(sys.executable).parent / "no-such-program")], timeout=5)
