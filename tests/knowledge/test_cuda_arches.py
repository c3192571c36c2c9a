"""Compute capabilities per wheel: data invariants and the GPU-fits-wheel answers the planner relies on."""

from __future__ import annotations

import pytest
from packaging.version import Version

from torchsmith.backends import parse_backend
from torchsmith.knowledge._load import load_table
from torchsmith.knowledge.cuda_arches import ArchList, arch_gap, arch_list, runs_on
from torchsmith.knowledge.releases import releases

V = Version
L, W, A = "linux-x86_64", "windows-x86_64", "linux-aarch64"


def test_every_row_names_a_declared_source() -> None:
    table = load_table("cuda_arches")
    for name, source in table.sources.items():
        assert source["url"].startswith("https://"), name
        assert "retrieved" in source, name
    for row in table.rows():
        assert row["source"] and all(s in table.sources for s in row["source"]), row


def test_no_two_rows_match_the_same_release_backend_platform() -> None:
    table = load_table("cuda_arches")
    from packaging.specifiers import SpecifierSet

    for release in releases():
        seen: set[tuple[str, str]] = set()
        for row in table.rows():
            if SpecifierSet(row["torch"]).contains(release.torch):
                key = (row["backend"], row["platform"])
                assert key not in seen, (release.torch, key)
                seen.add(key)


def test_every_linux_x86_64_cuda_backend_of_a_release_has_a_row() -> None:
    for release in releases():
        for name in release.backends.get(L, ()):
            if parse_backend(name).kind == "cuda":
                known = arch_list(release.torch, name, L) is not None
                assert known or arch_gap(release.torch, name, L), (release.torch, name)


def test_rows_exist_only_for_backends_the_release_ships() -> None:
    for release in releases():
        for platform in (L, W, A):
            shipped = set(release.backends.get(platform, ()))
            for backend in (
                "cu116",
                "cu117",
                "cu118",
                "cu121",
                "cu124",
                "cu126",
                "cu128",
                "cu129",
                "cu130",
                "cu132",
            ):
                if arch_list(release.torch, backend, platform) is not None:
                    assert backend in shipped, (release.torch, backend, platform)


@pytest.mark.parametrize(
    ("torch", "backend", "platform", "cc", "expected"),
    [
        ("2.11.0", "cu126", L, "6.1", True),  # GTX 1080 runs the legacy cu126 build (6.0 SASS)
        ("2.11.0", "cu130", L, "6.1", False),  # ... but not cu130 (starts at 7.5)
        ("2.11.0", "cu128", L, "6.1", False),
        ("2.10.0", "cu128", L, "7.0", True),  # V100 on cu128 until 2.10
        ("2.11.0", "cu128", L, "7.0", False),  # dropped in 2.11
        ("2.7.1", "cu128", L, "7.0", False),
        ("2.8.0", "cu129", L, "7.0", True),
        ("2.11.0", "cu128", L, "8.9", True),  # Ada runs sm_86 SASS
        ("2.11.0", "cu126", L, "8.9", True),
        ("2.12.0", "cu130", L, "12.1", True),  # GB10 / sm_121 runs sm_120
        ("2.12.0", "cu126", L, "12.0", False),  # Blackwell needs cu128+
        ("2.5.1", "cu124", L, "3.7", False),
        ("2.5.1", "cu118", L, "3.7", True),  # K80 keeps cu118 until 2.7
        ("2.14.0", "cu130", A, "11.0", True),  # Thor on aarch64 cu13x
        ("2.14.0", "cu130", L, "11.0", False),  # x86 lists: 10.0 SASS and 12.0 PTX do not cover sm_110
    ],
)
def test_runs_on(torch: str, backend: str, platform: str, cc: str, expected: bool) -> None:
    archs = arch_list(V(torch), backend, platform)
    assert archs is not None
    assert runs_on(archs, cc) is expected


@pytest.mark.parametrize("torch", ["2.8", "2.9", "2.10", "2.11", "2.12", "2.13", "2.14"])
def test_h100_runs_on_every_modern_cuda_wheel(torch: str) -> None:
    release = next(r for r in releases() if r.torch == V(torch))
    for platform in (L, A, W):
        for name in release.backends.get(platform, ()):
            archs = arch_list(release.torch, name, platform)
            if archs is not None:
                assert runs_on(archs, "9.0"), (torch, name, platform)


def test_ptx_lets_newer_gpus_jit() -> None:
    with_ptx = ArchList(("7.5", "8.0"), "8.0")
    assert runs_on(with_ptx, "9.0")  # newer major through PTX
    assert not runs_on(with_ptx, "7.0")  # PTX never runs on older GPUs
    assert not runs_on(ArchList(("7.5", "8.0"), None), "9.0")


def test_cu126_keeps_maxwell_and_cu130_starts_at_turing() -> None:
    cu126 = arch_list(V("2.11"), "cu126", L)
    cu130 = arch_list(V("2.11"), "cu130", L)
    assert cu126 is not None and cu126.sm[0] == "5.0" and cu126.sm[-1] == "9.0"
    assert cu130 is not None and cu130.sm[0] == "7.5" and cu130.ptx == "12.0"
    windows = arch_list(V("2.12"), "cu130", W)
    assert windows is not None and windows.ptx is None


def test_unknown_and_non_cuda() -> None:
    assert arch_list(V("2.5"), "rocm6.2", L) is None
    assert arch_list(V("2.5"), "cpu", L) is None
    assert arch_list(V("2.15"), "cu130", L) is None
    # 2.10's Windows cu126/cu128 lists were not read: assumed from 2.9, so `low` (unknown to the planner).
    assumed = arch_list(V("2.10"), "cu128", W)
    assert assumed is not None and assumed.confidence == "low"
    assert arch_gap(V("2.11"), "cu130", L) is None


@pytest.mark.parametrize("cc", ["sm_89", "8.9", "89"])
def test_compute_capability_spellings(cc: str) -> None:
    archs = arch_list(V("2.11"), "cu128", L)
    assert archs is not None and runs_on(archs, cc)


@pytest.mark.parametrize("cc", ["", "ampere", "8.x"])
def test_bad_compute_capability(cc: str) -> None:
    with pytest.raises(ValueError, match="invalid compute capability"):
        runs_on(ArchList(("8.0",), None), cc)
