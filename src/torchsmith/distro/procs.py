"""Child processes of `distro test` that can be stopped at once, and logs that survive an interrupted run.

Each command runs in its own session (`start_new_session=True`, so its own process group): a test suite's
grandchildren (pytest-xdist workers, a spawned server) belong to that group, and `os.killpg` ends all of
them. Ctrl-C reaches torchsmith only (the children are not in the terminal's foreground group), so the
runner decides: `Stopper.stop()` kills every running group and makes every later `run_logged` refuse to
start, and the cell in progress ends with `Stopped` — never with a failure or a "flaky" retry.
POSIX: https://man7.org/linux/man-pages/man2/setsid.2.html, https://man7.org/linux/man-pages/man2/kill.2.html
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from torchsmith.fileio import atomic_write_bytes

__all__ = ["LogSwap", "Stopped", "Stopper", "run_logged"]


class Stopped(Exception):  # noqa: N818 - a signal, not an error
    """The run was interrupted; the cell in progress has no result."""


class Stopper:
    """The set of running process groups, and the flag that stops the run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._groups: set[int] = set()
        self.event = threading.Event()

    def add(self, pid: int) -> None:
        with self._lock:
            if self.event.is_set():
                _kill(pid)
            self._groups.add(pid)

    def discard(self, pid: int) -> None:
        with self._lock:
            self._groups.discard(pid)

    def stop(self) -> None:
        """Kill every running group now (SIGKILL after a 0.3 s SIGTERM grace); later runs refuse to start."""
        self.event.set()
        with self._lock:
            groups = list(self._groups)
        for pid in groups:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + 0.3
        while time.monotonic() < deadline and any(_alive(p) for p in groups):
            time.sleep(0.02)
        for pid in groups:
            _kill(pid)


def _alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _wait(process: subprocess.Popen[bytes], deadline: float, stopper: Stopper) -> int | None:
    """The command's exit status, the moment it exits; None (its group killed) once `deadline` passes, or
    at a stop. On Linux the wait sleeps on a pidfd, which wakes at the exit: `Popen.wait(timeout=...)`
    polls with sleeps of up to 50 ms, several ms late for every command (a tier-0 cell runs one or two)."""
    pidfd = None
    with contextlib.suppress(AttributeError, OSError):  # no pidfd_open (not Linux, or a kernel < 5.3)
        pidfd = os.pidfd_open(process.pid)
    try:
        while True:
            code = process.poll()
            if code is not None:
                return code
            left = deadline - time.monotonic()
            if left <= 0 or stopper.event.is_set():
                _kill(process.pid)
                process.wait()
                return None
            if pidfd is not None:
                select.select([pidfd], [], [], min(left, 0.1))
            else:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=min(left, 0.05))
    finally:
        if pidfd is not None:
            os.close(pidfd)


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def run_logged(
    command: Sequence[str] | str,
    log: Path,
    env: Mapping[str, str],
    cwd: Path,
    timeout: float,
    stopper: Stopper,
) -> bool:
    """Run `command` in its own process group, appending it and its output to `log`; True on exit 0.
    Raises `Stopped` when the run is interrupted (before or while it runs)."""
    if stopper.event.is_set():
        raise Stopped
    log.parent.mkdir(parents=True, exist_ok=True)
    shown = command if isinstance(command, str) else " ".join(command)
    with log.open("a", encoding="utf-8") as out:
        out.write(f"$ {shown}\n")
        out.flush()
        process = subprocess.Popen(
            command,
            shell=isinstance(command, str),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=dict(env),
            cwd=cwd,
            start_new_session=True,
        )
        stopper.add(process.pid)
        try:
            code = _wait(process, time.monotonic() + timeout, stopper)
        finally:
            stopper.discard(process.pid)
            _kill(process.pid)  # grandchildren left behind by a command that exited
        if stopper.event.is_set():
            raise Stopped  # killed by the stop, whatever exit code that gave
        if code is None:
            out.write(f"\n[timed out after {timeout:.0f} s]\n")
            return False
        out.write(f"[exit {code}]\n")
    return code == 0


class LogSwap:
    """A cell's logs are written to `<logs>/.<cell>.new`; only when the cell finishes do they replace the
    old `<logs>/<cell>` (keeping old files that merged results still point to). An interrupted cell leaves
    the old logs exactly as they were."""

    def __init__(self, logs: Path, cell: str) -> None:
        self.final = logs / cell
        self.new = logs / f".{cell}.new"
        if self.new.exists():
            shutil.rmtree(self.new)
        self.new.mkdir(parents=True)

    def commit(self, keep: Sequence[str]) -> None:
        """Swap the new logs in; `keep`: names of old log files still referenced by kept outcomes."""
        if self.final.exists():
            for name in keep:
                old = self.final / name
                if old.is_file() and not (self.new / name).exists():
                    atomic_write_bytes(self.new / name, old.read_bytes())
            trash = self.final.with_name(f".{self.final.name}.old")
            if trash.exists():
                shutil.rmtree(trash)
            self.final.rename(trash)
            self.new.rename(self.final)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            self.new.rename(self.final)

    def abandon(self) -> None:
        shutil.rmtree(self.new, ignore_errors=True)
