"""Run an installer on a pseudo-terminal so the user sees its own progress bars, and keep its last lines.

uv and pip draw progress only when their output is a terminal; piping them (to keep their error text for
our message) swallows it. On POSIX, when the user watches a terminal, the child gets a new pty of the
same size; every byte it writes is copied to the user's terminal as it comes, and the text (escape
sequences and carriage-return redraws removed) is kept for `install`'s error message. Elsewhere the
caller keeps piping.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping, Sequence
from typing import IO

__all__ = ["available", "run_on_terminal", "visible_text"]

_ESCAPES = re.compile(rb"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")


_SPINNER = re.compile(r"^\s*[\u2800-\u28ff]")
_MESSAGE = re.compile(r"(?:error|warning|caused by|cause|hint):", re.IGNORECASE)


def _tidy(line: str) -> str:
    """A line for the error tail: a progress line (spinner first) is dropped, unless the installer's message
    was written onto it without a line break (uv can race its bar), then that message is kept."""
    if not _SPINNER.match(line):
        return line
    message = _MESSAGE.search(line)
    return line[message.start() :] if message else ""


def available() -> bool:
    """Whether this platform has ptys (`pty.openpty`); Windows has not."""
    return sys.platform != "win32"


def visible_text(data: bytes) -> str:
    """What remains on screen of `data`, line by line: escapes dropped, each line's last `\\r` redraw."""
    text = _ESCAPES.sub(b"", data).decode("utf-8", errors="replace")
    return "\n".join(line.rstrip("\r").rsplit("\r", 1)[-1] for line in text.split("\n"))


def _copy_size(source: IO[bytes], target_fd: int) -> None:
    import fcntl
    import termios

    try:
        size = fcntl.ioctl(source.fileno(), termios.TIOCGWINSZ, b"\0" * 8)
        fcntl.ioctl(target_fd, termios.TIOCSWINSZ, size)
    except (OSError, ValueError, AttributeError):
        pass


def run_on_terminal(command: Sequence[str], env: Mapping[str, str], sink: IO[bytes]) -> tuple[int, str]:
    """Run `command` on a new pty, copying its output to `sink`; return (status, its last 20 lines)."""
    import pty

    from torchsmith.children import reap, spawn

    master, slave = pty.openpty()
    _copy_size(sink, slave)
    kept = bytearray()
    try:  # its own process group, registered: a signal to torchsmith stops it too
        process = spawn(command, env=env, stdout=slave, stderr=slave)
    finally:
        os.close(slave)
    try:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed its side
                break
            if not data:
                break
            sink.write(data)
            sink.flush()
            kept += data
            del kept[:-65536]
    finally:
        os.close(master)
        status = reap(process)
    lines = [tidy for line in visible_text(bytes(kept)).splitlines() if (tidy := _tidy(line)).strip()]
    return status, "\n".join(lines[-20:])
