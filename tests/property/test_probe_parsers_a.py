"""Every parser of the platform, python, NVIDIA, WSL, container and virtual-package modules takes any text
without raising: junk gives None (or False), never an exception."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from torchsmith.machine import container, nvidia, platform, virtual, wsl
from torchsmith.machine.context import ProbeContext
from torchsmith.machine.model import Libc, Machine, NvidiaInfo

pytestmark = pytest.mark.property

RECORDED = Path(__file__).parents[1] / "data" / "recorded"
SAMPLES = [
    p.read_text(errors="replace")
    for p in sorted(RECORDED.glob("*/*"))
    if p.suffix in (".txt", ".csv", ".xml")
]

TEXT_PARSERS: dict[str, Callable[[str], object]] = {
    "nvidia.parse_smi_csv": nvidia.parse_smi_csv,
    "nvidia.parse_smi_xml": nvidia.parse_smi_xml,
    "nvidia.parse_proc_version": nvidia.parse_proc_version,
    "nvidia.parse_module_version": nvidia.parse_module_version,
    "nvidia.parse_gpu_information": nvidia.parse_gpu_information,
    "nvidia.normalize_bus_id": nvidia.normalize_bus_id,
    "platform.parse_proc_version": platform.parse_proc_version,
    "platform.parse_osrelease": platform.parse_osrelease,
    "platform.parse_confstr_libc": platform.parse_confstr_libc,
    "platform.parse_glibc_soname": platform.parse_glibc_soname,
    "platform.parse_glibc_banner": platform.parse_glibc_banner,
    "platform.parse_apk_musl_version": platform.parse_apk_musl_version,
    "platform.os_name": platform.os_name,
    "wsl.is_wsl_kernel": wsl.is_wsl_kernel,
    "container.parse_cgroup": container.parse_cgroup,
    "container.parse_systemd_container": container.parse_systemd_container,
}


# Text that looks like the real thing: pieces of recorded outputs, cut and spliced with junk.
def _spliced() -> st.SearchStrategy[str]:
    sample = st.sampled_from(SAMPLES)
    cut = st.tuples(sample, st.integers(0, 4000), st.integers(0, 4000)).map(
        lambda t: t[0][t[1] : t[1] + t[2]]
    )
    return st.lists(st.one_of(cut, st.text(max_size=40)), max_size=6).map("".join)


TEXT = st.one_of(
    st.text(),
    st.binary().map(lambda b: b.decode("utf-8", errors="replace")),
    _spliced(),
)


@pytest.mark.parametrize("name", sorted(TEXT_PARSERS))
@settings(max_examples=150, deadline=None)
@given(text=TEXT)
@example(text="<!DOCTYPE x [<!ENTITY a 'b'>]><nvidia_smi_log>&a;</nvidia_smi_log>")
@example(text="name\n,,,,")
@example(text="NVRM version: NVIDIA UNIX x86_64 Kernel Module  \n")
def test_text_parsers_never_raise(name: str, text: str) -> None:
    result = TEXT_PARSERS[name](text)
    assert result is None or isinstance(result, (str, bool, Libc, NvidiaInfo)) or hasattr(result, "name")


@settings(max_examples=200, deadline=None)
@given(vendor=TEXT, device=TEXT, pci_class=TEXT, system=TEXT)
def test_pci_and_arch_never_raise(vendor: str, device: str, pci_class: str, system: str) -> None:
    nvidia.parse_pci_gpu(vendor, device, pci_class)
    platform.normalize_arch(vendor, system)


@settings(max_examples=200, deadline=None)
@given(value=st.integers(-(2**70), 2**70))
def test_nvml_cuda_version_never_raises(value: int) -> None:
    result = nvidia.parse_nvml_cuda_version(value)
    assert result is None or result.count(".") == 1


OVERRIDES = (
    "CONDA_OVERRIDE_CUDA",
    "CONDA_OVERRIDE_GLIBC",
    "CONDA_OVERRIDE_LINUX",
    "CONDA_OVERRIDE_OSX",
    "CONDA_OVERRIDE_WIN",
    "CONDA_OVERRIDE_ARCHSPEC",
)


@settings(max_examples=200, deadline=None)
@given(
    env=st.dictionaries(st.sampled_from(OVERRIDES), st.text(max_size=20)),
    system=st.sampled_from(["linux", "macos", "windows", "freebsd"]),
    kernel=st.one_of(st.none(), st.text(max_size=30)),
    libc=st.one_of(st.none(), st.text(max_size=12)),
    cuda=st.one_of(st.none(), st.text(max_size=8)),
)
def test_virtual_packages_never_raise(
    env: dict[str, str], system: str, kernel: str | None, libc: str | None, cuda: str | None
) -> None:
    machine = Machine(
        os=system,
        arch="x86_64",
        kernel=kernel,
        libc=Libc("glibc", libc),
        nvidia=NvidiaInfo(driver=None, cuda_driver=cuda),
    )
    ctx = ProbeContext(root=Path("/nonexistent"), env=env, use_nvml=False)
    result = virtual.virtual_packages(machine, ctx)
    assert list(result) == sorted(result)
    assert all(p.startswith("__") and p.count("=") == 2 and p.isprintable() for p in result)
