"""Helpers for planner tests: machines come from the probe fixtures, settings from the test's environment."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.machines.test_machines import context_for
from torchsmith.index.settings import IndexSettings
from torchsmith.machine import probe_context
from torchsmith.machine.model import Machine
from torchsmith.machine.override import override_machine


def machine(name: str, python: str = "3.11", platform: str | None = None) -> Machine:
    """The probed fake machine `tests/machines/<name>`, planning for CPython `python`."""
    return override_machine(probe_context(context_for(name)), python=python, platform=platform)


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> Callable[[], IndexSettings]:
    monkeypatch.setenv("TORCHSMITH_OFFLINE", "1")
    import os

    return lambda: IndexSettings.from_env(os.environ)
