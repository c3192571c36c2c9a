"""A torch release newer than the shipped tables: the index says it exists, PEP 658 metadata pairs it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.plan.conftest import machine
from tests.support.index_tree import build_index, files_dir
from tests.support.server import serve
from tests.support.wheels import make_wheel
from torchsmith.index.settings import IndexSettings
from torchsmith.planning.plan import make_plan

PLATFORM = "manylinux_2_28_x86_64"


@pytest.fixture(scope="module")
def future_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("future-index")
    cpu = files_dir(root, "cpu")
    wheels = [
        ("cpu", make_wheel(cpu, "torch", "2.16.0+cpu", "cp311", "cp311", PLATFORM)),
        ("cpu", make_wheel(cpu, "torch", "2.13.0+cpu", "cp311", "cp311", PLATFORM)),
        ("cpu", make_wheel(cpu, "torchvision", "0.31.0+cpu", "cp311", "cp311", PLATFORM,
                           requires_dist=["numpy", "torch==2.16.0"])),
        ("cpu", make_wheel(cpu, "torchvision", "0.31.1+cpu", "cp311", "cp311", PLATFORM,
                           requires_dist=["numpy", "torch==2.16.1"])),
        ("cpu", make_wheel(cpu, "torchvision", "0.28.0+cpu", "cp311", "cp311", PLATFORM,
                           requires_dist=["torch==2.13.0"])),
        # a single `py3-none` wheel for newer Pythons only: `data-requires-python` must keep it out
        ("cpu", make_wheel(cpu, "torchvision", "0.32.0+cpu", "py3", "none", PLATFORM,
                           requires_python=">=3.12", requires_dist=["numpy", "torch==2.16.0"])),
    ]  # fmt: skip
    build_index(root, wheels)
    with serve(root) as url:
        yield url


def test_newest_torch_is_paired_by_metadata(future_index: str, tmp_path: Path) -> None:
    settings = IndexSettings.from_env({"TORCHSMITH_INDEX_URL": f"{future_index}/whl",
                                       "TORCHSMITH_CACHE_DIR": str(tmp_path)})  # fmt: skip
    plan = make_plan(["torch", "torchvision"], machine=machine("cpu-container"), settings=settings)
    assert [p.version for p in plan.packages] == ["2.16.0+cpu", "0.31.0+cpu"]
    assert any("newer than torchsmith's knowledge tables" in r for r in plan.reasons)
    assert any("torchvision 0.31.0 declares in its metadata that it pairs with torch 2.16.0" in r
               for r in plan.reasons)  # fmt: skip


def test_known_torch_still_pairs_from_knowledge(future_index: str, tmp_path: Path) -> None:
    settings = IndexSettings.from_env({"TORCHSMITH_INDEX_URL": f"{future_index}/whl",
                                       "TORCHSMITH_CACHE_DIR": str(tmp_path)})  # fmt: skip
    plan = make_plan(["torch<2.14", "torchvision"], machine=machine("cpu-container"), settings=settings)
    assert [p.version for p in plan.packages] == ["2.13.0+cpu", "0.28.0+cpu"]
