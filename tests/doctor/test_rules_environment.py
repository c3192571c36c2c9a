"""Rules about what is installed, each triggered by a real broken environment built by the test."""

from __future__ import annotations

import shlex
from collections.abc import Callable

import pytest

from tests.doctor.conftest import PY36, ids, make_machine, only
from tests.doctor.fakes import FakeEnv
from torchsmith.doctor import DoctorReport

Doctor = Callable[..., DoctorReport]
MakeEnv = Callable[..., FakeEnv]


def q(path: object) -> str:
    return shlex.quote(str(path))


def test_torch_missing(make_env: MakeEnv, doctor: Doctor) -> None:
    env = make_env()
    report = doctor(env)
    finding = only(report, "torch-missing")
    assert finding.severity == "error"
    assert finding.fix == f"torchsmith install torch --python {q(env.python)}"
    assert ids(report) == ["torch-missing"]
    assert report.exit_code == 1


def test_torch_missing_on_python_36_also_says_python_unsupported(make_env: MakeEnv, doctor: Doctor) -> None:
    if not PY36.exists():
        pytest.skip("no Python 3.6 on this machine")
    report = doctor(make_env(PY36))
    assert ids(report) == ["torch-missing", "python-unsupported"]
    finding = only(report, "python-unsupported")
    assert "cp36" in finding.message
    assert finding.fix == "uv venv --python 3.14 .venv && torchsmith install torch --python .venv/bin/python"


IMPORT_ERRORS = [
    (
        ("ImportError", "/x/torch/lib/libtorch_cuda.so: undefined symbol: ncclCommRegister"),
        "undefined-symbol",
        "torchsmith install torch==2.5.1 --backend cu124 --python {python}",
    ),
    (
        ("OSError", "libcudart.so.12: cannot open shared object file: No such file or directory"),
        "missing-library",
        "torchsmith install torch==2.5.1 --backend cu124 --python {python}",
    ),
    (
        ("ImportError", "numpy.core.multiarray failed to import"),
        "numpy-abi",
        "{python} -m pip install 'numpy<2'",
    ),
    (
        (
            "ImportError",
            "A module that was compiled using NumPy 1.x cannot be run in NumPy 2.1.0 as it may crash.",
        ),
        "numpy-abi",
        "{python} -m pip install 'numpy<2'",
    ),
    (
        ("ModuleNotFoundError", "No module named 'typing_extensions'"),
        "missing-dependency",
        "{python} -m pip install 'typing-extensions>=4.8.0'",
    ),
]


@pytest.mark.parametrize(
    ("error", "kind", "fix"), IMPORT_ERRORS, ids=[f"{e[1]}-{i}" for i, e in enumerate(IMPORT_ERRORS)]
)
def test_torch_import_error_is_classified(
    error: tuple[str, str], kind: str, fix: str, make_env: MakeEnv, doctor: Doctor
) -> None:
    env = make_env()
    env.add_torch(version="2.5.1+cu124", import_error=list(error), requires=("typing-extensions>=4.8.0",))
    env.add_dist("typing-extensions", "4.12.2")
    report = doctor(env)
    finding = only(report, "torch-import-error")
    assert finding.message.startswith(f"`import torch` fails ({kind}): ")
    assert (
        f"{error[0] if error[0] != 'ModuleNotFoundError' else 'ImportError'}: {error[1]}" in finding.evidence
    )
    assert finding.fix == fix.format(python=q(env.python))
    assert "torch-missing" not in ids(report)


def test_import_crash_is_a_torch_import_error(make_env: MakeEnv, doctor: Doctor) -> None:
    env = make_env()
    env.add_torch(version="2.5.1+cu124", import_abort=True)
    finding = only(doctor(env), "torch-import-error")
    assert finding.message == "`import torch` crashed: the process was killed by SIGABRT"


def test_glibc_import_error_names_a_release_that_fits(make_env: MakeEnv, doctor: Doctor) -> None:
    env = make_env()
    message = "/lib64/libc.so.6: version `GLIBC_2.28' not found (required by /x/torch/lib/libtorch_python.so)"
    env.add_torch(version="2.7.1+cpu", import_error=["ImportError", message])
    old = make_machine(libc={"name": "glibc", "version": "2.17"})
    report = doctor(env, machine=old)
    assert ids(report) == ["torch-import-error", "glibc-too-old"]
    finding = only(report, "glibc-too-old")
    assert finding.severity == "error"
    assert finding.message.startswith(
        "this system's glibc 2.17 is older than glibc 2.28, which torch 2.7.1+cpu needs"
    )
    assert finding.fix == f"torchsmith install 'torch==2.6.*' --python {q(env.python)}"


def test_duplicate_dist_info_in_one_site(make_env: MakeEnv, doctor: Doctor) -> None:
    env = make_env()
    env.add_torch(version="2.5.1+cpu")
    env.add_dist("torch", "2.5.1+cu124")
    finding = only(doctor(env), "duplicate-dist-info")
    assert finding.severity == "error"
    assert "2 `torch-*.dist-info` directories" in finding.message
    uninstall = f"{q(env.python)} -m pip uninstall -y torch"
    assert finding.fix == f"{uninstall} && {uninstall} && torchsmith install torch --python {q(env.python)}"
    assert len(finding.evidence) == 2


def test_duplicate_dist_info_across_sites_is_shadowing(make_env: MakeEnv, doctor: Doctor, tmp_path) -> None:
    env = make_env()
    env.add_torch(version="2.13.0+cpu")
    extra = tmp_path / "extra"
    env.add_torch(version="2.5.1+cu124", site=extra)
    report = doctor(env, environ={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(extra)})
    finding = only(report, "duplicate-dist-info")
    assert finding.severity == "warning"
    assert finding.message.startswith(
        f"`torch` is installed 2 times on sys.path: 2.5.1+cu124 in `{extra}` shadows"
    )
    assert finding.fix == f"rm -rf {q(env.site / 'torch-2.13.0+cpu.dist-info')} {q(env.site / 'torch')}"


def test_mixed_conda_pip_over_conda_pytorch(make_env: MakeEnv, doctor: Doctor) -> None:
    env = make_env()
    env.add_torch(version="2.5.1+cu124")
    env.add_conda_record(
        "pytorch",
        "2.4.0",
        build="py3.11_cuda12.1_cudnn9.1.0_0",
        files=("lib/python3.11/site-packages/torch/__init__.py",),
    )
    finding = only(doctor(env), "mixed-conda-pip")
    assert finding.severity == "error"
    assert "torch 2.5.1+cu124 from pip is installed over conda's `pytorch 2.4.0`" in finding.message
    assert finding.fix == (
        f"conda remove -p {q(env.prefix)} --force -y pytorch"
        f" && torchsmith install torch --python {q(env.python)}"
    )


def test_mixed_conda_pip_conda_dependents_over_pip_torch(make_env: MakeEnv, doctor: Doctor) -> None:
    env = make_env()
    env.add_torch(version="2.5.1")
    env.add_conda_record("torchvision", "0.20.1", depends=("pytorch 2.5.1.*", "numpy"))
    env.add_conda_record("numpy", "2.1.0", depends=("python >=3.11",))
    finding = only(doctor(env), "mixed-conda-pip")
    assert finding.severity == "warning"
    assert finding.message.startswith("conda packages `torchvision 0.20.1` depend on conda's pytorch")
    assert finding.fix == (
        f"conda remove -p {q(env.prefix)} --force -y torchvision"
        f" && torchsmith install torch torchvision --python {q(env.python)}"
    )


def test_conda_owned_torch_is_not_mixed(make_env: MakeEnv, doctor: Doctor) -> None:
    env = make_env()
    dist_info = env.add_torch(version="2.5.1")
    env.add_conda_record("pytorch", "2.5.1", files=(f"{env.relative(dist_info)}/METADATA",))
    env.add_conda_record("torchvision", "0.20.1", depends=("pytorch 2.5.1.*",))
    assert "mixed-conda-pip" not in ids(doctor(env))


def test_broken_requirements_with_markers_and_extras(make_env: MakeEnv, doctor: Doctor) -> None:
    env = make_env()
    env.add_torch(
        version="2.5.1+cu124",
        requires=(
            "filelock",
            "sympy==1.13.1; python_version >= '3.9'",
            "nvidia-cudnn-cu12==9.1.0.70; platform_system == 'Linux' and platform_machine == 'x86_64'",
            "pywin32; sys_platform == 'win32'",
            "optree>=0.13.0; extra == 'optree'",
            "torchvision==0.20.1",
        ),
    )
    env.add_dist("filelock", "3.16.1")
    env.add_dist("sympy", "1.12")
    finding = only(doctor(env), "broken-requirements")
    assert finding.evidence == (
        'torch 2.5.1+cu124 requires `sympy==1.13.1; python_version >= "3.9"`: sympy 1.12 is installed',
        'torch 2.5.1+cu124 requires `nvidia-cudnn-cu12==9.1.0.70; platform_system == "Linux" and '
        'platform_machine == "x86_64"`: not installed',
    )
    assert finding.fix == f"{q(env.python)} -m pip install sympy==1.13.1 nvidia-cudnn-cu12==9.1.0.70"


def test_companion_version_mismatch(make_env: MakeEnv, doctor: Doctor) -> None:
    env = make_env()
    env.add_torch(version="2.5.1+cu124")
    env.add_dist("torchvision", "0.19.1+cu124")
    finding = only(doctor(env), "companion-mismatch")
    assert finding.message == (
        "torchvision 0.19.1+cu124 does not match torch 2.5.1+cu124: "
        "torchvision 0.20.1 is the release built for torch 2.5.1"
    )
    assert (
        finding.fix
        == f"torchsmith install torch==2.5.1 torchvision==0.20.1 --backend cu124 --python {q(env.python)}"
    )


def test_companion_label_mismatch(make_env: MakeEnv, doctor: Doctor) -> None:
    env = make_env()
    env.add_torch(version="2.5.1+cu124")
    env.add_dist("torchvision", "0.20.1+cpu")
    finding = only(doctor(env), "companion-mismatch")
    assert finding.message.endswith("backend labels differ: torch is `+cu124`, torchvision is `+cpu`")


def test_companion_label_against_pypi_default(make_env: MakeEnv, doctor: Doctor) -> None:
    """A label-less torch from PyPI on linux-x86_64 is the release's default CUDA build (cu124 for 2.5)."""
    env = make_env()
    env.add_torch(version="2.5.1")
    env.add_dist("torchvision", "0.20.1+cpu")
    finding = only(doctor(env), "companion-mismatch")
    assert finding.message.endswith("backend labels differ: torch is `+cu124`, torchvision is `+cpu`")


def test_torchaudio_after_its_last_release(make_env: MakeEnv, doctor: Doctor) -> None:
    # torchaudio 2.11.1 (PyPI, 2026-10-28, `Requires-Dist: torch>=2.11` in its METADATA) serves torch 2.12+;
    # 2.11.0 was built for torch 2.11.0 only.
    env = make_env()
    env.add_torch(version="2.13.0+cpu")
    env.add_dist("torchvision", "0.28.0+cpu")
    env.add_dist("torchaudio", "2.11.0+cpu")
    finding = only(doctor(env), "companion-mismatch")
    assert finding.message == (
        "torchaudio 2.11.0+cpu does not match torch 2.13.0+cpu: "
        "torchaudio 2.11.1 is the release built for torch 2.13.0"
    )
    assert finding.fix == (
        "torchsmith install torch==2.13.0 torchvision==0.28.0 torchaudio==2.11.1 --backend cpu "
        f"--python {q(env.python)}"
    )
