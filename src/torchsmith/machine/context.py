"""`ProbeContext`: where detectors read facts from (a root, an environment, a PATH, a platform).

Detectors never touch `/`, `os.environ` or `sys.platform` directly; they ask the context. This is what makes
`--root tests/machines/<name>` and fake programs on PATH enough to reproduce any machine in a test, and what
lets macOS and Windows detection be exercised on Linux by injecting the platform.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

TYPE_CHECKING = False  # `typing` stays unloaded at start-up (issue 17); mypy reads the name as typing's
if TYPE_CHECKING:
    from os import PathLike

__all__ = ["PROGRAM_TIMEOUT_S", "ProbeContext"]


def _machine() -> str:
    """`platform.machine()` without importing `platform` (the probe's start-up budget is tight)."""
    if hasattr(os, "uname"):
        return os.uname().machine
    import platform

    return platform.machine()


def _checked_root(root: str, source: str) -> str:
    """`root` if it is an existing directory; a typo must not probe an empty machine and plan for it."""
    from torchsmith.errors import UsageError

    try:
        is_dir = os.path.isdir(root)
    except (OSError, ValueError):
        is_dir = False
    if not is_dir:
        what = "does not exist" if not os.path.lexists(root) else "is not a directory"
        raise UsageError(
            f"invalid value `{root}` for {source}: it {what}",
            hint="give the folder that holds the machine's `/proc`, `/sys` and `/etc` (or unset it)",
        )
    return root


PROGRAM_TIMEOUT_S = 10.0
"""How long an external program (nvidia-smi, rocminfo, sysctl) may take before we give up on it."""


class ProbeContext:
    """The inputs of one probe, plus the warnings detectors collect while running.

    `root` is `/` on a real probe; `use_nvml` is False under `--root` (NVML always talks to the real driver).
    `sys_platform` and `machine_arch` default to the running interpreter's and may be injected by tests.
    A plain slotted class (not a dataclass: building one costs more than reading the machine, issue 17).
    Paths are strings throughout (`root`, `path()`, `glob()`): `pathlib` (with `urllib.parse` and
    `ipaddress`) is a tenth of a probe's start-up, and a probe only joins, lists and opens.
    """

    __slots__ = ("env", "machine_arch", "root", "sys_platform", "use_nvml", "warnings")

    def __init__(
        self,
        root: str | PathLike[str] = "/",
        env: Mapping[str, str] | None = None,
        use_nvml: bool = True,
        sys_platform: str = sys.platform,
        machine_arch: str | None = None,
        warnings: list[str] | None = None,
    ) -> None:
        self.root: str = os.path.normpath(os.fspath(root))
        self.env: Mapping[str, str] = dict(os.environ) if env is None else env
        self.use_nvml = use_nvml
        self.sys_platform = sys_platform
        self.machine_arch = _machine() if machine_arch is None else machine_arch
        self.warnings: list[str] = [] if warnings is None else warnings

    def __repr__(self) -> str:
        shown = f"root={self.root!r}, use_nvml={self.use_nvml!r}, sys_platform={self.sys_platform!r}"
        return f"ProbeContext({shown})"

    @classmethod
    def create(
        cls, root: str | PathLike[str] | None = None, env: Mapping[str, str] | None = None
    ) -> ProbeContext:
        """The context for `--root DIR` (or `TORCHSMITH_ROOT`), else the real machine."""
        environ = dict(os.environ if env is None else env)
        source = "`--root`" if root is not None else "`TORCHSMITH_ROOT`"
        chosen = root if root is not None else (environ.get("TORCHSMITH_ROOT") or None)
        if chosen is None:
            return cls(env=environ)
        return cls(root=_checked_root(os.fspath(chosen), source), env=environ, use_nvml=False)

    @property
    def is_real_root(self) -> bool:
        return self.root == "/"

    def warn(self, message: str) -> None:
        """Record that something was unreadable or garbled; the probe still succeeds."""
        if message not in self.warnings:
            self.warnings.append(message)

    def path(self, absolute: str) -> str:
        """Map an absolute machine path (`/proc/version`) under the root."""
        relative = absolute.lstrip("/")
        return self.root.rstrip("/") + "/" + relative if relative else self.root

    def read_text(self, absolute: str, *, limit: int = 1 << 20) -> str | None:
        """The file's text (undecodable bytes replaced), or None when it is missing or unreadable."""
        try:
            with open(self.path(absolute), "rb") as handle:
                data = handle.read(limit)
        except FileNotFoundError:
            return None
        except NotADirectoryError:
            return None
        except OSError as error:
            self.warn(f"cannot read `{absolute}`: {error.strerror or error}")
            return None
        return data.decode("utf-8", errors="replace")

    def exists(self, absolute: str) -> bool:
        return os.path.exists(self.path(absolute))

    def is_file(self, absolute: str) -> bool:
        return os.path.isfile(self.path(absolute))

    def is_dir(self, absolute: str) -> bool:
        return os.path.isdir(self.path(absolute))

    def glob(self, absolute_dir: str, pattern: str) -> list[str]:
        """The machine paths (`/sys/bus/pci/devices/0000:01:00.0`) under `absolute_dir` matching `pattern`
        (`*`, `rocm*/.info/version*`), sorted; none when the folder is missing or unreadable."""
        import glob

        base = absolute_dir.rstrip("/")
        try:
            found = glob.glob(pattern, root_dir=self.path(absolute_dir))
        except OSError:
            return []
        return sorted(f"{base}/{entry}" for entry in found)

    def which(self, program: str) -> str | None:
        """Find `program` on this context's PATH (tests put fake programs first).

        On POSIX a loop over PATH as `shutil.which` does it: importing shutil (which loads bz2 and lzma)
        cost the probe 3 ms (issue 17)."""
        search = self.env.get("PATH", os.defpath)
        if os.name == "nt" or os.sep in program:
            import shutil

            return shutil.which(program, path=search)
        if not search:
            return None
        seen = set()
        for directory in search.split(os.pathsep):
            if directory in seen:
                continue
            seen.add(directory)
            candidate = os.path.join(directory, program)
            if os.access(candidate, os.F_OK | os.X_OK) and not os.path.isdir(candidate):
                return candidate
        return None

    def run(self, program: str, *args: str, at: str | None = None) -> str | None:
        """Run `program` (on PATH, or the fixed location `at` under the root) and return its stdout.

        Missing programs return None silently; a crash, a non-zero exit or a timeout returns None and is
        recorded as a warning naming the program.
        """
        result = self.run_status(program, *args, at=at)
        if result is None:
            return None
        status, stdout = result
        if status != 0:
            self.warn(f"`{program} {' '.join(args)}` exited with status {status}")
            return None
        return stdout

    def run_status(self, program: str, *args: str, at: str | None = None) -> tuple[int, str] | None:
        """(exit status, stdout and stderr) of `program`, for callers that read a failure's message
        (nvidia-smi names the query field an old driver rejects); None when missing, hung or unrunnable."""
        executable = self.path(at) if at else self.which(program)
        if executable is None or (at and not os.path.isfile(executable)):
            return None
        import subprocess  # only once a program is there to run: ~5 ms with threading and locale

        try:
            completed = subprocess.run(
                [executable, *args],
                capture_output=True,
                timeout=PROGRAM_TIMEOUT_S,
                env=dict(self.env),
                check=False,
            )
        except subprocess.TimeoutExpired:
            self.warn(f"`{program}` did not answer within {PROGRAM_TIMEOUT_S:g} s")
            return None
        except OSError as error:
            self.warn(f"cannot run `{program}`: {error.strerror or error}")
            return None
        output = completed.stdout.decode("utf-8", errors="replace")
        if completed.returncode != 0:
            output += completed.stderr.decode("utf-8", errors="replace")
        return completed.returncode, output
