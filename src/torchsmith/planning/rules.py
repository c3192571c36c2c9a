"""Does one torch version on one backend run on this machine? Each rule: runs, does not run, or unknown.

The rules, in the order a failure is reported (first wins, as the most fundamental): platform (does the
release ship this backend for this OS/arch at all), Python ABI, C library, macOS floor, NVIDIA driver, GPU
compute capability, ROCm gfx target, Intel XPU device. Messages read like uv's resolver hints: what was
needed, what the machine has, and what would work instead.

Unknown is not yes: a fact torchsmith cannot check (a gap in a knowledge table, a GPU whose architecture
could not be read, a torch newer than the tables) is recorded in `Verdict.unknown`, so the planner can prefer
builds known to run and the plan can say which fact it could not verify (`"verified": false`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from packaging.version import InvalidVersion, Version

from torchsmith.backends import Backend
from torchsmith.knowledge import cuda_arches, cuda_drivers, releases, rocm, xpu
from torchsmith.knowledge.releases import Release
from torchsmith.machine.model import Machine
from torchsmith.machine.runnable import override_cuda

__all__ = ["Fact", "Verdict", "check", "python_hint"]


class Fact(Enum):
    """The three answers a rule gives."""

    RUNS = "runs"
    FAILS = "does not run"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Verdict:
    """`why` is None unless the build does not run; `notes` are caveats worth a reasons line even then.

    `hard` failures mean no wheel installs here at all (platform, Python ABI, C library, macOS floor); the
    others are about this machine's hardware (driver, GPU architecture, no GPU), which `--backend` may
    override: the build still installs, and the plan reports the problem. `unknown` names each fact that
    could not be checked; `doubt` counts those for which indirect evidence points to "does not run" (e.g.
    the Linux build of the same release lacks the GPU's arch), so the planner can rank unknowns.
    """

    why: str | None
    notes: tuple[str, ...] = ()
    hard: bool = False
    unknown: tuple[str, ...] = ()
    doubt: int = 0

    @property
    def ok(self) -> bool:
        return self.why is None

    @property
    def fact(self) -> Fact:
        if self.why is not None:
            return Fact.FAILS
        return Fact.UNKNOWN if self.unknown else Fact.RUNS

    @property
    def verified(self) -> bool:
        return self.why is None and not self.unknown

    def merged(self, other: Verdict) -> Verdict:
        """This verdict with another rule's notes and unknown facts added (`other` must not fail)."""
        return Verdict(
            self.why,
            self.notes + other.notes,
            self.hard,
            self.unknown + other.unknown,
            self.doubt + other.doubt,
        )


def _v(text: str | None) -> Version | None:
    try:
        return None if text is None else Version(text)
    except InvalidVersion:
        return None


def _python_label(abi: str) -> str:
    digits = abi[2:].rstrip("t")
    label = f"{digits[0]}.{digits[1:]}"
    return f"{label} free-threaded" if abi.endswith("t") else label


def _abi_key(abi: str) -> tuple[int, int]:
    digits = abi[2:].rstrip("t")
    return (int(digits[0]), int(digits[1:] or 0)) if digits.isdigit() else (0, 0)


def python_hint(abi: str, torch: Version) -> str:
    """Which newer or older torch series ships wheels for this Python (`torch >= 2.5`, `torch < 2.15`)."""
    with_abi = [r.torch for r in releases.releases() if abi in r.python]
    if not with_abi:
        oldest = min((r for r in releases.releases()), key=lambda r: r.torch, default=None)
        known = sorted(
            {t for r in releases.releases() for t in r.python if not t.endswith("t")}, key=_abi_key
        )
        if oldest is not None and known and _abi_key(abi.rstrip("t")) < _abi_key(known[0]):
            # PyTorch 1.11 release notes: "Python 3.6 is no longer supported"; torch 1.10.2 was the last.
            last = " (the last torch with cp36 wheels is 1.10.2)" if abi == "cp36" else ""
            return (
                f"CPython {_python_label(abi)} is older than every torch release in torchsmith's tables "
                f"(torch {oldest.torch} on){last}; use a newer Python"
            )
        return f"no torch release has wheels for CPython {_python_label(abi)} yet"
    newer = [v for v in with_abi if v > torch]
    if newer:
        return f"torch >= {min(newer)} has {abi} wheels"
    return f"torch <= {max(with_abi)} has {abi} wheels"


def _platform_rule(release: Release, backend: Backend, key: str) -> Verdict:
    available = release.backends.get(key, ())
    if backend.name in available:
        return Verdict(None)
    torch = release.torch
    if f"backends.{key}" in release.gaps:
        return Verdict(
            None,
            unknown=(
                f"whether torch {torch} ships `{backend}` wheels for `{key}` (a gap in torchsmith's tables)",
            ),
        )
    if key.startswith("macos") and backend.kind != "cpu":
        why = f"PyTorch publishes no `{backend}` builds for macOS: Mac wheels are CPU builds with MPS"
    elif key == "macos-x86_64":
        why = (
            f"torch {torch} has no macOS x86_64 wheels (the last was torch 2.2); use an arm64 Python "
            "(not one running under Rosetta) or `torch<2.3`"
        )
    elif key.startswith("windows") and backend.kind == "rocm":
        why = "PyTorch publishes no ROCm wheels for Windows (ROCm builds are Linux x86_64 only)"
    elif key == "linux-aarch64" and backend.kind in ("rocm", "xpu"):
        why = f"PyTorch publishes no `{backend.kind}` wheels for Linux aarch64"
    elif not available:
        why = f"torch {torch} has no wheels for `{key}`"
    else:
        why = f"torch {torch} has no `{backend}` build for `{key}` (it has: {', '.join(available)})"
    return Verdict(why, hard=True)


def _python_rule(release: Release, machine: Machine) -> Verdict:
    abi = machine.python.abi if machine.python else None
    if not abi:
        return Verdict(None, unknown=("which Python ABI the machine's interpreter has",))
    if abi in release.python:
        return Verdict(None)
    tags = [t for t in release.python if not t.endswith("t")]
    supported = f"{_python_label(tags[0])}–{_python_label(tags[-1])}" if tags else "none"
    return Verdict(
        f"torch {release.torch} has no wheels for CPython {_python_label(abi)} (`{abi}`); supported: "
        f"{supported}. {python_hint(abi, release.torch)}",
        hard=True,
    )


def _libc_rule(release: Release, machine: Machine) -> Verdict:
    if machine.os != "linux":
        return Verdict(None)
    if machine.libc is None:
        return Verdict(None, unknown=("this Linux machine's C library (glibc version) was not recorded",))
    if machine.libc.name == "musl":
        return Verdict(
            "PyTorch publishes no musllinux wheels, so nothing installs on a musl system (Alpine); "
            "use a glibc-based image such as `python:3.12-slim`",
            hard=True,
        )
    floor = release.glibc_floor(machine.platform_key)
    have = _v(machine.libc.version)
    if have is None:
        return Verdict(None, unknown=(f"the glibc version (`{machine.libc.version}`) could not be read",))
    if floor is None or have >= floor:
        return Verdict(None)
    tag = release.manylinux_by_platform.get(machine.platform_key, "")
    return Verdict(
        f"torch {release.torch} wheels need glibc >= {floor} (`{tag}`); this machine has glibc {have}. "
        "Use a newer distribution (or container image) or an older torch",
        hard=True,
    )


def _macos_rule(release: Release, machine: Machine) -> Verdict:
    if machine.os != "macos":
        return Verdict(None)
    floor = _v(release.macos_min_by_platform.get(machine.platform_key) or release.macos_min)
    have = _v(machine.apple.macos) if machine.apple else None
    if have is None:
        return Verdict(None, unknown=("the macOS version of this Mac was not recorded",))
    if floor is None or have >= floor:
        return Verdict(None)
    return Verdict(
        f"torch {release.torch} wheels need macOS >= {floor}; this Mac runs macOS {have}", hard=True
    )


def _no_nvidia(backend: Backend, machine: Machine) -> Verdict:
    override = override_cuda(machine)
    if override is None:
        return Verdict(f"`{backend}` needs an NVIDIA GPU; none was found")
    assert backend.cuda is not None
    if backend.cuda.release[:2] > override.release[:2]:
        return Verdict(
            f"`CONDA_OVERRIDE_CUDA={override}` asks for a driver of CUDA {override}; `{backend}` needs CUDA "
            f"{backend.cuda.major}.{backend.cuda.minor}"
        )
    return Verdict(
        None,
        (
            f"no NVIDIA GPU was found on this machine; `{backend}` is planned because "
            f"`CONDA_OVERRIDE_CUDA={override}` asks for a CUDA {override} environment (as conda and pixi "
            "use it on GPU-less build hosts); the GPU it will run on was not checked",
        ),
    )


def _gpu_arch(torch: Version, backend: Backend, machine: Machine, release: Release | None) -> Verdict:
    """Whether every NVIDIA GPU has code in the build: known from the arch list, from the CUDA toolkit's
    range where the list is a gap, otherwise unknown."""
    assert backend.cuda is not None and machine.nvidia is not None
    key = machine.platform_key
    archs = cuda_arches.arch_list(torch, backend.name, key) if release is not None else None
    sibling = None
    assumed = archs is not None and archs.confidence == "low"
    if assumed:  # a list assumed from neighbouring releases is evidence, not a known fact
        sibling, archs = archs, None
    elif archs is None and key != "linux-x86_64" and release is not None:
        sibling = cuda_arches.arch_list(torch, backend.name, "linux-x86_64")
    unknown: list[str] = []
    unread: dict[str, list[str]] = {}  # GPU name -> indices whose architecture could not be read
    gap: dict[str, list[str]] = {}  # sm -> GPU labels the arch-list gap leaves unchecked
    doubt = 0
    if not machine.nvidia.gpus and override_cuda(machine) is None:
        unknown.append(f"which NVIDIA GPU the driver serves (none is listed), so `{backend}` is unchecked")
    for index, gpu in enumerate(machine.nvidia.gpus):
        cc = gpu.compute_capability
        try:
            sm = f"sm_{''.join(map(str, cuda_arches.parse_cc(cc)))}" if cc else None
        except ValueError:
            sm = None
        label = f"GPU {index} `{gpu.name}`"
        if cc is None or sm is None:
            unread.setdefault(gpu.name, []).append(str(index))
            continue
        if archs is not None:
            if not cuda_arches.runs_on(archs, cc):
                listed = (
                    f"sm_{archs.sm[0].replace('.', '')}…sm_{archs.sm[-1].replace('.', '')}"
                    if archs.sm
                    else ""
                )
                ptx = f" (+PTX {archs.ptx})" if archs.ptx else ""
                return Verdict(
                    f"the `{backend}` build of torch {torch} has kernels for {listed}{ptx}; {label} "
                    f"is {sm}, so it cannot run there"
                )
            continue
        excluded = cuda_arches.toolkit_excludes(backend.cuda, cc)
        if excluded is not None:
            return Verdict(f"{excluded}: {label} ({sm}) cannot run the `{backend}` build of torch {torch}")
        gap.setdefault(sm, []).append(label)
        if sibling is not None and not cuda_arches.runs_on(sibling, cc):
            doubt += 1
    for name, indices in unread.items():
        which = f"GPU {indices[0]}" if len(indices) == 1 else f"GPUs {', '.join(indices)}"
        unknown.append(
            f"the architecture of {which} `{name}` could not be read (`sm ?`), so `{backend}` is unchecked"
        )
    what = (
        "torch newer than the tables"
        if release is None
        else "assumed from neighbouring releases"
        if assumed
        else "a gap in torchsmith's tables"
    )
    for sm, labels in gap.items():
        unknown.append(
            f"whether the `{backend}` build of torch {torch} for `{key}` has {sm} code for "
            f"{', '.join(labels)} (its arch list is {what})"
        )
    return Verdict(None, unknown=tuple(unknown), doubt=doubt)


def _cuda_rule(release: Release | None, torch: Version, backend: Backend, machine: Machine) -> Verdict:
    assert backend.cuda is not None
    nvidia = machine.nvidia
    if nvidia is None or (not nvidia.gpus and nvidia.driver is None):
        return _no_nvidia(backend, machine)
    driver = _v(nvidia.driver)
    if driver is None:
        if override_cuda(machine) is not None and not nvidia.gpus:
            return _no_nvidia(backend, machine)
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
    unknown: list[str] = []
    if floor is None:
        unknown.append(
            f"the minimum {os_key} driver of CUDA {backend.cuda} (not in torchsmith's driver table)"
        )
    if own is not None and backend.cuda > own:
        notes.append(
            f"`{backend}` runs on driver {nvidia.driver} only through CUDA minor-version compatibility "
            "(limited features, no JIT of newer PTX); a driver update removes the limit"
        )
    arch = _gpu_arch(torch, backend, machine, release)
    return Verdict(arch.why, tuple(notes), unknown=tuple(unknown) + arch.unknown, doubt=arch.doubt)


def _rocm_rule(backend: Backend, machine: Machine) -> Verdict:
    if machine.amd is None or not machine.amd.gpus:
        return Verdict(f"`{backend}` needs an AMD GPU; none was found")
    targets = rocm.gfx_targets(backend.name)
    unknown: list[str] = []
    for index, gpu in enumerate(machine.amd.gpus):
        if not gpu.gfx:
            unknown.append(f"the gfx target of AMD GPU {index} `{gpu.name}` could not be read")
        elif not targets:
            unknown.append(f"the gfx targets of the `{backend}` wheels (a gap in torchsmith's tables)")
        elif gpu.gfx not in targets:
            override = rocm.gfx_override(gpu.gfx, backend.name)
            hint = f"; it may run with `HSA_OVERRIDE_GFX_VERSION={override}`" if override else ""
            return Verdict(
                f"`{backend}` wheels are not built for AMD GPU {index} `{gpu.name}` ({gpu.gfx}){hint}"
            )
    return Verdict(None, unknown=tuple(dict.fromkeys(unknown)))


def _xpu_rule(machine: Machine) -> Verdict:
    gpus = machine.intel.gpus if machine.intel else ()
    if any(g.device_id and xpu.xpu_supported(g.device_id) for g in gpus):
        return Verdict(None)
    if gpus and all(not g.device_id for g in gpus):
        return Verdict(None, unknown=("the PCI device id of the Intel GPU could not be read",))
    return Verdict(
        "`xpu` needs an Intel GPU that PyTorch XPU supports (Arc, Data Center GPU Max, Core Ultra)"
    )


def _jetson_rule(machine: Machine, torch: Version, backend: Backend, release: Release | None) -> Verdict:
    from torchsmith.machine.runnable import jetson_release

    jp = jetson_release(machine)
    if backend.kind == "jetson":
        if machine.jetson is None:
            return Verdict(f"`{backend}` is NVIDIA's build for Jetson boards; this machine is not a Jetson")
        if jp is None:
            return Verdict(
                None, unknown=(f"the JetPack release of L4T {machine.jetson.l4t} (not in the table)",)
            )
        return Verdict(None)
    if jp is None or not jp.sbsa or backend.kind != "cuda":
        return Verdict(
            f"upstream `{backend}` wheels do not run on Jetson (Tegra) boards; use NVIDIA's Jetson builds"
        )
    assert backend.cuda is not None and machine.jetson is not None
    note = (
        f"JetPack {jp.jetpack} uses Arm SBSA CUDA {jp.cuda}, so upstream aarch64 `{backend}` wheels apply",
    )
    if jp.cuda is not None and backend.cuda.release[:2] > jp.cuda.release[:2]:
        return Verdict(f"JetPack {jp.jetpack} ships CUDA {jp.cuda}; `{backend}` needs a newer CUDA")
    from dataclasses import replace

    from torchsmith.knowledge.jetson import module_compute_capability
    from torchsmith.machine.model import NvidiaGpu, NvidiaInfo

    cc = module_compute_capability(machine.jetson.module) or (jp.sm[0] if len(jp.sm) == 1 else None)
    gpu = NvidiaGpu(name=machine.jetson.module or "Jetson GPU", compute_capability=cc)
    as_gpu = replace(machine, nvidia=NvidiaInfo(driver=None, cuda_driver=None, gpus=(gpu,)), jetson=None)
    arch = _gpu_arch(torch, backend, as_gpu, release)
    return Verdict(arch.why, note, unknown=arch.unknown, doubt=arch.doubt)


def check(machine: Machine, torch: Version, backend: Backend) -> Verdict:
    """Whether `torch` built for `backend` installs and runs on `machine`, and if not, why; facts that could
    not be checked are listed in `unknown`."""
    release = releases.release_for(torch)
    if backend.kind == "jetson" or (machine.jetson is not None and backend.kind != "cpu"):
        jetson = _jetson_rule(machine, torch, backend, release)
        if not jetson.ok or backend.kind == "jetson":
            return jetson
        base = _installable(release, backend, machine)
        return base if not base.ok else base.merged(jetson)
    verdict = _installable(release, backend, machine)
    if not verdict.ok:
        return verdict
    if backend.kind == "cuda":
        hardware = _cuda_rule(release, torch, backend, machine)
    elif backend.kind == "rocm":
        hardware = _rocm_rule(backend, machine)
    elif backend.kind == "xpu":
        hardware = _xpu_rule(machine)
    else:
        hardware = Verdict(None)
    if not hardware.ok:
        return Verdict(hardware.why, hardware.notes, unknown=verdict.unknown + hardware.unknown)
    if release is None and backend.kind != "cpu" and not hardware.unknown:
        hardware = hardware.merged(
            Verdict(None, unknown=(f"the GPU support of torch {torch} (newer than torchsmith's tables)",))
        )
    return verdict.merged(hardware)


def _installable(release: Release | None, backend: Backend, machine: Machine) -> Verdict:
    """The hard rules (platform, Python, C library, macOS): does any wheel install here at all."""
    if release is None:
        if machine.libc is not None and machine.libc.name == "musl":
            return _libc_rule(releases.releases()[0], machine)
        return Verdict(None)
    result = Verdict(None)
    for rule in (
        _platform_rule(release, backend, machine.platform_key),
        _python_rule(release, machine),
        _libc_rule(release, machine),
        _macos_rule(release, machine),
    ):
        if not rule.ok:
            return rule
        result = result.merged(rule)
    return result
