"""Rules about whether the build runs here: devices, libraries, variables, Python and glibc."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.doctor.conftest import H100_ROOT, PY38, base_env, ids, make_machine, only, root_env
from tests.doctor.fakes import FakeEnv
from torchsmith.doctor import DoctorReport

Doctor = Callable[..., DoctorReport]
MakeEnv = Callable[..., FakeEnv]

H100 = {"name": "NVIDIA H100 80GB HBM3", "capability": "9.0"}
CUDA_130 = ["sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120"]


def q(path: object) -> str:
    return shlex.quote(str(path))


def cuda_torch(env: FakeEnv, **config: object) -> None:
    settings: dict[str, object] = {
        "version": "2.13.0+cu130",
        "cuda": "13.0",
        "available": True,
        "devices": [H100],
        "arch_list": CUDA_130,
    }
    settings.update(config)
    env.add_torch(**settings)


def test_cuda_unavailable_because_of_cuda_visible_devices(make_env: MakeEnv, doctor: Doctor) -> None:
    env = make_env()
    cuda_torch(env, available=False, cuda_warning="CUDA initialization: no CUDA-capable device is detected")
    environ = root_env(H100_ROOT, CUDA_VISIBLE_DEVICES="-1")
    report = doctor(env, machine=None, root=H100_ROOT, environ=environ)
    finding = only(report, "cuda-unavailable")
    assert finding.message == (
        "torch 2.13.0+cu130 is a CUDA build and this machine has the GPU, but `torch.cuda.is_available()` is "
        "False: `CUDA_VISIBLE_DEVICES=-1` hides every GPU from this process"
    )
    assert finding.fix == "unset CUDA_VISIBLE_DEVICES"
    assert "torch says: CUDA initialization: no CUDA-capable device is detected" in finding.evidence
    assert ids(report) == ["cuda-unavailable"]


def test_cuda_unavailable_in_a_container_without_the_gpu_runtime(
    make_env: MakeEnv, doctor: Doctor, tmp_path: Path
) -> None:
    env = make_env()
    cuda_torch(env, available=False)
    machine = make_machine(
        nvidia={
            "driver": "580.95.05",
            "gpus": [{"name": "NVIDIA H100 80GB HBM3", "compute_capability": "9.0"}],
        },
        container={"kind": "docker", "nvidia_runtime": False},
    )
    finding = only(doctor(env, machine=machine, root=tmp_path), "cuda-unavailable")
    assert finding.message.endswith(
        "this docker container was started without the NVIDIA runtime: no /dev/nvidia* device nodes"
    )


def test_cuda_unavailable_names_an_old_driver_first(make_env: MakeEnv, doctor: Doctor) -> None:
    env = make_env()
    cuda_torch(env, available=False)
    machine = make_machine(
        nvidia={"driver": "550.54.14", "gpus": [{"name": "RTX 4090", "compute_capability": "8.9"}]}
    )
    report = doctor(env, machine=machine, root=H100_ROOT)
    assert ids(report) == ["driver-too-old", "cuda-unavailable"]
    assert only(report, "cuda-unavailable").message.endswith(
        "the NVIDIA driver 550.54.14 is older than 580.65.06, which CUDA 13.0 needs (see driver-too-old)"
    )


H100_MACHINE = make_machine(
    nvidia={"driver": "580.95.05", "gpus": [{"name": "NVIDIA H100 80GB HBM3", "compute_capability": "9.0"}]}
)


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (
            "full:raise:CUDA error: no kernel image is available for execution on the device",
            "the device test failed on `cuda:0`: RuntimeError: CUDA error: no kernel image is available for "
            "execution on the device",
        ),
        ("matmul:wrong", "the device test failed on `cuda:0`: matmul result 1025.0, expected 1024.0"),
        ("matmul:abort", "the device test failed on `cuda:0`: the process was killed by SIGABRT"),
    ],
    ids=["raises", "wrong-result", "crash"],
)
def test_device_test_failed(fault: str, message: str, make_env: MakeEnv, doctor: Doctor) -> None:
    env = make_env()
    cuda_torch(env, faults={"cuda": fault})
    report = doctor(env, machine=H100_MACHINE, device_test=True)
    finding = only(report, "device-test-failed")
    assert finding.message.startswith(message)
    assert ids(report) == ["device-test-failed"]


def test_device_test_that_hangs_times_out(make_env: MakeEnv, doctor: Doctor) -> None:
    env = make_env()
    cuda_torch(env, faults={"cuda": "matmul:hang"})
    finding = only(doctor(env, machine=H100_MACHINE, device_test=True, timeout=3), "device-test-failed")
    assert finding.message == "the device test failed on `cuda:0`: the process did not finish within 3 s"


def test_library_shadowing(make_env: MakeEnv, doctor: Doctor, tmp_path: Path) -> None:
    env = make_env()
    cuda_torch(env)
    env.add_dist("nvidia-cuda-runtime-cu13", "13.0.96", files={"nvidia/cuda_runtime/lib/libcudart.so.13": ""})
    shadow = tmp_path / "cuda-12.4" / "lib64"
    shadow.mkdir(parents=True)
    (shadow / "libcudart.so.12").write_text("")
    (shadow / "libcublas.so.12").write_text("")
    harmless = tmp_path / "other"
    harmless.mkdir()
    (harmless / "libfoo.so").write_text("")
    environ = base_env(LD_LIBRARY_PATH=f"{harmless}:{shadow}")
    finding = only(doctor(env, machine=H100_MACHINE, environ=environ), "library-shadowing")
    assert finding.severity == "warning"
    assert finding.fix == f"export LD_LIBRARY_PATH={harmless}"
    assert finding.evidence[0] == f"`{shadow}` holds libcublas.so.12, libcudart.so.12"
    assert (
        finding.evidence[-1]
        == f"the wheels' own copies: `{env.site}/nvidia/cuda_runtime/lib` (libcudart.so.13)"
    )


def test_library_shadowing_ignores_cpu_builds(make_env: MakeEnv, doctor: Doctor, tmp_path: Path) -> None:
    env = make_env()
    env.add_torch(version="2.13.0+cpu")
    (tmp_path / "libcudart.so.12").write_text("")
    assert ids(doctor(env, environ=base_env(LD_LIBRARY_PATH=str(tmp_path)))) == []


RADEON_6700 = make_machine(
    amd={"rocm": "6.2.4", "gpus": [{"name": "AMD Radeon RX 6700 XT", "gfx": "gfx1031"}]}
)


def test_rocm_gfx_override(make_env: MakeEnv, doctor: Doctor, tmp_path: Path) -> None:
    env = make_env()
    env.add_torch(
        version="2.5.1+rocm6.2",
        hip="6.2.41133",
        available=True,
        devices=[{"name": "AMD Radeon RX 6700 XT", "capability": "10.3", "gfx": "gfx1031"}],
    )
    report = doctor(env, machine=RADEON_6700, root=tmp_path)
    finding = only(report, "rocm-gfx-override")
    assert finding.fix == "export HSA_OVERRIDE_GFX_VERSION=10.3.0"
    assert "AMD Radeon RX 6700 XT (gfx1031)" in finding.message
    quiet = doctor(
        env, machine=RADEON_6700, root=tmp_path, environ=base_env(HSA_OVERRIDE_GFX_VERSION="10.3.0")
    )
    assert ids(quiet) == []


APPLE_SILICON = make_machine(
    os="macos",
    arch="arm64",
    libc=None,
    apple={"chip": "Apple M2", "macos": "14.5", "rosetta": False, "mps": True},
)


def test_mps_unavailable_under_rosetta(make_env: MakeEnv, doctor: Doctor) -> None:
    """The target here is an x86_64 Python; on an arm64 Mac that is exactly the Rosetta case."""
    env = make_env()
    env.add_torch(version="2.2.2", mps_built=True, mps_available=False)
    finding = only(doctor(env, machine=APPLE_SILICON), "mps-unavailable")
    assert finding.severity == "error"
    assert "x86_64 build running under Rosetta" in finding.message
    assert finding.fix.startswith("uv venv --python cpython-3.12-macos-aarch64-none .venv")


def test_mps_available_is_quiet(make_env: MakeEnv, doctor: Doctor) -> None:
    env = make_env()
    env.add_torch(version="2.13.0", mps_built=True, mps_available=True)
    assert "mps-unavailable" not in ids(doctor(env, machine=APPLE_SILICON))


def test_python_unsupported_for_an_installed_torch(make_env: MakeEnv, doctor: Doctor) -> None:
    """torch 2.13 publishes wheels for cp310 and newer; a copy importing on Python 3.8 was built elsewhere."""
    if not PY38.exists():
        pytest.skip("no Python 3.8 on this machine")
    env = make_env()
    env.add_torch(version="2.13.0+cpu")
    assert "python-unsupported" not in ids(doctor(env))
    old = make_env(PY38)
    old.add_torch(version="2.13.0+cpu")
    finding = only(doctor(old), "python-unsupported")
    assert finding.severity == "warning"
    assert finding.message.startswith("torch 2.13.0+cpu publishes no wheels for cp38 (Python 3.8.18)")


def test_glibc_too_old_before_installing(make_env: MakeEnv, doctor: Doctor) -> None:
    env = make_env()
    old = make_machine(libc={"name": "glibc", "version": "2.17"})
    report = doctor(env, machine=old)
    assert ids(report) == ["torch-missing", "glibc-too-old"]
    finding = only(report, "glibc-too-old")
    assert finding.severity == "warning"
    assert finding.fix == f"torchsmith install 'torch==2.6.*' --python {q(env.python)}"
