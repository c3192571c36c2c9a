"""Machines with several GPUs: plan for a chosen subset (`--gpu 0,2`) or, when no build serves them all,
for the most capable one, and say which GPUs were left out and how to hide them from torch.

Indices are the probe's: NVIDIA GPUs in `nvidia-smi` order (PCI bus order) when the machine has NVIDIA
GPUs, else AMD GPUs in `rocminfo`/sysfs order. CUDA numbers devices fastest-first unless
`CUDA_DEVICE_ORDER=PCI_BUS_ID` is set (NVIDIA, "CUDA C++ Programming Guide", CUDA environment variables),
so the hint sets both; ROCm honours `HIP_VISIBLE_DEVICES` (AMD, "HIP environment variables").
"""

from __future__ import annotations

from collections.abc import Sequence

from torchsmith import record
from torchsmith.errors import UsageError
from torchsmith.machine.model import Machine

__all__ = ["gpu_count", "gpu_label", "kinds", "left_out", "restrict", "subsets", "visible_hint"]


def _vendor(machine: Machine) -> str | None:
    if machine.nvidia is not None and machine.nvidia.gpus:
        return "nvidia"
    if machine.amd is not None and machine.amd.gpus:
        return "amd"
    return None


def gpu_count(machine: Machine) -> int:
    vendor = _vendor(machine)
    if vendor == "nvidia":
        assert machine.nvidia is not None
        return len(machine.nvidia.gpus)
    if vendor == "amd":
        assert machine.amd is not None
        return len(machine.amd.gpus)
    return 0


def gpu_label(machine: Machine, index: int) -> str:
    """`GPU 1 `NVIDIA GeForce GTX 1080` (sm_61)`, as the plan's reasons name GPUs."""
    if _vendor(machine) == "nvidia":
        assert machine.nvidia is not None
        gpu = machine.nvidia.gpus[index]
        cc = gpu.compute_capability
        arch = f"sm_{cc.replace('.', '')}" if cc else "sm ?"
        return f"GPU {index} `{gpu.name}` ({arch})"
    assert machine.amd is not None
    agpu = machine.amd.gpus[index]
    return f"AMD GPU {index} `{agpu.name}` ({agpu.gfx or 'gfx ?'})"


def _rederive(original: Machine, restricted: Machine) -> Machine:
    """Backends follow the GPUs for ROCm (every GPU's gfx must be in the wheels); CUDA backends depend on the
    driver only, so the original list (which may carry `CONDA_OVERRIDE_CUDA`) keeps them."""
    from torchsmith.backends import parse_backend
    from torchsmith.machine.runnable import runnable_backends

    fresh = runnable_backends(restricted)
    cuda = [b for b in original.backends if parse_backend(b).kind == "cuda"]
    rest = [b for b in fresh if parse_backend(b).kind != "cuda"]
    return record.replace(restricted, backends=tuple(dict.fromkeys(cuda + rest)))


def restrict(machine: Machine, indices: Sequence[int], source: str = "`--gpu`") -> Machine:
    """The machine with only the GPUs at `indices`; raise UsageError naming the valid indices."""
    count = gpu_count(machine)
    if count == 0:
        raise UsageError(
            f"{source} selects GPUs, but this machine has no NVIDIA or AMD GPU",
            hint="drop `--gpu` (or plan for a machine file with GPUs: `--machine FILE`)",
        )
    bad = [i for i in indices if not 0 <= i < count]
    if bad or not indices:
        raise UsageError(
            f"invalid GPU index `{','.join(map(str, bad or indices))}` in {source}: this machine has GPUs "
            f"0–{count - 1}",
            hint=f"use e.g. `--gpu 0` or `--gpu 0,{count - 1}`" if count > 1 else "use `--gpu 0`",
        )
    keep = sorted(set(indices))
    if _vendor(machine) == "nvidia":
        assert machine.nvidia is not None
        gpus = tuple(machine.nvidia.gpus[i] for i in keep)
        restricted = record.replace(machine, nvidia=record.replace(machine.nvidia, gpus=gpus))
    else:
        assert machine.amd is not None
        agpus = tuple(machine.amd.gpus[i] for i in keep)
        restricted = record.replace(machine, amd=record.replace(machine.amd, gpus=agpus))
    return _rederive(machine, restricted)


def _capability(machine: Machine, index: int) -> tuple[int, ...]:
    """A sort key: higher = more capable (compute capability, or the gfx number)."""
    import re

    if _vendor(machine) == "nvidia":
        assert machine.nvidia is not None
        cc = machine.nvidia.gpus[index].compute_capability or ""
        return tuple(int(p) for p in re.findall(r"[0-9]+", cc)[:2]) or (0,)
    assert machine.amd is not None
    gfx = machine.amd.gpus[index].gfx or ""
    match = re.fullmatch(r"gfx([0-9]+)([0-9a-f])([0-9a-f])", gfx)
    return (int(match[1]), int(match[2], 16), int(match[3], 16)) if match else (0,)


def kinds(machine: Machine) -> set[str]:
    """The distinct kinds of GPU (name and architecture) the machine has."""
    return {gpu_label(machine, i).split(" ", 2)[-1] for i in range(gpu_count(machine))}


def subsets(machine: Machine) -> list[tuple[list[int], Machine]]:
    """Each kind of GPU alone (its indices, the machine with only those), most capable first: identical
    GPUs stay together, so two RTX 5090s beside a GTX 1080 are planned for as a pair."""
    count = gpu_count(machine)
    order = sorted(range(count), key=lambda i: (_capability(machine, i), -i), reverse=True)
    groups: dict[str, list[int]] = {}
    for index in order:
        groups.setdefault(gpu_label(machine, index).split(" ", 2)[-1], []).append(index)
    return [
        (sorted(indices), restrict(machine, indices, "the multi-GPU policy")) for indices in groups.values()
    ]


def visible_hint(machine: Machine, kept: Sequence[int]) -> str:
    """The environment that shows torch only the kept GPUs."""
    ids = ",".join(str(i) for i in kept)
    if _vendor(machine) == "nvidia":
        return f"`CUDA_DEVICE_ORDER=PCI_BUS_ID CUDA_VISIBLE_DEVICES={ids}`"
    return f"`HIP_VISIBLE_DEVICES={ids}`"


def left_out(machine: Machine, kept: Sequence[int], why: str) -> list[str]:
    left = [i for i in range(gpu_count(machine)) if i not in kept]
    names = "; ".join(gpu_label(machine, i) for i in left)
    return [
        f"planned for {', '.join(gpu_label(machine, i) for i in kept)} only ({why}); left out: {names}. "
        f"Run torch with {visible_hint(machine, kept)} so it uses only the planned GPU(s), or plan for "
        "the others with `--gpu INDEX`"
    ]
