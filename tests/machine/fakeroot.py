"""A tiny builder of fake roots for detector tests: real files under a temporary directory, and fake programs
(shell scripts) on a PATH that holds only the root's `usr/bin`, as in `tests/machines/`."""

from __future__ import annotations

import shlex
from pathlib import Path

from torchsmith.machine.context import ProbeContext

__all__ = ["FakeRoot"]


class FakeRoot:
    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "usr" / "bin").mkdir(parents=True, exist_ok=True)

    def write(self, absolute: str, text: str | bytes = "") -> FakeRoot:
        path = self.root / absolute.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
        return self

    def link(self, absolute: str, target: str) -> FakeRoot:
        path = self.root / absolute.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(target)
        return self

    def program(self, absolute: str, cases: dict[str, tuple[str, int]]) -> FakeRoot:
        """A fake program: for the first `cases` key found in its arguments (`*` matches any), print that
        text and exit with that status; with no match, exit 2 as nvidia-smi does for an unknown option."""
        name = absolute.strip("/").replace("/", "_")
        lines = ["#!/bin/sh", 'case "$*" in']
        for number, (pattern, (stdout, status)) in enumerate(cases.items()):
            data = self.root / "usr" / "share" / "fake" / f"{name}.{number}.out"
            data.parent.mkdir(parents=True, exist_ok=True)
            data.write_text(stdout)
            glob = "*" if pattern == "*" else f"*{shlex.quote(pattern)}*"
            lines.append(f"  {glob}) /bin/cat {shlex.quote(str(data))}; exit {status} ;;")
        lines += ["esac", "exit 2", ""]
        path = self.root / absolute.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines))
        path.chmod(0o755)
        return self

    def context(self, env: dict[str, str] | None = None, *, sys_platform: str = "linux") -> ProbeContext:
        path = f"{self.root}/usr/bin:{self.root}/usr/sbin"
        ctx = ProbeContext(root=self.root, env={"PATH": path, **(env or {})}, use_nvml=False)
        ctx.sys_platform = sys_platform
        ctx.machine_arch = "x86_64"
        return ctx
