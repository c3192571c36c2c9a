"""One test per fake machine: probing `tests/machines/<name>/` gives exactly its `expected.json`.

Each machine folder is a fake root (real files of that kind of machine: /proc, /sys, /etc, /opt, /usr) whose
`usr/bin` and `usr/sbin` hold fake programs printing recorded real outputs. An optional `context.json`
sets the environment (`env`, e.g. `CONDA_OVERRIDE_CUDA`) and, for machines that cannot be reproduced by
files alone (macOS, Windows), injects `sys_platform` / `machine_arch`. The `python` section is this
interpreter's, whatever the root, so it is compared with the host's own probe instead of the file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from torchsmith.machine import probe_context
from torchsmith.machine.context import ProbeContext
from torchsmith.machine.python import detect as detect_python

HERE = Path(__file__).parent
MACHINES = sorted(p.parent.name for p in HERE.glob("*/expected.json"))


def context_for(name: str) -> ProbeContext:
    root = HERE / name
    settings: dict[str, Any] = {}
    if (root / "context.json").exists():
        settings = json.loads((root / "context.json").read_text())
    env = {"PATH": f"{root}/usr/bin:{root}/usr/sbin", **settings.get("env", {})}
    ctx = ProbeContext(root=root, env=env, use_nvml=False)
    if "sys_platform" in settings:
        ctx.sys_platform = settings["sys_platform"]
    if "machine_arch" in settings:
        ctx.machine_arch = settings["machine_arch"]
    return ctx


def probe_json(name: str) -> dict[str, Any]:
    document = probe_context(context_for(name)).to_json()
    # Paths of the fake root appear in warnings; make them stable.
    text = json.dumps(document).replace(str(HERE / name), "<root>")
    result: dict[str, Any] = json.loads(text)
    return result


@pytest.mark.parametrize("name", MACHINES)
def test_probe_matches_expected(name: str) -> None:
    expected = json.loads((HERE / name / "expected.json").read_text())
    actual = probe_json(name)
    host_python = detect_python(ProbeContext())
    assert actual.pop("python") == (host_python.to_json() if host_python else None)
    expected.pop("python", None)
    assert actual == expected


def test_every_required_machine_is_present() -> None:
    assert len(MACHINES) >= 16, MACHINES
