"""Watching a real `python -m torchsmith` process and every process it starts (Linux `/proc`)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from tests.robustness.cli_case import Outcome, child_env


def _stat(pid: int) -> tuple[int, int] | None:
    """(ppid, pgid) of a live process, None when it is gone or a zombie."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    if fields[0] == "Z":
        return None
    return int(fields[1]), int(fields[2])


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def descendants(root: int) -> list[int]:
    """Every live process below `root`."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            info = _stat(int(entry.name))
            if info is not None:
                children.setdefault(info[0], []).append(int(entry.name))
    found: list[int] = []
    queue = [root]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def group_members(pgid: int) -> list[int]:
    """Live processes (not zombies) in process group `pgid`."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            info = _stat(int(entry.name))
            if info is not None and info[1] == pgid:
                members.append(int(entry.name))
    return members


class Running:
    """A torchsmith process with its stderr collected line by line as it comes."""

    def __init__(self, argv: Sequence[str], env: Mapping[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "torchsmith", *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=child_env(env),
            text=True,
        )
        self.lines: list[str] = []
        self.groups: set[int] = set()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)

    def children(self) -> list[int]:
        """The live descendants now; their process groups are remembered for `survivors`."""
        found = descendants(self.process.pid)
        for pid in found:
            info = _stat(pid)
            if info is not None:
                self.groups.add(info[1])
        return found

    def wait_for(self, condition: Callable[[], bool], *, timeout: float = 60.0, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.children()
            if condition():
                return
            if self.process.poll() is not None:
                raise AssertionError(f"torchsmith exited before {what}:\n{''.join(self.lines)}")
            time.sleep(0.05)
        self.stop()
        raise AssertionError(f"timed out waiting for {what}:\n{''.join(self.lines)}")

    def saw(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def child_running(self, needle: str) -> bool:
        return any(needle in cmdline(pid) for pid in self.children())

    def signal(self, signum: int) -> None:
        self.children()
        self.process.send_signal(signum)

    def finish(self, timeout: float = 30.0) -> Outcome:
        self.process.wait(timeout=timeout)  # stderr belongs to the reader thread: no communicate()
        assert self.process.stdout is not None
        out = self.process.stdout.read()
        self.process.stdout.close()
        self._reader.join(timeout=5)
        if self.process.stderr is not None:
            self.process.stderr.close()
        return Outcome(self.process.returncode, out, "".join(self.lines))

    def survivors(self) -> list[int]:
        """Processes still alive in any group torchsmith's children ran in (its own group excluded)."""
        own = os.getpgid(0)
        return [pid for pgid in self.groups if pgid != own for pid in group_members(pgid)]

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        self.process.wait()
        self._reader.join(timeout=5)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        for pgid in self.groups:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
