"""The bound policy per ABI class, on real-world shapes of torch requirements (xformers, torch-scatter)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.distro.conftest import STANDARD, DistroDir, member
from tests.support.wheels import make_wheel
from torchsmith.distro.bounds import built_for, check_bounds, check_member, torch_extension
from torchsmith.distro.cells import Cell
from torchsmith.distro.graph import Graph, MemberInfo
from torchsmith.distro.registry import Member, Source
from torchsmith.distro.results import CellResult, MemberOutcome, MemberRecord, TestRun

MATRIX = ("2.9", "2.11")


def _member(abi: str, name: str = "pkg") -> Member:
    return Member(name=name, source=Source("path", "x"), test=None, abi=abi)  # type: ignore[arg-type]


def _info(*requires: str, version: str = "1.0") -> MemberInfo:
    return MemberInfo("pkg", version, requires, "pkg @ file:///x.whl")


def _messages(abi: str, *requires: str, version: str = "1.0", run: TestRun | None = None) -> list[str]:
    row = check_member(_member(abi), _info(*requires, version=version), MATRIX, run)
    return [f"{p.severity}: {p.message}" for p in row.problems]


def _run(statuses: dict[str, str]) -> TestRun:
    """A run where `pkg` had `statuses[torch]` in the cpu cell of each torch."""
    cells = tuple(
        CellResult(Cell(t.rsplit(".", 1)[0], "cpu", "3.11"), f"{t}+cpu", (MemberOutcome("pkg", s, "tier2"),))  # type: ignore[arg-type]
        for t, s in statuses.items()
    )
    return TestRun("d", 2, (MemberRecord("pkg", "1.0", "pure"),), Graph(("pkg",), {"pkg": ()}), cells)


def test_pure_needs_a_lower_bound_only() -> None:
    assert _messages("pure", "torch>=2.5") == []
    assert _messages("pure", "torch") == ["violation: `torch` has no lower bound (policy: `torch>=2.9`)"]
    # no torch requirement and a wheel that was not looked at: unknown, shown as a warning, not a pass
    assert _messages("pure", "numpy") == [
        "warning: declares no torch requirement; whether it ships a compiled torch extension is unknown "
        "(its wheel was not inspected)"
    ]
    assert _messages("pure", "torch>=2.5,<2.10") == [
        "warning: upper bound without a failing test (run `distro test`)"
    ]


def test_pure_upper_bound_follows_the_tests() -> None:
    failing = _run({"2.9.1": "pass", "2.11.0": "fail"})
    assert _messages("pure", "torch>=2.5", run=failing) == [
        "violation: allows torch 2.11, where its tests fail; add `<2.11`"
    ]
    assert _messages("pure", "torch>=2.5,<2.11", run=failing) == []
    passing = _run({"2.9.1": "pass", "2.11.0": "pass"})
    assert _messages("pure", "torch>=2.5,<2.10", run=passing) == [
        "violation: upper bound excludes torch 2.11, where its tests pass; cap only where tests fail"
    ]
    row = check_member(_member("pure"), _info("torch>=2.5"), MATRIX, failing)
    assert row.recommended == "torch>=2.9,<2.11"


def test_exact_abi_policy() -> None:
    assert _messages("exact-abi", "torch==2.9.*") == []
    # torch-scatter declares nothing at all
    assert _messages("exact-abi") == [
        "violation: declares no torch pin; an exact-ABI build runs only with the torch it was built against "
        "(`torch==2.9.*`)"
    ]
    # xformers 0.0.28.post3 pins torch==2.5.1: allowed, but each torch bugfix then needs a rebuild
    assert _messages("exact-abi", "torch==2.5.1") == [
        "warning: `torch==2.5.1` pins a patch release, so every torch bugfix release needs a new build; "
        "`torch==2.5.*` is enough"
    ]
    assert _messages("exact-abi", "torch>=2.9") == [
        "violation: `torch>=2.9` lets torch 2.11, 2.12 in, which this build was not made for "
        "(policy: `torch==2.9.*`)"
    ]


def test_stable_abi_needs_lower_bound_and_cuda_major() -> None:
    assert _messages("stable-abi", "torch>=2.9", "nvidia-cuda-runtime-cu12==12.6.77") == []
    assert _messages("stable-abi", "torch>=2.9", version="1.0+cu126") == []
    assert _messages("stable-abi", "torch>=2.9") == [
        "violation: does not state the CUDA major it was built for (a `nvidia-cuda-runtime-cuNN` requirement "
        "or a `+cuXYZ` build)"
    ]
    assert _messages("stable-abi", "torch", version="1.0+cu126") == [
        "violation: a stable-ABI build needs `torch>=<build version>` (e.g. `torch>=2.9`)"
    ]


def test_check_bounds_on_a_distro(distro_dir: Callable[[], DistroDir]) -> None:
    d = distro_dir()
    d.write(STANDARD + member("gamma", "gamma-1.0-py3-none-any.whl"))
    report = check_bounds(distro_path=d.path, settings=d.settings)
    assert [(r.member, r.ok) for r in report.rows] == [
        ("alpha", True),
        ("ext", True),
        ("beta", False),
        ("gamma", True),  # torch-agnostic: no torch requirement, no compiled extension in its wheel
    ]
    assert report.exit_code == 1
    assert report.summary().splitlines()[:4] == [
        "alpha [pure]: declares torch>=2.5; policy: torch>=2.9",
        "ext [exact-abi]: declares torch==2.9.*; policy: torch==2.9.*",
        "beta [pure]: declares torch; policy: torch>=2.9",
        "  violation: `torch` has no lower bound (policy: `torch>=2.9`)",
    ]
    assert report.to_json()["members"][2]["problems"][0]["severity"] == "violation"


def test_a_correct_distro_with_a_torch_agnostic_member_passes(distro_dir: Callable[[], DistroDir]) -> None:
    """Issue 12: `bounds` reported torch-agnostic members (einops-like: no torch requirement) as violations
    and exited 1 on a correct distro."""
    d = distro_dir()
    d.write(
        member("alpha", "alpha-1.0-py3-none-any.whl")
        + member("ext", "ext-1.0-py3-none-any.whl", "exact-abi")
        + member("gamma", "gamma-1.0-py3-none-any.whl")
    )
    report = check_bounds(distro_path=d.path, settings=d.settings)
    assert report.exit_code == 0, report.summary()
    assert report.summary().splitlines()[-1] == (
        "gamma [pure]: declares (no torch requirement); policy: none (torch-agnostic)"
    )


def _extension_wheel(tmp_path: Path, name: str, version: str, requires: tuple[str, ...]) -> Path:
    """A wheel holding a real shared object linked against a `libc10.so` (as torch extensions are: their
    DT_NEEDED entries name libc10/libtorch), built with gcc."""
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is needed to build a real shared object")
    build = tmp_path / "build"
    build.mkdir(exist_ok=True)
    (build / "c10.c").write_text("int c10_marker(void) { return 1; }\n")
    (build / "ext.c").write_text("int c10_marker(void);\nint ext(void) { return c10_marker(); }\n")
    subprocess.run([gcc, "-shared", "-fPIC", "-o", "libc10.so", "c10.c"], cwd=build, check=True)
    subprocess.run([gcc, "-shared", "-fPIC", "-o", "_C.so", "ext.c", "-L.", "-lc10"], cwd=build, check=True)
    return make_wheel(
        tmp_path / "wheels",
        name,
        version,
        "cp311",
        "cp311",
        "linux_x86_64",
        requires_dist=requires,
        files={f"{name}/_C.so": (build / "_C.so").read_bytes()},
    )


def test_extension_builds_are_compared_with_the_torch_they_were_built_for(tmp_path: Path) -> None:
    # torch-scatter's wheels carry the torch they were built for: torch_scatter-2.1.2+pt25cu124
    wheel = _extension_wheel(tmp_path, "scatterish", "2.1.2+pt25cu124", ("torch==2.6.*",))
    info = MemberInfo("scatterish", "2.1.2+pt25cu124", ("torch==2.6.*",), "x", wheel=wheel)
    assert torch_extension(info) is True and built_for(info) == "2.5"
    row = check_member(_member("exact-abi", "scatterish"), info, ("2.5", "2.6"))
    assert [p.message for p in row.problems] == [
        "built for torch 2.5 (version `2.1.2+pt25cu124`) but declares `torch==2.6.*`: it would load into a "
        "torch it was not built against"
    ]
    assert row.recommended == "torch==2.5.*"
    good = MemberInfo("scatterish", "2.1.2+pt25cu124", ("torch==2.5.*",), "x", wheel=wheel)
    assert check_member(_member("exact-abi", "scatterish"), good, ("2.5", "2.6")).problems == ()
    # declared pure, but it ships a torch extension: misclassified
    pure = MemberInfo("scatterish", "2.1.2+pt25cu124", ("torch>=2.5",), "x", wheel=wheel)
    messages = [p.message for p in check_member(_member("pure", "scatterish"), pure, ("2.5",)).problems]
    assert messages[0].startswith("declared `pure` but its wheel ships a compiled torch extension")
    # a stable-ABI build for torch 2.9 must not admit torch 2.8
    stable = MemberInfo("kern", "1.0+torch2.9cu126", ("torch>=2.8",), "x", wheel=wheel)
    assert [p.message for p in check_member(_member("stable-abi", "kern"), stable, ("2.9",)).problems] == [
        "built for torch 2.9 but `torch>=2.8` admits an older torch (policy: `torch>=2.9`)"
    ]
