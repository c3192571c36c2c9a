"""Human output of the CLI: plain, aligned text that makes sense without colour, plus the stderr reporter.

The library returns data; this module turns it into plain text, which `cli_term.stylize` colours for a
terminal. rich is used (imported lazily) for that colour and for the spinner and progress on stderr when
that is a terminal, so piping `torchsmith plan` stays byte-for-byte predictable.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:  # only for annotations: each command imports just what it renders
    from torchsmith.machine.model import Machine, NvidiaInfo
    from torchsmith.matrix import Matrix
    from torchsmith.planning.model import Plan

__all__ = [
    "StderrReporter",
    "render_export",
    "render_install",
    "render_machine",
    "render_matrix",
    "render_plan",
]


class StderrReporter:
    """Progress and warnings on stderr; quiet suppresses steps and subprocess lines, never warnings.

    Each step is printed as a line (`· fetching 3 index pages`); on a terminal a spinner below it says
    the work is still going until the next step, a `progress` update, or `close()` (the CLI closes every
    reporter before it prints the result). `raw_terminal()` hands the terminal to a child process (uv's
    own progress bars) with the spinner paused.
    """

    def __init__(
        self,
        quiet: bool = False,
        *,
        color: bool | None = None,
        live: bool | None = None,
        stream: IO[str] | None = None,
    ) -> None:
        from torchsmith.cli_term import use_color

        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet
        self.color = use_color(self.stream, "auto", os.environ) if color is None else color
        if live is None:
            isatty = getattr(self.stream, "isatty", None)
            live = bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"
        self.live = live and not quiet
        self._console: Any = None
        self._spinner: Any = None

    @property
    def terminal(self) -> bool:
        """Whether stderr is a terminal the user watches (a child may draw its own progress there)."""
        return self.live

    def _rich(self) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(
                file=self.stream,
                force_terminal=self.live or self.color,
                no_color=not self.color,
                color_system="standard" if self.color else None,
                highlight=False,
                markup=False,
                emoji=False,
                soft_wrap=True,
                _environ={},
            )
        return self._console

    def _write(self, prefix: str, text: str, style: str) -> None:
        if self.color or self.live:
            from rich.text import Text

            self._rich().print(Text.assemble((prefix, style), text))
        else:
            self.stream.write(f"{prefix}{text}\n")
            self.stream.flush()

    def _spin(self, message: str) -> None:
        if not self.live:
            return
        from rich.spinner import Spinner

        if self._spinner is None:
            from rich.live import Live

            self._spinner = Live(
                Spinner("dots", text=message, style="cyan"),
                console=self._rich(),
                transient=True,
                redirect_stdout=False,
                redirect_stderr=False,
                refresh_per_second=12.5,
            )
            self._spinner.start()
        else:
            self._spinner.update(Spinner("dots", text=message, style="cyan"))

    def close(self) -> None:
        """Stop the spinner (idempotent); called before the result is printed and on every exit."""
        if self._spinner is not None:
            self._spinner.stop()
            self._spinner = None

    def step(self, message: str) -> None:
        if not self.quiet:
            self._write("· ", message, "cyan")
            self._spin(message)

    def progress(self, message: str, done: int, total: int) -> None:
        """`done` of `total` parts of one piece of work (distro cells): a bar on a terminal, else a line."""
        if self.quiet:
            return
        if not self.live:
            self._write("· ", f"{message} ({done}/{total})", "cyan")
            return
        from rich.console import Group
        from rich.progress_bar import ProgressBar
        from rich.spinner import Spinner

        bar = ProgressBar(total=max(total, 1), completed=done, width=30)
        label = Spinner("dots", text=f"{message} {done}/{total}", style="cyan")
        self._spin(message)
        self._spinner.update(Group(label, bar))

    def line(self, text: str) -> None:
        if not self.quiet:
            text = text.rstrip("\n")
            if self.live or self.color:
                from rich.text import Text

                self._rich().print(Text(text))
            else:
                self.stream.write(text + "\n")

    def warn(self, message: str) -> None:
        self._write("warning: ", message, "bold yellow")

    @contextmanager
    def raw_terminal(self) -> Iterator[IO[bytes] | None]:
        """The terminal's byte stream for a child's own progress (spinner paused), or None if not one."""
        if not self.live:
            yield None
            return
        self.close()
        self.stream.flush()
        buffer: IO[bytes] | None = getattr(self.stream, "buffer", None)
        yield buffer


def _table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def render_machine(machine: Machine) -> str:
    rows: list[tuple[str, str]] = []
    libc = f"{machine.libc.name} {machine.libc.version or '?'}" if machine.libc else "-"
    rows.append(("platform", f"{machine.os} {machine.arch} ({libc}), kernel {machine.kernel or '?'}"))
    if machine.python:
        p = machine.python
        rows.append(("python", f"{p.implementation} {p.version} ({p.abi or '?'})"))
    if machine.nvidia:
        rows.extend(_nvidia_rows(machine.nvidia))
    if machine.amd:
        rows.append(("amd", f"ROCm {machine.amd.rocm or 'not installed'} [{machine.amd.source}]"))
        for i, a in enumerate(machine.amd.gpus):
            rows.append((f"  gpu {i}", f"{a.name} ({a.gfx or '?'})"))
    if machine.intel:
        stack = "XPU stack present" if machine.intel.xpu_stack else "no XPU stack"
        rows.append(("intel", f"{len(machine.intel.gpus)} GPU(s), {stack}"))
        for i, ig in enumerate(machine.intel.gpus):
            rows.append((f"  gpu {i}", f"{ig.name} ({ig.device_id or '?'})"))
    if machine.apple:
        a2 = machine.apple
        rows.append(
            (
                "apple",
                f"{a2.chip or '?'}, macOS {a2.macos or '?'}, MPS {'yes' if a2.mps else 'no'}"
                + (" (Python under Rosetta)" if a2.rosetta else ""),
            )
        )
    if machine.jetson:
        j = machine.jetson
        rows.append(
            ("jetson", f"{j.module or '?'}: L4T {j.l4t}, JetPack {j.jetpack or '?'}, CUDA {j.cuda or '?'}")
        )
    if machine.cuda_toolkit:
        t = machine.cuda_toolkit
        kit = f"CUDA {t.version} at {t.path or '?'} [{t.source}] (nvcc for building extensions; not a driver)"
        rows.append(("cuda toolkit", kit))
        if not machine.nvidia and not machine.jetson:
            rows.append(("nvidia", "no NVIDIA driver or GPU found: the toolkit alone cannot run CUDA"))
    elif machine.nvidia or machine.jetson:
        rows.append(("cuda toolkit", "none found (only needed to build CUDA extensions)"))
    if machine.wsl:
        rows.append(("wsl", "WSL2"))
    if machine.container:
        rows.append(("container", machine.container.kind))
    rows.append(("conda", " ".join(machine.virtual_packages) or "-"))
    rows.append(("backends", " ".join(machine.backends)))
    lines = [_table(rows)]
    lines.extend(f"warning: {w}" for w in machine.warnings)
    return "\n".join(lines)


def _nvidia_rows(n: NvidiaInfo) -> list[tuple[str, str]]:
    """The driver (or plainly its absence), each GPU, and each MIG instance a process would see."""
    if n.driver is None:
        head = "no driver loaded: CUDA cannot use these GPUs until the NVIDIA driver is installed"
    else:
        head = f"driver {n.driver}, CUDA {n.cuda_driver or 'unknown'}"
    rows = [("nvidia", f"{head} [{n.source}]")]
    for i, g in enumerate(n.gpus):
        facts = [f"sm {g.compute_capability or '?'}"]
        if g.memory_mib:
            facts.append(f"{g.memory_mib} MiB")
        if g.device_id:
            facts.append(f"PCI 10de:{g.device_id.removeprefix('0x')}")
        mig = ""
        if g.mig and g.mig_devices:
            mig = f", MIG on: {len(g.mig_devices)} instance(s), each a separate GPU to CUDA"
        elif g.mig:
            mig = ", MIG on: instances unknown (`nvidia-smi -L` lists them)"
        rows.append((f"  gpu {i}", f"{g.name} ({', '.join(facts)}){mig}"))
        for d in g.mig_devices:
            label = f"    mig {d.index if d.index is not None else '?'}"
            rows.append((label, f"{d.profile} {d.uuid or ''}".rstrip()))
    return rows


def _size(size: int | None) -> str:
    if size is None:
        return ""
    return f"{size / 1e6:.1f} MB" if size >= 1e5 else f"{size} B"


def render_plan(plan: Plan) -> str:
    rows: list[tuple[str, str, str]] = [("package", "version", "size")]
    rows.extend((p.name, p.version, _size(p.size)) for p in plan.packages)
    lines = [f"backend: {plan.backend}    index: {plan.index}", "", _table(rows), "", "why:"]
    lines.extend(f"  - {r}" for r in plan.reasons)
    if plan.rejected:
        lines.append("not chosen:")
        grouped: dict[str, list[str]] = {}
        for r in plan.rejected:
            grouped.setdefault(r.why, []).append(r.backend)
        lines.extend(f"  - {', '.join(names)}: {why}" for why, names in grouped.items())
    lines.extend(f"warning: {w}" for w in plan.warnings)
    lines += ["", "install with:", f"  {plan.commands.get('uv', '')}", f"  {plan.commands.get('pip', '')}"]
    return "\n".join(lines)


def render_matrix(table: Matrix) -> str:
    rows: list[tuple[str, ...]] = [("torch", "torchvision", "torchaudio", "python", "linux-x86_64 backends")]
    for row in table.rows:
        python = [t for t in row.release.python if not t.endswith("t")]
        span = f"{python[0][2]}.{python[0][3:]}–{python[-1][2]}.{python[-1][3:]}" if python else "-"
        rows.append(
            (
                str(row.torch),
                str(row.torchvision or "-"),
                str(row.torchaudio or "-"),
                span,
                " ".join(row.release.backends.get("linux-x86_64", ())),
            )
        )
    return _table(rows)


def render_install(result: Any) -> str:
    return str(result.summary())


def render_export(result: Any) -> str:
    lines = []
    for file in result.files:
        state = "updated" if file.changed else "unchanged"
        lines.append(f"{state}: {file.path}")
    lines.extend(f"note: {n}" for n in result.notes)
    return "\n".join(lines)
