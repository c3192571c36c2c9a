"""The doctor rule `cuda-toolkit-mismatch`, end to end through `diagnose` with a fake torch in a real venv.

Expected behaviour from PyTorch's `torch/utils/cpp_extension.py` (`_check_cuda_version`): building an
extension raises when the toolkit's CUDA major differs from `torch.version.cuda`'s, and only warns when the
minor differs. So 12.4 vs 12.8 is quiet, 12.4 vs 13.0 is a finding. The toolkit comes from
`Machine.cuda_toolkit` (the probe fills it; here the machine document sets it).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from tests.doctor.conftest import base_env, make_machine
from tests.doctor.fakes import FakeEnv
from torchsmith.doctor import DoctorReport, diagnose, render_text

H100 = {
    "driver": "580.82.07",
    "cuda_driver": "13.0",
    "gpus": [{"name": "NVIDIA H100 80GB HBM3", "compute_capability": "9.0"}],
}


def run(tmp_path: Path, torch: str, cuda: str, toolkit: dict[str, Any] | None) -> DoctorReport:
    env = FakeEnv.create(tmp_path / "env", sys.executable)
    env.add_torch(
        version=torch,
        cuda=cuda,
        available=True,
        devices=[{"name": H100["gpus"][0]["name"], "capability": "9.0"}],
    )
    machine = make_machine(nvidia=H100, cuda_toolkit=toolkit)
    return diagnose(python=str(env.python), env=base_env(), machine=machine, device_test=False)


def test_major_mismatch_is_reported_with_a_fix(tmp_path: Path) -> None:
    toolkit = {"version": "12.4", "path": "/usr/local/cuda-12.4", "source": "nvcc"}
    report = run(tmp_path, "2.9.0+cu130", "13.0", toolkit)
    (finding,) = [f for f in report.findings if f.rule == "cuda-toolkit-mismatch"]
    assert finding.severity == "warning"
    assert finding.message == (
        "the CUDA toolkit at `/usr/local/cuda-12.4` is 12.4, but torch 2.9.0+cu130 was built with CUDA 13.0: "
        "CUDA extensions (flash-attn, apex, custom ops) will fail to build"
    )
    # the newest CUDA 12 build this H100 with driver 580 runs: PyTorch's newest 12.x wheels are cu129
    # (https://pytorch.org/get-started/previous-versions/: 2.8.0 ships CUDA 12.6, 12.8 and 12.9)
    assert (
        finding.fix
        == f"torchsmith install torch --backend cu129 --python {tmp_path / 'env' / 'bin' / 'python'}"
    )
    assert finding.evidence[-1] == "or keep this torch: install CUDA toolkit 13.0 and point `CUDA_HOME` at it"
    assert "warning[cuda-toolkit-mismatch]:" in render_text(report)


@pytest.mark.parametrize(
    ("torch", "cuda", "toolkit"),
    [
        (
            "2.8.0+cu128",
            "12.8",
            {"version": "12.4", "source": "nvcc"},
        ),  # minor differs: only a warning in torch
        ("2.8.0+cu128", "12.8", None),  # no toolkit found: nothing to build with, nothing to say
        ("2.9.0+cu130", "13.0", {"version": "13.0", "source": "nvcc"}),
    ],
)
def test_quiet_when_the_majors_match_or_no_toolkit(
    tmp_path: Path, torch: str, cuda: str, toolkit: dict[str, Any] | None
) -> None:
    report = run(tmp_path, torch, cuda, toolkit)
    assert "cuda-toolkit-mismatch" not in [f.rule for f in report.findings]


def test_quiet_for_a_cpu_build(tmp_path: Path) -> None:
    env = FakeEnv.create(tmp_path / "env", sys.executable)
    env.add_torch(version="2.13.0+cpu")
    machine = make_machine(cuda_toolkit={"version": "12.4", "source": "nvcc"})
    report = diagnose(python=str(env.python), env=base_env(), machine=machine, device_test=False)
    assert "cuda-toolkit-mismatch" not in [f.rule for f in report.findings]


def test_markdown_report_shows_gpu_driver_toolkit_and_the_finding(tmp_path: Path) -> None:
    from torchsmith.doctor.markdown import render_markdown

    toolkit = {"version": "12.4", "path": "/usr/local/cuda-12.4", "source": "nvcc"}
    report = run(tmp_path, "2.9.0+cu130", "13.0", toolkit)
    text = render_markdown(report, env={"HOME": str(tmp_path), "CUDA_HOME": "/usr/local/cuda-12.4"})
    lines = text.splitlines()
    for line in [
        "PyTorch version: 2.9.0+cu130",
        "CUDA used to build PyTorch: 13.0",
        "Is CUDA available: True",
        "GPU models and configuration: GPU 0: NVIDIA H100 80GB HBM3 (sm_90)",
        "Nvidia driver version: 580.82.07",
        "CUDA driver API version: 13.0",
        "CUDA toolkit (nvcc): 12.4 at /usr/local/cuda-12.4 (from nvcc)",
        "CUDA_HOME: /usr/local/cuda-12.4",
        "Python executable: ~/env/bin/python",  # the home directory, redacted
        "[pip] torch==2.9.0+cu130",
    ]:
        assert line in lines, line
    finding = "- **warning** `cuda-toolkit-mismatch`: the CUDA toolkit at"
    assert any(line.startswith(finding) for line in lines)
    assert str(tmp_path) not in text
