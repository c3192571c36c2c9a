"""Child processes belong to torchsmith: each runs in its own process group and dies with the command.

Installers (uv, pip) and target interpreters are started with `start_new_session=True`, so each leads a
process group holding its own children too. That is what makes a timeout or a signal reach the whole
tree: `os.killpg` terminates the group, grandchildren included, and a grandchild that keeps the output
pipe open can no longer hang the read (the pipe is read with a deadline, and once the leader has exited
the rest of its group is killed).

`signals_raise()` turns SIGINT, SIGTERM and SIGHUP into `Interrupted` (a `KeyboardInterrupt`, so no
`except Exception` swallows it) for the duration of one command. Every live
child is in `_LIVE`; each runner terminates its own group when `Interrupted` passes through it, and
`terminate_all()` is the CLI's last word for any child still alive.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterator, Mapping, Sequence

from torchsmith.record import record

TYPE_CHECKING = False  # subprocess (with threading and locale) loads only when a child is started
if TYPE_CHECKING:
    import subprocess

__all__ = [
    "GRACE_S",
    "Captured",
    "Interrupted",
    "reap",
    "run_captured",
    "run_streaming",
    "signals_raise",
    "spawn",
    "terminate_all",
    "terminate_group",
]

GRACE_S = 3.0
"""How long a group gets between SIGTERM and SIGKILL (uv and pip clean up their temporary files)."""

_STRAY_S = 0.5
"""How long output may keep coming from the group after its leader exited before the rest is killed."""

_LIVE: set[subprocess.Popen[bytes]] = set()

_PIPE = -1
"""`subprocess.PIPE`'s value, so `spawn`'s signature needs no `subprocess` at import (issue 17)."""


class Interrupted(KeyboardInterrupt):
    """torchsmith received SIGINT, SIGTERM or SIGHUP; the command stops, its children with it.

    A `KeyboardInterrupt`, so code that already cleans up on Ctrl-C does the same for SIGTERM."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def name(self) -> str:
        try:
            return signal.Signals(self.signum).name
        except ValueError:
            return f"signal {self.signum}"

    @property
    def exit_code(self) -> int:
        """143 for SIGTERM (128 + 15, what `timeout` and CI runners expect), else 130 as for Ctrl-C."""
        return 143 if self.signum == signal.SIGTERM else 130


def _raise(signum: int, _frame: object) -> None:
    raise Interrupted(signum)


@contextlib.contextmanager
def signals_raise() -> Iterator[None]:
    """Within the block, SIGINT/SIGTERM/SIGHUP raise `Interrupted` (main thread only; else a no-op)."""
    wanted: list[int] = [signal.SIGINT, signal.SIGTERM]
    if hasattr(signal, "SIGHUP"):
        wanted.append(signal.SIGHUP)
    previous: dict[int, object] = {}
    try:
        for signum in wanted:
            previous[signum] = signal.signal(signum, _raise)
    except ValueError:  # not the main thread: leave the handlers alone
        pass
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]


def spawn(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    stdout: int | None = _PIPE,
    stderr: int | None = _PIPE,
) -> subprocess.Popen[bytes]:
    """Start `command` as the leader of a new process group, registered until it is reaped."""
    import subprocess

    process = subprocess.Popen(
        list(command),
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        env=dict(env) if env is not None else None,
        start_new_session=True,
    )
    _LIVE.add(process)
    return process


def _killpg(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def terminate_group(process: subprocess.Popen[bytes], *, grace: float = GRACE_S) -> None:
    """SIGTERM the whole group, SIGKILL what is left after `grace` seconds, reap the leader."""
    _killpg(process, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if process.poll() is not None and not _group_alive(process.pid):
            break
        time.sleep(0.05)
    _killpg(process, signal.SIGKILL)
    import subprocess

    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace)
    _close(process)


def _close(process: subprocess.Popen[bytes]) -> None:
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    _LIVE.discard(process)


def reap(process: subprocess.Popen[bytes]) -> int:
    """Wait for a child started with `spawn` to end and unregister it; its exit status."""
    status = process.wait()
    _close(process)
    return status


def terminate_all(*, grace: float = GRACE_S) -> None:
    """Terminate every child group torchsmith still has (the CLI calls this on the way out)."""
    for process in list(_LIVE):
        terminate_group(process, grace=grace)


@record
class Captured:
    """What a child printed and how it ended; `timed_out` when the deadline killed its group."""

    returncode: int | None
    stdout: bytes
    stderr: bytes
    timed_out: bool


def collect(process: subprocess.Popen[bytes], *, deadline: float | None) -> Captured:
    """Read the child's pipes until they close, the deadline passes (the group is killed), or the leader
    has exited and only strays hold the pipes (they are killed). Never blocks past the deadline."""
    import selectors

    buffers: dict[int, bytearray] = {}
    out_fd = process.stdout.fileno() if process.stdout is not None else -1
    err_fd = process.stderr.fileno() if process.stderr is not None else -1
    selector = selectors.DefaultSelector()
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            os.set_blocking(stream.fileno(), False)
            selector.register(stream, selectors.EVENT_READ)
            buffers[stream.fileno()] = bytearray()
    timed_out = False
    exited_at: float | None = None
    try:
        while selector.get_map():
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                timed_out = True
                break
            if process.poll() is not None:
                exited_at = exited_at or now
                if now - exited_at > _STRAY_S:
                    break
            wait = 0.1 if deadline is None else max(0.0, min(0.1, deadline - now))
            for key, _ in selector.select(wait):
                chunk = os.read(key.fd, 65536)
                if chunk:
                    buffers[key.fd].extend(chunk)
                else:
                    selector.unregister(key.fileobj)
    except BaseException:
        selector.close()
        terminate_group(process, grace=0.5)
        raise
    selector.close()
    if timed_out or _group_alive(process.pid):
        _killpg(process, signal.SIGKILL)
    returncode = process.wait()
    _close(process)
    out, err = bytes(buffers.get(out_fd, b"")), bytes(buffers.get(err_fd, b""))
    return Captured(None if timed_out else returncode, out, err, timed_out)


def run_captured(
    command: Sequence[str], *, env: Mapping[str, str] | None = None, timeout: float | None = None
) -> Captured:
    """Run `command` in its own group, capturing stdout and stderr, within `timeout` seconds overall."""
    process = spawn(command, env=env)
    return collect(process, deadline=None if timeout is None else time.monotonic() + timeout)


def run_streaming(
    command: Sequence[str],
    on_line: Callable[[str], None],
    *,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> tuple[int | None, list[str]]:
    """Run `command` in its own group with stderr merged into stdout, passing each line to `on_line`.

    Returns (status, every line); status None when the deadline killed the group. An `Interrupted` (or
    any exception) terminates the group before it propagates.
    """
    import selectors
    import subprocess

    process = spawn(command, env=env, stderr=subprocess.STDOUT)
    assert process.stdout is not None
    fd = process.stdout.fileno()
    os.set_blocking(fd, False)
    deadline = None if timeout is None else time.monotonic() + timeout
    lines: list[str] = []
    pending = b""
    exited_at: float | None = None
    timed_out = False

    def emit(raw: bytes) -> None:
        text = raw.decode(errors="replace").rstrip("\r\n")
        lines.append(text)
        on_line(text)

    try:
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while True:
                now = time.monotonic()
                if deadline is not None and now >= deadline:
                    timed_out = True
                    break
                if process.poll() is not None:
                    exited_at = exited_at or now
                    if now - exited_at > _STRAY_S:
                        break
                wait = 0.1 if deadline is None else max(0.0, min(0.1, deadline - now))
                if not selector.select(wait):
                    continue
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                pending += chunk
                *complete, pending = pending.split(b"\n")
                for raw in complete:
                    emit(raw)
    except BaseException:
        terminate_group(process)
        raise
    if pending:
        emit(pending)
    if timed_out:
        terminate_group(process, grace=1.0)
        return None, lines
    if _group_alive(process.pid):
        _killpg(process, signal.SIGKILL)
    status = process.wait()
    _close(process)
    return status, lines
