"""Plans on machines whose answer depends on a release's own arch list or build matrix; each expected answer
is written from PyTorch's build files (cited per test), offline on the shipped knowledge.

- release/2.7, release/2.8, release/2.9 `.ci/pytorch/windows/cuda12X.bat` and `.ci/aarch64_linux/
  aarch64_ci_build.sh`, read from ROCm/pytorch merge snapshots (ee04104d, 6aedb8a0, db003992, 10b22ea5) whose
  conflict sides carry version.txt 2.7.1 / 2.8.0 / 2.9.0;
- pytorch/test-infra generate_binary_build_matrix.py at b1bdc3323 (2.6 go-live: linux-aarch64 cu126);
- CUDA 13.0 release notes (no code generation below sm_75), CUDA 12.8 release notes (sm_120 is new).
"""

from __future__ import annotations

import pytest

from tests.plan.support_decisions import linux, nvidia, plan, text, windows, with_


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCHSMITH_OFFLINE", "1")


def _torch(p: object) -> str:
    return next(pkg.version for pkg in p.packages if pkg.name == "torch")  # type: ignore[attr-defined]


def test_gtx_1080_on_windows_gets_2_7_cu128() -> None:
    # release/2.7 cuda128.bat: TORCH_CUDA_ARCH_LIST=5.0;6.0;6.1;7.0;7.5;8.0;8.6;9.0;10.0;12.0, so the newest
    # CUDA build of 2.7 carries sm_61 SASS on Windows (driver 581.57 runs CUDA 12.8).
    p = plan(with_(windows(), nvidia=nvidia("581.57", ("NVIDIA GeForce GTX 1080", "6.1"))), ["torch==2.7.*"])
    assert p.backend == "cu128" and p.verified
    assert _torch(p).endswith("+cu128")


def test_gtx_1080_on_windows_2_9_falls_back_to_cu126() -> None:
    # release/2.9: cuda128.bat starts at 7.0 (pytorch#164470 removed 6.1), cu130 cannot hold sm_61 (CUDA 13.0
    # release notes), cuda126.bat is 5.0;6.0;6.1;7.0;7.5;8.0;8.6;9.0 -> cu126, known to run.
    p = plan(with_(windows(), nvidia=nvidia("581.57", ("NVIDIA GeForce GTX 1080", "6.1"))), ["torch==2.9.*"])
    assert p.backend == "cu126" and p.verified


def test_maxwell_on_windows_2_8_has_no_cuda_build() -> None:
    # release/2.8 Windows: cuda126.bat 6.1;7.0;...;9.0, cuda128.bat 6.1;7.0;...;12.0, cuda129.bat
    # 7.0;...;12.0 -> no 2.8 CUDA build has code for a GTX 970 (sm_52); the plan says so instead of guessing.
    p = plan(with_(windows(), nvidia=nvidia("581.57", ("NVIDIA GeForce GTX 970", "5.2"))), ["torch==2.8.*"])
    assert p.backend == "cpu"
    assert "sm_52" in text(p) and "has kernels for sm_61" in text(p)


def test_rtx_5090_on_windows_2_8_gets_a_blackwell_build() -> None:
    # release/2.8 cuda129.bat and cuda128.bat both list 12.0; cu126 (ends at 9.0) cannot serve sm_120.
    p = plan(with_(windows(), nvidia=nvidia("581.57", ("NVIDIA GeForce RTX 5090", "12.0"))), ["torch==2.8.*"])
    assert p.backend in ("cu129", "cu128") and p.verified


def test_grace_hopper_gets_torch_2_6_cuda_on_aarch64() -> None:
    # test-infra b1bdc3323: 2.6 builds cuda-aarch64 cu126 (torch-2.6.0+cu126-cp312-cp312-linux_aarch64.whl
    # is quoted in lock files); pytorch#148169: those wheels carry sm_90, the GH200's architecture.
    doc = with_(linux(arch="aarch64"), nvidia=nvidia("560.35.03", ("NVIDIA GH200 480GB", "9.0")))
    p = plan(doc, ["torch==2.6.*"])
    assert p.backend == "cu126" and p.verified
    assert _torch(p) == "2.6.0+cu126"


def test_a100_on_aarch64_is_not_served_by_2_7_cu128() -> None:
    # release/2.7 aarch64_ci_build.sh: 12.8 -> TORCH_CUDA_ARCH_LIST=9.0;10.0;12.0 (no sm_80), and 2.7 has no
    # other aarch64 CUDA build (test-infra bad60f65d: cuda-aarch64 12.8 only).
    doc = with_(linux(arch="aarch64"), nvidia=nvidia("570.86.15", ("NVIDIA A100-SXM4-80GB", "8.0")))
    p = plan(doc, ["torch==2.7.*"])
    assert p.backend == "cpu"
    assert "sm_80" in text(p)
