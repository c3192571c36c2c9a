"""Every parser of the AMD, Intel, Apple and Jetson detectors takes any text (or bytes) without raising:
junk gives None (or an empty result), never an exception. Recorded outputs seed the search."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from torchsmith.knowledge import rocm, xpu
from torchsmith.machine import amd, apple, intel, jetson

pytestmark = pytest.mark.property

RECORDED = Path(__file__).parents[1] / "data" / "recorded"
SAMPLES = [
    p.read_bytes().decode("utf-8", errors="replace") for p in sorted(RECORDED.glob("*/*")) if p.is_file()
]
IDS = (RECORDED / "amdgpu.ids" / "amdgpu.ids").read_text()

TEXT_PARSERS: dict[str, Callable[[str], object]] = {
    "amd.parse_rocm_version": amd.parse_rocm_version,
    "amd.parse_kfd_properties": amd.parse_kfd_properties,
    "amd.parse_rocminfo": amd.parse_rocminfo,
    "amd.parse_agent_enumerator": amd.parse_agent_enumerator,
    "amd.parse_amd_smi_version": amd.parse_amd_smi_version,
    "amd.parse_amdgpu_ids(text)": lambda text: amd.parse_amdgpu_ids(text, "0x744c", "0xc8"),
    "amd.parse_amdgpu_ids(device)": lambda text: amd.parse_amdgpu_ids(IDS, text, text),
    "amd.parse_pci_amd_gpu": lambda text: amd.parse_pci_amd_gpu(text, text, text),
    "intel.parse_pci_intel_gpu": lambda text: intel.parse_pci_intel_gpu(text, text, text),
    "intel.parse_sycl_ls": intel.parse_sycl_ls,
    "intel.parse_xpu_smi_discovery": intel.parse_xpu_smi_discovery,
    "apple.parse_product_version": apple.parse_product_version,
    "apple.parse_brand_string": apple.parse_brand_string,
    "apple.parse_translated": apple.parse_translated,
    "apple.mps_available": lambda text: apple.mps_available(text, text, False),
    "jetson.parse_nv_tegra_release": jetson.parse_nv_tegra_release,
    "jetson.parse_dpkg_status": jetson.parse_dpkg_status,
    "jetson.parse_device_tree_model": jetson.parse_device_tree_model,
    "rocm.normalize_gfx": rocm.normalize_gfx,
    "rocm.backends_for_gfx": rocm.backends_for_gfx,
    "rocm.gfx_override": rocm.gfx_override,
    "xpu.xpu_supported": xpu.xpu_supported,
}

# Text that looks like the real thing with a twist: mutated recorded samples and near-miss lines.
NEAR_MISSES = st.sampled_from(
    [
        "gfx_target_version 9999999999999999999999\nvendor_id 4098\n",
        "gfx_target_version 90010\nvendor_id 4098\ndevice_id 99999999\nlocation_id 99999999\ndomain 70000\n",
        "# R36 (release), REVISION: 99999.0, GCID: 1",
        "Package: nvidia-l4t-core\nStatus: install ok installed\nVersion: 36.4.0",
        "Agent 1\n  Name: gfx90a\n  Device Type: GPU\n  Marketing Name: \x00\x01",
        "[level_zero:gpu][level_zero:0] , 1.0 []",
        "ROCm version: 6..2",
        "744C,\tC8",
        "\x00" * 3,
    ]
)
TEXT = st.one_of(
    st.text(), st.sampled_from(SAMPLES), NEAR_MISSES, st.sampled_from(SAMPLES).map(lambda s: s[::-1])
)


@pytest.mark.parametrize("name", sorted(TEXT_PARSERS))
@settings(max_examples=150, deadline=None)
@given(text=TEXT)
@example(text="")
@example(text="gfx_target_version 91600\n")
def test_text_parsers_never_raise(name: str, text: str) -> None:
    TEXT_PARSERS[name](text)


@settings(max_examples=150, deadline=None)
@given(value=st.integers(min_value=-(10**30), max_value=10**30))
def test_gfx_target_version_never_raises(value: int) -> None:
    gfx = amd.parse_gfx_target_version(value)
    assert gfx is None or rocm.normalize_gfx(gfx) == gfx


@settings(max_examples=200, deadline=None)
@given(data=st.one_of(st.binary(), st.sampled_from([s.encode() for s in SAMPLES])))
@example(data=b"bplist00")
@example(
    data=b"<?xml version='1.0'?><plist><dict><key>ProductVersion</key><integer>14</integer></dict></plist>"
)
def test_plist_parser_never_raises(data: bytes) -> None:
    apple.parse_system_version_plist(data)


@settings(max_examples=100, deadline=None)
@given(data=st.binary())
def test_bytes_decoded_as_the_context_does_never_raise(data: bytes) -> None:
    text = data.decode("utf-8", errors="replace")
    for parser in TEXT_PARSERS.values():
        parser(text)
