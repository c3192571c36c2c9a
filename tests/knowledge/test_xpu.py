"""The Intel GPU family table: invariants of the data, then device id answers."""

from __future__ import annotations

import pytest

from torchsmith.knowledge._load import load_table
from torchsmith.knowledge.xpu import intel_families, intel_family, normalize_device_id, xpu_supported


def test_every_row_names_a_declared_source_with_url_and_date() -> None:
    table = load_table("xpu")
    for name, source in table.sources.items():
        assert source["url"].startswith("https://"), name
        assert "retrieved" in source, name
    for row in table.rows():
        names = row["source"] if isinstance(row["source"], list) else [row["source"]]
        assert names and all(n in table.sources for n in names), row["name"]
        # Support claims must cite PyTorch's own hardware list.
        if row["xpu"]:
            assert "torch-xpu" in names, row["name"]


def test_device_ids_belong_to_one_family_and_names_are_unique() -> None:
    families = intel_families()
    ids = [i for f in families for i in f.device_ids]
    assert len(ids) == len(set(ids))
    assert len({f.name for f in families}) == len(families)


def test_families_that_are_not_supported_say_why_or_are_plain_igpus() -> None:
    for family in intel_families():
        if not family.xpu and family.discrete:
            assert family.note, family.name


@pytest.mark.parametrize(
    ("device_id", "supported", "discrete"),
    [
        ("0x56a0", True, True),  # Arc A770
        ("0x56A1", True, True),  # Arc A750, upper case
        ("e20b", True, True),  # Arc B580, no 0x
        ("0x0bd5", True, True),  # Data Center GPU Max 1550
        ("0x7d55", True, False),  # Meteor Lake-H Arc Graphics
        ("0x64a0", True, False),  # Lunar Lake
        ("0x56c0", False, True),  # Flex 170: same silicon, not in PyTorch's list
        ("0xa780", False, False),  # Raptor Lake UHD 770
    ],
)
def test_known_devices(device_id: str, supported: bool, discrete: bool) -> None:
    assert xpu_supported(device_id) is supported
    family = intel_family(device_id)
    assert family is not None and family.discrete is discrete


def test_unknown_and_malformed_ids() -> None:
    assert intel_family("0x9a49") is None  # Tiger Lake: not in the table
    assert xpu_supported("0x9a49") is False
    assert xpu_supported("") is False
    assert xpu_supported("0x56a0a") is False
    assert normalize_device_id(" 0x56A0\n") == "0x56a0"
    assert normalize_device_id("vendor") is None
