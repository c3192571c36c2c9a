"""The torch release table: data invariants and the pairing/lookup answers the planner relies on."""

from __future__ import annotations

import pytest
from packaging.version import Version

from torchsmith.backends import parse_backend
from torchsmith.knowledge._load import load_table
from torchsmith.knowledge.releases import (
    PLATFORMS,
    TORCH_FAMILY,
    companion_for,
    glibc_floor,
    release_for,
    releases,
    torch_for_companion,
)

V = Version


def test_every_row_and_pair_names_a_declared_source() -> None:
    table = load_table("torch_releases")
    for name, source in table.sources.items():
        assert source["url"].startswith("https://"), name
        assert "retrieved" in source, name
    for key in ("row", "pair"):
        for row in table.rows(key):
            assert row["source"] and all(s in table.sources for s in row["source"]), row["torch"]


def test_releases_cover_1_13_to_2_15_newest_first_unique() -> None:
    series = [r.torch for r in releases()]
    assert series == sorted(series, reverse=True)
    assert len(series) == len(set(series))
    assert series[0] == V("2.15") and series[-1] == V("1.13")
    assert V("2.10") in series and V("2.9") in series


def _order_key(name: str) -> tuple[int, Version]:
    backend = parse_backend(name)
    rank = {"cuda": 0, "rocm": 1, "xpu": 2, "cpu": 3}[backend.kind]
    return rank, backend.version or V("0")


def test_backends_parse_newest_first_cpu_last() -> None:
    for release in releases():
        for platform, names in release.backends.items():
            assert platform in PLATFORMS
            assert names[-1] == "cpu", (release.torch, platform)
            ranks = [_order_key(n) for n in names]
            assert [r[0] for r in ranks] == sorted(r[0] for r in ranks), (release.torch, platform)
            for kind in (0, 1):
                versions = [v for k, v in ranks if k == kind]
                assert versions == sorted(versions, reverse=True), (release.torch, platform)


def test_platform_rules() -> None:
    for release in releases():
        for platform, names in release.backends.items():
            kinds = {parse_backend(n).kind for n in names}
            if platform != "linux-x86_64":
                assert "rocm" not in kinds, (release.torch, platform)  # ROCm: Linux x86_64 only
            if platform.startswith("macos"):
                assert names == ("cpu",)
        has_macos_x86 = "macos-x86_64" in release.backends
        assert has_macos_x86 == (release.torch <= V("2.2")), release.torch


def test_every_release_has_pairings_for_every_patch() -> None:
    for release in releases():
        assert release.patches and release.patches == tuple(sorted(release.patches))
        assert release.torchvision is not None
        for patch in release.patches:
            tv = companion_for("torchvision", patch)
            assert tv is not None and V(f"{tv.major}.{tv.minor}") == release.torchvision, patch
            ta = companion_for("torchaudio", patch)
            if release.torchaudio is None:
                assert ta is None
            else:
                assert ta is not None and V(f"{ta.major}.{ta.minor}") == release.torchaudio, patch


def test_torchvision_series_follows_x_plus_15_up_to_2_14() -> None:
    for release in releases():
        if V("2.0") <= release.torch <= V("2.14"):
            assert release.torchvision == V(f"0.{release.torch.minor + 15}"), release.torch


def test_python_tags_and_floors_parse() -> None:
    for release in releases():
        assert all(t.startswith("cp3") for t in release.python)
        for tag in release.manylinux_by_platform.values():
            assert glibc_floor(tag) >= V("2.17")


def test_release_for_any_version_of_the_series() -> None:
    release = release_for(V("2.5.1+cu124"))
    assert release is not None and release.torch == V("2.5")
    assert release.backends["linux-x86_64"] == ("cu124", "cu121", "cu118", "rocm6.2", "rocm6.1", "xpu", "cpu")
    assert release.pypi_default_backend == "cu124"
    assert release_for(V("2.10.0")) is not None and release_for(V("2.10.0")).torch == V("2.10")  # type: ignore[union-attr]
    assert release_for(V("3.0")) is None


def test_python_abi_tags_from_wheels() -> None:
    assert "cp313" not in release_for(V("2.4.1")).python  # type: ignore[union-attr]
    assert "cp313" in release_for(V("2.5.0")).python  # type: ignore[union-attr]
    assert "cp313t" in release_for(V("2.7")).python  # type: ignore[union-attr]
    assert "cp314t" in release_for(V("2.9")).python  # type: ignore[union-attr]
    latest = release_for(V("2.15.0"))
    assert latest is not None and "cp310" not in latest.python and "cp315t" in latest.python


def test_floors() -> None:
    r27, r26, r22, r12 = (release_for(V(v)) for v in ("2.7", "2.6", "2.2", "2.12"))
    assert r27 is not None and r27.manylinux == "manylinux_2_28"
    assert r26 is not None and r26.glibc_floor("linux-x86_64") == V("2.17")
    assert r26.glibc_floor("linux-aarch64") == V("2.28")
    assert r22 is not None and r22.macos_min_by_platform["macos-x86_64"] == "10.9"
    assert r12 is not None and r12.macos_min == "14.0"
    assert r12.glibc_floor("windows-x86_64") is None


def test_aarch64_cuda_wheels() -> None:
    # test-infra generate_binary_build_matrix.py@b1bdc3323 (2.6 go-live) builds cuda-aarch64 cu126, and
    # torch-2.6.0+cu126-cp312-cp312-linux_aarch64.whl is quoted with its hash in public lock files.
    assert release_for(V("2.6")).backends["linux-aarch64"] == ("cu126", "cpu")  # type: ignore[union-attr]
    assert release_for(V("2.9")).backends["linux-aarch64"] == ("cu130", "cu128", "cu126", "cpu")  # type: ignore[union-attr]
    r211 = release_for(V("2.11"))
    assert r211 is not None and r211.pypi_backend_by_platform["linux-aarch64"] == "cu130"
    assert r211.pypi_default_backend == "cu130"


def test_2_15_gaps_are_explicit() -> None:
    latest = releases()[0]
    assert latest.torch == V("2.15")
    assert "backends.linux-x86_64" in latest.gaps and latest.note
    assert "linux-x86_64" not in latest.backends
    assert latest.pypi_default_backend is None and latest.manylinux is None


@pytest.mark.parametrize(
    ("package", "torch", "expected"),
    [
        ("torchvision", "2.5.1", "0.20.1"),
        ("torchaudio", "2.5.1", "2.5.1"),
        ("torchvision", "2.5.1+cu124", "0.20.1"),
        ("torchvision", "2.0.0", "0.15.1"),
        ("torchaudio", "2.0.1", "2.0.2"),
        ("torchaudio", "1.13.1", "0.13.1"),
        ("torchvision", "2.10.0", "0.25.0"),
        ("torchaudio", "2.11.0", "2.11.0"),
        ("TorchVision", "2.14.1", "0.29.1"),
        ("torch", "2.5.1+cu124", "2.5.1"),
    ],
)
def test_companion_for(package: str, torch: str, expected: str) -> None:
    assert companion_for(package, V(torch)) == V(expected)


def test_torchaudio_2_11_1_serves_later_torch() -> None:
    # https://pypi.org/simple/torchaudio/ (PEP 691 JSON, 2026-12-01): torchaudio 2.11.1 was uploaded
    # 2026-10-28 as four `py3-none` wheels; the METADATA inside
    # torchaudio-2.11.1-py3-none-manylinux_2_28_x86_64.whl
    # says `Requires-Dist: torch>=2.11`. No torchaudio 2.12 series exists, so 2.11.1 is the one for 2.12+.
    assert companion_for("torchaudio", V("2.12.0")) == V("2.11.1")
    assert companion_for("torchaudio", V("2.14.1")) == V("2.11.1")
    assert companion_for("torchaudio", V("2.15.0")) == V("2.11.1")
    assert companion_for("torchaudio", V("2.11.0")) == V("2.11.0")
    assert release_for(V("2.12")).torchaudio == V("2.11")  # type: ignore[union-attr]
    assert release_for(V("2.11")).torchaudio == V("2.11")  # type: ignore[union-attr]


def test_companion_unknown_patch_and_package() -> None:
    assert companion_for("torchvision", V("2.5.7")) is None
    with pytest.raises(ValueError, match="not a torch companion"):
        companion_for("numpy", V("2.5.1"))


def test_torch_for_companion_inverts() -> None:
    assert torch_for_companion("torchvision", V("0.20.1")) == V("2.5.1")
    assert torch_for_companion("torchaudio", V("2.0.2")) == V("2.0.1")
    assert torch_for_companion("torchvision", V("0.99.0")) is None
    for release in releases():
        for patch in release.patches:
            tv = companion_for("torchvision", patch)
            assert tv is not None and torch_for_companion("torchvision", tv) == patch


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("manylinux_2_28", "2.28"),
        ("manylinux_2_28_x86_64", "2.28"),
        ("manylinux2014", "2.17"),
        ("manylinux2014_aarch64", "2.17"),
        ("manylinux2010", "2.12"),
        ("manylinux1", "2.5"),
        ("manylinux_2_5", "2.5"),
    ],
)
def test_glibc_floor(tag: str, expected: str) -> None:
    assert glibc_floor(tag) == V(expected)


@pytest.mark.parametrize("tag", ["musllinux_1_2", "linux_x86_64", "manylinux", ""])
def test_glibc_floor_rejects(tag: str) -> None:
    with pytest.raises(ValueError, match="invalid manylinux tag"):
        glibc_floor(tag)


def test_torch_family() -> None:
    assert frozenset({"torch", "torchvision", "torchaudio"}) == TORCH_FAMILY


def test_to_json_round_trips_the_shape() -> None:
    data = release_for(V("2.5")).to_json()  # type: ignore[union-attr]
    assert data["torch"] == "2.5" and data["torchvision"] == "0.20"
    # test-infra generate_binary_build_matrix.py@5510fd052 (2.5 go-live): Windows cu124/cu121/cu118/xpu/cpu
    assert data["backends"]["windows-x86_64"] == ["cu124", "cu121", "cu118", "xpu", "cpu"]
