"""Probe: describe this computer precisely enough to choose a PyTorch build for it.

Each fact has one detector module (one source ladder per file, cheapest source first), listed in the explicit
tuple `DETECTORS` (imported on first use: reading a machine file with `load_machine` needs none of them).
`probe()` runs them against a `ProbeContext`, then derives what depends on several facts: the conda virtual
packages (`virtual.py`) and the backends this machine can run, best first (`runnable.py`). Detectors record
raw facts; choices belong to `torchsmith.planning.plan`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from torchsmith import record
from torchsmith.errors import ProbeError
from torchsmith.machine import runnable
from torchsmith.machine.context import ProbeContext
from torchsmith.machine.model import Machine
from torchsmith.machine.normalize import normalize_machine

TYPE_CHECKING = False  # `typing` stays unloaded at start-up (issue 17); mypy reads the name as typing's
if TYPE_CHECKING:
    from os import PathLike
    from typing import Any, Protocol

    class Detector(Protocol):
        """A detector module: the `Machine` field it fills and the function that fills it."""

        SECTION: str

        def detect(self, ctx: ProbeContext) -> Any:
            """Return the section's value (None when the hardware is absent); never raise on bad input."""


__all__ = ["DETECTORS", "Machine", "ProbeContext", "load_machine", "probe"]


def _detectors() -> tuple[Detector, ...]:
    """The detectors, in the order they run (the platform first: the others read its facts)."""
    from torchsmith.machine import (
        amd,
        apple,
        container,
        intel,
        jetson,
        nvidia,
        platform,
        python,
        toolkit,
        wsl,
    )

    return (platform, python, nvidia, amd, intel, apple, jetson, wsl, container, toolkit)


def __getattr__(name: str) -> Any:
    if name == "DETECTORS":
        return _detectors()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def probe(root: str | PathLike[str] | None = None, env: Mapping[str, str] | None = None) -> Machine:
    """Describe the machine at `root` (default: this one, or `TORCHSMITH_ROOT`) using `env`'s overrides."""
    ctx = ProbeContext.create(root=root, env=env)
    return probe_context(ctx)


def probe_context(ctx: ProbeContext) -> Machine:
    """Run every detector against `ctx`, then derive virtual packages and runnable backends."""
    from torchsmith.machine import platform, virtual

    sections: dict[str, Any] = {}
    for detector in _detectors():
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
    machine = record.replace(machine, virtual_packages=virtual.virtual_packages(machine, ctx))
    machine = record.replace(machine, backends=runnable.runnable_backends(machine, ctx))
    return record.replace(machine, warnings=tuple(ctx.warnings) + machine.warnings)


_SCALARS = (str, int, float, bool, type(None))
_LISTS = ("virtual_packages", "backends", "warnings")


def _flat(value: Any, depth: int = 3) -> bool:
    """A scalar, or an object or list of such values nested at most `depth` deep (one GPU with its MIG
    devices, one device): a machine document is shallow, so anything deeper is not one."""
    if isinstance(value, _SCALARS):
        return True
    if depth == 0:
        return False
    if isinstance(value, dict):
        return all(_flat(v, depth - 1) for v in value.values())
    if isinstance(value, list):
        return all(_flat(v, depth - 1) for v in value)
    return False


def _shape_problem(data: dict[str, Any]) -> str | None:
    """The first value of the wrong JSON type in a machine document (None when its shape is right): a
    value of the wrong type must be refused naming the key, never coerced into a plausible machine."""
    for key in ("os", "arch"):
        if not isinstance(data.get(key), str) or not data[key]:
            return f"`{key}` must be a non-empty string, not `{json.dumps(data.get(key))[:60]}`"
    if not isinstance(data.get("kernel"), (str, type(None))):
        return "`kernel` must be a string or null"
    for key, value in data.items():
        if key in ("os", "arch", "kernel"):
            continue
        if key == "schema_version":  # what `probe --json` writes first (docs/schemas/)
            if not isinstance(value, int) or isinstance(value, bool):
                return "`schema_version` must be an integer"
            continue
        if key in _LISTS:
            if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                return f"`{key}` must be a list of strings"
        elif key == "wsl":
            if not isinstance(value, (bool, dict, type(None))):
                return "`wsl` must be true, false, null or an object"
        elif value is not None and not isinstance(value, dict):
            return f"`{key}` must be an object or null, not `{json.dumps(value)[:60]}`"
        elif isinstance(value, dict):
            for field, item in value.items():
                if isinstance(item, list):
                    if not all(isinstance(v, dict) and _flat(v) for v in item):
                        return f"`{key}.{field}` must be a list of objects"
                elif not _flat(item):
                    return f"`{key}.{field}` has the wrong type"
    return None


def load_machine(path: str | PathLike[str]) -> Machine:
    """Load a `probe --json` document written earlier or elsewhere (`--machine FILE`)."""
    from pathlib import Path

    from torchsmith.fileio import read_user_text

    location = Path(path)
    text = read_user_text(location, what="machine file", limit=4 * 1024 * 1024)
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        where = f": {error.msg} at line {error.lineno}" if isinstance(error, json.JSONDecodeError) else ""
        raise ProbeError(
            f"machine file `{location}` is not JSON{where}",
            hint="write one with `torchsmith probe --json > machine.json`",
        ) from error
    if not isinstance(data, dict):
        raise ProbeError(
            f"machine file `{location}` must hold a JSON object, not {type(data).__name__}",
            hint="write one with `torchsmith probe --json > machine.json`",
        )
    problem = _shape_problem(data)
    if problem:
        raise ProbeError(
            f"machine file `{location}` is not a `probe --json` document: {problem}",
            hint="see `torchsmith probe --json` for the shape",
        )
    try:
        machine = Machine.from_json(data)
        machine.to_json()
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError) as error:
        raise ProbeError(
            f"machine file `{location}` is not a `probe --json` document: {type(error).__name__}: {error}",
            hint="`os` and `arch` are required; see `torchsmith probe --json` for the shape",
        ) from error
    normalized = normalize_machine(machine)  # `sm_86`, `86`, driver-store versions: see normalize.py
    if normalized.python is not None and normalized.python.version:
        from packaging.version import InvalidVersion, Version

        try:
            Version(normalized.python.version)
        except InvalidVersion as error:
            raise ProbeError(
                f"machine file `{location}` is not a `probe --json` document: `python.version` is "
                f"`{normalized.python.version}`, not a version such as `3.11.7`",
                hint="write one with `torchsmith probe --json > machine.json`",
            ) from error
    for gpu in normalized.nvidia.gpus if normalized.nvidia else ():
        if gpu.compute_capability is not None:
            from torchsmith.knowledge.cuda_arches import parse_cc

            try:
                parse_cc(gpu.compute_capability)
            except ValueError as error:
                raise ProbeError(
                    f"machine file `{location}` is not a `probe --json` document: {error}",
                    hint="write one with `torchsmith probe --json > machine.json`",
                ) from error
    hardware = ("nvidia", "amd", "intel", "jetson")
    rewritten = any(getattr(normalized, key) != getattr(machine, key) for key in hardware)
    if "backends" not in data or rewritten:  # derived facts: work them out from the hardware described
        normalized = record.replace(normalized, backends=runnable.runnable_backends(normalized))
    return normalized
