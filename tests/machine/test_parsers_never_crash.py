"""Every parser this probe uses returns a value or None on any text, and never raises (property test)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from torchsmith.machine import amd_smi, intel, microarch, nvidia, nvidia_smi, pciids, toolkit

PARSERS: list[Callable[[str], object]] = [
    nvidia_smi.parse_smi_csv,
    nvidia_smi.parse_smi_xml,
    nvidia_smi.parse_smi_text,
    nvidia_smi.parse_smi_table,
    nvidia_smi.parse_smi_list,
    nvidia_smi.parse_field_error,
    nvidia.parse_proc_version,
    nvidia.is_tegra_proc_version,
    amd_smi.parse_amd_smi_static,
    amd_smi.parse_amd_smi_list,
    intel.parse_xpu_smi_devices,
    intel.parse_sycl_ls_device_ids,
    pciids.parse_lspci,
    lambda text: pciids.parse_pci_ids(text, "10de", "2206"),
    lambda text: pciids.vendor_devices(text, "8086"),
    toolkit.parse_nvcc_version,
    toolkit.parse_version_json,
    toolkit.parse_version_txt,
    toolkit.parse_cuda_h,
    microarch.first_cpuinfo_block,
]

# Lines built from the tokens these formats use, so that the parsers' deeper branches are reached.
TOKENS = st.sampled_from(
    [
        "GPU 0: ",
        "GPU: 0",
        "  MIG 1g.10gb  Device  0: (UUID: MIG-x)",
        "| NVIDIA-SMI 1 Driver Version: ",
        "CUDA Version: ",
        "KMD Version:",
        "Driver Version : ",
        "    PCI",
        "        Device Id : 0x",
        "MiB",
        "| 0 |",
        "Device Name: ",
        "PCI Device ID: 0x",
        "DeviceID : ",
        "Platform [#1]:",
        "[10de:2206]",
        "01:00.0 VGA [0300]: ",
        "\t2206  ",
        "10de  ",
        "release 13.0, V",
        "#define CUDA_VERSION ",
        '{"cuda":',
        "N/A",
        "ERR!",
        "[N/A]",
        ":",
        ",",
        "|",
        "\n",
        "    ",
        "\t",
        "\x00",
        "é",
        "9" * 30,
    ]
)
TEXTS = st.one_of(
    st.text(max_size=300), st.lists(st.one_of(TOKENS, st.text(max_size=8)), max_size=40).map("".join)
)


@pytest.mark.slow
@pytest.mark.parametrize("parse", PARSERS, ids=lambda p: getattr(p, "__name__", "lambda"))
@settings(max_examples=60, deadline=None)
@given(text=TEXTS)
def test_parser_never_raises(parse: Callable[[str], object], text: str) -> None:
    parse(text)
