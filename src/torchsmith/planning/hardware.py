"""The hardware rules: NVIDIA driver and GPU architectures, ROCm gfx targets, Intel XPU devices, Jetson.

Each answers runs / does not run / unknown (`Verdict`). Where a build's arch list is a gap, the CUDA
toolkit's range still decides what it cannot hold (`cuda_arches.toolkit_excludes`); what remains is unknown,
with indirect evidence (the Linux sibling's list, a list assumed from neighbouring releases) counted as doubt.
"""

from __future__ import annotations

from packaging.version import InvalidVersion, Version

from torchsmith.backends import Backend
from torchsmith.knowledge import cuda_arches, cuda_drivers, rocm, xpu
from torchsmith.knowledge.releases import Release
from torchsmith.machine.model import Machine
from torchsmith.machine.runnable import override_cuda
from torchsmith.planning.verdict import Verdict

__all__ = ["cuda_rule", "jetson_rule", "rocm_rule", "xpu_rule"]


def _v(text: str | None) -> Version | None:
    try:
        return None if text is None else Version(text)
    except InvalidVersion:
        return None


def _override_verdict(backend: Backend, override: Version, os_key: str) -> Verdict:
    """Whether a driver of CUDA `override` (what `CONDA_OVERRIDE_CUDA` asks for) runs `backend`.

    conda's own rule is the reference: conda-forge's `cuda-version` package constrains `__cuda >=<major>`
    ("Major version is lower bound", conda-forge/cuda-version-feedstock recipe/meta.yaml), so a `__cuda`
    of 12.4 admits CUDA 12.6 packages, through CUDA minor-version compatibility. The same holds for
    PyTorch's wheels when the CUDA release's minimum driver (NVIDIA's compatibility guide, the driver
    table) is at most the driver that CUDA version ships with."""
    assert backend.cuda is not None
    cuda = f"{backend.cuda.major}.{backend.cuda.minor}"
    if backend.cuda.release[:2] <= override.release[:2]:
        return Verdict(None)
    pretend = cuda_drivers.toolkit_driver(override, os_key)  # the driver of its major.minor
    floor = cuda_drivers.min_driver(backend.cuda, os_key)
    same_major = backend.cuda.major == override.major
    if same_major and pretend is not None and floor is not None and pretend >= floor:
        return Verdict(
            None,
            (
                f"`{backend}` needs CUDA {cuda}; the CUDA {override} driver that "
                f"`CONDA_OVERRIDE_CUDA={override}` asks for runs it through CUDA minor-version compatibility "
                f"(limited features, no JIT of newer PTX), as conda's `__cuda >={override.major}` constraint "
                f"on CUDA {override.major}.x packages allows",
            ),
        )
    return Verdict(
        f"`CONDA_OVERRIDE_CUDA={override}` asks for a driver of CUDA {override}; "
        f"`{backend}` needs CUDA {cuda}"
    )


def _no_nvidia(backend: Backend, machine: Machine) -> Verdict:
    override = override_cuda(machine)
    if override is None:
        return Verdict(f"`{backend}` needs an NVIDIA GPU; none was found")
    intent = _override_verdict(backend, override, machine.driver_os)
    if not intent.ok:
        return intent
    return Verdict(
        None,
        (
            f"no NVIDIA GPU was found on this machine; `{backend}` is planned because "
            f"`CONDA_OVERRIDE_CUDA={override}` asks for a CUDA {override} environment (as conda and pixi "
            "use it on GPU-less build hosts); the GPU it will run on was not checked",
            *intent.notes,
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


def cuda_rule(release: Release | None, torch: Version, backend: Backend, machine: Machine) -> Verdict:
    assert backend.cuda is not None
    nvidia = machine.nvidia
    if nvidia is None or (not nvidia.gpus and nvidia.driver is None):
        return _no_nvidia(backend, machine)
    driver = _v(nvidia.driver)
    if driver is None:
        override = override_cuda(machine)
        if override is None:
            return Verdict(
                f"`{backend}` needs the NVIDIA driver, which is not loaded (GPU seen on PCI only); install "
                "the driver (e.g. `sudo ubuntu-drivers install`) and reboot"
            )
        intent = _no_nvidia(backend, machine)
        if not intent.ok or not nvidia.gpus:
            return intent
        arch = _gpu_arch(torch, backend, machine, release)
        note = (
            f"no NVIDIA driver is loaded; `{backend}` is planned because `CONDA_OVERRIDE_CUDA={override}` "
            "asks for that CUDA (install the driver before running it here)"
        )
        return Verdict(arch.why, (note,), unknown=arch.unknown, doubt=arch.doubt)
    os_key = machine.driver_os
    floor = cuda_drivers.min_driver(backend.cuda, os_key)
    own = _v(nvidia.cuda_driver) or cuda_drivers.cuda_for_driver(driver, os_key)
    own_text = f" (supports CUDA up to {own})" if own else ""
    override = override_cuda(machine)
    notes: list[str] = []
    if override is not None:
        intent = _override_verdict(backend, override, os_key)
        if not intent.ok:
            return intent
        notes.extend(intent.notes)
    if floor is not None and driver < floor:
        needed = cuda_drivers.format_driver(floor)
        if override is None:
            return Verdict(
                f"driver {nvidia.driver}{own_text}; `{backend}` needs driver >= {needed}, so it is rejected"
            )
        notes.append(
            f"`{backend}` needs driver >= {needed} and this machine has {nvidia.driver}; planned because "
            f"`CONDA_OVERRIDE_CUDA={override}` asks for a CUDA {override} environment (update the driver "
            "before running it here)"
        )
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


def rocm_rule(backend: Backend, machine: Machine) -> Verdict:
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


def xpu_rule(machine: Machine) -> Verdict:
    gpus = machine.intel.gpus if machine.intel else ()
    if any(g.device_id and xpu.xpu_supported(g.device_id) for g in gpus):
        return Verdict(None)
    if gpus and all(not g.device_id for g in gpus):
        return Verdict(None, unknown=("the PCI device id of the Intel GPU could not be read",))
    return Verdict(
        "`xpu` needs an Intel GPU that PyTorch XPU supports (Arc, Data Center GPU Max, Core Ultra)"
    )


def jetson_rule(machine: Machine, torch: Version, backend: Backend, release: Release | None) -> Verdict:
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
