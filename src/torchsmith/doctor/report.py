"""`DoctorReport`: the result of `torchsmith doctor`, its JSON document and its plain-text rendering.

A healthy report still says what works (the build, its backend, the devices and the matmul's time):
"no findings" alone would not tell a user whether the GPU was even looked at.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torchsmith.doctor.context import RuleContext, grouped
from torchsmith.doctor.facts import TargetFacts
from torchsmith.findings import Finding, exit_code
from torchsmith.machine.model import Machine

__all__ = ["DoctorReport", "render_text", "summary_lines"]

_BUILD_NAMES = {"cuda": "CUDA", "rocm": "ROCm", "xpu": "XPU", "cpu": "CPU"}


@dataclass(frozen=True, slots=True)
class DoctorReport:
    """What doctor found in one interpreter's environment on one machine."""

    python: str
    facts: TargetFacts
    machine: Machine
    findings: tuple[Finding, ...] = ()
    summary: tuple[str, ...] = ()

    @property
    def healthy(self) -> bool:
        """No finding of severity `error` (warnings do not make an environment unhealthy)."""
        return self.exit_code == 0

    @property
    def exit_code(self) -> int:
        """1 when any finding is an error, else 0."""
        return exit_code(list(self.findings))

    def to_json(self) -> dict[str, Any]:
        return {
            "python": self.python,
            "environment": self.facts.to_json(),
            "machine": self.machine.to_json(),
            "findings": [f.to_json() for f in self.findings],
            "healthy": self.healthy,
            "summary": list(self.summary),
        }


def _build_line(ctx: RuleContext) -> str | None:
    torch = ctx.facts.torch
    if torch is None:
        return None
    kind = torch.kind
    detail = {"cuda": torch.cuda, "rocm": torch.hip, "xpu": torch.xpu}.get(kind)
    build = f"{_BUILD_NAMES[kind]} {detail}" if detail and kind != "xpu" else _BUILD_NAMES[kind]
    seconds = f", imported in {torch.import_seconds:.2f} s" if torch.import_seconds is not None else ""
    where = str(Path(torch.file).parent) if torch.file else "?"
    return f"torch {torch.version} ({build} build) from `{where}`{seconds}"


def _devices_line(ctx: RuleContext) -> str | None:
    torch = ctx.facts.torch
    if torch is None:
        return None
    names = [
        f"cuda:{d.index} {d.name}"
        + (
            f" (sm_{d.capability.replace('.', '')})"
            if d.capability and torch.kind == "cuda"
            else f" ({d.gfx})"
            if d.gfx
            else ""
        )
        for d in torch.cuda_devices
    ]
    names += [f"xpu:{i} {name}" for i, name in enumerate(torch.xpu_devices)]
    if torch.mps_available:
        names.append("mps")
    names.append("cpu")
    return "devices: " + ", ".join(names)


def summary_lines(ctx: RuleContext) -> list[str]:
    """What works, in a few lines: interpreter, build, companions, backend, devices, device-test timings."""
    facts, machine = ctx.facts, ctx.machine
    py = facts.python
    lines = [f"python {py.version} ({py.tag}) at `{py.executable}`"]
    if build := _build_line(ctx):
        lines.append(build)
    for name in ("torchvision", "torchaudio"):
        if (dist := facts.first(name)) is not None:
            lines.append(f"{name} {dist.version}")
    gpus = []
    if machine.nvidia is not None:
        gpus += [g.name for g in machine.nvidia.gpus]
    if machine.amd is not None:
        gpus += [g.name for g in machine.amd.gpus]
    lines.append(
        f"machine: {machine.os} {machine.arch}"
        + (f", {machine.libc.name} {machine.libc.version}" if machine.libc and machine.libc.version else "")
        + (f", {grouped(gpus)}" if gpus else "")
        + f"; runs {', '.join(machine.backends)}"
    )
    if devices := _devices_line(ctx):
        lines.append(devices)
    for test in facts.device_tests:
        if test.ok and test.matmul_ms is not None:
            rate = f", {test.gflops:.0f} GFLOP/s" if test.gflops else ""
            lines.append(
                f"{test.device}: {test.size}x{test.size} float32 matmul in {test.matmul_ms:.2f} ms{rate}"
            )
    if not facts.device_test_requested and facts.torch is not None:
        lines.append("device test skipped")
    return lines


def render_text(report: DoctorReport) -> str:
    """A plain-text report for people: what works, then each finding with its evidence and fix."""
    out = [f"torchsmith doctor: {report.python}", ""]
    out += [f"  {line}" for line in report.summary]
    for finding in report.findings:
        out += ["", f"{finding.severity}[{finding.rule}]: {finding.message}"]
        out += [f"  evidence: {line}" for line in finding.evidence]
        if finding.fix:
            out.append(f"  fix: {finding.fix}")
    errors = sum(1 for f in report.findings if f.severity == "error")
    warnings = sum(1 for f in report.findings if f.severity == "warning")
    out.append("")
    if not report.findings:
        out.append("healthy: no problems found")
    else:
        verdict = "healthy" if errors == 0 else "unhealthy"
        out.append(f"{verdict}: {errors} error(s), {warnings} warning(s)")
    return "\n".join(out) + "\n"
