"""Offline means cache first, knowledge second, against a real local PEP 503 index over HTTP (tests/support).

The local index holds torch up to 2.13.0 (its catalog, tests/support/catalog.py); the shipped inventory knows
2.14.1 and 2.15.0. So an offline plan that says 2.13.0 with the local files' hashes came from the cache or
the refresh of that index, and one that says 2.14.1 came from the shipped inventory.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from urllib.parse import unquote

from tests.plan.conftest import machine
from tests.support.fixtures import LocalIndex
from torchsmith.index.settings import IndexSettings
from torchsmith.knowledge.refresh_cli import refresh_from_settings
from torchsmith.planning.plan import make_plan


def _settings(index: LocalIndex, cache: Path, *, offline: bool) -> IndexSettings:
    env = {"TORCHSMITH_INDEX_URL": index.base, "UV_INDEX_URL": index.pypi, "TORCHSMITH_CACHE_DIR": str(cache)}
    if offline:
        env["TORCHSMITH_OFFLINE"] = "1"
    return IndexSettings.from_env(env)


def test_offline_plan_on_a_warm_cache_pins_the_cached_files(local_index: LocalIndex, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    online = make_plan(["torch", "torchvision"], machine=machine("h100-driver580"),
                       settings=_settings(local_index, cache, offline=False))  # fmt: skip
    offline = make_plan(["torch", "torchvision"], machine=machine("h100-driver580"),
                        settings=_settings(local_index, cache, offline=True))  # fmt: skip
    assert offline.offline and not online.offline
    assert offline.backend == online.backend == "cu130"
    # the same files, with the same hashes: installable (pinned `name @ url#sha256`)
    assert offline.packages == online.packages
    for package in offline.packages:
        assert package.sha256 is not None and package.url is not None and package.filename is not None
        wheel = local_index.root / unquote(package.url[len(local_index.url) + 1 :])
        assert hashlib.sha256(wheel.read_bytes()).hexdigest() == package.sha256
    assert all(" @ " in part for part in offline.commands["uv"].split("'")[1::2])
    assert "cached index pages" in offline.warnings[0]


def test_offline_plan_without_a_cache_uses_the_shipped_inventory(
    local_index: LocalIndex, tmp_path: Path
) -> None:
    # knowledge only: the newest torch the inventory has a cu130 file of for CPython 3.11 (2.14.1, a
    # torch_releases.toml row sourced from RELEASE.md and the build matrix), without a hash
    plan = make_plan(["torch"], machine=machine("h100-driver580"),
                     settings=_settings(local_index, tmp_path / "empty", offline=True))  # fmt: skip
    (torch,) = plan.packages
    assert (torch.version, torch.sha256, torch.url) == ("2.14.1+cu130", None, None)
    assert torch.filename == "torch-2.14.1+cu130-cp311-cp311-manylinux_2_28_x86_64.whl"
    assert "torch==2.14.1+cu130" in plan.commands["uv"]


def test_offline_plan_never_picks_what_the_refreshed_mirror_lacks(
    local_index: LocalIndex, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    summary = refresh_from_settings(_settings(local_index, cache, offline=False))
    assert "cu130" in summary.result.backends
    shutil.rmtree(cache / "http")  # no cached pages: only the refresh speaks for the mirror
    plan = make_plan(["torch", "torchvision"], machine=machine("h100-driver580"),
                     settings=_settings(local_index, cache, offline=True))  # fmt: skip
    torch, vision = plan.packages
    # the mirror's newest (2.13.0), never the inventory's 2.14.1 it was seen not to have
    assert (torch.version, vision.version) == ("2.13.0+cu130", "0.28.0+cu130")
    seen = {f.filename for f in summary.result.files("cu130", "torch")}
    assert torch.filename in seen and torch.sha256 is not None
    assert "knowledge refresh" in plan.warnings[0]


def test_a_refresh_of_another_mirror_is_not_used(local_index: LocalIndex, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    refresh_from_settings(_settings(local_index, cache, offline=False))
    shutil.rmtree(cache / "http")
    other = IndexSettings.from_env({"TORCHSMITH_CACHE_DIR": str(cache), "TORCHSMITH_OFFLINE": "1",
                                    "TORCHSMITH_INDEX_URL": "https://mirror.example/whl"})  # fmt: skip
    plan = make_plan(["torch"], machine=machine("h100-driver580"), settings=other)
    assert plan.packages[0].version == "2.14.1+cu130"  # the shipped inventory, not the other index's refresh


def test_online_plan_takes_the_pypi_only_torchaudio(local_index: LocalIndex, tmp_path: Path) -> None:
    # PyPI torchaudio 2.11.1 (`torchaudio-2.11.1-py3-none-manylinux_2_28_x86_64.whl`, sha256 0173b5b5…, read
    # from https://pypi.org/simple/torchaudio/ and checked against the downloaded file; METADATA
    # `Requires-Dist: torch>=2.11`) exists only on PyPI. With PyPI as the default index, a torch 2.13.0 plan
    # pairs it, pinned by PyPI's URL and hash, while torch comes from the backend index.
    settings = IndexSettings.from_env({"TORCHSMITH_INDEX_URL": local_index.base,
                                       "TORCHSMITH_CACHE_DIR": str(tmp_path / "cache")})  # fmt: skip
    plan = make_plan(["torch", "torchaudio"], machine=machine("h100-driver580"), settings=settings)
    torch, audio = plan.packages
    assert (torch.version, audio.version) == ("2.13.0+cu130", "2.11.1")
    assert audio.filename == "torchaudio-2.11.1-py3-none-manylinux_2_28_x86_64.whl"
    assert audio.sha256 == "0173b5b51e1368aa88de3cbe4e98508b5e9df4d8d59356c4e1fbc830c96191ef"
    assert audio.url is not None and audio.url.startswith("https://files.pythonhosted.org/packages/")
    assert audio.index == "https://pypi.org/simple"
    assert any(
        "torchaudio 2.11.1 pairs with torch 2.13.0" in r and "taken from PyPI" in r for r in plan.reasons
    )
    assert not any("torchaudio" in r and "same `cu130` index" in r for r in plan.reasons)


def test_with_a_private_default_index_the_pypi_only_torchaudio_is_not_assumed(
    local_index: LocalIndex, tmp_path: Path
) -> None:
    # the local "PyPI" (UV_INDEX_URL) is not pypi.org: its holdings are not known from PyPI's snapshot
    plan = make_plan(["torch", "torchaudio"], machine=machine("h100-driver580"),
                     settings=_settings(local_index, tmp_path / "cache", offline=False))  # fmt: skip
    assert [p.version for p in plan.packages] == ["2.11.0+cu130", "2.11.0+cu130"]
