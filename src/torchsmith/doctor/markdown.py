"""`torchsmith doctor --format markdown`: one paste-ready bug report, secrets and user paths redacted.

The body follows the shape of PyTorch's own `python -m torch.utils.collect_env` (the block its issue
template asks for: https://github.com/pytorch/pytorch/blob/main/torch/utils/collect_env.py): torch and its
CUDA / cuDNN / HIP versions, OS, libc, CPU, Python, GPUs and driver, the CUDA toolkit, the relevant
packages with how they were installed; then torchsmith's findings. What is not known is written `N/A`
or `unknown`, never guessed. Everything goes through `torchsmith.redact.redact_text` (URL credentials and
registered secrets), and the user's home directory becomes `~`, `/home/NAME` `/home/<user>`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from torchsmith.doctor.report import DoctorReport

__all__ = ["cudnn_version", "redact_paths", "render_markdown"]

_RELEVANT = re.compile(
    r"^(torch.*|numpy|triton|pytorch-triton.*|nvidia-.*|cuda-.*|cupy.*|flash-attn|xformers|apex|"
    r"intel-extension-for-pytorch|onnx.*|mkl.*|jax.*|tensorflow.*|sympy|networkx|filelock|"
    r"typing-extensions|transformers|accelerate|deepspeed|lightning|pytorch-lightning|timm)$"
)
"""Packages worth listing in a torch bug report (collect_env lists numpy, torch*, triton, nvidia-*, ...)."""


def cudnn_version(raw: str | None) -> str:
    """`torch.backends.cudnn.version()` as `9.1.0 (90100)`: cudnn.h's CUDNN_VERSION is MAJOR*1000 +
    MINOR*100 + PATCH up to cuDNN 8 and MAJOR*10000 + MINOR*100 + PATCH from cuDNN 9."""
    if not raw or not raw.isdigit():
        return "N/A"
    value = int(raw)
    major = value // 10000 if value >= 90000 else value // 1000
    rest = value % 10000 if value >= 90000 else value % 1000
    return f"{major}.{rest // 100}.{rest % 100} ({value})"


def redact_paths(text: str, env: Mapping[str, str]) -> str:
    """Secrets masked, the home directory as `~`, and other users' homes as `/home/<user>`."""
    from torchsmith.redact import redact_text

    text = redact_text(text)
    home = env.get("HOME")
    if home and home not in ("/", "/root") and len(home) > 1:
        text = text.replace(home.rstrip("/") + "/", "~/").replace(home.rstrip("/"), "~")
    return re.sub(r"(?<![\w.])/(home|Users)/[^/\s`'\"]+", r"/\1/<user>", text)


def _read(root: Path, relative: str) -> str:
    try:
        return (root / relative).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _os_name(report: DoctorReport, root: Path) -> str:
    machine = report.machine
    if machine.apple is not None:
        return f"macOS {machine.apple.macos or 'unknown'} ({machine.arch})"
    release = _read(root, "etc/os-release")
    match = re.search(r'^PRETTY_NAME="?([^"\n]*)"?', release, flags=re.MULTILINE)
    name = match.group(1) if match else machine.os
    return f"{name} ({machine.arch})"


def _cpu(report: DoctorReport, root: Path) -> str:
    if report.machine.apple is not None and report.machine.apple.chip:
        return report.machine.apple.chip
    info = _read(root, "proc/cpuinfo")
    model = re.search(r"^(?:model name|Model|Hardware)\s*:\s*(.+)$", info, flags=re.MULTILINE)
    count = len(re.findall(r"^processor\s*:", info, flags=re.MULTILINE))
    name = model.group(1).strip() if model else "unknown"
    return f"{name}, {count} logical CPUs" if count else name


def _installer(path: str, known: str | None) -> str:
    if known:
        return known
    text = _read(Path(path), "INSTALLER").strip()
    return text or "unknown"


def _known(value: bool | None) -> str:
    return "unknown" if value is None else str(value)


def _environment_lines(report: DoctorReport, root: Path, env: Mapping[str, str]) -> list[str]:
    facts, machine = report.facts, report.machine
    torch = facts.torch
    kind = "venv" if facts.python.is_venv else "conda" if facts.python.conda_meta else "system"
    lines = [
        f"PyTorch version: {torch.version if torch else 'N/A (not importable)'}",
        f"Is debug build: {_known(torch.debug if torch else None)}",
        f"CUDA used to build PyTorch: {(torch.cuda if torch else None) or 'N/A'}",
        f"ROCM used to build PyTorch: {(torch.hip if torch else None) or 'N/A'}",
        f"cuDNN version: {cudnn_version(torch.cudnn if torch else None)}",
        f"Is CUDA available: {_known(torch.cuda_available if torch else None)}",
        "",
        f"OS: {_os_name(report, root)}",
        f"Kernel: {machine.kernel or 'unknown'}",
        f"Libc version: {f'{machine.libc.name}-{machine.libc.version}' if machine.libc else 'N/A'}",
        f"CPU: {_cpu(report, root)}",
        "",
        f"Python version: {facts.python.version} ({facts.python.implementation}, {facts.python.tag or '?'})",
        f"Python executable: {facts.python.executable}",
        f"Python environment: {kind}",
        "",
    ]
    gpus = []
    if machine.nvidia is not None:
        gpus += [
            f"GPU {i}: {g.name} (sm_{(g.compute_capability or '?').replace('.', '')})"
            for i, g in enumerate(machine.nvidia.gpus)
        ]
    if machine.amd is not None:
        gpus += [f"GPU {i}: {g.name} ({g.gfx or '?'})" for i, g in enumerate(machine.amd.gpus)]
    if machine.intel is not None:
        gpus += [f"GPU {i}: {g.name}" for i, g in enumerate(machine.intel.gpus)]
    lines.append("GPU models and configuration: " + ("; ".join(gpus) if gpus else "none found"))
    nvidia = machine.nvidia
    lines.append(f"Nvidia driver version: {(nvidia.driver if nvidia else None) or 'N/A'}")
    lines.append(f"CUDA driver API version: {(nvidia.cuda_driver if nvidia else None) or 'N/A'}")
    lines.append(f"ROCm version: {(machine.amd.rocm if machine.amd else None) or 'N/A'}")
    toolkit = machine.cuda_toolkit
    described = f"{toolkit.version} at {toolkit.path or '?'} (from {toolkit.source})" if toolkit else "N/A"
    lines.append(f"CUDA toolkit (nvcc): {described}")
    lines.append(f"CUDA_HOME: {env.get('CUDA_HOME') or env.get('CUDA_PATH') or 'not set'}")
    if machine.jetson is not None:
        lines.append(f"Jetson: L4T {machine.jetson.l4t}, JetPack {machine.jetson.jetpack or 'unknown'}")
    lines.append(f"Container: {machine.container.kind if machine.container else 'none detected'}")
    lines.append(f"WSL: {machine.wsl}")
    lines.append(f"Backends this machine runs: {', '.join(machine.backends)}")
    lines += ["", "Versions of relevant libraries:"]
    relevant = [d for d in facts.distributions if _RELEVANT.match(d.canonical_name)]
    lines += [f"[{_installer(d.path, d.installer)}] {d.name}=={d.version}" for d in relevant] or ["none"]
    return lines


def render_markdown(
    report: DoctorReport, *, root: str | Path | None = None, env: Mapping[str, str] | None = None
) -> str:
    """The report as Markdown: an environment block in collect_env's shape, then the findings."""
    environ = dict(os.environ if env is None else env)
    base = Path(root) if root else Path("/")
    out = [
        "<!-- generated by `torchsmith doctor --format markdown`; secrets and user paths redacted -->",
        "### Environment",
        "",
        "```text",
        *_environment_lines(report, base, environ),
        "```",
        "",
        "### torchsmith doctor",
        "",
    ]
    out += [f"- {line}" for line in report.summary]
    out.append("")
    if not report.findings:
        out.append("No problems found.")
    for finding in report.findings:
        out.append(f"- **{finding.severity}** `{finding.rule}`: {finding.message}")
        out += [f"  - evidence: {line}" for line in finding.evidence]
        if finding.fix:
            out.append(f"  - fix: {finding.fix}")
    return redact_paths("\n".join(out) + "\n", environ)
