"""Rules about whether the installed build fits this machine.

`cpu-build-on-gpu-machine`, `gpu-build-without-gpu`, `jetson-cpu-build`, `driver-too-old`,
`minor-version-compat`, `gpu-arch-unsupported`. The machine says what it can run (`Machine.backends`,
best first); the knowledge tables say what a build needs (driver floors, compute capabilities).
"""

from __future__ import annotations

from packaging.version import Version

from torchsmith.doctor.context import RuleContext, grouped
from torchsmith.doctor.facts import parse_version
from torchsmith.doctor.rules._common import build_cuda, describe_torch, label_backend
from torchsmith.findings import Finding

__all__ = [
    "at_least",
    "cpu_build_on_gpu_machine",
    "driver_too_old",
    "gpu_arch_unsupported",
    "gpu_build_without_gpu",
    "jetson_cpu_build",
    "minor_version_compat",
    "parse_arch_list",
]


def at_least(given: Version, floor: Version) -> bool:
    """Driver comparison at the precision given: `550.54` meets a floor of `550.54.14`."""
    wanted = floor.release[: len(given.release)]
    width = max(len(given.release), len(wanted))
    return given.release + (0,) * (width - len(given.release)) >= wanted + (0,) * (width - len(wanted))


def _gpu_evidence(ctx: RuleContext) -> list[str]:
    machine = ctx.machine
    lines = []
    if machine.nvidia is not None:
        gpus = grouped(
            g.name + (f" (sm_{g.compute_capability.replace('.', '')})" if g.compute_capability else "")
            for g in machine.nvidia.gpus
        )
        lines.append(f"NVIDIA: driver {machine.nvidia.driver or 'not loaded'}; {gpus or 'no GPU listed'}")
    if machine.amd is not None:
        gpus = grouped(f"{g.name} ({g.gfx or '?'})" for g in machine.amd.gpus)
        lines.append(f"AMD: ROCm {machine.amd.rocm or 'not installed'}; {gpus or 'no GPU listed'}")
    if machine.intel is not None and machine.intel.gpus:
        lines.append("Intel: " + ", ".join(g.name for g in machine.intel.gpus))
    if machine.jetson is not None:
        jetson = machine.jetson
        lines.append(
            f"Jetson: L4T {jetson.l4t}, JetPack {jetson.jetpack or '?'}, {jetson.module or 'module ?'}"
        )
    lines.append("this machine runs: " + ", ".join(f"`{b}`" for b in machine.backends))
    return lines


def _torch_evidence(ctx: RuleContext) -> str:
    torch = ctx.facts.torch
    where = (
        torch.file if torch is not None and torch.file else (ctx.torch_dist.path if ctx.torch_dist else "?")
    )
    build = ctx.build_kind or "unknown"
    return f"{describe_torch(ctx)} ({build} build) at `{where}`"


def cpu_build_on_gpu_machine(ctx: RuleContext) -> list[Finding]:
    """A CPU-only torch where a GPU build would run (the seeds' silent failure)."""
    if ctx.build_kind != "cpu" or ctx.machine.jetson is not None:
        return []
    best = ctx.best_backend()
    if best is None:
        return []
    return [
        Finding(
            rule="cpu-build-on-gpu-machine",
            severity="error",
            message=f"{describe_torch(ctx)} is a CPU-only build, but this machine can run `{best}`",
            fix=ctx.install_command(backend=best),
            evidence=(_torch_evidence(ctx), *_gpu_evidence(ctx)),
        )
    ]


def _has_hardware(ctx: RuleContext, kind: str) -> bool:
    machine = ctx.machine
    if kind == "cuda":
        has_nvidia = machine.nvidia is not None and (
            bool(machine.nvidia.gpus) or machine.nvidia.driver is not None
        )
        return has_nvidia or machine.jetson is not None
    if kind == "rocm":
        return machine.amd is not None and bool(machine.amd.gpus)
    if kind == "xpu":
        return machine.intel is not None and bool(machine.intel.gpus)
    return True


_VENDOR = {"cuda": "NVIDIA GPU", "rocm": "AMD GPU", "xpu": "Intel GPU"}
_BUILD = {"cuda": "CUDA", "rocm": "ROCm", "xpu": "XPU"}


def gpu_build_without_gpu(ctx: RuleContext) -> list[Finding]:
    """A CUDA / ROCm / XPU build on a machine without that vendor's GPU: it only ever runs on the CPU."""
    kind = ctx.build_kind
    if kind not in _VENDOR or _has_hardware(ctx, kind):
        return []
    return [
        Finding(
            rule="gpu-build-without-gpu",
            severity="warning",
            message=(
                f"{describe_torch(ctx)} is a {_BUILD[kind]} build, but this machine "
                f"has no {_VENDOR[kind]}: it runs on the CPU only, carrying gigabytes of GPU libraries"
            ),
            fix=ctx.install_command(backend=ctx.best_backend() or "cpu"),
            evidence=(_torch_evidence(ctx), *_gpu_evidence(ctx)),
        )
    ]


def jetson_cpu_build(ctx: RuleContext) -> list[Finding]:
    """A CPU torch on a Jetson: what `pip install torch` and conda's `pytorch` silently give there."""
    jetson = ctx.machine.jetson
    if jetson is None or ctx.build_kind != "cpu":
        return []
    from torchsmith.knowledge import jetson as jetson_table

    release = jetson_table.jetpack_for_l4t(l4t) if (l4t := parse_version(jetson.l4t)) else None
    fix: str | None = None
    evidence = [_torch_evidence(ctx), *_gpu_evidence(ctx)]
    if release is not None and release.backend:
        fix = ctx.install_command(backend=release.backend)
    elif release is not None:
        wheels = [w for w in release.wheels if w.python == ctx.facts.python.tag]
        if wheels:
            newest = max(wheels, key=lambda w: w.torch)
            fix = ctx.python_command("-m", "pip", "install", newest.url)
        else:
            evidence.append(
                f"NVIDIA publishes no torch wheel for JetPack {release.jetpack} and {ctx.facts.python.tag}"
            )
    return [
        Finding(
            rule="jetson-cpu-build",
            severity="error",
            message=(
                f"{describe_torch(ctx)} is a CPU-only build on a Jetson (JetPack {jetson.jetpack or '?'}): "
                "the GPU is unused; Jetson needs NVIDIA's own builds"
            ),
            fix=fix,
            evidence=tuple(evidence),
        )
    ]


def _driver(ctx: RuleContext) -> Version | None:
    nvidia = ctx.machine.nvidia
    return parse_version(nvidia.driver) if nvidia is not None else None


def _cuda_backend_within(ctx: RuleContext, limit: Version | None, *, same_release: bool) -> str | None:
    """The machine's best `cuXYZ` backend with CUDA <= `limit`, preferring those the installed torch ships.

    With `same_release`, only a backend of the installed torch release qualifies (a fix that keeps torch's
    version); otherwise any, so that `install` may choose an older torch.
    """
    from torchsmith.backends import parse_backend
    from torchsmith.knowledge import releases

    candidates = []
    for name in ctx.machine.backends:
        backend = parse_backend(name, source="the machine's backends")
        if backend.kind == "cuda" and backend.cuda is not None and (limit is None or backend.cuda <= limit):
            candidates.append(name)
    version = ctx.torch_version
    release = releases.release_for(version) if version is not None else None
    shipped = set(release.backends.get(ctx.platform_key, ())) if release is not None else set()
    for name in candidates:
        if name in shipped:
            return name
    return None if same_release or not candidates else candidates[0]


def driver_too_old(ctx: RuleContext) -> list[Finding]:
    """The build's CUDA needs a newer NVIDIA driver than this machine has."""
    from torchsmith.knowledge import cuda_drivers

    cuda, driver = build_cuda(ctx), _driver(ctx)
    if ctx.build_kind != "cuda" or cuda is None or driver is None or ctx.machine.jetson is not None:
        return []
    floor = cuda_drivers.min_driver(cuda, ctx.os_key)
    if floor is None or at_least(driver, floor):
        return []
    need, have = cuda_drivers.format_driver(floor), cuda_drivers.format_driver(driver)
    supported = cuda_drivers.cuda_for_driver(driver, ctx.os_key)
    evidence = [_torch_evidence(ctx), *_gpu_evidence(ctx)]
    if (full := cuda_drivers.toolkit_driver(cuda, ctx.os_key)) is not None:
        own = cuda_drivers.format_driver(full)
        evidence.append(f"or upgrade the NVIDIA driver to >= {own} (CUDA {cuda}'s own driver)")
    backend = _cuda_backend_within(ctx, supported, same_release=False)
    return [
        Finding(
            rule="driver-too-old",
            severity="error",
            message=(
                f"{describe_torch(ctx)} is built with CUDA {cuda}, which needs NVIDIA driver >= {need}; "
                f"this machine's driver is {have}" + (f" (CUDA up to {supported})" if supported else "")
            ),
            fix=ctx.install_command(backend=backend) if backend else None,
            evidence=tuple(evidence),
        )
    ]


def minor_version_compat(ctx: RuleContext) -> list[Finding]:
    """The driver runs the build only through CUDA minor-version compatibility (limited features)."""
    from torchsmith.knowledge import cuda_drivers

    cuda, driver = build_cuda(ctx), _driver(ctx)
    if ctx.build_kind != "cuda" or cuda is None or driver is None or ctx.machine.jetson is not None:
        return []
    if not cuda_drivers.relies_on_minor_compat(cuda, driver, ctx.os_key):
        return []
    supported = cuda_drivers.cuda_for_driver(driver, ctx.os_key)
    backend = _cuda_backend_within(ctx, supported, same_release=True)
    evidence = [_torch_evidence(ctx), *_gpu_evidence(ctx)]
    if (full := cuda_drivers.toolkit_driver(cuda, ctx.os_key)) is not None:
        own = cuda_drivers.format_driver(full)
        evidence.append(f"or upgrade the NVIDIA driver to >= {own} (CUDA {cuda}'s own driver)")
    return [
        Finding(
            rule="minor-version-compat",
            severity="warning",
            message=(
                f"{describe_torch(ctx)} (CUDA {cuda}) runs on driver {cuda_drivers.format_driver(driver)}"
                + (f" (CUDA {supported})" if supported else "")
                + " only through minor-version compatibility: JIT of newer PTX (torch.compile, Triton, GPUs "
                "newer than the build's SASS) and calls needing a newer driver fail"
            ),
            fix=ctx.install_command(backend=backend) if backend and backend != label_backend(ctx) else None,
            evidence=tuple(evidence),
        )
    ]


def parse_arch_list(entries: tuple[str, ...] | list[str]) -> tuple[tuple[str, ...], str | None]:
    """`["sm_86", "sm_90a", "compute_90"]` → (("8.6", "9.0"), "9.0"): SASS capabilities and the highest PTX.

    The last digit is the minor (`sm_100` → 10.0, `sm_121` → 12.1); an arch suffix (`a`, `f`) is dropped.
    """
    sm: list[str] = []
    ptx: list[Version] = []
    for entry in entries:
        kind, _, digits = entry.strip().partition("_")
        digits = digits.rstrip("abcdefghijklmnopqrstuvwxyz")
        if not digits.isdigit() or len(digits) < 2:
            continue
        capability = f"{int(digits[:-1])}.{digits[-1]}"
        if kind == "sm" and capability not in sm:
            sm.append(capability)
        elif kind == "compute":
            ptx.append(Version(capability))
    return tuple(sm), (str(max(ptx)) if ptx else None)


def gpu_arch_unsupported(ctx: RuleContext) -> list[Finding]:
    """A GPU whose compute capability the build has neither SASS nor usable PTX for."""
    from torchsmith.knowledge import cuda_arches

    if ctx.build_kind != "cuda" or ctx.machine.jetson is not None:
        return []
    torch, version = ctx.facts.torch, ctx.torch_version
    compiled = torch.cuda_arch_list if torch is not None else None
    archs: cuda_arches.ArchList | None
    if compiled:
        sm, ptx = parse_arch_list(compiled)
        archs, source = cuda_arches.ArchList(sm=sm, ptx=ptx), "torch.cuda.get_arch_list()"
    else:
        backend = label_backend(ctx)
        archs = cuda_arches.arch_list(version, backend, ctx.platform_key) if version and backend else None
        source = "the knowledge table for this build"
    if archs is None:
        return []
    gpus: dict[tuple[str, str], None] = {}
    for gpu in ctx.machine.nvidia.gpus if ctx.machine.nvidia else ():
        if gpu.compute_capability:
            gpus[(gpu.name, gpu.compute_capability)] = None
    for device in torch.cuda_devices if torch is not None else ():
        if device.capability and not any(cc == device.capability for _, cc in gpus):
            gpus[(device.name or f"cuda:{device.index}", device.capability)] = None
    unsupported = [(name, cc) for name, cc in gpus if not cuda_arches.runs_on(archs, cc)]
    if not unsupported:
        return []
    fix = None
    from torchsmith.backends import parse_backend

    for name in ctx.machine.backends:
        if version is None or parse_backend(name, source="the machine's backends").kind != "cuda":
            continue
        candidate = cuda_arches.arch_list(version, name, ctx.platform_key)
        if candidate is not None and all(cuda_arches.runs_on(candidate, cc) for _, cc in gpus):
            fix = ctx.install_command(backend=name)
            break
    listed = " ".join(f"sm_{cc.replace('.', '')}" for cc in archs.sm) + (
        f" +PTX {archs.ptx}" if archs.ptx else ""
    )
    return [
        Finding(
            rule="gpu-arch-unsupported",
            severity="error",
            message=(
                f"{describe_torch(ctx)} has no kernels for "
                + ", ".join(f"{name} (sm_{cc.replace('.', '')})" for name, cc in unsupported)
                + ": CUDA calls on it fail with `no kernel image is available`"
            ),
            fix=fix,
            evidence=(_torch_evidence(ctx), f"compiled for: {listed} (from {source})", *_gpu_evidence(ctx)),
        )
    ]
