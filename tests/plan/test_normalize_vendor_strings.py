"""Vendor strings in every printed form come out in one spelling (`torchsmith.machine.normalize`).

Each input is a format a real tool prints (cited per case); the expected value is what the rules compare.
"""

from __future__ import annotations

import pytest

from torchsmith.machine import normalize
from torchsmith.machine.model import AmdGpu, AmdInfo, Machine, NvidiaGpu, NvidiaInfo, PythonInfo


@pytest.mark.parametrize(
    ("printed", "windows", "expected"),
    [
        # NVIDIA: last five digits of the last two driver-store fields -> XXX.XX (wmic / Get-CimInstance).
        ("32.0.15.8157", True, "581.57"),
        ("31.0.15.3623", True, "536.23"),
        ("27.21.14.5671", True, "456.71"),
        ("32.0.15.6094", True, "560.94"),
        # nvidia-smi on Windows/WSL2 and Linux prints NVIDIA's own form.
        ("581.57", True, "581.57"),
        ("535.104.05", False, "535.104.05"),
        ("470.82.01", False, "470.82.01"),
        ("535.104", False, "535.104"),
        # /proc/driver/nvidia/version
        ("NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 01:15:15 UTC 2023", False,
         "535.104.05"),
        ("", False, None),
    ],
)  # fmt: skip
def test_nvidia_driver(printed: str, windows: bool, expected: str | None) -> None:
    assert normalize.nvidia_driver(printed, windows) == expected


@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        ("12.2", "12.2"),
        ("CUDA Version: 12.2", "12.2"),
        ("12020", "12.2"),
        ("13000", "13.0"),
        ("11080", "11.8"),
    ],
)
def test_cuda_version(printed: str, expected: str) -> None:
    # nvidia-smi banner; cudaDriverGetVersion() = 1000*major + 10*minor (CUDA Runtime API reference).
    assert normalize.cuda_version(printed) == expected


@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        ("8.6", "8.6"), ("sm_86", "8.6"), ("sm86", "8.6"), ("compute_86", "8.6"), ("86", "8.6"),
        ("sm_90a", "9.0"), ("sm_100f", "10.0"), ("12.0", "12.0"), ("sm_120", "12.0"), ("120", "12.0"),
        ("8,6", "8.6"), ("sm ?", None), ("[N/A]", None), ("N/A", None), ("", None),
    ],
)  # fmt: skip
def test_compute_capability(printed: str, expected: str | None) -> None:
    # nvidia-smi --query-gpu=compute_cap prints `8.6`; nvcc/TORCH_CUDA_ARCH_LIST use `sm_86`/`compute_86`;
    # CMake CUDA_ARCHITECTURES uses `86`; CUDA 12.9 arch-family suffixes `a`/`f` name the same GPU.
    assert normalize.compute_capability(printed) == expected


@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        ("gfx90a:sramecc+:xnack-", "gfx90a"),
        ("gfx942:sramecc+:xnack-", "gfx942"),
        ("amdgcn-amd-amdhsa--gfx90a:sramecc+:xnack-", "gfx90a"),
        ("GFX1100", "gfx1100"),
        ("gfx1030", "gfx1030"),
        ("gfx906:sramecc-:xnack-", "gfx906"),
    ],
)
def test_gfx_target(printed: str, expected: str) -> None:
    # rocminfo `Name:` lines and LLVM AMDGPU target ids (`processor:feature+...`).
    assert normalize.gfx_target(printed) == expected


@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        ("cp36m", "cp36"), ("cp37m", "cp37"), ("cp38", "cp38"), ("cp313t", "cp313t"), ("CP312", "cp312"),
        ("cpython-36m-x86_64-linux-gnu", "cp36"), ("cpython-313t-x86_64-linux-gnu", "cp313t"),
        ("cp37dm", "cp37"),
    ],
)  # fmt: skip
def test_python_abi(printed: str, expected: str) -> None:
    # PEP 3149 ABI flags (`m` pymalloc, `d` debug, dropped in 3.8); PEP 703 `t`; sysconfig SOABI.
    assert normalize.python_abi(printed) == expected


@pytest.mark.parametrize(
    ("printed", "expected"),
    [("0x56A0", "0x56a0"), ("56a0", "0x56a0"), ("8086:56a0", "0x56a0"),
     ("PCI\\VEN_8086&DEV_56A0&SUBSYS_10208086&REV_08", "0x56a0")],
)  # fmt: skip
def test_intel_device_id(printed: str, expected: str) -> None:
    # lspci -nn `[8086:56a0]`; Windows PNPDeviceID `PCI\VEN_8086&DEV_56A0&...`.
    assert normalize.intel_device_id(printed) == expected


def test_machine_is_normalised_and_rewrites_are_named() -> None:
    machine = Machine(
        os="windows",
        arch="x86_64",
        python=PythonInfo("3.12", abi="cp312"),
        nvidia=NvidiaInfo(driver="32.0.15.8157", cuda_driver="CUDA Version: 13.0",
                          gpus=(NvidiaGpu("RTX 4090", "sm_89"),)),
    )  # fmt: skip
    result = normalize.normalize_machine(machine)
    assert result.nvidia is not None
    assert (result.nvidia.driver, result.nvidia.cuda_driver) == ("581.57", "13.0")
    assert result.nvidia.gpus[0].compute_capability == "8.9"
    assert any("driver-store" in w and "581.57" in w for w in result.warnings)


def test_canonical_machine_is_unchanged() -> None:
    machine = Machine(
        os="linux",
        arch="x86_64",
        python=PythonInfo("3.12", abi="cp312"),
        amd=AmdInfo(rocm=None, gpus=(AmdGpu("MI250X", "gfx90a"),)),
    )
    assert normalize.normalize_machine(machine) is machine


@pytest.mark.parametrize(
    ("printed", "expected"), [("R35.5.0", "35.5.0"), ("r36.4", "36.4.0"), ("35.5", "35.5.0")]
)
def test_l4t_release(printed: str, expected: str) -> None:
    # /etc/nv_tegra_release `# R35 (release), REVISION: 5.0` is L4T 35.5.0; jtop and scripts print `R35.5.0`.
    assert normalize.l4t_release(printed) == expected


def test_m_abi_is_normalised_but_wheel_tags_keep_it() -> None:
    # PEP 3149: CPython 3.7 wheels are tagged `cp37-cp37m` (torch-1.13.1-cp37-cp37m-manylinux1_x86_64.whl on
    # PyPI); the machine says `cp37`, and the tags it accepts must still match those files.
    from torchsmith.machine.model import Libc
    from torchsmith.planning.tags import machine_tags

    machine = normalize.normalize_machine(
        Machine(os="linux", arch="x86_64", libc=Libc("glibc", "2.35"), python=PythonInfo("3.7", abi="cp37m"))
    )
    assert machine.python is not None and machine.python.abi == "cp37"
    tags = {str(tag) for tag in machine_tags(machine)}
    assert "cp37-cp37m-manylinux1_x86_64" in tags


def test_probe_path_normalises_and_keeps_the_note(monkeypatch: pytest.MonkeyPatch) -> None:
    # The probe applies the same boundary as `--machine` files: a Windows detector reporting the
    # driver-store version (`Get-CimInstance Win32_VideoController` DriverVersion) yields NVIDIA's 581.57.
    from tests.machines.test_machines import context_for
    from torchsmith.machine import nvidia, probe_context

    def detect(ctx: object) -> NvidiaInfo:
        return NvidiaInfo(driver="32.0.15.8157", cuda_driver=None, gpus=(NvidiaGpu("RTX 4090", "8.9"),))

    monkeypatch.setattr(nvidia, "detect", detect)
    machine = probe_context(context_for("cpu-container"))
    assert machine.nvidia is not None and machine.nvidia.driver == "581.57"
    assert any("driver-store" in w for w in machine.warnings)
    assert "cu130" in machine.backends
