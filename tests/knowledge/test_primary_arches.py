"""Arch lists and backend builds per release, with expected answers written from PyTorch's own build files.

Sources (each cited again next to its assertion):
- pytorch/builder `manywheel/build_cuda.sh` and `windows/cudaXYZ.bat` on release/2.5@aec5fb5d;
- pytorch/pytorch `.ci/manywheel/build_cuda.sh`@00c7a380 (2.8 era: `12.8) TORCH_CUDA_ARCH_LIST=
  "7.0;7.5;8.0;8.6;9.0;10.0;12.0"`);
- the release/2.7, release/2.8 and release/2.9 versions of `.ci/pytorch/windows/cuda12X.bat`,
  `.ci/manywheel/build_cuda.sh` and `.ci/aarch64_linux/aarch64_ci_build.sh`, read from ROCm/pytorch merge
  snapshots whose conflict sides name their branch (version.txt 2.7.1 / 2.8.0 / 2.9.0 at the same commits
  ee04104d, 6aedb8a0, db003992, 10b22ea5);
- NVIDIA's CUDA 12.8 release notes (sm_120 is new in CUDA 12.8, so no CUDA 12.6 build has it).
"""

from __future__ import annotations

import re

import pytest
from packaging.version import Version

from torchsmith.knowledge._load import load_table
from torchsmith.knowledge.cuda_arches import arch_list, runs_on, toolkit_excludes

V = Version
L, W, A = "linux-x86_64", "windows-x86_64", "linux-aarch64"


def _runs(torch: str, backend: str, platform: str, cc: str) -> bool:
    archs = arch_list(V(torch), backend, platform)
    assert archs is not None, (torch, backend, platform)
    return runs_on(archs, cc)


def test_torch_2_8_cu128_linux_contains_sm_120() -> None:
    # pytorch .ci/manywheel/build_cuda.sh@00c7a380: 12.8) TORCH_CUDA_ARCH_LIST="7.0;7.5;8.0;8.6;9.0;10.0;12.0"
    archs = arch_list(V("2.8.0"), "cu128", L)
    assert archs is not None and "12.0" in archs.sm and archs.sm[0] == "7.0"
    assert archs.ptx is None  # no "+PTX" on the 12.8 line (12.9 has 12.0+PTX)


@pytest.mark.parametrize(
    ("torch", "backend", "platform", "cc", "expected"),
    [
        # release/2.7 cuda128.bat (ROCm/pytorch@ee04104d, HEAD side, version 2.7.1): set
        # TORCH_CUDA_ARCH_LIST=5.0;6.0;6.1;7.0;7.5;8.0;8.6;9.0;10.0;12.0 -> a GTX 1080 (sm_61) runs 2.7
        # cu128 on Windows, while Linux 2.7 cu128 starts at 7.5 (build_cuda.sh on the same side).
        ("2.7.1", "cu128", W, "6.1", True),
        ("2.7.1", "cu128", L, "6.1", False),
        ("2.7.1", "cu128", W, "7.0", True),  # V100 on Windows 2.7 cu128
        ("2.7.1", "cu128", L, "7.0", False),  # ... but not on Linux (7.5;8.0;8.6;9.0;10.0;12.0+PTX)
        # release/2.8 cuda128.bat (the "[release/2.8]" side at 6aedb8a0): 6.1;7.0;...;12.0 -> still sm_61
        ("2.8.0", "cu128", W, "6.1", True),
        # release/2.9 cuda128.bat (HEAD side at 6aedb8a0, version 2.9.0): 7.0;7.5;8.0;8.6;9.0;10.0;12.0
        # (pytorch#164470 removed 6.1)
        ("2.9.0", "cu128", W, "6.1", False),
        ("2.9.0", "cu128", W, "7.0", True),
        # release/2.8 cuda126.bat: 6.1;7.0;7.5;8.0;8.6;9.0 -> no Maxwell (GTX 970, sm_52) on Windows 2.8
        # cu126, while Linux 2.8 cu126 has 5.0 SASS (build_cuda.sh 12.6: 5.0;6.0;7.0;7.5;8.0;8.6;9.0)
        ("2.8.0", "cu126", W, "5.2", False),
        ("2.8.0", "cu126", L, "5.2", True),
        # release/2.9 cuda126.bat (HEAD side, 2.9.0): 5.0;6.0;6.1;7.0;7.5;8.0;8.6;9.0 -> Maxwell again
        ("2.9.0", "cu126", W, "5.2", True),
        # release/2.8 cuda129.bat (db003992, same on both sides): 7.0;7.5;8.0;8.6;9.0;10.0;12.0
        ("2.8.0", "cu129", W, "12.0", True),
        ("2.8.0", "cu129", W, "6.1", False),
        # aarch64_ci_build.sh: release/2.7 12.8 -> 9.0;10.0;12.0; release/2.8 12.9 -> 8.0;9.0;10.0;12.0
        ("2.7.1", "cu128", A, "9.0", True),
        ("2.7.1", "cu128", A, "8.0", False),
        ("2.8.0", "cu129", A, "8.0", True),
        # pytorch#148169 (2025-02-28): the aarch64 12.6 binaries support sm_90 only
        ("2.6.0", "cu126", A, "9.0", True),
        ("2.6.0", "cu126", A, "8.0", False),
        # builder release/2.5 windows/cuda124.bat: 5.0;6.0;6.1;7.0;7.5;8.0;8.6;9.0
        ("2.5.1", "cu124", W, "6.1", True),
        ("2.5.1", "cu124", W, "3.7", False),
    ],
)
def test_gpu_against_release_branch_lists(
    torch: str, backend: str, platform: str, cc: str, expected: bool
) -> None:
    assert _runs(torch, backend, platform, cc) is expected


@pytest.mark.parametrize("torch", ["2.6.0", "2.7.1", "2.8.0", "2.9.1", "2.10.0", "2.11.0", "2.14.1"])
@pytest.mark.parametrize("platform", [L, W])
def test_rtx_5090_is_not_served_by_cu126(torch: str, platform: str) -> None:
    # Every cu126 list ends at 9.0 without PTX, and CUDA 12.6 predates sm_120 (CUDA 12.8 release notes).
    archs = arch_list(V(torch), "cu126", platform)
    assert archs is None or not runs_on(archs, "12.0")
    assert toolkit_excludes(V("12.6"), "12.0") is not None


def test_lists_read_from_a_commit_name_it() -> None:
    # Every source that is a build script names the commit it was read at (40 or 8+ hex digits in the URL).
    table = load_table("cuda_arches")
    for key, source in table.sources.items():
        if key.startswith(("builder-", "build-cuda-", "rocm-fork-", "win-")):
            assert re.search(r"/blob/[0-9a-f]{8,40}/", source["url"]), key


def test_unread_release_lists_are_low_confidence() -> None:
    # release/2.6's build_cuda.sh and release/2.10's Windows scripts were not in reach: those rows are
    # assumptions (confidence low), which the planner reports as unknown.
    for torch, backend, platform in [
        ("2.6.0", "cu126", L),
        ("2.6.0", "cu118", L),
        ("2.10.0", "cu128", W),
        ("2.10.0", "cu126", W),
        ("2.7.1", "cu126", W),
    ]:
        archs = arch_list(V(torch), backend, platform)
        assert archs is not None and archs.confidence == "low", (torch, backend, platform)
