"""Rules about whether the installed build actually runs: devices, libraries, the environment it runs in.

`cuda-unavailable`, `device-test-failed`, `library-shadowing`, `rocm-gfx-override`. These read what the
probe script saw at run time (`torch.cuda.is_available()`, the device tests, the libraries the process
mapped) and explain it with the environment (`CUDA_VISIBLE_DEVICES`, `LD_LIBRARY_PATH`, `/dev` nodes).
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from torchsmith.doctor.context import RuleContext
from torchsmith.doctor.facts import parse_version
from torchsmith.doctor.rules._common import build_cuda, describe_torch, label_backend, reinstall_command
from torchsmith.findings import Finding

__all__ = [
    "SHADOWING_LIBRARIES",
    "cuda_unavailable",
    "device_test_failed",
    "library_shadowing",
    "rocm_gfx_override",
]

SHADOWING_LIBRARIES = (
    "libcudart.so",
    "libcudnn",
    "libcublas",
    "libnccl.so",
    "libcusparse",
    "libcufft",
    "libcurand",
    "libcusolver",
    "libnvrtc",
    "libnvJitLink",
)
"""Libraries the CUDA wheels bring (`site-packages/nvidia/*/lib`) that a copy on LD_LIBRARY_PATH overrides."""

_HIDING = ("", "-1", "none", "void", "nodevfiles")


def _visible_devices_reason(ctx: RuleContext, names: tuple[str, ...]) -> tuple[str, str] | None:
    for name in names:
        if name in ctx.env and ctx.env[name].strip().lower() in _HIDING:
            value = ctx.env[name]
            return f"`{name}={value}` hides every GPU from this process", f"unset {name}"
    return None


def _node_exists(ctx: RuleContext, absolute: str) -> bool:
    return (Path(ctx.root) / absolute.lstrip("/")).exists()


def _driver_too_old(ctx: RuleContext) -> str | None:
    from torchsmith.doctor.rules.build import at_least
    from torchsmith.knowledge import cuda_drivers

    cuda = build_cuda(ctx)
    nvidia = ctx.machine.nvidia
    driver = parse_version(nvidia.driver) if nvidia is not None else None
    floor = cuda_drivers.min_driver(cuda, ctx.os_key) if cuda is not None else None
    if driver is None or floor is None or at_least(driver, floor):
        return None
    have, need = cuda_drivers.format_driver(driver), cuda_drivers.format_driver(floor)
    return f"the NVIDIA driver {have} is older than {need}, which CUDA {cuda} needs (see driver-too-old)"


def _cuda_reasons(ctx: RuleContext, kind: str) -> list[tuple[str, str | None]]:
    """Why torch cannot use the GPU, most specific first: (reason, fix)."""
    reasons: list[tuple[str, str | None]] = []
    machine = ctx.machine
    names = (
        ("CUDA_VISIBLE_DEVICES",)
        if kind == "cuda"
        else ("HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "CUDA_VISIBLE_DEVICES")
    )
    if hidden := _visible_devices_reason(ctx, names):
        reasons.append(hidden)
    container = machine.container
    if kind == "cuda" and (too_old := _driver_too_old(ctx)):
        reasons.append((too_old, None))
    if kind == "cuda":
        if machine.nvidia is not None and machine.nvidia.driver is None:
            reasons.append(("the NVIDIA kernel driver is not loaded (GPUs seen on PCI only)", None))
        if not _node_exists(ctx, "/dev/nvidiactl") and not _node_exists(ctx, "/dev/nvidia0"):
            if container is not None and not container.nvidia_runtime:
                reasons.append(
                    (
                        f"this {container.kind} container was started without the NVIDIA runtime: "
                        "no /dev/nvidia* device nodes",
                        "docker run --gpus all ...  # with nvidia-container-toolkit installed on the host",
                    )
                )
            else:
                reasons.append(
                    (
                        "no /dev/nvidia* device nodes exist",
                        "sudo modprobe nvidia && sudo nvidia-modprobe -u -c=0",
                    )
                )
    else:
        if not _node_exists(ctx, "/dev/kfd"):
            fix = "docker run --device=/dev/kfd --device=/dev/dri ..." if container is not None else None
            reasons.append(("/dev/kfd (the ROCm compute device) does not exist", fix))
    return reasons


def cuda_unavailable(ctx: RuleContext) -> list[Finding]:
    """A CUDA/ROCm build on a machine with that GPU, yet `torch.cuda.is_available()` is False."""
    torch = ctx.facts.torch
    if torch is None or torch.kind not in ("cuda", "rocm") or torch.cuda_available is True:
        return []
    machine = ctx.machine
    if torch.kind == "cuda":
        present = machine.nvidia is not None and (
            bool(machine.nvidia.gpus) or machine.nvidia.driver is not None
        )
    else:
        present = machine.amd is not None and bool(machine.amd.gpus)
    if not present:
        return []  # gpu-build-without-gpu says it
    reasons = _cuda_reasons(ctx, torch.kind)
    evidence = [f"{describe_torch(ctx)} at `{torch.file}`"]
    evidence += [f"torch says: {text}" for text in (*torch.cuda_warnings, torch.cuda_error) if text]
    evidence += [reason for reason, _ in reasons[1:]]
    if machine.nvidia is not None and torch.kind == "cuda":
        evidence.append(
            f"NVIDIA driver {machine.nvidia.driver or 'not loaded'}; GPUs: "
            + ", ".join(g.name for g in machine.nvidia.gpus)
        )
    why = reasons[0][0] if reasons else "torch could not initialise the GPU (see its own words below)"
    return [
        Finding(
            rule="cuda-unavailable",
            severity="error",
            message=(
                f"{describe_torch(ctx)} is a {'CUDA' if torch.kind == 'cuda' else 'ROCm'} build and this "
                f"machine has the GPU, but `torch.cuda.is_available()` is False: {why}"
            ),
            fix=reasons[0][1] if reasons else None,
            evidence=tuple(evidence),
        )
    ]


def _test_fix(ctx: RuleContext, error: str) -> str | None:
    if "no kernel image" in error:
        best = ctx.best_backend("cuda")
        return ctx.install_command(backend=best) if best and best != label_backend(ctx) else None
    if "invalid device function" in error and ctx.env.get("HSA_OVERRIDE_GFX_VERSION") is None:
        return None  # rocm-gfx-override names the value
    if "undefined symbol" in error or "cannot open shared object" in error:
        return reinstall_command(ctx)
    return None


def device_test_failed(ctx: RuleContext) -> list[Finding]:
    """The elementwise op or the matmul failed, gave a wrong answer, crashed or hung on a device."""
    facts = ctx.facts
    failures = [(t.device, t.error or "failed") for t in facts.device_tests if not t.ok]
    interrupted = facts.interrupted
    if interrupted is not None and interrupted.during and interrupted.during.startswith("device test on "):
        device = interrupted.during.removeprefix("device test on ")
        detail = "the process " + interrupted.detail
        if interrupted.stderr_tail.strip():
            detail += ": " + interrupted.stderr_tail.strip().splitlines()[-1][:300]
        failures.append((device, detail))
    findings = []
    for device, error in failures:
        findings.append(
            Finding(
                rule="device-test-failed",
                severity="error",
                message=f"the device test failed on `{device}`: {error}",
                fix=_test_fix(ctx, error),
                evidence=(
                    f"{describe_torch(ctx)} in `{facts.python.executable}`",
                    "test: an elementwise product and a float32 matmul, synchronised, checked against "
                    "the exact result",
                ),
            )
        )
    return findings


def _shadowing_files(directory: str) -> list[str]:
    try:
        names = sorted(p.name for p in Path(directory).iterdir())
    except OSError:
        return []
    return [n for n in names if n.startswith(SHADOWING_LIBRARIES) and ".so" in n]


def library_shadowing(ctx: RuleContext) -> list[Finding]:
    """CUDA libraries on LD_LIBRARY_PATH that the loader prefers over the ones the wheels ship."""
    value = ctx.env.get("LD_LIBRARY_PATH", "")
    if not value or ctx.build_kind != "cuda":
        return []
    entries = [e for e in value.split(os.pathsep) if e]
    hits = {entry: files for entry in entries if (files := _shadowing_files(entry))}
    if not hits:
        return []
    evidence = [f"`{entry}` holds " + ", ".join(files) for entry, files in hits.items()]
    torch = ctx.facts.torch
    loaded = [p for p in (torch.loaded_libraries if torch else ()) if str(Path(p).parent) in hits]
    evidence += [f"this process loaded `{p}`" for p in loaded]
    for site in sorted({d.site for d in ctx.facts.distributions}):
        for lib_dir in sorted(Path(site).glob("nvidia/*/lib")):
            own = _shadowing_files(str(lib_dir))
            if own:
                evidence.append(f"the wheels' own copies: `{lib_dir}` ({', '.join(own)})")
    failure = ctx.facts.import_failure
    broken = bool(loaded) or (failure is not None and "undefined symbol" in failure.message)
    kept = [e for e in entries if e not in hits]
    fix = f"export LD_LIBRARY_PATH={shlex.quote(os.pathsep.join(kept))}" if kept else "unset LD_LIBRARY_PATH"
    return [
        Finding(
            rule="library-shadowing",
            severity="error" if broken else "warning",
            message=(
                "LD_LIBRARY_PATH puts CUDA libraries ahead of the ones torch's wheels bring: "
                + ", ".join(f"`{e}`" for e in hits)
                + (" (and torch loaded them)" if loaded else "")
            ),
            fix=fix,
            evidence=tuple(evidence),
        )
    ]


def rocm_gfx_override(ctx: RuleContext) -> list[Finding]:
    """A consumer Radeon whose gfx target the ROCm build lacks, without `HSA_OVERRIDE_GFX_VERSION`."""
    amd = ctx.machine.amd
    if amd is None or ctx.build_kind != "rocm" or ctx.env.get("HSA_OVERRIDE_GFX_VERSION", "").strip():
        return []
    from torchsmith.knowledge import rocm

    backend = label_backend(ctx)
    needed = []
    for gpu in amd.gpus:
        if gpu.gfx and (value := rocm.gfx_override(gpu.gfx, backend)):
            needed.append((gpu, value))
    if not needed:
        return []
    value = needed[0][1]
    return [
        Finding(
            rule="rocm-gfx-override",
            severity="error",
            message=(
                f"{describe_torch(ctx)} has no kernels for "
                + ", ".join(f"{gpu.name} ({gpu.gfx})" for gpu, _ in needed)
                + f"; ROCm runs it as a sibling target when `HSA_OVERRIDE_GFX_VERSION={value}` is set,"
                " and it is not"
            ),
            fix=f"export HSA_OVERRIDE_GFX_VERSION={value}",
            evidence=(
                f"{describe_torch(ctx)} ({backend or 'ROCm'} build)",
                *(f"{gpu.name}: {gpu.gfx} needs HSA_OVERRIDE_GFX_VERSION={v}" for gpu, v in needed),
            ),
        )
    ]
