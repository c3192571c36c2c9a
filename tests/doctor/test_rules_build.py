"""Rules about whether the build fits the machine: fake builds on probed or described machines."""

from __future__ import annotations

import shlex
from collections.abc import Callable

from tests.doctor.conftest import H100_ROOT, ids, make_machine, only, root_env
from tests.doctor.fakes import FakeEnv
from torchsmith.doctor import DoctorReport
from torchsmith.doctor.rules.build import parse_arch_list

Doctor = Callable[..., DoctorReport]
MakeEnv = Callable[..., FakeEnv]

CUDA_130 = ["sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120"]


def q(path: object) -> str:
    return shlex.quote(str(path))


def nvidia_machine(driver: str, *gpus: tuple[str, str]) -> object:
    return make_machine(
        nvidia={
            "driver": driver,
            "cuda_driver": None,
            "gpus": [{"name": name, "compute_capability": cc} for name, cc in gpus],
        }
    )


def test_cpu_build_on_gpu_machine_probed_from_a_root(make_env: MakeEnv, doctor: Doctor) -> None:
    env = make_env()
    env.add_torch(version="2.13.0+cpu")
    env.add_dist("torchvision", "0.28.0+cpu")
    report = doctor(env, machine=None, root=H100_ROOT, environ=root_env(H100_ROOT))
    finding = only(report, "cpu-build-on-gpu-machine")
    assert finding.severity == "error"
    assert finding.message == "torch 2.13.0+cpu is a CPU-only build, but this machine can run `cu130`"
    assert finding.fix == f"torchsmith install torch torchvision --backend cu130 --python {q(env.python)}"
    assert "NVIDIA: driver 580.95.05; 8x NVIDIA H100 80GB HBM3 (sm_90)" in finding.evidence
    assert ids(report) == ["cpu-build-on-gpu-machine"]


def test_gpu_build_without_gpu(make_env: MakeEnv, doctor: Doctor) -> None:
    env = make_env()
    env.add_torch(version="2.5.1+cu124", cuda="12.4")
    report = doctor(env)
    finding = only(report, "gpu-build-without-gpu")
    assert finding.severity == "warning"
    assert finding.message.startswith("torch 2.5.1+cu124 is a CUDA build, but this machine has no NVIDIA GPU")
    assert finding.fix == f"torchsmith install torch --backend cpu --python {q(env.python)}"
    assert report.exit_code == 0  # a warning: it works, on the CPU


def test_jetson_cpu_build(make_env: MakeEnv, doctor: Doctor) -> None:
    env = make_env()
    env.add_torch(version="2.5.1")
    jetson = make_machine(
        arch="aarch64",
        jetson={"l4t": "36.4.0", "jetpack": "6.1", "cuda": "12.6", "module": "NVIDIA Jetson AGX Orin"},
    )
    report = doctor(env, machine=jetson)
    finding = only(report, "jetson-cpu-build")
    assert finding.fix == f"torchsmith install torch --backend jp6-cu126 --python {q(env.python)}"
    assert "cpu-build-on-gpu-machine" not in ids(report)


def test_driver_too_old(make_env: MakeEnv, doctor: Doctor) -> None:
    env = make_env()
    env.add_torch(version="2.13.0+cu130", cuda="13.0", available=False)
    machine = nvidia_machine("550.54.14", ("NVIDIA GeForce RTX 4090", "8.9"))
    report = doctor(env, machine=machine, root=H100_ROOT)
    finding = only(report, "driver-too-old")
    assert finding.message == (
        "torch 2.13.0+cu130 is built with CUDA 13.0, which needs NVIDIA driver >= 580.65.06; "
        "this machine's driver is 550.54.14 (CUDA up to 12.4)"
    )
    assert finding.fix == f"torchsmith install torch --backend cu124 --python {q(env.python)}"
    assert "minor-version-compat" not in ids(report)


def test_minor_version_compat(make_env: MakeEnv, doctor: Doctor) -> None:
    env = make_env()
    env.add_torch(
        version="2.13.0+cu126",
        cuda="12.6",
        available=True,
        devices=[{"name": "NVIDIA GeForce RTX 4090", "capability": "8.9"}],
        arch_list=["sm_50", "sm_60", "sm_70", "sm_75", "sm_80", "sm_86", "sm_90"],
    )
    machine = nvidia_machine("550.54.14", ("NVIDIA GeForce RTX 4090", "8.9"))
    report = doctor(env, machine=machine)
    finding = only(report, "minor-version-compat")
    assert finding.severity == "warning"
    assert finding.message.startswith(
        "torch 2.13.0+cu126 (CUDA 12.6) runs on driver 550.54.14 (CUDA 12.4) only through minor-version "
        "compatibility"
    )
    assert finding.fix is None  # torch 2.13 ships no build for CUDA <= 12.4: the driver must move
    assert "or upgrade the NVIDIA driver to >= 560.28.03 (CUDA 12.6's own driver)" in finding.evidence
    assert ids(report) == ["minor-version-compat"]


def test_gpu_arch_unsupported_from_torch_arch_list(make_env: MakeEnv, doctor: Doctor) -> None:
    env = make_env()
    env.add_torch(
        version="2.13.0+cu130",
        cuda="13.0",
        available=True,
        devices=[{"name": "NVIDIA GeForce GTX 1080", "capability": "6.1"}],
        arch_list=CUDA_130,
    )
    machine = nvidia_machine("580.95.05", ("NVIDIA GeForce GTX 1080", "6.1"))
    finding = only(doctor(env, machine=machine), "gpu-arch-unsupported")
    assert finding.message.startswith("torch 2.13.0+cu130 has no kernels for NVIDIA GeForce GTX 1080 (sm_61)")
    assert (
        "compiled for: sm_75 sm_80 sm_86 sm_90 sm_100 sm_120 (from torch.cuda.get_arch_list())"
        in finding.evidence
    )
    assert finding.fix == f"torchsmith install torch --backend cu126 --python {q(env.python)}"


def test_gpu_arch_unsupported_from_knowledge_when_cuda_is_unusable(make_env: MakeEnv, doctor: Doctor) -> None:
    env = make_env()
    env.add_torch(version="2.13.0+cu130", cuda="13.0", available=False)
    machine = nvidia_machine("580.95.05", ("Tesla V100-SXM2-16GB", "7.0"))
    finding = only(doctor(env, machine=machine, root=H100_ROOT), "gpu-arch-unsupported")
    assert "(from the knowledge table for this build)" in finding.evidence[1]


def test_parse_arch_list() -> None:
    assert parse_arch_list(["sm_50", "sm_86", "sm_90a", "sm_100", "sm_121", "compute_90", "compute_120"]) == (
        ("5.0", "8.6", "9.0", "10.0", "12.1"),
        "12.0",
    )
    assert parse_arch_list(["gfx90a", "sm_", "junk", ""]) == ((), None)
