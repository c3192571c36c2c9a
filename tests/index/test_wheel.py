"""Wheel filenames as they appear on download.pytorch.org and PyPI."""

from __future__ import annotations

import pytest
from packaging.version import Version

from torchsmith.index.wheel import InvalidWheelFilename, WheelFile, parse_wheel_file
from torchsmith.wheel_tags import Tag


@pytest.mark.parametrize(
    ("filename", "name", "version", "local", "build", "tags"),
    [
        (
            "torch-2.5.1+cu124-cp311-cp311-linux_x86_64.whl",
            "torch", "2.5.1+cu124", "cu124", (), {"cp311-cp311-linux_x86_64"},
        ),
        (
            "torch-2.7.1+rocm6.3-cp312-cp312-manylinux_2_28_x86_64.whl",
            "torch", "2.7.1+rocm6.3", "rocm6.3", (), {"cp312-cp312-manylinux_2_28_x86_64"},
        ),
        (
            "torch-2.5.1-cp311-none-macosx_11_0_arm64.whl",
            "torch", "2.5.1", None, (), {"cp311-none-macosx_11_0_arm64"},
        ),
        (
            "torch-2.5.1-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl",
            "torch", "2.5.1", None, (),
            {"cp311-cp311-manylinux_2_17_aarch64", "cp311-cp311-manylinux2014_aarch64"},
        ),
        (
            "torch-2.10.0-3-cp310-cp310-manylinux_2_28_x86_64.whl",
            "torch", "2.10.0", None, (3, ""), {"cp310-cp310-manylinux_2_28_x86_64"},
        ),
        (
            "typing_extensions-4.12.2-py3-none-any.whl",
            "typing-extensions", "4.12.2", None, (), {"py3-none-any"},
        ),
    ],
    ids=lambda value: value if isinstance(value, str) and value.endswith(".whl") else "",
)  # fmt: skip
def test_parses_real_filenames(
    filename: str, name: str, version: str, local: str | None, build: tuple[()], tags: set[str]
) -> None:
    wheel = WheelFile.from_filename(filename)
    assert (wheel.name, wheel.version, wheel.local_label, wheel.build) == (
        name,
        Version(version),
        local,
        build,
    )
    assert {str(t) for t in wheel.tags} == tags
    assert wheel.public_version == Version(version.split("+")[0])


def test_compatibility_and_rank_follow_the_interpreter_tag_order() -> None:
    wheel = WheelFile.from_filename(
        "torch-2.5.1-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl"
    )
    supported = [
        Tag("cp311", "cp311", "manylinux_2_28_aarch64"),
        Tag("cp311", "cp311", "manylinux_2_17_aarch64"),
        Tag("cp311", "cp311", "manylinux2014_aarch64"),
    ]
    assert wheel.is_compatible(supported)
    assert wheel.tag_rank(supported) == 1
    x86 = [Tag("cp311", "cp311", "manylinux_2_17_x86_64"), Tag("cp311", "abi3", "linux_x86_64")]
    assert not wheel.is_compatible(x86)
    assert wheel.tag_rank(x86) is None


def test_local_versions_compare_as_versions() -> None:
    old = WheelFile.from_filename("torch-2.9.1+cu130-cp311-cp311-manylinux_2_28_x86_64.whl")
    new = WheelFile.from_filename("torch-2.10.0+cu130-cp311-cp311-manylinux_2_28_x86_64.whl")
    assert new.version > old.version


def test_to_json() -> None:
    wheel = WheelFile.from_filename("torch-2.5.1+cpu-cp311-cp311-win_amd64.whl")
    assert wheel.to_json() == {
        "filename": "torch-2.5.1+cpu-cp311-cp311-win_amd64.whl",
        "name": "torch",
        "version": "2.5.1+cpu",
        "build": [],
        "tags": ["cp311-cp311-win_amd64"],
    }


@pytest.mark.parametrize(
    "filename",
    [
        "torch-2.5.1.tar.gz",
        "torch.whl",
        "torch-2.5.1-cp311-linux_x86_64.whl",
        "torch-not.a.version-py3-none-any.whl",
    ],
)
def test_invalid_names(filename: str) -> None:
    assert parse_wheel_file(filename) is None
    if filename.endswith(".whl"):
        with pytest.raises(InvalidWheelFilename):
            WheelFile.from_filename(filename)
