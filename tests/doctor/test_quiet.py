"""Every rule stays quiet on healthy environments: a CUDA build on a probed H100 machine, a ROCm build on
a probed MI250X machine, a CPU build on a CPU machine (all with the device test), and torch with its
paired torchvision. `test_real_torch.py` adds the real torch on this machine."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.doctor.conftest import CPU_MACHINE, H100_ROOT, REPO, base_env, root_env
from tests.doctor.fakes import FakeEnv
from torchsmith.doctor import RULES, DoctorReport, diagnose

MI250X_ROOT = REPO / "tests" / "machines" / "mi250x-rocm6.2"


def _healthy_cuda(path: Path) -> DoctorReport:
    env = FakeEnv.create(path)
    env.add_torch(
        version="2.13.0+cu130",
        cuda="13.0",
        available=True,
        devices=[{"name": "NVIDIA H100 80GB HBM3", "capability": "9.0"}] * 8,
        arch_list=["sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120"],
        requires=("filelock", "nvidia-cudnn-cu13==9.13.0.50; platform_system == 'Linux'"),
    )
    env.add_dist("filelock", "3.20.0")
    env.add_dist("nvidia-cudnn-cu13", "9.13.0.50")
    env.add_dist("torchvision", "0.28.0+cu130", requires=("torch==2.13.0",))
    return diagnose(python=str(env.python), root=H100_ROOT, env=root_env(H100_ROOT), timeout=60)


def _healthy_rocm(path: Path) -> DoctorReport:
    env = FakeEnv.create(path)
    env.add_torch(
        version="2.5.1+rocm6.2",
        hip="6.2.41133-dd7f95766",
        available=True,
        devices=[
            {"name": "AMD Instinct MI250X / MI250", "capability": "9.0", "gfx": "gfx90a:sramecc+:xnack-"}
        ]
        * 4,
        arch_list=["gfx900", "gfx906", "gfx908", "gfx90a", "gfx942", "gfx1030", "gfx1100"],
    )
    env.add_dist("torchaudio", "2.5.1+rocm6.2")
    return diagnose(python=str(env.python), root=MI250X_ROOT, env=root_env(MI250X_ROOT), timeout=60)


def _healthy_cpu(path: Path) -> DoctorReport:
    env = FakeEnv.create(path)
    env.add_torch(version="2.13.0+cpu")
    env.add_dist("torchvision", "0.28.0+cpu")
    return diagnose(python=str(env.python), machine=CPU_MACHINE, env=base_env(), timeout=60)


BASELINES = {"cuda-h100": _healthy_cuda, "rocm-mi250x": _healthy_rocm, "cpu": _healthy_cpu}


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, DoctorReport]:
    return {name: make(tmp_path_factory.mktemp(name)) for name, make in BASELINES.items()}


@pytest.mark.parametrize("baseline", sorted(BASELINES))
def test_healthy_baseline_has_no_findings(baseline: str, reports: dict[str, DoctorReport]) -> None:
    report = reports[baseline]
    assert [f.to_json() for f in report.findings] == []
    assert report.healthy and report.exit_code == 0
    assert all(t.ok for t in report.facts.device_tests)


@pytest.mark.parametrize("baseline", sorted(BASELINES))
@pytest.mark.parametrize("rule", [rule for rule, _ in RULES])
def test_rule_is_quiet_on_healthy_env(rule: str, baseline: str, reports: dict[str, DoctorReport]) -> None:
    assert rule not in {f.rule for f in reports[baseline].findings}


def test_healthy_cuda_summary_says_what_works(reports: dict[str, DoctorReport]) -> None:
    summary = reports["cuda-h100"].summary
    assert summary[1].startswith("torch 2.13.0+cu130 (CUDA 13.0 build) from `")
    assert summary[2] == "torchvision 0.28.0+cu130"
    assert summary[3].startswith("machine: linux x86_64, glibc 2.35, 8x NVIDIA H100 80GB HBM3; runs cu130, ")
    assert (
        summary[4]
        == "devices: " + ", ".join(f"cuda:{i} NVIDIA H100 80GB HBM3 (sm_90)" for i in range(8)) + ", cpu"
    )
    assert [line.split(": ")[0] for line in summary[5:]] == [f"cuda:{i}" for i in range(8)] + ["cpu"]
