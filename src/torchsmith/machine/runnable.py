"""Which backends this machine can run, best first, `cpu` always last (the probe's `backends`).

Policy kept deliberately small; the planner refines it per torch version (compute capabilities, Python and
platform tags). The rules, each from the knowledge tables:

* Jetson boards run only NVIDIA's Jetson builds for their JetPack (upstream aarch64 CUDA wheels target SBSA
  servers, not Tegra) — then cpu.
* NVIDIA: a `cuXYZ` build runs when the driver is at least the build's minimum driver. Builds whose CUDA
  version is at most the driver's own CUDA version come first, newest first; builds that rely on
  minor-version compatibility (limited features, no JIT of newer PTX) come after them.
  `CONDA_OVERRIDE_CUDA` pretends a driver of that CUDA version, as conda and pixi do (empty: none).
* AMD: ROCm builds whose wheels include every GPU's gfx target, newest first (wheels bundle ROCm).
* Intel: `xpu` when a GPU of a family PyTorch XPU supports is present.
"""

from __future__ import annotations

from functools import cache

from torchsmith.backends import parse_backend
from torchsmith.machine.context import ProbeContext
from torchsmith.machine.model import Machine

TYPE_CHECKING = False  # `typing` stays unloaded at start-up (issue 17); mypy reads the name as typing's

if TYPE_CHECKING:
    from packaging.version import Version

    from torchsmith.knowledge.jetson import JetpackRelease

__all__ = [
    "cuda_backends_for_driver",
    "jetson_backend_name",
    "jetson_release",
    "known_backends",
    "override_cuda",
    "runnable_backends",
]


@cache
def known_backends(platform_key: str) -> tuple[str, ...]:
    """Every backend any known torch release ships for this platform, newest release first (from the
    release table).

    Read from the table's rows as they are: a probe needs the names only, not the versions, floors and
    pairs that `knowledge.releases` builds and validates from the same rows (a machine without a GPU then
    never imports `packaging`; issue 17). tests/machine/test_runnable.py holds both readings to one answer.
    """
    from torchsmith.knowledge._load import load_table

    def series(row: dict[str, object]) -> tuple[int, ...]:
        return tuple(int(part) for part in str(row["torch"]).split("."))

    seen: dict[str, None] = {}
    for row in sorted(load_table("torch_releases").rows(), key=series, reverse=True):
        for name in row["backends"].get(platform_key, ()):
            seen.setdefault(name, None)
    return tuple(seen)


def _parse(text: str | None) -> Version | None:
    from packaging.version import InvalidVersion, Version  # only machines with versions to compare

    try:
        return None if text is None else Version(text)
    except InvalidVersion:
        return None


def override_cuda(machine: Machine) -> Version | None:
    """The CUDA version `CONDA_OVERRIDE_CUDA` asked for, as the machine's `__cuda` virtual package records it:
    on a machine without an NVIDIA driver only the override puts it there (conda and pixi document it for
    building CUDA environments on GPU-less hosts); with a driver, a `__cuda` other than the driver's own CUDA
    version is the override. Either way it states the user's intent to plan for a driver of that CUDA."""
    recorded = None
    for package in machine.virtual_packages:
        name, _, rest = package.partition("=")
        if name == "__cuda":
            recorded = _parse(rest.split("=", 1)[0])
    if recorded is None or machine.nvidia is None or machine.nvidia.driver is None:
        return recorded
    own = _parse(machine.nvidia.cuda_driver)
    if own is None or own.release[:2] == recorded.release[:2]:
        return None
    return recorded


def _driver_facts(machine: Machine, ctx: ProbeContext | None) -> tuple[Version | None, Version | None]:
    """(driver version, driver's own CUDA version), with `CONDA_OVERRIDE_CUDA` applied (from the
    environment, or recorded as a `__cuda` virtual package on a machine without a driver)."""
    env = dict(ctx.env) if ctx is not None else {}
    recorded = override_cuda(machine)
    if "CONDA_OVERRIDE_CUDA" not in env and recorded is not None:
        env["CONDA_OVERRIDE_CUDA"] = str(recorded)
    if "CONDA_OVERRIDE_CUDA" not in env and (machine.nvidia is None or machine.nvidia.driver is None):
        return None, None
    from torchsmith.knowledge import cuda_drivers  # only machines with NVIDIA (or an override) need it

    os_key = machine.driver_os
    if "CONDA_OVERRIDE_CUDA" in env:
        override = _parse(env["CONDA_OVERRIDE_CUDA"].strip() or None)
        if override is None:
            return None, None
        pretend = cuda_drivers.toolkit_driver(override, os_key)  # its major.minor row
        return pretend, override
    if machine.nvidia is None:
        return None, None
    driver = _parse(machine.nvidia.driver)
    own = _parse(machine.nvidia.cuda_driver)
    if driver is not None and own is None:
        own = cuda_drivers.cuda_for_driver(driver, os_key)
    return driver, own


def cuda_backends_for_driver(
    names: tuple[str, ...], driver: Version, own_cuda: Version | None, os_key: str
) -> tuple[list[str], list[str]]:
    """Split CUDA backends into (native: CUDA <= the driver's own, minor-compat: runnable with limits)."""
    from torchsmith.knowledge import cuda_drivers

    native: list[tuple[Version, str]] = []
    compat: list[tuple[Version, str]] = []
    for name in names:
        backend = parse_backend(name)
        if backend.kind != "cuda" or backend.cuda is None:
            continue
        floor = cuda_drivers.min_driver(backend.cuda, os_key)
        if floor is None or driver < floor:
            continue
        if own_cuda is None or backend.cuda <= own_cuda:
            native.append((backend.cuda, name))
        else:
            compat.append((backend.cuda, name))
    native.sort(reverse=True)
    compat.sort()
    return [n for _, n in native], [n for _, n in compat]


def jetson_release(machine: Machine) -> JetpackRelease | None:
    """The JetPack release of a Jetson machine's L4T version (None if not a Jetson or unknown)."""
    from torchsmith.knowledge.jetson import jetpack_for_l4t

    l4t = _parse(machine.jetson.l4t) if machine.jetson else None
    return jetpack_for_l4t(l4t) if l4t is not None else None


def jetson_backend_name(release: JetpackRelease) -> str | None:
    """NVIDIA's index backend (`jp6-cu126`), or for JetPacks with only direct wheel URLs a name of the same
    shape (`jp5-cu114`) under which the planner offers those wheels; None without CUDA facts."""
    if release.backend:
        return release.backend
    if release.cuda is None or not release.wheels:
        return None
    return f"jp{release.jetpack.split('.')[0]}-cu{release.cuda.major}{release.cuda.minor}"


def _jetson_backends(machine: Machine, names: tuple[str, ...]) -> list[str]:
    release = jetson_release(machine)
    if release is None:
        return []
    if release.sbsa and release.cuda is not None:
        # JetPack 7: Arm SBSA CUDA, so upstream aarch64 CUDA wheels up to the JetPack's CUDA apply.
        cuda = [(b.cuda, b.name) for b in map(parse_backend, names) if b.cuda and b.cuda <= release.cuda]
        return [name for _, name in sorted(cuda, reverse=True)]
    name = jetson_backend_name(release)
    return [name] if name else []


def _rocm_backends(machine: Machine, names: tuple[str, ...]) -> list[str]:
    from packaging.version import Version

    from torchsmith.knowledge import rocm

    assert machine.amd is not None
    targets = [gpu.gfx for gpu in machine.amd.gpus if gpu.gfx]
    allowed = set(names)
    if not targets:
        # No gfx target could be read: every ROCm build is a candidate and the planner reports the unknown
        # fact (an unreadable target is neither a pass nor a fail).
        if not machine.amd.gpus:
            return []
        rocm_names = [n for n in names if parse_backend(n).kind == "rocm"]
        return sorted(rocm_names, key=lambda n: parse_backend(n).version or Version("0"), reverse=True)
    common: list[str] | None = None
    for gfx in targets:
        supported = [b for b in rocm.backends_for_gfx(gfx) if b in allowed]
        common = supported if common is None else [b for b in common if b in supported]
    ordered = sorted(common or [], key=lambda n: parse_backend(n).version or Version("0"), reverse=True)
    return ordered


def runnable_backends(machine: Machine, ctx: ProbeContext | None = None) -> tuple[str, ...]:
    """The backends this machine can run, best first, `cpu` last."""
    names = known_backends(machine.platform_key)
    result: list[str] = []
    if machine.jetson is not None:
        result.extend(_jetson_backends(machine, names))
    else:
        driver, own = _driver_facts(machine, ctx)
        if driver is not None:
            native, compat = cuda_backends_for_driver(names, driver, own, machine.driver_os)
            result.extend(native + compat)
        if machine.amd is not None and machine.os == "linux":
            result.extend(_rocm_backends(machine, names))
        if machine.intel is not None and "xpu" in names:
            from torchsmith.knowledge import xpu

            if any(gpu.device_id and xpu.xpu_supported(gpu.device_id) for gpu in machine.intel.gpus):
                result.append("xpu")
    result.append("cpu")
    return tuple(dict.fromkeys(result))
