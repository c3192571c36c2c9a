"""Conda virtual packages: names and overrides as conda/rattler define them, checked against py-rattler."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from torchsmith.machine import probe_context, virtual
from torchsmith.machine.context import ProbeContext
from torchsmith.machine.model import AppleInfo, JetsonInfo, Libc, Machine, NvidiaGpu, NvidiaInfo

LINUX = Machine(
    os="linux",
    arch="x86_64",
    libc=Libc("glibc", "2.35", "confstr"),
    kernel="5.15.0-143-generic",
    nvidia=NvidiaInfo(driver="580.95.05", cuda_driver="13.0", gpus=()),
)
BASE = ("__archspec=1=x86_64", "__cuda=13.0=0", "__glibc=2.35=0", "__linux=5.15.0=0", "__unix=0=0")


def packages(machine: Machine, **env: str) -> tuple[str, ...]:
    return virtual.virtual_packages(machine, ProbeContext(root=Path("/nonexistent"), env=env, use_nvml=False))


def test_linux_gpu_machine() -> None:
    assert packages(LINUX) == BASE


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"CONDA_OVERRIDE_CUDA": "12.2"}, "__cuda=12.2=0"),
        ({"CONDA_OVERRIDE_CUDA": "11"}, "__cuda=11=0"),
        ({"CONDA_OVERRIDE_CUDA": ""}, None),
        ({"CONDA_OVERRIDE_CUDA": "  "}, None),
    ],
)
def test_cuda_override(env: dict[str, str], expected: str | None) -> None:
    result = packages(LINUX, **env)
    assert [p for p in result if p.startswith("__cuda=")] == ([expected] if expected else [])
    assert [p for p in result if not p.startswith("__cuda=")] == [
        p for p in BASE if not p.startswith("__cuda=")
    ]


def test_invalid_override_is_a_warning_and_detection_stands() -> None:
    ctx = ProbeContext(root=Path("/nonexistent"), env={"CONDA_OVERRIDE_CUDA": "twelve"}, use_nvml=False)
    assert virtual.virtual_packages(LINUX, ctx) == BASE
    assert ctx.warnings == ["ignoring `CONDA_OVERRIDE_CUDA=twelve`: expected a version such as `12.4`"]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"CONDA_OVERRIDE_GLIBC": "2.17"}, ["__glibc=2.17=0"]),
        ({"CONDA_OVERRIDE_GLIBC": ""}, []),
    ],
)
def test_glibc_override(env: dict[str, str], expected: list[str]) -> None:
    assert [p for p in packages(LINUX, **env) if p.startswith("__glibc=")] == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("6.5.0=0", "__linux=6.5.0=0"),
        ("5.15.167.4", "__linux=5.15.167.4=0"),
        ("", "__linux=0=0"),
        ("x", "__linux=0=0"),
    ],
)
def test_linux_override_follows_condas_regex(value: str, expected: str) -> None:
    assert expected in packages(LINUX, CONDA_OVERRIDE_LINUX=value)


def test_archspec_override_sets_the_build_string() -> None:
    assert "__archspec=1=skylake" in packages(LINUX, CONDA_OVERRIDE_ARCHSPEC="skylake")
    assert "__archspec=1=x86_64" in packages(LINUX, CONDA_OVERRIDE_ARCHSPEC="")


def test_musl_has_no_glibc_and_a_four_part_kernel() -> None:
    musl = Machine(
        os="linux", arch="x86_64", libc=Libc("musl", "1.2.5"), kernel="5.15.167.4-microsoft-standard-WSL2"
    )
    assert packages(musl) == ("__archspec=1=x86_64", "__linux=5.15.167.4=0", "__unix=0=0")


def test_jetson_cuda_when_there_is_no_nvidia_section() -> None:
    board = Machine(
        os="linux",
        arch="aarch64",
        libc=Libc("glibc", "2.35"),
        kernel="5.15.148-tegra",
        jetson=JetsonInfo(l4t="36.4.0", jetpack="6.1", cuda="12.6"),
    )
    assert packages(board) == (
        "__archspec=1=aarch64",
        "__cuda=12.6=0",
        "__glibc=2.35=0",
        "__linux=5.15.148=0",
        "__unix=0=0",
    )


def test_macos_arm64() -> None:
    mac = Machine(os="macos", arch="arm64", apple=AppleInfo(chip="Apple M2", macos="14.4.1", mps=True))
    assert packages(mac) == ("__archspec=1=m1", "__osx=14.4=0", "__unix=0=0")
    assert packages(mac, CONDA_OVERRIDE_OSX="") == ("__archspec=1=m1", "__unix=0=0")
    assert packages(mac, CONDA_OVERRIDE_OSX="13.0") == ("__archspec=1=m1", "__osx=13.0=0", "__unix=0=0")
    # Overrides of other platforms are ignored, as the CEP requires.
    assert packages(mac, CONDA_OVERRIDE_GLIBC="2.17", CONDA_OVERRIDE_WIN="10") == packages(mac)


def test_windows() -> None:
    win = Machine(os="windows", arch="x86_64", kernel="10.0.22631", nvidia=NvidiaInfo("560.94", "12.6"))
    assert packages(win) == ("__archspec=1=x86_64", "__cuda=12.6=0", "__win=10.0.22631=0")
    assert packages(Machine(os="windows", arch="x86_64")) == ("__archspec=1=x86_64", "__win=0=0")
    assert packages(win, CONDA_OVERRIDE_WIN="") == ("__archspec=1=x86_64", "__cuda=12.6=0")


def _rattler_from_env() -> dict[str, str]:
    rattler = pytest.importorskip("rattler")
    from rattler.virtual_package import VirtualPackageOverrides

    found = rattler.VirtualPackage.detect(VirtualPackageOverrides.from_env())
    generic = [package.into_generic() for package in found]
    return {g.name.normalized: f"{g.name.normalized}={g.version}={g.build_string}" for g in generic}


def _ours(env: dict[str, str]) -> dict[str, str]:
    machine = probe_context(ProbeContext(env=env, use_nvml=False))
    return {p.split("=", 1)[0]: p for p in machine.virtual_packages}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="compared on Linux hosts")
@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"CONDA_OVERRIDE_CUDA": "12.2"},
        {"CONDA_OVERRIDE_CUDA": ""},
        {"CONDA_OVERRIDE_GLIBC": "2.17"},
        {"CONDA_OVERRIDE_ARCHSPEC": "skylake"},
        {
            "CONDA_OVERRIDE_CUDA": "12.4",
            "CONDA_OVERRIDE_GLIBC": "2.28",
            "CONDA_OVERRIDE_ARCHSPEC": "x86_64_v3",
        },
    ],
    ids=lambda o: (
        ",".join(f"{k.removeprefix('CONDA_OVERRIDE_').lower()}={v!r}" for k, v in o.items()) or "none"
    ),
)
def test_identical_to_py_rattler_on_this_host(
    overrides: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every package rattler reports, with the same name, version and build (the microarchitecture included:
    archspec's name for this CPU, e.g. `zen2`), under the same CONDA_OVERRIDE_* environment. `__cuda_arch`
    is NVIDIA's conda plugin's package, which rattler does not report: compared separately below."""
    for name in (
        "CONDA_OVERRIDE_CUDA",
        "CONDA_OVERRIDE_GLIBC",
        "CONDA_OVERRIDE_ARCHSPEC",
        "CONDA_OVERRIDE_CUDA_ARCH",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in overrides.items():
        monkeypatch.setenv(name, value)
    theirs = _rattler_from_env()
    ours = _ours(dict(overrides, PATH="/usr/bin:/bin"))
    ours.pop("__cuda_arch", None)
    assert ours == theirs


# --- __cuda_arch (NVIDIA's conda plugin nvidia-virtual-packages, its module docstring is the spec) --------

A100_T4 = NvidiaInfo(
    "570.172.08",
    "12.8",
    (NvidiaGpu("NVIDIA A100-PCIE-40GB", "8.0"), NvidiaGpu("Tesla T4", "7.5"), NvidiaGpu("NVIDIA GPU", None)),
)


def test_cuda_arch_is_the_lowest_capability_and_its_model() -> None:
    machine = Machine(os="linux", arch="x86_64", nvidia=A100_T4)
    assert "__cuda_arch=7.5=TeslaT4" in packages(machine)


def test_cuda_arch_build_string_rule() -> None:
    assert virtual.cuda_arch_build("NVIDIA GeForce RTX 3080") == "GeForceRTX3080"
    assert virtual.cuda_arch_build("NVIDIA A100-SXM4-80GB") == "A100SXM480GB"
    assert virtual.cuda_arch_build("x" * 80) == "x" * 64


def test_no_cuda_arch_without_a_driver_or_a_known_capability() -> None:
    no_driver = NvidiaInfo(None, None, (NvidiaGpu("GeForce RTX 4060 Max-Q / Mobile", "8.9"),))
    assert not [p for p in packages(Machine(os="linux", arch="x86_64", nvidia=no_driver)) if "cuda_arch" in p]
    unknown = NvidiaInfo("550.127.05", "12.4", (NvidiaGpu("NVIDIA GPU", None),))
    assert not [p for p in packages(Machine(os="linux", arch="x86_64", nvidia=unknown)) if "cuda_arch" in p]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("8.6", "__cuda_arch=8.6=0"), ("9.0=H100", "__cuda_arch=9.0=H100"), ("", None), ("sm_86", None)],
)
def test_cuda_arch_override(value: str, expected: str | None) -> None:
    machine = Machine(os="linux", arch="x86_64", nvidia=A100_T4)
    found = [p for p in packages(machine, CONDA_OVERRIDE_CUDA_ARCH=value) if p.startswith("__cuda_arch=")]
    assert found == ([expected] if expected else [])


# --- __archspec under --root: the root's own /proc/cpuinfo, classified by archspec -----------------------


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="classifies an x86_64 cpuinfo")
def test_archspec_from_the_roots_cpuinfo(tmp_path: Path) -> None:
    """This project's build machine's first cpuinfo block (AMD EPYC, recorded) is `zen2` for archspec, as
    `rattler.VirtualPackage.detect()` reports on that machine."""
    import platform

    if platform.machine() != "x86_64":
        pytest.skip("the recorded cpuinfo is x86_64")
    pytest.importorskip("archspec")
    cpuinfo = (
        Path(__file__).parents[1] / "data" / "recorded" / "proc-cpuinfo" / "amd-epyc-zen2.txt"
    ).read_text()
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "cpuinfo").write_text(cpuinfo)
    ctx = ProbeContext(root=tmp_path, env={"TORCHSMITH_CACHE_DIR": str(tmp_path / "cache")}, use_nvml=False)
    ctx.machine_arch = "x86_64"
    assert "__archspec=1=zen2" in virtual.virtual_packages(LINUX, ctx)
