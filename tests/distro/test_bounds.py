"""The bound policy per ABI class, on real-world shapes of torch requirements (xformers, torch-scatter)."""

from __future__ import annotations

from collections.abc import Callable

from tests.distro.conftest import STANDARD, DistroDir, member
from torchsmith.distro.bounds import check_bounds, check_member
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
    assert _messages("pure", "numpy") == [
        "violation: declares no torch requirement; a pure member states the oldest torch it supports "
        "(`torch>=2.9`)"
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
        ("gamma", False),
    ]
    assert report.exit_code == 1
    assert report.summary().splitlines()[:4] == [
        "alpha [pure]: declares torch>=2.5; policy: torch>=2.9",
        "ext [exact-abi]: declares torch==2.9.*; policy: torch==2.9.*",
        "beta [pure]: declares torch; policy: torch>=2.9",
        "  violation: `torch` has no lower bound (policy: `torch>=2.9`)",
    ]
    assert report.to_json()["members"][2]["problems"][0]["severity"] == "violation"
