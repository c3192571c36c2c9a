"""Fixtures for the export tests: settings pointing at the local index, a tool environment, a channel."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from torchsmith.index.settings import IndexSettings

VENV_BIN = Path(sys.executable).parent


@pytest.fixture
def settings(local_index, tmp_path: Path) -> IndexSettings:  # type: ignore[no-untyped-def]
    """Exports whose PyTorch indexes and default index are the local ones."""
    env = {
        "TORCHSMITH_INDEX_URL": local_index.base,
        "TORCHSMITH_JETSON_INDEX_URL": local_index.base,
        "UV_INDEX_URL": local_index.pypi,
        "TORCHSMITH_CACHE_DIR": str(tmp_path / "ts-cache"),
    }
    return IndexSettings.from_env(env)


@pytest.fixture
def offline_settings(tmp_path: Path) -> IndexSettings:
    """Real default URLs, offline: nothing is fetched (pins come from the shipped knowledge)."""
    return IndexSettings.from_env({"TORCHSMITH_OFFLINE": "1", "TORCHSMITH_CACHE_DIR": str(tmp_path / "c")})


@pytest.fixture
def tool_env(local_index, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """An environment for real uv / pip / poetry runs: private caches, the local index, no network."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "PIP_", "POETRY_"))}
    home = tmp_path / "home"
    home.mkdir()
    env.update(
        {
            "HOME": str(home),
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
            "UV_CACHE_DIR": str(tmp_path / "uv-cache"),
            "UV_DEFAULT_INDEX": local_index.pypi,
            "UV_PYTHON": sys.executable,
            "UV_PYTHON_DOWNLOADS": "never",
            "UV_NO_CONFIG": "1",
            "PIP_INDEX_URL": local_index.pypi,
            "PIP_CACHE_DIR": str(tmp_path / "pip-cache"),
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "POETRY_CACHE_DIR": str(tmp_path / "poetry-cache"),
            "POETRY_CONFIG_DIR": str(tmp_path / "poetry-config"),
            "POETRY_DATA_DIR": str(tmp_path / "poetry-data"),
            "POETRY_VIRTUALENVS_IN_PROJECT": "true",
            "POETRY_NO_INTERACTION": "1",
            "POETRY_INSTALLER_PARALLEL": "false",
        }
    )
    return env


@pytest.fixture(scope="session")
def conda_channel(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from tests.support.conda_channel import build_channel

    return build_channel(tmp_path_factory.mktemp("conda-channel"))
