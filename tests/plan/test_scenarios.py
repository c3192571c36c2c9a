"""Planner scenarios: machine × requirements → backend, exact versions and the reasons a user needs.

These run offline (`TORCHSMITH_OFFLINE=1`), from the shipped knowledge alone, on the probed fake machines of
`tests/machines/`. Torch versions are pinned with specifiers where the scenario is about the backend, so the
expectations hold when newer releases are added to the tables. The same planner against a real HTTP index
is tested in `test_plan_index.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.plan.conftest import machine
from torchsmith.errors import ResolutionError, TorchsmithError
from torchsmith.index.settings import IndexSettings
from torchsmith.planning.plan import make_plan


@dataclass(frozen=True)
class Case:
    id: str
    machine: str
    requirements: tuple[str, ...]
    backend: str | None = None  # expected backend; None when an error is expected
    versions: dict[str, str] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()  # each must appear in some reason line
    rejected: dict[str, str] = field(default_factory=dict)  # backend -> text its `why` must contain
    force: str = "auto"
    python: str = "3.11"
    platform: str | None = None
    error: str | None = None
    absent_reasons: tuple[str, ...] = ()


CASES = [
    Case(
        "h100-newest-cuda",
        "h100-driver580",
        ("torch==2.11.*",),
        "cu130",
        {"torch": "2.11.0+cu130"},
        reasons=("driver 580", "supports CUDA up to 13.0", "GPU 0: NVIDIA H100"),
    ),
    Case(
        "gtx1080-torch211-gets-cu126-not-cu130",
        "gtx1080-driver580",
        ("torch==2.11.*",),
        "cu126",
        {"torch": "2.11.0+cu126"},
        rejected={"cu130": "sm_61", "cu128": "sm_61"},
    ),
    Case("gtx1080-newest", "gtx1080-driver580", ("torch",), "cu126", rejected={"cu130": "is sm_61"}),
    Case(
        "v100-minor-compat",
        "v100-driver535",
        ("torch==2.11.*",),
        "cu126",
        {"torch": "2.11.0+cu126"},
        reasons=("minor-version compatibility",),
        rejected={"cu128": "sm_70"},
    ),
    Case(
        "rtx4090-native-cu124",
        "rtx4090-driver550",
        ("torch==2.5.1",),
        "cu124",
        {"torch": "2.5.1+cu124"},
        reasons=("supports CUDA up to 12.4",),
        absent_reasons=("minor-version compatibility",),
    ),
    Case(
        "rtx4090-newest-needs-minor-compat",
        "rtx4090-driver550",
        ("torch==2.11.*",),
        "cu126",
        reasons=("minor-version compatibility",),
        rejected={"cu130": "needs driver >= 580.65.06"},
    ),
    Case(
        "mixed-a100-t4-both-checked",
        "a100-t4-mixed",
        ("torch==2.11.*",),
        "cu128",
        {"torch": "2.11.0+cu128"},
        reasons=("GPU 0:", "GPU 1:"),
    ),
    Case(
        "mixed-a100-t4-newest",
        "a100-t4-mixed",
        ("torch==2.14.*",),
        "cu126",
        {"torch": "2.14.1+cu126"},
        rejected={"cu130": "needs driver >= 580.65.06"},
    ),
    Case(
        "laptop-without-driver",
        "laptop-nvidia-no-driver",
        ("torch==2.11.*",),
        "cpu",
        {"torch": "2.11.0+cpu"},
        reasons=("no NVIDIA driver is loaded",),
    ),
    Case(
        "cpu-container",
        "cpu-container",
        ("torch==2.11.*", "torchvision"),
        "cpu",
        {"torch": "2.11.0+cpu", "torchvision": "0.26.0+cpu"},
        absent_reasons=("CPU build chosen",),
    ),
    Case("musl-has-no-wheels", "alpine-musl", ("torch",), error="musllinux"),
    Case("wsl2-rtx3080", "wsl2-rtx3080", ("torch==2.7.*",), "cu126", {"torch": "2.7.1+cu126"}),
    Case(
        "conda-override-12.2",
        "conda-override-cuda-12.2",
        ("torch==2.5.*",),
        "cu121",
        {"torch": "2.5.1+cu121"},
    ),
    Case(
        "conda-override-empty",
        "conda-override-cuda-empty",
        ("torch==2.11.*",),
        "cpu",
        reasons=("CONDA_OVERRIDE_CUDA",),
    ),
    Case(
        "python-313-torch-241",
        "cpu-container",
        ("torch==2.4.1",),
        python="3.13",
        error="torch 2.4 has no wheels for CPython 3.13 (`cp313`); supported: 3.8–3.12. torch >= 2.5 has "
        "cp313 wheels",
    ),
    # https://pypi.org/simple/torchaudio/ (2026-12-01): torchaudio 2.11.1 ships `py3-none` wheels whose
    # METADATA says `Requires-Dist: torch>=2.11`; no torchaudio 2.12 exists, so it serves torch 2.12+.
    Case(
        "torchaudio-2111-serves-later-torch",
        "cpu-container",
        ("torch>=2.12", "torchaudio"),
        "cpu",
        {"torchaudio": "2.11.1"},
    ),
    Case(
        "torchvision-pin-selects-torch",
        "h100-driver580",
        ("torch", "torchvision==0.20.1"),
        "cu124",
        {"torch": "2.5.1+cu124", "torchvision": "0.20.1+cu124"},
    ),
    Case(
        "torchvision-conflict",
        "h100-driver580",
        ("torch==2.5.1", "torchvision==0.21.0"),
        error="`torchvision==0.21.0` excludes torchvision 0.20.1",
    ),
    Case(
        "torchaudio-pairs",
        "h100-driver580",
        ("torch==2.9.1", "torchaudio"),
        "cu130",
        {"torch": "2.9.1+cu130", "torchaudio": "2.9.1+cu130"},
    ),
    Case(
        "forced-cu124-on-pascal",
        "gtx1080-driver580",
        ("torch",),
        "cu124",
        {"torch": "2.6.0+cu124"},
        force="cu124",
    ),
    Case(
        "forced-cu130-reports-problem",
        "gtx1080-driver580",
        ("torch==2.11.*",),
        "cu130",
        {"torch": "2.11.0+cu130"},
        force="cu130",
        reasons=("forced `cu130` although", "sm_61"),
    ),
    Case(
        "rocm-on-windows",
        "cpu-container",
        ("torch==2.5.*",),
        force="rocm6.2",
        platform="windows-x86_64",
        error="no ROCm wheels for Windows",
    ),
    Case(
        "macos-x86-ends-at-22",
        "cpu-container",
        ("torch",),
        "cpu",
        {"torch": "2.2.2"},
        platform="macos-x86_64",
        reasons=("no macOS x86_64 wheels",),
    ),
    Case(
        "glibc-217-caps-torch",
        "cpu-container",
        ("torch",),
        "cpu",
        {"torch": "2.6.0+cpu"},
        platform="manylinux2014_x86_64",
        reasons=("glibc >= 2.28",),
    ),
    Case(
        "python-39-caps-torch",
        "cpu-container",
        ("torch",),
        "cpu",
        {"torch": "2.8.0+cpu"},
        python="3.9",
        reasons=("CPython 3.9",),
    ),
    Case(
        "free-threaded-314t",
        "cpu-container",
        ("torch==2.9.*",),
        "cpu",
        {"torch": "2.9.1+cpu"},
        python="3.14t",
    ),
    Case(
        "windows-cuda",
        "cpu-container",
        ("torch==2.7.*",),
        "cu128",
        {"torch": "2.7.1+cu128"},
        force="cu128",
        platform="windows-x86_64",
    ),
    Case(
        "requirement-passthrough",
        "h100-driver580",
        ("torch==2.11.*", "numpy<2"),
        "cu130",
        {"torch": "2.11.0+cu130"},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_scenario(case: Case, offline: Callable[[], IndexSettings]) -> None:
    target = machine(case.machine, python=case.python, platform=case.platform)
    if case.error is not None:
        with pytest.raises(TorchsmithError) as raised:
            make_plan(case.requirements, machine=target, backend=case.force, settings=offline())
        assert case.error in str(raised.value)
        return
    plan = make_plan(case.requirements, machine=target, backend=case.force, settings=offline())
    assert plan.backend == case.backend
    assert plan.offline
    for name, version in case.versions.items():
        package = plan.package(name)
        assert package is not None and package.version == version, plan.to_json()["packages"]
    text = "\n".join(plan.reasons)
    for needle in case.reasons:
        assert needle in text, text
    for needle in case.absent_reasons:
        assert needle not in text, text
    rejected = {r.backend: r.why for r in plan.rejected}
    for backend, needle in case.rejected.items():
        assert needle in rejected[backend], rejected
    if plan.backend == "cpu" and target.backends != ("cpu",):
        assert any("CPU build chosen" in r for r in plan.reasons)


def test_at_least_25_scenarios() -> None:
    assert len(CASES) >= 25


def test_offline_plan_says_so_and_commands_name_the_index(offline: Callable[[], IndexSettings]) -> None:
    plan = make_plan(["torch==2.11.*", "numpy<2"], machine=machine("h100-driver580"), settings=offline())
    assert any("offline" in w for w in plan.warnings)
    assert plan.commands["uv"] == (
        "uv pip install torch==2.11.0+cu130 'numpy<2' --index https://download.pytorch.org/whl/cu130"
    )
    assert plan.commands["pip"] == (
        "python -m pip install torch==2.11.0+cu130 'numpy<2' --extra-index-url "
        "https://download.pytorch.org/whl/cu130"
    )


def test_unknown_backend_name_is_a_usage_error(offline: Callable[[], IndexSettings]) -> None:
    with pytest.raises(TorchsmithError, match="invalid value `cu12x`"):
        make_plan(["torch"], machine=machine("cpu-container"), backend="cu12x", settings=offline())


def test_nothing_fits_lists_every_backend(offline: Callable[[], IndexSettings]) -> None:
    with pytest.raises(ResolutionError) as raised:
        make_plan(["torch==2.4.1"], machine=machine("h100-driver580", python="3.13"), settings=offline())
    message = str(raised.value)
    assert "`cu124`:" in message and "`cpu`:" in message
    assert raised.value.hint == "plan for another Python with `--python 3.12` (or relax the torch version)"


def test_rosetta_python_is_told_to_use_an_arm64_python(offline: Callable[[], IndexSettings]) -> None:
    plan = make_plan(["torch"], machine=machine("macos-rosetta"), settings=offline())
    assert (plan.backend, plan.packages[0].version) == ("cpu", "2.2.2")
    assert any("running under Rosetta" in r and "arm64 Python" in r for r in plan.reasons)
    assert not any("include MPS" in r for r in plan.reasons)


def test_apple_silicon_gets_the_newest_torch_with_mps(offline: Callable[[], IndexSettings]) -> None:
    plan = make_plan(["torch==2.13.*"], machine=machine("macos-m2"), settings=offline())
    assert (plan.backend, plan.packages[0].version) == ("cpu", "2.13.0")
    assert any("include MPS" in r for r in plan.reasons)


def test_jetson_orin_gets_nvidia_wheel_never_the_cpu_one(offline: Callable[[], IndexSettings]) -> None:
    plan = make_plan(["torch"], machine=machine("jetson-orin-jp6.1", python="3.10"), settings=offline())
    assert plan.backend == "jp6-cu126"
    torch = plan.packages[0]
    assert torch.version.startswith("2.5.0a0+") and ".nv24.08." in torch.version
    assert torch.url is not None and torch.url.endswith("-cp310-cp310-linux_aarch64.whl")
    assert any("NVIDIA's Jetson builds" in r for r in plan.reasons)


def test_jetson_jp5_gets_nvidias_direct_wheel(offline: Callable[[], IndexSettings]) -> None:
    plan = make_plan(["torch"], machine=machine("jetson-xavier-nx-jp5.1", python="3.8"), settings=offline())
    assert plan.backend == "jp5-cu114"
    assert plan.packages[0].url is not None and "/jp/v5" in plan.packages[0].url
    assert plan.packages[0].url.endswith("-cp38-cp38-linux_aarch64.whl")


def test_jetson_with_wrong_python_is_loud_about_the_cpu_build(offline: Callable[[], IndexSettings]) -> None:
    plan = make_plan(
        ["torch==2.5.*"], machine=machine("jetson-orin-jp6.1", python="3.12"), settings=offline()
    )
    assert plan.backend == "cpu"
    why = next(r for r in plan.reasons if r.startswith("CPU build chosen"))
    assert "NVIDIA's `jp6-cu126` wheels are built for CPython 3.10" in why
    assert "use the system Python 3.10" in why


def test_amd_instinct_gets_rocm(offline: Callable[[], IndexSettings]) -> None:
    plan = make_plan(["torch==2.5.*"], machine=machine("mi250x-rocm6.2"), settings=offline())
    assert (plan.backend, plan.packages[0].version) == ("rocm6.2", "2.5.1+rocm6.2")
    assert any("gfx90a" in r for r in plan.reasons)


def test_radeon_7900xtx_gets_rocm(offline: Callable[[], IndexSettings]) -> None:
    plan = make_plan(["torch==2.9.*"], machine=machine("rx7900xtx-rocm6.4"), settings=offline())
    assert plan.backend == "rocm6.4" and plan.packages[0].version == "2.9.1+rocm6.4"


def test_intel_arc_gets_xpu(offline: Callable[[], IndexSettings]) -> None:
    plan = make_plan(["torch==2.9.*"], machine=machine("intel-arc-a770"), settings=offline())
    assert (plan.backend, plan.packages[0].version) == ("xpu", "2.9.1+xpu")


def test_consumer_radeon_without_built_target_is_told_about_the_override(
    offline: Callable[[], IndexSettings],
) -> None:
    from torchsmith.machine.model import Machine

    machine = Machine.from_json({
        "os": "linux", "arch": "x86_64", "libc": {"name": "glibc", "version": "2.39"},
        "python": {"version": "3.12.3", "abi": "cp312"},
        "amd": {"rocm": "6.4.1", "gpus": [{"name": "AMD Radeon RX 6700 XT", "gfx": "gfx1031"}]},
        "backends": ["cpu"],
    })  # fmt: skip
    plan = make_plan(["torch==2.11.*"], machine=machine, settings=offline())
    assert plan.backend == "cpu"
    why = next(r for r in plan.reasons if r.startswith("CPU build chosen"))
    assert "RX 6700 XT (gfx1031)" in why
    assert "`HSA_OVERRIDE_GFX_VERSION=10.3.0`" in why and "`--backend rocm7.2`" in why


def test_jetson_torchvision_without_a_wheel_is_explained(offline: Callable[[], IndexSettings]) -> None:
    plan = make_plan(["torch", "torchvision"], machine=machine("jetson-orin-jp6.1", python="3.10"),
                     settings=offline())  # fmt: skip
    why = next(r for r in plan.reasons if r.startswith("CPU build chosen"))
    assert "`jp6-cu126`: no torchvision 0.20 wheel for torch 2.5.0a0" in why
    assert "build torchvision from source" in why


def test_offline_plan_uses_the_last_knowledge_refresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from torchsmith.backends import DEFAULT_INDEX_BASE
    from torchsmith.knowledge.refresh import refresh

    cache = tmp_path / "cache"
    listed = ["torch-2.15.0+cu130-cp311-cp311-manylinux_2_28_x86_64.whl",
              "torch-2.15.0+cu130-cp312-cp312-manylinux_2_28_x86_64.whl"]  # fmt: skip
    refresh(
        cache, lambda url: listed if "/cu130/" in url else [], DEFAULT_INDEX_BASE, backends=["cu130", "cpu"]
    )
    settings = IndexSettings.from_env({"TORCHSMITH_OFFLINE": "1", "TORCHSMITH_CACHE_DIR": str(cache)})
    plan = make_plan(["torch"], machine=machine("h100-driver580"), settings=settings)
    assert (plan.backend, plan.packages[0].version) == ("cu130", "2.15.0+cu130")
    assert "versions the indexes listed at `knowledge refresh`" in plan.warnings[0]
    # a refresh of other indexes (another TORCHSMITH_INDEX_URL) is not taken for these
    other = IndexSettings.from_env({"TORCHSMITH_OFFLINE": "1", "TORCHSMITH_CACHE_DIR": str(cache),
                                    "TORCHSMITH_INDEX_URL": "https://mirror.example/whl"})  # fmt: skip
    assert (
        make_plan(["torch"], machine=machine("h100-driver580"), settings=other).packages[0].version
        != "2.15.0+cu130"
    )


def test_wsl_uses_the_windows_driver_table(offline: Callable[[], IndexSettings]) -> None:
    """Under WSL2 the GPU driver is the Windows host's: 527.41 is below CUDA 12's Windows minimum (528.33),
    though above its Linux one (525.60.13)."""
    from torchsmith.machine import runnable
    from torchsmith.machine.model import Machine

    facts = {
        "os": "linux", "arch": "x86_64", "libc": {"name": "glibc", "version": "2.35"}, "wsl": True,
        "python": {"version": "3.11.9", "abi": "cp311"},
        "nvidia": {"driver": "527.41", "gpus": [{"name": "RTX 3080", "compute_capability": "8.6"}]},
    }  # fmt: skip
    machine = Machine.from_json(facts)
    machine = Machine.from_json({**facts, "backends": list(runnable.runnable_backends(machine))})
    assert "cu121" not in machine.backends and machine.backends[0] == "cu118"
    plan = make_plan(["torch==2.5.*"], machine=machine, settings=offline())
    assert (plan.backend, plan.packages[0].version) == ("cu118", "2.5.1+cu118")
    rejected = {r.backend: r.why for r in plan.rejected}
    assert "needs driver >= 528.33" in rejected["cu124"]


def test_a_forced_backends_problem_is_also_a_warning(offline: Callable[[], IndexSettings]) -> None:
    plan = make_plan(
        ["torch==2.11.*"], machine=machine("gtx1080-driver580"), backend="cu130", settings=offline()
    )
    forced = [w for w in plan.warnings if w.startswith("forced `cu130` although")]
    assert len(forced) == 1 and "sm_61" in forced[0]
