"""Human output of the CLI: plain, aligned text that makes sense without colour, plus the stderr reporter.

The library returns data; this module turns it into text. rich is used only for progress on stderr when that
is a terminal (imported lazily), so piping `torchsmith plan` stays byte-for-byte predictable.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

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
    """Progress and warnings on stderr; quiet suppresses steps and subprocess lines, never warnings."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.color = sys.stderr.isatty() and "NO_COLOR" not in os.environ

    def _write(self, prefix: str, text: str, style: str) -> None:
        if self.color:
            from rich.console import Console

            Console(stderr=True, highlight=False).print(f"[{style}]{prefix}[/{style}]{text}", markup=True)
        else:
            sys.stderr.write(f"{prefix}{text}\n")

    def step(self, message: str) -> None:
        if not self.quiet:
            self._write("· ", message, "cyan")

    def line(self, text: str) -> None:
        if not self.quiet:
            sys.stderr.write(text if text.endswith("\n") else text + "\n")

    def warn(self, message: str) -> None:
        self._write("warning: ", message, "yellow")


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
