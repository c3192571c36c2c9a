"""Smoke test: the real probe on this host, no overrides. Only the schema is checked: hosts differ."""

from __future__ import annotations

import json

from torchsmith.machine import Machine, probe


def test_real_probe_has_the_documented_shape() -> None:
    machine = probe(env={"PATH": "/usr/bin:/bin"})
    document = json.loads(json.dumps(machine.to_json()))
    assert {
        "os",
        "arch",
        "libc",
        "kernel",
        "python",
        "nvidia",
        "amd",
        "intel",
        "apple",
        "jetson",
        "wsl",
        "container",
        "virtual_packages",
        "backends",
        "warnings",
    } <= set(document)
    assert document["os"] in ("linux", "macos", "windows")
    assert isinstance(document["arch"], str) and document["arch"]
    assert document["python"]["abi"] and document["python"]["version"]
    assert isinstance(document["wsl"], bool)
    assert document["backends"][-1] == "cpu"
    assert document["virtual_packages"] == sorted(document["virtual_packages"])
    assert any(p.startswith("__archspec=1=") for p in document["virtual_packages"])
    for gpu in (document["nvidia"] or {}).get("gpus", []):
        assert set(gpu) == {"name", "compute_capability", "memory_mib", "pci_id"}
    assert Machine.from_json(document).to_json() == document
