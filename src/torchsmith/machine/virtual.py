"""The conda virtual packages of a machine, named and overridden exactly as conda and rattler (pixi) do.

Why it exists: conda-forge's CUDA builds of PyTorch depend on `__cuda`, and `pixi`/`conda` users set
`CONDA_OVERRIDE_CUDA` to solve for another machine. Printing the same `name=version=build` strings lets a user
compare torchsmith's view with `conda info` / `pixi info`, and lets the exporters write `system-requirements`.

Spec: the virtual-packages CEP (https://github.com/conda/ceps/pull/103) and the implementations it cites,
conda's `conda/plugins/virtual_packages/` and rattler's `crates/rattler_virtual_packages/`:
  `__archspec=1=<microarchitecture>` always; `CONDA_OVERRIDE_ARCHSPEC` (non-empty) replaces the build string.
  `__cuda=<major.minor>=0` when a driver is present; `CONDA_OVERRIDE_CUDA` replaces it, empty means none.
  `__glibc=<major.minor>=0` on glibc Linux; `CONDA_OVERRIDE_GLIBC` replaces it, empty means none.
  `__linux=<2-4 numeric parts of the kernel release>=0` on Linux; `CONDA_OVERRIDE_LINUX` replaces the version
      when it starts with such a version, anything else gives `0` (conda's regex rule).
  `__osx=<major.minor>=0` on macOS; `CONDA_OVERRIDE_OSX` replaces it, empty means none.
  `__win=<major.minor.build or 0>=0` on Windows; `CONDA_OVERRIDE_WIN` replaces it, empty means none.
  `__unix=0=0` on Linux and macOS.
  `__cuda_arch=<lowest compute capability>=<its device name, alphanumerics only, NVIDIA dropped>` when a
      driver and GPUs of known capability are seen (NVIDIA's specification in its conda plugin
      nvidia-virtual-packages); `CONDA_OVERRIDE_CUDA_ARCH=8.6[=Model]` replaces it (build `0` if no model).
Overrides are ignored on other platforms, as the CEP requires. This is a derivation, not a detector: it reads
the `Machine`, the context's environment and, for the microarchitecture, the CPU (`machine/microarch.py`:
archspec's name, as rattler reports it, e.g. `zen2`; the generic family `x86_64`/`aarch64`/`m1` when the CPU
cannot be classified, as rattler's `Archspec::from_platform`).
"""

from __future__ import annotations

import re

from torchsmith.lazy_re import lazy
from torchsmith.machine.context import ProbeContext
from torchsmith.machine.model import Machine

__all__ = ["archspec_family", "cuda_arch_build", "numeric_version", "virtual_packages"]

_VERSION = lazy(r"[0-9]+(?:\.[0-9]+)*")


def numeric_version(text: str, parts: int) -> str | None:
    """The leading dotted-number run of `text`, cut to at most `parts` components.

    >>> numeric_version("5.15.153.1-microsoft-standard-WSL2", 4), numeric_version("2.36", 2)
    ('5.15.153.1', '2.36')
    """
    match = re.match(rf"[0-9]+(?:\.[0-9]+){{0,{parts - 1}}}", text.strip())
    return match.group(0) if match else None


def archspec_family(machine: Machine) -> str:
    """The generic archspec name of the machine's architecture (`x86_64`, `aarch64`, `m1`, `ppc64le`)."""
    if machine.os == "macos" and machine.arch in ("arm64", "aarch64"):
        return "m1"  # the oldest Apple silicon; rattler's choice for osx-arm64
    if machine.arch == "arm64":
        return "aarch64"
    return machine.arch or "0"


def _microarchitecture(machine: Machine, ctx: ProbeContext) -> str | None:
    """The archspec microarchitecture (`zen2`, `skylake`, `m1`) when the CPU can be classified."""
    if machine.os == "macos" and machine.apple is not None and machine.apple.rosetta:
        return None  # archspec would classify the Rosetta-translated x86 view; keep the family
    from torchsmith.machine.microarch import microarchitecture

    return microarchitecture(ctx, machine.arch)


def cuda_arch_build(name: str) -> str:
    """`__cuda_arch`'s build string: the device name with everything but `[A-Za-z0-9]` removed, then
    `NVIDIA` removed (any case), cut to 64 characters: `NVIDIA GeForce RTX 3080` -> `GeForceRTX3080`."""
    return re.sub("NVIDIA", "", re.sub(r"[^A-Za-z0-9]", "", name), flags=re.IGNORECASE)[:64]


def _cuda_arch(machine: Machine, ctx: ProbeContext) -> tuple[str, str] | None:
    """(lowest compute capability, its device's build string), per NVIDIA's `__cuda_arch` specification
    (conda plugin nvidia-virtual-packages); `CONDA_OVERRIDE_CUDA_ARCH=8.6` or `8.6=ModelName` overrides."""
    override = _override(ctx, "CONDA_OVERRIDE_CUDA_ARCH")
    if override is not None:
        if override == "":
            return None
        version, _, model = override.partition("=")
        if not re.fullmatch(r"[0-9]+\.[0-9]+", version):
            ctx.warn(
                f"ignoring `CONDA_OVERRIDE_CUDA_ARCH={override}`: expected a compute capability such as `8.6`"
            )
            return None
        return version, model if model and re.fullmatch(r"[a-zA-Z0-9_.+]*", model) else "0"
    if machine.nvidia is None:
        return None
    known = [
        (tuple(int(part) for part in gpu.compute_capability.split(".")), gpu)
        for gpu in machine.nvidia.gpus
        if gpu.compute_capability and re.fullmatch(r"[0-9]+\.[0-9]+", gpu.compute_capability)
    ]
    if not known or machine.nvidia.driver is None:
        return None  # the spec: only when a driver and devices are detected
    (major, minor), gpu = min(known, key=lambda item: item[0])
    return f"{major}.{minor}", cuda_arch_build(gpu.name) or "0"


def _override(ctx: ProbeContext, name: str) -> str | None:
    """None when unset; `""` when set to empty (absent); else the value, stripped."""
    value = ctx.env.get(name)
    return None if value is None else value.strip()


def _valid_override(ctx: ProbeContext, name: str, value: str) -> bool:
    if _VERSION.fullmatch(value):
        return True
    ctx.warn(f"ignoring `{name}={value}`: expected a version such as `12.4`")
    return False


def _cuda(machine: Machine, ctx: ProbeContext) -> str | None:
    override = _override(ctx, "CONDA_OVERRIDE_CUDA")
    if override is not None and (override == "" or _valid_override(ctx, "CONDA_OVERRIDE_CUDA", override)):
        return override or None
    if machine.nvidia is not None and machine.nvidia.cuda_driver:
        return numeric_version(machine.nvidia.cuda_driver, 2)
    if machine.jetson is not None and machine.jetson.cuda:
        return numeric_version(machine.jetson.cuda, 2)
    return None


def _glibc(machine: Machine, ctx: ProbeContext) -> str | None:
    override = _override(ctx, "CONDA_OVERRIDE_GLIBC")
    if override is not None and (override == "" or _valid_override(ctx, "CONDA_OVERRIDE_GLIBC", override)):
        return override or None
    libc = machine.libc
    if libc is None or libc.name != "glibc" or not libc.version:
        return None
    return numeric_version(libc.version, 2)


def _linux(machine: Machine, ctx: ProbeContext) -> str:
    override = _override(ctx, "CONDA_OVERRIDE_LINUX")
    release = override if override is not None else (machine.kernel or "")
    match = re.match(r"[0-9]+\.[0-9]+(?:\.[0-9]+){0,2}", release)
    return match.group(0) if match else "0"


def _osx(machine: Machine, ctx: ProbeContext) -> str | None:
    override = _override(ctx, "CONDA_OVERRIDE_OSX")
    if override is not None and (override == "" or _valid_override(ctx, "CONDA_OVERRIDE_OSX", override)):
        return override or None
    macos = machine.apple.macos if machine.apple is not None else None
    return (numeric_version(macos, 2) if macos else None) or "0"


def _win(machine: Machine, ctx: ProbeContext) -> str | None:
    override = _override(ctx, "CONDA_OVERRIDE_WIN")
    if override is not None and (override == "" or _valid_override(ctx, "CONDA_OVERRIDE_WIN", override)):
        return override or None
    version = numeric_version(machine.kernel, 3) if machine.kernel else None
    return version if version is not None and version.count(".") == 2 else "0"


def virtual_packages(machine: Machine, ctx: ProbeContext) -> tuple[str, ...]:
    """`name=version=build` strings, sorted, for this machine and the context's `CONDA_OVERRIDE_*`."""
    packages: list[str] = []
    archspec = _override(ctx, "CONDA_OVERRIDE_ARCHSPEC")
    if archspec and not re.fullmatch(r"[A-Za-z0-9_.+-]+", archspec):
        ctx.warn(
            f"ignoring `CONDA_OVERRIDE_ARCHSPEC={archspec}`: expected a microarchitecture such as `skylake`"
        )
        archspec = None
    archspec = archspec or _microarchitecture(machine, ctx) or archspec_family(machine)
    packages.append(f"__archspec=1={archspec}")
    cuda = _cuda(machine, ctx)
    if cuda:
        packages.append(f"__cuda={cuda}=0")
    cuda_arch = _cuda_arch(machine, ctx)
    if cuda_arch:
        packages.append(f"__cuda_arch={cuda_arch[0]}={cuda_arch[1]}")
    if machine.os == "linux":
        packages.append("__unix=0=0")
        packages.append(f"__linux={_linux(machine, ctx)}=0")
        glibc = _glibc(machine, ctx)
        if glibc:
            packages.append(f"__glibc={glibc}=0")
    elif machine.os == "macos":
        packages.append("__unix=0=0")
        osx = _osx(machine, ctx)
        if osx:
            packages.append(f"__osx={osx}=0")
    elif machine.os == "windows":
        win = _win(machine, ctx)
        if win:
            packages.append(f"__win={win}=0")
    return tuple(sorted(packages))
