"""The inventory's download.pytorch.org rows against PyTorch's release build matrix.

Expected answers from pytorch/test-infra `tools/scripts/generate_binary_build_matrix.py` run with
`--channel release --package-type wheel --operating-system <os>` at the commit where each release went live
(cited per test), and from real download.pytorch.org file names quoted in public repositories.
"""

from __future__ import annotations

from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from torchsmith.knowledge.inventory import shipped

MATRIX = Path(__file__).resolve().parents[2] / "scripts" / "build_matrix.toml"


def _names(project: str, index: str, platform: str | None = None) -> set[str]:
    return {row[0] for row in shipped().rows(project, index, platform)}


def _pythons(project: str, index: str, version: str, platform: str) -> set[str]:
    """The `cpXY` / `cpXYt` builds of one release on one index and platform."""
    found = set()
    for name in _names(project, index, platform):
        parts = name[:-4].split("-")
        if parts[1] == version:
            found.add(parts[-2] if parts[-2].endswith("t") else parts[-3])
    return found


def test_torch_2_6_cuda_aarch64_wheels() -> None:
    # test-infra b1bdc3323 (2.6 go-live): linux-aarch64 builds cu126 for 3.9-3.13; the file name is quoted
    # with its hash in lock files: torch-2.6.0+cu126-cp312-cp312-linux_aarch64.whl
    assert _pythons("torch", "cu126", "2.6.0+cu126", "linux-aarch64") == {
        "cp39", "cp310", "cp311", "cp312", "cp313",
    }  # fmt: skip
    source = shipped().source_of("torch", "cu126", "torch-2.6.0+cu126-cp312-cp312-linux_aarch64.whl")
    assert source == "matrix:2.6:linux-aarch64:dl-linux-aarch64-2_28"


def test_rocm_python_sets_follow_the_matrix() -> None:
    # test-infra 21480431a (2.8 go-live): rocm6.3 and rocm6.4 for 3.9-3.13 and 3.13t
    expected = {"cp39", "cp310", "cp311", "cp312", "cp313", "cp313t"}
    assert _pythons("torch", "rocm6.4", "2.8.0+rocm6.4", "linux-x86_64") == expected
    assert _pythons("torchvision", "rocm6.4", "0.23.0+rocm6.4", "linux-x86_64") == expected
    # test-infra d3629fa2e (2.0 go-live) skips ROCm for Python 3.11 ("the docker image are not correct"):
    # the domain libraries built from that matrix have no cp311 ROCm wheel ...
    assert "torchvision-0.15.2+rocm5.4.2-cp311-cp311-linux_x86_64.whl" not in _names(
        "torchvision", "rocm5.4.2"
    )
    assert "torchaudio-2.0.2+rocm5.4.2-cp311-cp311-linux_x86_64.whl" not in _names("torchaudio", "rocm5.4.2")
    # ... while torch, built by pytorch/pytorch's own matrix, has one (torch-2.0.1+rocm5.4.2-cp311-cp311-
    # linux_x86_64.whl is quoted in public repositories); its row rests on PyPI's cp311 build, not the matrix
    name = "torch-2.0.1+rocm5.4.2-cp311-cp311-linux_x86_64.whl"
    assert name in _names("torch", "rocm5.4.2")
    assert (
        shipped().source_of("torch", "rocm5.4.2", name) == "derived:2.0:linux-x86_64:dl-linux-x86_64-legacy"
    )


def test_xpu_python_sets_and_windows_from_2_5() -> None:
    # test-infra 5510fd052 (2.5 go-live): windows xpu for 3.9-3.12; a public uv log resolves
    # torch-2.5.1+xpu-cp312-cp312-win_amd64.whl from download.pytorch.org's xpu index
    assert {"cp39", "cp310", "cp311", "cp312"} <= _pythons("torch", "xpu", "2.5.1+xpu", "windows-x86_64")
    # test-infra bad60f65d (2.7 go-live): xpu on linux for 3.9-3.13 and 3.13t
    assert _pythons("torch", "xpu", "2.7.0+xpu", "linux-x86_64") == {
        "cp39", "cp310", "cp311", "cp312", "cp313", "cp313t",
    }  # fmt: skip


def test_aarch64_cuda_before_2_6_is_not_derived() -> None:
    # test-infra's 2.4/2.5 matrices carry a hard-coded cuda-aarch64 cu124 variant whose release validation was
    # disabled (`with-cuda: disable`); no file of it was seen, so none is derived.
    assert not any(n.endswith("aarch64.whl") and n.startswith(("torch-2.4", "torch-2.5"))
                   for n in _names("torch", "cu124"))  # fmt: skip


def test_matrix_rows_cite_the_matrix_commit() -> None:
    matrix = {row["torch"]: row for row in tomllib.loads(MATRIX.read_text(encoding="utf-8"))["release"]}
    sources = shipped().sources
    seen = 0
    for project in ("torch", "torchvision", "torchaudio"):
        for index in shipped().indexes(project):
            if index == "pypi":
                continue
            for row in shipped().rows(project, index):
                kind, series = row[5].split(":")[:2]
                assert kind in ("matrix", "derived"), row
                if kind == "matrix":
                    seen += 1
                    assert matrix[series]["commit"] in sources[row[5]]["url"]
    assert seen > 4000


@pytest.mark.parametrize(
    "series", ["1.13", "2.0", "2.4", "2.6", "2.7", "2.8", "2.9", "2.10", "2.11", "2.12", "2.13"]
)
def test_every_release_matrix_build_has_torch_files(series: str) -> None:
    # For each backend the matrix names on Linux x86_64 (and the release table lists), torch has rows.
    matrix = {row["torch"]: row for row in tomllib.loads(MATRIX.read_text(encoding="utf-8"))["release"]}
    for backend in matrix[series]["linux"]:
        assert any(
            name.startswith(f"torch-{series}.") for name in _names("torch", backend, "linux-x86_64")
        ), (series, backend)
