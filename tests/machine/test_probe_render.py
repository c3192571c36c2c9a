"""`torchsmith probe` (human output) says the toolkit, MIG and "no driver" facts plainly (fake machines)."""

from __future__ import annotations

from tests.machines.test_machines import context_for
from torchsmith.cli_render import render_machine
from torchsmith.machine import probe_context


def _render(name: str) -> list[str]:
    return render_machine(probe_context(context_for(name))).splitlines()


def test_mig_instances_are_listed_under_their_gpu() -> None:
    lines = _render("a100-mig-driver535")
    assert (
        "  gpu 0       NVIDIA A100-SXM4-80GB (sm 8.0, 81920 MiB, PCI 10de:20b2), MIG on: 7 instance(s), "
        "each a separate GPU to CUDA"
    ) in lines
    assert "    mig 0     1g.10gb MIG-feb88891-0321-5fef-9c87-d4af3b54259e" in lines
    assert sum(line.startswith("    mig ") for line in lines) == 7


def test_no_driver_is_said_plainly_with_the_named_gpu() -> None:
    lines = _render("laptop-nvidia-no-driver")
    assert (
        "nvidia        no driver loaded: CUDA cannot use these GPUs until the NVIDIA driver is installed "
        "[pci+pci.ids+device-table]"
    ) in lines
    assert "  gpu 0       GeForce RTX 4060 Max-Q / Mobile (sm 8.9, PCI 10de:28e0)" in lines


def test_toolkit_without_driver() -> None:
    lines = _render("cuda-toolkit-no-driver")
    assert (
        "cuda toolkit  CUDA 13.0.88 at /usr/local/cuda [usr-local+nvcc] (nvcc for building extensions; "
        "not a driver)"
    ) in lines
    assert "nvidia        no NVIDIA driver or GPU found: the toolkit alone cannot run CUDA" in lines


def test_mig_without_known_instances_says_so() -> None:
    from torchsmith.machine.model import Machine, NvidiaGpu, NvidiaInfo

    gpu = NvidiaGpu("NVIDIA H100 NVL", "9.0", None, "0000:98:00.0", "0x2321", mig=True)
    machine = Machine(os="linux", arch="x86_64", nvidia=NvidiaInfo("550.127.06", None, (gpu,), "nvidia-smi"))
    assert any("MIG on: instances unknown" in line for line in render_machine(machine).splitlines())
