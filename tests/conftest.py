"""Hermetic test environment: a private cache dir, and no overrides leaking in from the developer's shell."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests run on shared 2-core machines (and CI): how fast hypothesis can generate examples there says
# nothing about torchsmith, so the "too slow" health check and per-example deadlines are off for every test;
# the checks on the strategies themselves (filter_too_much, data_too_large, ...) stay on.
settings.register_profile("torchsmith", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("torchsmith")

pytest_plugins = (
    ["tests.support.fixtures"] if (Path(__file__).parent / "support" / "fixtures.py").exists() else []
)

_CLEARED_PREFIXES = (
    "CONDA_OVERRIDE_",
    "TORCHSMITH_",
    "UV_",
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "VIRTUAL_ENV",
    "CONDA_PREFIX",
)


@pytest.fixture(autouse=True)
def hermetic_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    import os

    for name in list(os.environ):
        if name.startswith(_CLEARED_PREFIXES):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TORCHSMITH_CACHE_DIR", str(tmp_path / "cache"))
    yield
