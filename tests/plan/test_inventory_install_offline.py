"""`install --offline` from a warm cache: the offline plan pins the cached files with their hashes, and uv
installs them from its own cache with the index gone (real uv, real venvs, a real HTTP index that is stopped
before the offline install)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.doctor.fakes import fake_torch_source
from tests.support.index_tree import build_index, files_dir
from tests.support.server import serve
from tests.support.wheels import make_wheel
from torchsmith.errors import InstallError
from torchsmith.index.settings import IndexSettings
from torchsmith.install import install

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

ROOT = Path(__file__).resolve().parent.parent / "machines" / "cpu-container"
PY = f"cp{sys.version_info[0]}{sys.version_info[1]}"


@pytest.fixture
def private_installers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    monkeypatch.setenv("UV_NO_CONFIG", "1")
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PATH", f"{ROOT}/usr/bin:{os.environ['PATH']}")


def test_install_offline_from_a_warm_cache(tmp_path: Path, private_installers: None) -> None:
    root = tmp_path / "index"
    cpu, pypi = files_dir(root, "cpu"), files_dir(root, "pypi")
    source = fake_torch_source(version="2.13.0+cpu")
    torch = make_wheel(cpu, "torch", "2.13.0+cpu", PY, PY, "manylinux_2_28_x86_64",
                       requires_dist=["filelock"], files={"torch/__init__.py": source})  # fmt: skip
    build_index(
        root, [("cpu", torch), ("pypi", make_wheel(pypi, "filelock", "3.16.1", "py3", "none", "any"))]
    )
    cache = tmp_path / "cache"
    with serve(root) as url:
        env = {"TORCHSMITH_INDEX_URL": f"{url}/whl", "UV_INDEX_URL": f"{url}/pypi/simple",
               "TORCHSMITH_CACHE_DIR": str(cache)}  # fmt: skip
        online = install(
            ["torch"], venv=str(tmp_path / "one"), root=ROOT, settings=IndexSettings.from_env(env)
        )
        assert online.exit_code == 0, online.summary()
    # the server is gone: the plan comes from the cached page, the wheel from uv's cache
    offline_settings = IndexSettings.from_env({**env, "TORCHSMITH_OFFLINE": "1"})
    result = install(["torch"], venv=str(tmp_path / "two"), root=ROOT, settings=offline_settings)
    assert result.exit_code == 0, result.summary()
    assert result.plan is not None and result.plan.offline
    assert result.plan.packages[0].sha256 is not None
    assert {d.name: d.version for d in result.after} == {"torch": "2.13.0+cpu"}


def test_install_offline_without_cached_pages_is_refused(tmp_path: Path, private_installers: None) -> None:
    settings = IndexSettings.from_env(
        {"TORCHSMITH_OFFLINE": "1", "TORCHSMITH_CACHE_DIR": str(tmp_path / "c")}
    )
    with pytest.raises(InstallError, match="cannot install without the index"):
        install(["torch"], venv=str(tmp_path / "venv"), root=ROOT, settings=settings)
