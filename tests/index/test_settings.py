"""Index settings: explicit argument > environment > default; empty variables count as unset."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from torchsmith.errors import UsageError
from torchsmith.index.client import IndexClient
from torchsmith.index.settings import IndexSettings


def test_defaults() -> None:
    settings = IndexSettings.from_env({"XDG_CACHE_HOME": "/xdg-cache"})
    assert settings.to_json() == {
        "index_base": "https://download.pytorch.org/whl",
        "jetson_index_base": "https://pypi.jetson-ai-lab.io",
        "default_index": "https://pypi.org/simple",
        "offline": False,
        "cache_dir": "/xdg-cache/torchsmith",
    }
    assert (settings.index_base_source, settings.default_index_source) == ("default", "default")


def test_environment_overrides_defaults() -> None:
    env = {
        "TORCHSMITH_INDEX_URL": "http://127.0.0.1:9/whl/",
        "TORCHSMITH_JETSON_INDEX_URL": "http://127.0.0.1:9/jetson/",
        "PIP_INDEX_URL": "http://127.0.0.1:9/pip/simple",
        "TORCHSMITH_OFFLINE": "1",
        "TORCHSMITH_CACHE_DIR": "/tmp/ts-cache",
        "PIP_CONFIG_FILE": os.devnull,  # this machine's /etc/pip.conf must not count
        "UV_NO_CONFIG": "1",
    }
    settings = IndexSettings.from_env(env)
    assert settings == IndexSettings(
        index_base="http://127.0.0.1:9/whl",
        jetson_index_base="http://127.0.0.1:9/jetson",
        default_index="http://127.0.0.1:9/pip/simple",
        offline=True,
        cache_dir=Path("/tmp/ts-cache"),
        index_base_source="`TORCHSMITH_INDEX_URL`",
        default_index_source="`PIP_INDEX_URL`",
        jetson_index_base_source="`TORCHSMITH_JETSON_INDEX_URL`",
    )


def test_uv_variables_win_over_pip_and_the_flag_over_the_environment() -> None:
    env = {
        "TORCHSMITH_INDEX_URL": "http://env/whl",
        "UV_INDEX_URL": "http://uv/simple",
        "PIP_INDEX_URL": "http://pip/simple",
        "TORCHSMITH_CACHE_DIR": "/c",
    }
    settings = IndexSettings.from_env(env, index_base="http://flag/whl")
    assert (settings.index_base, settings.index_base_source) == ("http://flag/whl", "`--index-base`")
    assert (settings.default_index, settings.default_index_source) == ("http://uv/simple", "`UV_INDEX_URL`")
    env["UV_DEFAULT_INDEX"] = "http://uv-default/simple"
    assert IndexSettings.from_env(env).default_index == "http://uv-default/simple"


def test_empty_variables_mean_unset() -> None:
    env = {
        "TORCHSMITH_INDEX_URL": "",
        "UV_INDEX_URL": " ",
        "TORCHSMITH_OFFLINE": "",
        "TORCHSMITH_CACHE_DIR": "/c",
    }
    settings = IndexSettings.from_env(env)
    assert (settings.index_base, settings.default_index, settings.offline) == (
        "https://download.pytorch.org/whl",
        "https://pypi.org/simple",
        False,
    )


@pytest.mark.parametrize(("value", "offline"), [("true", True), ("YES", True), ("0", False), ("off", False)])
def test_offline_values(value: str, offline: bool) -> None:
    assert (
        IndexSettings.from_env({"TORCHSMITH_OFFLINE": value, "TORCHSMITH_CACHE_DIR": "/c"}).offline is offline
    )


def test_invalid_offline_value() -> None:
    with pytest.raises(UsageError) as caught:
        IndexSettings.from_env({"TORCHSMITH_OFFLINE": "maybe"})
    assert caught.value.message == "invalid value `maybe` for `TORCHSMITH_OFFLINE`: expected `1` or `0`"


def test_client_uses_the_cache_dir_and_offline_mode(tmp_path: Path) -> None:
    settings = IndexSettings.from_env({"TORCHSMITH_CACHE_DIR": str(tmp_path), "TORCHSMITH_OFFLINE": "1"})
    client = settings.client()
    assert isinstance(client, IndexClient)
    assert client.offline is True
    assert client.cache.root == tmp_path / "http"
