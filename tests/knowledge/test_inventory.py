"""The shipped wheel inventory: its totals against the PyPI snapshot's own, its sources, and file-level facts.

Expected answers come from primary sources, cited next to each:
- PyPI's PEP 691 JSON pages `https://pypi.org/simple/{torch,torchvision,torchaudio}/` read 2026-12-01 (file
  names quoted below are on those pages);
- download.pytorch.org file names quoted with their sha256 in public lock files and install scripts
  (e.g. `https://download.pytorch.org/whl/cu126/torch-2.6.0%2Bcu126-cp312-cp312-manylinux_2_28_x86_64.whl`).
"""

from __future__ import annotations

import pytest
from packaging.version import Version

from torchsmith.index.simple import DistFile
from torchsmith.knowledge import inventory
from torchsmith.knowledge.inventory import PYPI, build, platform_of, read, shipped
from torchsmith.machine.model import Machine, PythonInfo
from torchsmith.planning.catalog import FileSelector
from torchsmith.wheel_tags import Tag

PROJECTS = ("torch", "torchvision", "torchaudio")


def _names(project: str, index: str) -> set[str]:
    return {row[0] for row in shipped().rows(project, index)}


@pytest.mark.parametrize("project", PROJECTS)
def test_pypi_rows_match_the_snapshot_totals(project: str) -> None:
    snapshot = shipped().snapshot[project]
    assert snapshot["index"] == f"https://pypi.org/simple/{project}/"
    assert snapshot["retrieved"] and snapshot["last_serial"]
    # every file of every release since the floor (1.13 / 0.14 / 0.13) is a row, no more, no less
    assert shipped().count(project, PYPI) == snapshot["files_since_floor"] > 500
    assert snapshot["files_on_page"] >= snapshot["files_since_floor"]
    for index, count in snapshot["derived_files"].items():
        assert shipped().count(project, index) == count


def test_pypi_snapshot_sizes() -> None:
    # https://pypi.org/simple/torch/ (2026-12-01) lists 987 files in all; 702 of them are 1.13.0 or later.
    assert shipped().snapshot["torch"]["files_on_page"] >= 987
    assert shipped().snapshot["torch"]["files_since_floor"] >= 702


def test_every_row_names_a_known_source() -> None:
    sources = shipped().sources
    for project in PROJECTS:
        for index in shipped().indexes(project):
            for row in shipped().rows(project, index):
                assert row[5] in sources, (project, index, row[0])
                if index == PYPI:  # PyPI's files carry the registry's own size and hash
                    assert isinstance(row[1], int) and len(row[2]) == 64 and row[6]
                else:  # derived: size and hash unknown, never invented
                    assert row[1] is None and row[2] is None and row[6] is None


def test_derived_rows_cite_a_real_file_name() -> None:
    row_source = shipped().source_of(
        "torch", "cu126", "torch-2.6.0+cu126-cp312-cp312-manylinux_2_28_x86_64.whl"
    )
    # the build itself from the release matrix at 2.6's go-live (test-infra b1bdc3323: linux cu126, 3.9-3.13),
    # its file name from a real download.pytorch.org name
    assert row_source == "matrix:2.6:linux-x86_64:dl-linux-x86_64-2_28"
    cited = shipped().sources[row_source]
    assert cited["url"] == (
        "https://github.com/pytorch/test-infra/blob/b1bdc3323fa17bb8a75b98cb50c3966928afae9e/"
        "tools/scripts/generate_binary_build_matrix.py"
    )
    assert cited["naming_url"] == (
        "https://download.pytorch.org/whl/cu126/torch-2.6.0%2Bcu126-cp312-cp312-manylinux_2_28_x86_64.whl"
    )


def test_free_threaded_wheels_per_patch() -> None:
    pypi = _names("torch", PYPI)
    # PyPI: torch 2.12.0 has cp313t wheels, 2.12.1 has none (only cp314t); 2.6.0 has no free-threaded wheel.
    assert "torch-2.12.0-cp313-cp313t-win_amd64.whl" in pypi
    assert not any(n.startswith("torch-2.12.1-") and "cp313t" in n for n in pypi)
    assert any(n.startswith("torch-2.12.1-") and "cp314t" in n for n in pypi)
    assert not any(n.startswith("torch-2.6.0-") and "t-" in n.split("-", 3)[3] for n in pypi)
    # the derived download.pytorch.org rows follow the patch's own Python builds
    cpu = _names("torch", "cpu")
    assert "torch-2.12.0+cpu-cp313-cp313t-manylinux_2_28_x86_64.whl" in cpu
    assert "torch-2.12.1+cpu-cp313-cp313t-manylinux_2_28_x86_64.whl" not in cpu


def test_macos_floor_differs_per_python_tag() -> None:
    pypi = _names("torch", PYPI)
    # PyPI torch 2.10.0: cp310 on macOS 11, cp314 on macOS 14 (the same release)
    assert "torch-2.10.0-cp310-none-macosx_11_0_arm64.whl" in pypi
    assert "torch-2.10.0-cp314-cp314-macosx_14_0_arm64.whl" in pypi
    assert "torch-2.10.0-cp314-cp314-macosx_11_0_arm64.whl" not in pypi
    # PyPI torchvision 0.24.0: cp313 on macOS 12, cp312 on macOS 11
    vision = _names("torchvision", PYPI)
    assert "torchvision-0.24.0-cp313-cp313-macosx_12_0_arm64.whl" in vision
    assert "torchvision-0.24.0-cp312-cp312-macosx_11_0_arm64.whl" in vision


def test_manylinux_floor_differs_per_backend() -> None:
    # download.pytorch.org torch 2.6.0: cu126 wheels `manylinux_2_28_x86_64`, cu124 and cpu `linux_x86_64`
    assert "torch-2.6.0+cu126-cp312-cp312-manylinux_2_28_x86_64.whl" in _names("torch", "cu126")
    assert "torch-2.6.0+cu124-cp312-cp312-linux_x86_64.whl" in _names("torch", "cu124")
    assert "torch-2.6.0+cpu-cp312-cp312-linux_x86_64.whl" in _names("torch", "cpu")
    # and its companions stay `linux_x86_64` on cu126
    # (torchvision-0.21.0%2Bcu126-cp312-cp312-linux_x86_64.whl)
    assert "torchvision-0.21.0+cu126-cp312-cp312-linux_x86_64.whl" in _names("torchvision", "cu126")
    # from 2.7 everything is manylinux_2_28 (torch-2.7.1%2Bcpu-cp312-cp312-manylinux_2_28_x86_64.whl)
    assert "torch-2.7.1+cpu-cp312-cp312-manylinux_2_28_x86_64.whl" in _names("torch", "cpu")
    assert "torch-2.7.1+cpu-cp312-cp312-linux_x86_64.whl" not in _names("torch", "cpu")


def test_torchaudio_2_11_1_is_pypi_only_and_platform_neutral() -> None:
    # PyPI torchaudio 2.11.1: four `py3-none` wheels, requires-python >=3.10
    rows = [r for r in shipped().rows("torchaudio", PYPI) if r[0].startswith("torchaudio-2.11.1-")]
    assert sorted(r[0] for r in rows) == [
        "torchaudio-2.11.1-py3-none-macosx_14_0_arm64.whl",
        "torchaudio-2.11.1-py3-none-manylinux_2_28_aarch64.whl",
        "torchaudio-2.11.1-py3-none-manylinux_2_28_x86_64.whl",
        "torchaudio-2.11.1-py3-none-win_amd64.whl",
    ]
    assert {r[3] for r in rows} == {">=3.10"}
    assert not any(n.startswith("torchaudio-2.11.1") for i in shipped().indexes("torchaudio") if i != PYPI
                   for n in _names("torchaudio", i))  # fmt: skip


def _linux_py311() -> Machine:
    from torchsmith.machine.model import Libc

    return Machine(
        os="linux", arch="x86_64", libc=Libc("glibc", "2.35"), python=PythonInfo("3.11.9", abi="cp311")
    )


def test_build_tagged_pypi_file_parses_and_wins() -> None:
    # PyPI re-uploaded torch 2.10.0's x86_64 wheels with build tag 3 (`torch-2.10.0-3-cp311-cp311-
    # manylinux_2_28_x86_64.whl`) next to the original: pip and uv take the highest build tag.
    files = [
        f for f in shipped().files("torch", PYPI, "linux-x86_64", "") if f.filename.startswith("torch-2.10.0")
    ]
    names = {f.filename for f in files}
    assert "torch-2.10.0-3-cp311-cp311-manylinux_2_28_x86_64.whl" in names
    machine = _linux_py311()
    from torchsmith.planning.tags import machine_tags

    chosen = dict(FileSelector(machine, machine_tags(machine)).best(files))
    assert chosen[Version("2.10.0")].filename == "torch-2.10.0-3-cp311-cp311-manylinux_2_28_x86_64.whl"
    assert chosen[Version("2.10.0")].sha256 is not None and chosen[Version("2.10.0")].wheel.build == (3, "")


def test_selector_honours_requires_python() -> None:
    machine = _linux_py311()
    tags = [Tag("py3", "none", "manylinux_2_28_x86_64")]
    newer = DistFile("x-2.0-py3-none-manylinux_2_28_x86_64.whl", "u", requires_python=">=3.12")
    older = DistFile("x-1.0-py3-none-manylinux_2_28_x86_64.whl", "u", requires_python=">=3.10")
    assert [str(v) for v, _ in FileSelector(machine, tags).best([newer, older])] == ["1.0"]


@pytest.mark.parametrize(
    ("filename", "group"),
    [
        ("torch-2.5.1-cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64.whl", "linux-aarch64"),
        ("torch-2.6.0+cu126-cp312-cp312-manylinux_2_28_x86_64.whl", "linux-x86_64"),
        ("torch-2.0.0-cp310-cp310-manylinux1_x86_64.whl", "linux-x86_64"),
        ("torch-2.6.0+cu126-cp312-cp312-win_amd64.whl", "windows-x86_64"),
        ("torch-2.2.2-cp312-none-macosx_10_9_x86_64.whl", "macos-x86_64"),
        ("torch-2.10.0-2-cp312-none-macosx_11_0_arm64.whl", "macos-arm64"),
        ("torchaudio-2.11.1-py3-none-any.whl", "any"),
        ("torchvision-0.14.0.tar.gz", "any"),
    ],
)
def test_platform_groups(filename: str, group: str) -> None:
    assert platform_of(filename) == group


def test_build_and_read_round_trip(tmp_path: object) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    rows = [
        ["torch-2.5.1+cpu-cp312-cp312-linux_x86_64.whl", 1, "a" * 64, ">=3.9", 0, "page", "http://x/t.whl"]
    ]
    data = build({"generated": "now", "index_base": "http://x"}, {"torch": {"cpu": rows, "cu999": []}}, {})
    path = tmp_path / "inv.bin"
    inventory.write(path, data)
    opened = read(path)
    assert opened.has("torch", "cu999") and opened.rows("torch", "cu999") == []
    assert opened.versions("torch", "cpu") == ("2.5.1+cpu",)
    (only,) = opened.files("torch", "cpu", "linux-x86_64", "http://x/cpu")
    assert (only.url, only.sha256, only.requires_python) == ("http://x/t.whl", "a" * 64, ">=3.9")
    assert opened.files("torch", "cpu", "windows-x86_64", "http://x/cpu") == []
    assert opened.index_base == "http://x"
