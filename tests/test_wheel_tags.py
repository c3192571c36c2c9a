"""torchsmith's wheel tags, names and wheel file names give `packaging`'s answers (the reference
implementation of the specifications: https://packaging.python.org/en/latest/specifications/
platform-compatibility-tags/, name-normalization/ and binary-distribution-format/).

torchsmith has its own (`torchsmith.wheel_tags`, `torchsmith.names`, `torchsmith.index.wheel`) because
importing `packaging.tags` costs a fifth of a warm plan's start-up; these tests are what makes that safe:
the same sequences, in the same order, over every Python, ABI and platform kind PyTorch has published
wheels for, and the same parse of every real wheel file name in the shipped inventory.
"""

from __future__ import annotations

import itertools

import packaging.tags
import packaging.utils
import pytest
from hypothesis import given
from hypothesis import strategies as st

from torchsmith import wheel_tags
from torchsmith.index.wheel import InvalidWheelFilename, parse_wheel_filename
from torchsmith.knowledge import inventory
from torchsmith.names import canonicalize_name

_VERSIONS = [(3, minor) for minor in range(2, 16)] + [(3,)]
_PLATFORMS = [
    ["manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64", "linux_x86_64"],
    ["manylinux_2_35_aarch64", "manylinux_2_17_aarch64", "linux_aarch64"],
    ["musllinux_1_2_x86_64", "musllinux_1_1_x86_64"],
    ["win_amd64"],
    ["win_arm64"],
    ["macosx_14_0_arm64", "macosx_11_0_universal2"],
    [],
]


def _abis(version: tuple[int, ...]) -> list[list[str]]:
    digits = "".join(map(str, version))
    return [
        [f"cp{digits}"],
        [f"cp{digits}t"],  # free-threaded (PEP 703), `cp313t`
        [f"cp{digits}m"],  # CPython < 3.8 with pymalloc (PEP 3149)
        [f"cp{digits}", "abi3", "none"],
        [f"cp{digits}t", "none"],
        ["abi3t"],
        ["none"],
        [],
    ]


def _strings(tags: object) -> list[str]:
    return [str(tag) for tag in tags]  # type: ignore[attr-defined]


@pytest.mark.parametrize("version", _VERSIONS, ids=str)
def test_cpython_and_compatible_tags_match_packaging_in_order(version: tuple[int, ...]) -> None:
    for abis, platforms in itertools.product(_abis(version), _PLATFORMS):
        ours = _strings(wheel_tags.cpython_tags(version, abis=abis, platforms=platforms))
        reference = _strings(packaging.tags.cpython_tags(version, abis=abis, platforms=platforms))
        assert ours == reference, (abis, platforms)
        interpreter = f"cp{''.join(map(str, version))}"
        for given_interpreter in (interpreter, None):
            ours = _strings(wheel_tags.compatible_tags(version, given_interpreter, platforms))
            reference = _strings(packaging.tags.compatible_tags(version, given_interpreter, platforms))
            assert ours == reference, (given_interpreter, platforms)


@pytest.mark.parametrize("arch", ["arm64", "x86_64", "i386", "ppc", "ppc64", "universal2"])
def test_mac_platforms_match_packaging_in_order(arch: str) -> None:
    versions = [(10, minor) for minor in range(0, 17)] + [(major, 0) for major in range(11, 27)] + [(15, 4)]
    for version in versions:
        assert list(wheel_tags.mac_platforms(version, arch)) == list(
            packaging.tags.mac_platforms(version, arch)
        )


def _real_filenames() -> list[str]:
    shipped = inventory.shipped()
    names = {
        row[0]
        for project in shipped.projects()
        for index in shipped.indexes(project)
        for row in shipped.rows(project, index)
        if str(row[0]).endswith(".whl")
    }
    return sorted(names)


def test_every_inventory_wheel_name_parses_as_packaging_parses_it() -> None:
    names = _real_filenames()
    assert len(names) > 5000  # PyPI's torch, torchvision, torchaudio files since 1.13 and the backends'
    for name in names:
        ours = parse_wheel_filename(name)
        reference = packaging.utils.parse_wheel_filename(name)
        assert (ours[0], ours[1], ours[2]) == (str(reference[0]), reference[1], reference[2]), name
        assert sorted(str(tag) for tag in ours[3]) == sorted(str(tag) for tag in reference[3]), name


@pytest.mark.parametrize(
    "name",
    [
        "torch-2.5.1.tar.gz",
        "torch.whl",
        "torch-2.5.1-cp311-linux_x86_64.whl",
        "torch-not.a.version-py3-none-any.whl",
        "torch-2.5.1-x-cp311-cp311-linux_x86_64.whl",  # a build tag must start with a digit
        "torch-2.5.1-cp311-cp311-.whl",
        "torch-2.5.1-cp311..cp312-cp311-linux_x86_64.whl",
        "torch-2.5.1-3py-cp311-any.whl",  # an interpreter must be an identifier
        "tor__ch-2.5.1-py3-none-any.whl",
        "tor ch-2.5.1-py3-none-any.whl",
        "-2.5.1-py3-none-any.whl",
        "torch-2.5.1-1-2-py3-none-any.whl",
    ],
)
def test_malformed_wheel_names_are_refused_by_both(name: str) -> None:
    with pytest.raises(packaging.utils.InvalidWheelFilename):
        packaging.utils.parse_wheel_filename(name)
    with pytest.raises(InvalidWheelFilename):
        parse_wheel_filename(name)


@given(st.text(alphabet="abcXYZ019-_.", min_size=1, max_size=20))
def test_canonical_names_match_packaging(name: str) -> None:
    assert canonicalize_name(name) == packaging.utils.canonicalize_name(name)


def _parts(*choices: str) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(choices), min_size=1, max_size=3, unique=True)


@given(
    _parts("cp311", "py3", "py2", "cp39", "pp310"),
    _parts("cp311", "abi3", "none", "cp313t"),
    _parts("any", "win_amd64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"),
)
def test_compressed_tag_sets_match_packaging(
    interpreters: list[str], abis: list[str], platforms: list[str]
) -> None:
    text = "-".join(".".join(part) for part in (interpreters, abis, platforms))
    assert {str(t) for t in wheel_tags.parse_tag(text)} == {str(t) for t in packaging.tags.parse_tag(text)}


def test_tags_compare_case_insensitively_and_print_as_the_specification_writes_them() -> None:
    assert wheel_tags.Tag("CP311", "Cp311", "WIN_AMD64") == wheel_tags.Tag("cp311", "cp311", "win_amd64")
    assert str(wheel_tags.Tag("cp311", "abi3", "manylinux_2_28_x86_64")) == "cp311-abi3-manylinux_2_28_x86_64"
    assert wheel_tags.Tag("py3", "none", "any").platform == "any"
