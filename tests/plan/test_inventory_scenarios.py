"""Offline plans decided by the wheel *files* (the shipped inventory), not by release-series tables.

Each expected answer is written from a primary source, cited next to it:
- PyPI: the PEP 691 JSON page `https://pypi.org/simple/<project>/` (Accept:
  application/vnd.pypi.simple.v1+json), read 2026-12-01; file names quoted are on that page.
- download.pytorch.org: real file names quoted (with their sha256) in public lock files and install
  scripts, e.g. `https://download.pytorch.org/whl/cu126/torch-2.6.0%2Bcu126-cp312-cp312-manylinux_2_28_x86_64.whl`
  and `https://download.pytorch.org/whl/cpu/torch-2.6.0%2Bcpu-cp312-cp312-linux_x86_64.whl`; which backends a
  release built comes from PyTorch's RELEASE.md / build matrix (knowledge/data/torch_releases.toml).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from tests.plan.conftest import machine
from torchsmith.errors import ResolutionError
from torchsmith.index.settings import IndexSettings
from torchsmith.planning.plan import make_plan


@dataclass(frozen=True)
class Case:
    id: str
    machine: str
    requirements: tuple[str, ...]
    python: str
    platform: str | None
    backend: str | None  # None: no build fits (ResolutionError)
    versions: dict[str, str] = field(default_factory=dict)
    filenames: dict[str, str] = field(default_factory=dict)
    forced: str = "auto"


MAC, CPU = "macos-m2", "cpu-container"
MAC11, MAC13, MAC14 = "macosx_11_0_arm64", "macosx_13_0_arm64", "macosx_14_0_arm64"

CASES = [
    # PyPI torch 2.10.0: `torch-2.10.0-cp312-none-macosx_11_0_arm64.whl` (macOS 11 floor for cp310-cp313; PyPI
    # also re-uploaded it as build `-2-`), but `torch-2.10.0-cp314-cp314-macosx_14_0_arm64.whl` (macOS 14
    # floor for cp314/cp314t/cp313t). The cpu index holds the original names (build tags are PyPI's own).
    Case("mac13-py312-torch210-ok", MAC, ("torch==2.10.*",), "3.12", MAC13, "cpu",
         {"torch": "2.10.0"}, {"torch": "torch-2.10.0-cp312-none-macosx_11_0_arm64.whl"}),
    Case("mac13-py314-torch210-none", MAC, ("torch==2.10.*",), "3.14", MAC13, None),
    # PyPI torch 2.11.0 has `macosx_11_0_arm64` wheels for every tag (cp314 included); 2.12.0 onwards every
    # macOS wheel is `macosx_14_0_arm64`: macOS 13 + Python 3.14 ends at 2.11.0.
    Case("mac13-py314-newest", MAC, ("torch",), "3.14", MAC13, "cpu", {"torch": "2.11.0"}),
    Case("mac13-py310-newest", MAC, ("torch",), "3.10", MAC13, "cpu", {"torch": "2.11.0"}),
    # macOS 14: 2.15.0 has cp314 `macosx_14_0_arm64`; it has no cp310 wheel (requires-python >=3.11), so
    # Python 3.10 stops at 2.14.1.
    Case("mac14-py314-newest", MAC, ("torch",), "3.14", MAC14, "cpu", {"torch": "2.15.0"}),
    Case("mac14-py310-newest", MAC, ("torch",), "3.10", MAC14, "cpu", {"torch": "2.14.1"}),
    # PyPI torch 2.7.1: the free-threaded wheel is `torch-2.7.1-cp313-cp313t-macosx_14_0_arm64.whl` (macOS 14
    # floor) while the GIL build is `torch-2.7.1-cp313-none-macosx_11_0_arm64.whl`.
    Case("mac14-py313t-torch27", MAC, ("torch==2.7.*",), "3.13t", MAC14, "cpu",
         {"torch": "2.7.1"}, {"torch": "torch-2.7.1-cp313-cp313t-macosx_14_0_arm64.whl"}),
    Case("mac13-py313-torch27-ok", MAC, ("torch==2.7.*",), "3.13", MAC13, "cpu",
         {"torch": "2.7.1"}, {"torch": "torch-2.7.1-cp313-none-macosx_11_0_arm64.whl"}),
    # PyPI: torch 2.12.0 still has cp313t wheels (e.g. `torch-2.12.0-cp313-cp313t-win_amd64.whl`); 2.12.1 and
    # later have none (only cp314t). A Python 3.13t therefore gets 2.12.0, never 2.12.1.
    Case("py313t-linux-cpu-212", CPU, ("torch==2.12.*",), "3.13t", None, "cpu",
         {"torch": "2.12.0+cpu"}),
    Case("py313t-linux-cpu-newest", CPU, ("torch",), "3.13t", None, "cpu", {"torch": "2.12.0+cpu"}),
    Case("py313t-linux-cpu-2121-none", CPU, ("torch>=2.12.1",), "3.13t", None, None),
    # PyPI: free-threaded wheels start with torch 2.7.0 (`cp313t`); 2.6.0 has none.
    Case("py313t-torch26-none", CPU, ("torch==2.6.*",), "3.13t", None, None),
    # Linux: torch 2.15.0's backends are not in any release matrix found (a gap in torch_releases.toml), so
    # no download.pytorch.org file of it is known: Python 3.14t gets 2.14.1 (PyPI `cp314t` wheels since
    # 2.9.0).
    Case("py314t-linux-cpu-newest", CPU, ("torch",), "3.14t", None, "cpu", {"torch": "2.14.1+cpu"},
         forced="cpu"),
    # PyPI: torch 2.15.0 is the first with `cp315` (`torch-2.15.0-cp315-cp315-macosx_14_0_arm64.whl`).
    Case("py315-mac-only-215", MAC, ("torch",), "3.15", MAC14, "cpu", {"torch": "2.15.0"}),
    Case("py315-torch214-none", MAC, ("torch==2.14.*",), "3.15", MAC14, None),
    # download.pytorch.org: torch 2.6.0's CUDA 12.6 wheels are `manylinux_2_28_x86_64`, its cu124 ones
    # `linux_x86_64` (built on manylinux2014, glibc 2.17). On glibc 2.17 the cu126 file cannot install.
    Case("glibc217-h100-torch26-cu124", "h100-driver580", ("torch==2.6.*",), "3.12", "manylinux_2_17_x86_64",
         "cu124", {"torch": "2.6.0+cu124"}),
    # The cu126 build is asked for by its local label: the arch list of 2.6's cu126 build is only assumed
    # (knowledge/data/cuda_arches.toml, confidence "low"), so unasked the planner prefers the verified cu124.
    Case("glibc228-h100-torch26-cu126", "h100-driver580", ("torch==2.6.0+cu126",), "3.12",
         "manylinux_2_28_x86_64", "cu126", {"torch": "2.6.0+cu126"}),
    # download.pytorch.org: from torch 2.7 every Linux x86_64 wheel is `manylinux_2_28_x86_64`
    # (`torch-2.7.1%2Bcpu-cp312-cp312-manylinux_2_28_x86_64.whl`), so glibc 2.17 stops at 2.6.0.
    Case("glibc217-cpu-newest", CPU, ("torch",), "3.12", "manylinux_2_17_x86_64", "cpu",
         {"torch": "2.6.0+cpu"}),
    # download.pytorch.org: the cpu index's aarch64 wheels of 2.5.1 carry no local label
    # (`torch-2.5.1-cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64.whl`); from 2.6.0 they are
    # `torch-2.6.0%2Bcpu-cp312-cp312-manylinux_2_28_aarch64.whl`.
    Case("aarch64-cpu-251-unlabelled", CPU, ("torch==2.5.1",), "3.12", "linux-aarch64", "cpu",
         {"torch": "2.5.1"}),
    Case("aarch64-cpu-260-labelled", CPU, ("torch==2.6.0",), "3.12", "manylinux_2_28_aarch64", "cpu",
         {"torch": "2.6.0+cpu"}),
    # PyPI torchaudio 2.11.1: `torchaudio-2.11.1-py3-none-manylinux_2_28_x86_64.whl` (requires-python >=3.10,
    # METADATA `Requires-Dist: torch>=2.11`): the torchaudio for torch 2.14.1, pinned by PyPI URL and hash.
    Case("torchaudio-2111-with-2141", CPU, ("torch==2.14.1", "torchaudio"), "3.12", None, "cpu",
         {"torch": "2.14.1+cpu", "torchaudio": "2.11.1"},
         {"torchaudio": "torchaudio-2.11.1-py3-none-manylinux_2_28_x86_64.whl"}),
    Case("torchaudio-2111-macos", MAC, ("torch==2.13.0", "torchaudio"), "3.12", None, "cpu",
         {"torch": "2.13.0", "torchaudio": "2.11.1"},
         {"torchaudio": "torchaudio-2.11.1-py3-none-macosx_14_0_arm64.whl"}),
    # PyPI torchvision 0.24.0: `torchvision-0.24.0-cp313-cp313-macosx_12_0_arm64.whl` (macOS 12 floor) but
    # `torchvision-0.24.0-cp312-cp312-macosx_11_0_arm64.whl`: macOS 11 + Python 3.13 has no torchvision 0.24.
    Case("mac11-py313-tv024-none", MAC, ("torch==2.9.0", "torchvision"), "3.13", MAC11,
         None),
    Case("mac11-py312-tv024-ok", MAC, ("torch==2.9.0", "torchvision"), "3.12", MAC11, "cpu",
         {"torch": "2.9.0", "torchvision": "0.24.0"}),
    # Windows: PyPI `torch-2.12.0-cp313-cp313t-win_amd64.whl` exists, 2.12.1 has no cp313t; the cpu index's
    # Windows files are `+cpu … win_amd64` (`torch-2.5.1%2Bcpu-cp312-cp312-win_amd64.whl`).
    Case("win-py313t-cpu-212", CPU, ("torch==2.12.*",), "3.13t", "win_amd64", "cpu", {"torch": "2.12.0+cpu"},
         {"torch": "torch-2.12.0+cpu-cp313-cp313t-win_amd64.whl"}, forced="cpu"),
    # PyPI: torch 2.8.0 is the last with cp39 wheels (2.9.0's start at cp310).
    Case("win-py39-cpu-newest", CPU, ("torch",), "3.9", "win_amd64", "cpu", {"torch": "2.8.0+cpu"},
         {"torch": "torch-2.8.0+cpu-cp39-cp39-win_amd64.whl"}, forced="cpu"),
    # WSL2 is Linux: torch 2.7.1's cp313t wheels exist on PyPI for manylinux
    # (`…-cp313-cp313t-manylinux_2_28…`), and every 2.7 Linux x86_64 file is manylinux_2_28.
    Case("wsl2-py313t-cu126", "wsl2-rtx3080", ("torch==2.7.*",), "3.13t", None, "cu126",
         {"torch": "2.7.1+cu126"}, {"torch": "torch-2.7.1+cu126-cp313-cp313t-manylinux_2_28_x86_64.whl"}),
    # ROCm: rocm7.2 wheels exist for torch 2.11–2.13 (torch_releases.toml, RELEASE.md + build matrix); a
    # free-threaded 3.13 gets 2.12.0, the last patch with cp313t on PyPI.
    Case("rocm72-py313t", "rx7900xtx-rocm6.4", ("torch",), "3.13t", None, "rocm7.2",
         {"torch": "2.12.0+rocm7.2"}, forced="rocm7.2"),
    # XPU: 2.14 has Linux xpu wheels and PyPI cp314t since 2.9.0; 2.15's Linux backends are a gap.
    Case("xpu-py314t", "intel-arc-a770", ("torch",), "3.14t", None, "xpu", {"torch": "2.14.1+xpu"},
         forced="xpu"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_file_level_scenario(case: Case, offline: Callable[[], IndexSettings]) -> None:
    target = machine(case.machine, python=case.python, platform=case.platform)
    backend = case.forced
    if case.backend is None:
        with pytest.raises(ResolutionError):
            make_plan(case.requirements, machine=target, backend=backend, settings=offline())
        return
    plan = make_plan(case.requirements, machine=target, backend=backend, settings=offline())
    assert plan.offline
    assert plan.backend == case.backend
    got = {p.name: p.version for p in plan.packages}
    for name, version in case.versions.items():
        assert got[name] == version, (name, got)
    files = {p.name: p.filename for p in plan.packages}
    for name, filename in case.filenames.items():
        assert files[name] == filename
