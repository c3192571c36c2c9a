"""Drive the real CLI the way a person does: on a pseudo-terminal (raw bytes), or inside tmux (the screen).

`run_pty` gives the bytes a terminal receives (colour escapes included); `Tmux` shows the screen as a
person sees it at a moment (`capture-pane`), which is how a transient spinner can be observed at all.
Both stop what they start: the child is waited for, the tmux server is killed by its socket.
"""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import termios
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path


def run_pty(
    argv: Sequence[str], env: Mapping[str, str], *, cols: int = 120, rows: int = 40, timeout: float = 120
) -> tuple[int, bytes]:
    """Run `argv` with stdin/stdout/stderr on a new pty; return (status, every byte it wrote)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    process = subprocess.Popen(list(argv), stdin=slave, stdout=slave, stderr=slave, env=dict(env))
    os.close(slave)
    data = bytearray()
    try:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
    finally:
        os.close(master)
        status = process.wait(timeout=timeout)
    return status, bytes(data)


class Tmux:
    """One tmux server on a private socket, one 120x40 window running a shell command."""

    def __init__(self, tmp_path: Path, env: Mapping[str, str]) -> None:
        self.socket = str(tmp_path / "tmux.sock")
        self.env = dict(env)

    def _tmux(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-S", self.socket, *args], capture_output=True, text=True, env=self.env, timeout=30
        )
        return result.stdout

    def start(self, command: str) -> None:
        self._tmux("-f", os.devnull, "new-session", "-d", "-x", "120", "-y", "40", "-s", "t", command)

    def screen(self) -> str:
        """What the window shows now, trailing blanks stripped."""
        return self._tmux("capture-pane", "-p", "-t", "t").rstrip() + "\n"

    def send(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", "t", *keys)

    def wait_for(self, found: Callable[[str], bool], timeout: float = 60) -> str:
        """Poll the screen until `found(screen)`; fail with the last screen after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if found(screen):
                return screen
            assert time.monotonic() < deadline, f"not seen within {timeout} s; the screen was:\n{screen}"
            time.sleep(0.05)

    def close(self) -> None:
        self._tmux("kill-server")
