"""Probe: describe this computer precisely enough to choose a PyTorch build for it.

Each fact has one detector module (one source ladder per file, cheapest source first), listed in the explicit
tuple `DETECTORS`. `probe()` runs them against a `ProbeContext`, then derives what depends on several facts:
the conda virtual packages (`virtual.py`) and the backends this machine can run, best first (`runnable.py`).
Detectors record raw facts; choices belong to `torchsmith.planning.plan`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from torchsmith.errors import ProbeError
from torchsmith.machine import (
    amd,
    apple,
    container,
    intel,
    jetson,
    nvidia,
    platform,
    python,
    runnable,
    virtual,
    wsl,
)
from torchsmith.machine.context import ProbeContext
from torchsmith.machine.model import Machine
from torchsmith.machine.normalize import normalize_machine

__all__ = ["DETECTORS", "Detector", "Machine", "ProbeContext", "load_machine", "probe"]


class Detector(Protocol):
    """A detector module: the `Machine` field it fills and the function that fills it."""

    SECTION: str

    def detect(self, ctx: ProbeContext) -> Any:
        """Return the section's value (None when the hardware is absent); never raise on bad input."""


DETECTORS: tuple[Detector, ...] = (platform, python, nvidia, amd, intel, apple, jetson, wsl, container)


def probe(root: str | Path | None = None, env: Mapping[str, str] | None = None) -> Machine:
    """Describe the machine at `root` (default: this one, or `TORCHSMITH_ROOT`) using `env`'s overrides."""
    ctx = ProbeContext.create(root=root, env=env)
    return probe_context(ctx)


def probe_context(ctx: ProbeContext) -> Machine:
    """Run every detector against `ctx`, then derive virtual packages and runnable backends."""
    sections: dict[str, Any] = {}
    for detector in DETECTORS:
        sections[detector.SECTION] = detector.detect(ctx)
    facts: platform.PlatformFacts = sections.pop(platform.SECTION)
    machine = normalize_machine(
        Machine(
            os=facts.os,
            arch=facts.arch,
            libc=facts.libc,
            kernel=facts.kernel,
            **sections,
        )
    )
    machine = dataclasses.replace(machine, virtual_packages=virtual.virtual_packages(machine, ctx))
    machine = dataclasses.replace(machine, backends=runnable.runnable_backends(machine, ctx))
    return dataclasses.replace(machine, warnings=tuple(ctx.warnings) + machine.warnings)


def load_machine(path: str | Path) -> Machine:
    """Load a `probe --json` document written earlier or elsewhere (`--machine FILE`)."""
    location = Path(path)
    try:
        data = json.loads(location.read_text(encoding="utf-8"))
    except OSError as error:
        raise ProbeError(f"cannot read machine file `{location}`: {error.strerror or error}") from error
    except json.JSONDecodeError as error:
        raise ProbeError(
            f"machine file `{location}` is not JSON: {error.msg} at line {error.lineno}",
            hint="write one with `torchsmith probe --json > machine.json`",
        ) from error
    if not isinstance(data, dict):
        raise ProbeError(f"machine file `{location}` must hold a JSON object")
    try:
        machine = Machine.from_json(data)
    except (KeyError, TypeError, ValueError) as error:
        raise ProbeError(
            f"machine file `{location}` is not a `probe --json` document: {error}",
            hint="`os` and `arch` are required; see `torchsmith probe --json` for the shape",
        ) from error
    normalized = normalize_machine(machine)
    hardware = ("nvidia", "amd", "intel", "jetson")
    rewritten = any(getattr(normalized, key) != getattr(machine, key) for key in hardware)
    if "backends" not in data or rewritten:  # derived facts: work them out from the hardware described
        normalized = dataclasses.replace(normalized, backends=runnable.runnable_backends(normalized))
    return normalized
