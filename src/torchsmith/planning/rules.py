"""Does one torch version on one backend run on this machine? Each rule returns a reason chain or None.

The rules, in the order a failure is reported (first wins, as the most fundamental): platform (does the
release ship this backend for this OS/arch at all), Python ABI, C library, macOS floor, NVIDIA driver, GPU
compute capability, ROCm gfx target, Intel XPU device. Messages read like uv's resolver hints: what was
needed, what the machine has, and what would work instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

from torchsmith.backends import Backend
from torchsmith.knowledge import cuda_arches, cuda_drivers, releases, rocm, xpu
from torchsmith.knowledge.releases import Release
from torchsmith.machine.model import Machine

__all__ = ["Verdict", "check", "python_hint"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """`why` is None when the build runs; `notes` are caveats worth a reasons line even then.

    `hard` failures mean no wheel installs here at all (platform, Python ABI, C library, macOS floor); the
    others are about this machine's hardware (driver, GPU architecture, no GPU), which `--backend` may
    override: the build still installs, and the plan reports the problem.
    """

    why: str | None
    notes: tuple[str, ...] = ()
    hard: bool = False

    @property
    def ok(self) -> bool:
        return self.why is None


def _v(text: str | None) -> Version | None:
    try:
        return None if text is None else Version(text)
    except InvalidVersion:
        return None


def _python_label(abi: str) -> str:
    digits = abi[2:].rstrip("t")
    label = f"{digits[0]}.{digits[1:]}"
    return f"{label} free-threaded" if abi.endswith("t") else label


def python_hint(abi: str, torch: Version) -> str:
    """Which newer or older torch series ships wheels for this Python (`torch >= 2.5`, `torch < 2.15`)."""
    with_abi = [r.torch for r in releases.releases() if abi in r.python]
    if not with_abi:
        return f"no torch release has wheels for CPython {_python_label(abi)} yet"
    newer = [v for v in with_abi if v > torch]
    if newer:
        return f"torch >= {min(newer)} has {abi} wheels"
    return f"torch <= {max(with_abi)} has {abi} wheels"


def _platform_rule(release: Release, backend: Backend, key: str) -> str | None:
    available = release.backends.get(key, ())
    if backend.name in available or f"backends.{key}" in release.gaps:
        return None  # listed, or unknown to the table (the index decides)
    torch = release.torch
    if key.startswith("macos") and backend.kind != "cpu":
        return f"PyTorch publishes no `{backend}` builds for macOS: Mac wheels are CPU builds with MPS"
    if key == "macos-x86_64":
        return (
            f"torch {torch} has no macOS x86_64 wheels (the last was torch 2.2); use an arm64 Python "
            "(not one running under Rosetta) or `torch<2.3`"
        )
    if key.startswith("windows") and backend.kind == "rocm":
        return "PyTorch publishes no ROCm wheels for Windows (ROCm builds are Linux x86_64 only)"
    if key == "linux-aarch64" and backend.kind in ("rocm", "xpu"):
        return f"PyTorch publishes no `{backend.kind}` wheels for Linux aarch64"
    if not available:
        return f"torch {torch} has no wheels for `{key}`"
    return f"torch {torch} has no `{backend}` build for `{key}` (it has: {', '.join(available)})"


def _python_rule(release: Release, machine: Machine) -> str | None:
    abi = machine.python.abi if machine.python else None
    if not abi or abi in release.python:
        return None
    tags = [t for t in release.python if not t.endswith("t")]
    supported = f"{_python_label(tags[0])}–{_python_label(tags[-1])}" if tags else "none"
    return (
        f"torch {release.torch} has no wheels for CPython {_python_label(abi)} (`{abi}`); supported: "
        f"{supported}. {python_hint(abi, release.torch)}"
    )


def _libc_rule(release: Release, machine: Machine) -> str | None:
    if machine.os != "linux" or machine.libc is None:
        return None
    if machine.libc.name == "musl":
        return (
            "PyTorch publishes no musllinux wheels, so nothing installs on a musl system (Alpine); "
            "use a glibc-based image such as `python:3.12-slim`"
        )
    floor = release.glibc_floor(machine.platform_key)
    have = _v(machine.libc.version)
    if floor is None or have is None or have >= floor:
        return None
    tag = release.manylinux_by_platform.get(machine.platform_key, "")
    return (
        f"torch {release.torch} wheels need glibc >= {floor} (`{tag}`); this machine has glibc {have}. "
        "Use a newer distribution (or container image) or an older torch"
    )


def _macos_rule(release: Release, machine: Machine) -> str | None:
    if machine.os != "macos" or machine.apple is None:
        return None
    floor = _v(release.macos_min_by_platform.get(machine.platform_key) or release.macos_min)
    have = _v(machine.apple.macos)
    if floor is None or have is None or have >= floor:
        return None
    return f"torch {release.torch} wheels need macOS >= {floor}; this Mac runs macOS {have}"


def _cuda_rule(release: Release | None, torch: Version, backend: Backend, machine: Machine) -> Verdict:
    assert backend.cuda is not None
    nvidia = machine.nvidia
    if nvidia is None or (not nvidia.gpus and nvidia.driver is None):
        return Verdict(f"`{backend}` needs an NVIDIA GPU; none was found")
    driver = _v(nvidia.driver)
    if driver is None:
        return Verdict(
            f"`{backend}` needs the NVIDIA driver, which is not loaded (GPU seen on PCI only); install the "
            "driver (e.g. `sudo ubuntu-drivers install`) and reboot"
        )
    os_key = machine.driver_os
    floor = cuda_drivers.min_driver(backend.cuda, os_key)
    own = _v(nvidia.cuda_driver) or cuda_drivers.cuda_for_driver(driver, os_key)
    own_text = f" (supports CUDA up to {own})" if own else ""
    if floor is not None and driver < floor:
        needed = cuda_drivers.format_driver(floor)
        return Verdict(
            f"driver {nvidia.driver}{own_text}; `{backend}` needs driver >= {needed}, so it is rejected"
        )
    notes: list[str] = []
    if own is not None and backend.cuda > own:
        notes.append(
            f"`{backend}` runs on driver {nvidia.driver} only through CUDA minor-version compatibility "
            "(limited features, no JIT of newer PTX); a driver update removes the limit"
        )
    archs = cuda_arches.arch_list(torch, backend.name, machine.platform_key)
    if archs is None:
        notes.append(f"the GPU architectures of torch {torch} `{backend}` are not in torchsmith's tables")
        return Verdict(None, tuple(notes))
    for index, gpu in enumerate(nvidia.gpus):
        cc = gpu.compute_capability
        if cc and not cuda_arches.runs_on(archs, cc):
            listed = (
                f"sm_{archs.sm[0].replace('.', '')}…sm_{archs.sm[-1].replace('.', '')}" if archs.sm else ""
            )
            ptx = f" (+PTX {archs.ptx})" if archs.ptx else ""
            return Verdict(
                f"the `{backend}` build of torch {torch} has kernels for {listed}{ptx}; GPU {index} "
                f"`{gpu.name}` is sm_{cc.replace('.', '')}, so it cannot run there"
            )
    return Verdict(None, tuple(notes))


def _rocm_rule(backend: Backend, machine: Machine) -> str | None:
    if machine.amd is None or not machine.amd.gpus:
        return f"`{backend}` needs an AMD GPU; none was found"
    targets = rocm.gfx_targets(backend.name)
    for index, gpu in enumerate(machine.amd.gpus):
        if gpu.gfx and targets and gpu.gfx not in targets:
            override = rocm.gfx_override(gpu.gfx, backend.name)
            hint = f"; it may run with `HSA_OVERRIDE_GFX_VERSION={override}`" if override else ""
            return f"`{backend}` wheels are not built for GPU {index} `{gpu.name}` ({gpu.gfx}){hint}"
    return None


def _xpu_rule(machine: Machine) -> str | None:
    gpus = machine.intel.gpus if machine.intel else ()
    if not any(g.device_id and xpu.xpu_supported(g.device_id) for g in gpus):
        return "`xpu` needs an Intel GPU that PyTorch XPU supports (Arc, Data Center GPU Max, Core Ultra)"
    return None


def check(machine: Machine, torch: Version, backend: Backend) -> Verdict:
    """Whether `torch` built for `backend` installs and runs on `machine`, and if not, why."""
    release = releases.release_for(torch)
    if backend.kind == "jetson":
        if machine.jetson is None:
            return Verdict(f"`{backend}` is NVIDIA's build for Jetson boards; this machine is not a Jetson")
        return Verdict(None)
    if machine.jetson is not None and backend.kind != "cpu":
        from torchsmith.machine.runnable import jetson_release

        jp = jetson_release(machine)
        if jp is None or not jp.sbsa or backend.kind != "cuda":
            return Verdict(
                f"upstream `{backend}` wheels do not run on Jetson (Tegra) boards; use NVIDIA's Jetson builds"
            )
        return Verdict(
            None,
            (
                f"JetPack {jp.jetpack} uses Arm SBSA CUDA {jp.cuda}, so upstream aarch64 "
                f"`{backend}` wheels apply",
            ),
        )
    if release is not None:
        for rule in (
            _platform_rule(release, backend, machine.platform_key),
            _python_rule(release, machine),
            _libc_rule(release, machine),
            _macos_rule(release, machine),
        ):
            if rule is not None:
                return Verdict(rule, hard=True)
    elif machine.libc is not None and machine.libc.name == "musl":
        return Verdict(_libc_rule(releases.releases()[0], machine), hard=True)
    if backend.kind == "cuda":
        return _cuda_rule(release, torch, backend, machine)
    if backend.kind == "rocm":
        return Verdict(_rocm_rule(backend, machine))
    if backend.kind == "xpu":
        return Verdict(_xpu_rule(machine))
    return Verdict(None)
