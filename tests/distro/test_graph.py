"""The dependency graph from real metadata: local wheels' METADATA and an index's PEP 658 files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.distro.conftest import STANDARD, DistroDir, member
from tests.support.fixtures import LocalIndex
from tests.support.wheels import make_wheel
from torchsmith.distro.graph import Graph, affected, build_graph
from torchsmith.distro.registry import DistroError, load_distro


def test_downstream_closure_in_test_order(distro_dir: Callable[[], DistroDir]) -> None:
    d = distro_dir()
    make_wheel(d.root / "wheels", "delta", "1.0", "py3", "none", "any", requires_dist=["beta", "ext"])
    # registry order puts delta first: test order must still follow the dependencies
    d.write(member("delta", "delta-1.0-py3-none-any.whl") + STANDARD)
    result = affected(distro_path=d.path, package="Alpha", settings=d.settings)
    assert result.order == ("alpha", "beta", "delta")
    assert result.summary() == "alpha\nbeta\ndelta"
    assert affected(distro_path=d.path, package="ext", settings=d.settings).order == ("ext", "delta")
    graph, infos = build_graph(load_distro(d.path), settings=d.settings)
    assert graph.topological() == ("alpha", "ext", "beta", "delta")
    assert infos["beta"].requires == ("alpha>=1.0", "torch") and infos["ext"].torch_specifier() == "==2.9.*"
    with pytest.raises(DistroError, match="no member `zeta`"):
        affected(distro_path=d.path, package="zeta", settings=d.settings)


def test_a_cycle_is_named() -> None:
    graph = Graph(("a", "b", "c"), {"a": ("c",), "b": ("a",), "c": ("b",)})
    with pytest.raises(DistroError, match="cycle: a → c → b → a"):
        graph.topological()


def test_extras_are_not_edges(distro_dir: Callable[[], DistroDir]) -> None:
    d = distro_dir()
    make_wheel(
        d.root / "wheels",
        "omega",
        "1.0",
        "py3",
        "none",
        "any",
        requires_dist=['alpha; extra == "all"', "torch>=2.4"],
    )
    d.write(member("alpha", "alpha-1.0-py3-none-any.whl") + member("omega", "omega-1.0-py3-none-any.whl"))
    graph, _ = build_graph(load_distro(d.path), settings=d.settings)
    assert graph.deps == {"alpha": (), "omega": ()}


def test_index_member_uses_pep658_metadata_not_the_wheel(
    distro_dir: Callable[[], DistroDir], local_index: LocalIndex, tmp_path: Path
) -> None:
    d = distro_dir()
    d.write('[[member]]\nname = "torchvision"\nrequirement = "torchvision==0.24.1"\nabi = "exact-abi"\n')
    local_index.clear_log()
    _, infos = build_graph(load_distro(d.path), settings=d.settings)
    info = infos["torchvision"]
    assert (
        info.version == "0.24.1" and "torch==2.9.1" in info.requires and info.install == "torchvision==0.24.1"
    )
    paths = [entry["path"] for entry in local_index.log()]
    assert any(p.endswith(".whl.metadata") for p in paths)
    assert not any(p.endswith(".whl") for p in paths)
