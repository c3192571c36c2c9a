"""The public Python API: the five things the CLI does, as functions returning typed, JSON-able results.

```python
import torchsmith

machine = torchsmith.probe()                       # -> Machine
plan = torchsmith.plan(["torch", "torchvision"])   # -> Plan (backend, pins, reasons, rejected)
report = torchsmith.doctor()                       # -> DoctorReport (findings, healthy, summary)
result = torchsmith.export("uv", ["torch"], targets=["linux-cu126", "macos"], check=True)
findings = torchsmith.lint(["pyproject.toml"])     # -> LintResult
```

Each result has `to_json()`, the document `torchsmith COMMAND --json` prints (less `schema_version`).
Errors are `torchsmith.errors.TorchsmithError` subclasses with a message and a `hint`. Nothing prints.
`torchsmith.doctor`, `torchsmith.export` and `torchsmith.lint` are also the packages of those names;
calling them calls these functions (see `torchsmith/__init__.py`), and `from torchsmith.api import ...`
gives type checkers the exact signatures.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torchsmith.doctor.report import DoctorReport
    from torchsmith.export import ExportResult
    from torchsmith.index.settings import IndexSettings
    from torchsmith.lint import LintResult
    from torchsmith.machine.model import Machine
    from torchsmith.planning.model import Plan

__all__ = ["doctor", "export", "lint", "plan", "probe"]


def _settings(offline: bool, index_base: str | None) -> IndexSettings:
    from torchsmith.index.settings import IndexSettings

    env = dict(os.environ)
    if offline:
        env["TORCHSMITH_OFFLINE"] = "1"
    return IndexSettings.from_env(env, index_base=index_base)


def probe(*, root: str | Path | None = None) -> Machine:
    """Describe this machine (or the one whose files are under `root`): `torchsmith probe`."""
    from torchsmith.machine import probe as _probe

    return _probe(root=root)


def plan(
    requirements: Sequence[str] = ("torch",),
    *,
    machine: Machine | None = None,
    backend: str = "auto",
    python: str | None = None,
    platform: str | None = None,
    offline: bool = False,
    index_base: str | None = None,
) -> Plan:
    """Choose the backend and exact pins for `machine` (default: this one), with reasons: `torchsmith plan`.

    `python` ("3.12") and `platform` ("linux-x86_64", "win_amd64", ...) plan for another interpreter or OS.
    """
    from torchsmith.machine.override import override_machine
    from torchsmith.planning.plan import make_plan

    target = override_machine(machine or probe(), python=python, platform=platform)
    settings = _settings(offline, index_base)
    return make_plan(list(requirements), machine=target, backend=backend, settings=settings)


def doctor(
    python: str | None = None,
    *,
    root: str | Path | None = None,
    timeout: float = 120.0,
    device_test: bool = True,
) -> DoctorReport:
    """Inspect `python`'s torch installation (default: this interpreter) from outside: `torchsmith doctor`."""
    from torchsmith.doctor import diagnose

    return diagnose(python=python, root=root, timeout=timeout, device_test=device_test)


def export(
    tool: str,
    requirements: Sequence[str] = ("torch",),
    *,
    targets: Sequence[str] = ("auto",),
    output: str | Path | None = None,
    check: bool = False,
    mode: str = "markers",
    offline: bool = False,
) -> ExportResult:
    """Write (or, with `check`, compare) `tool`'s config for `targets`: `torchsmith export`.

    `tool` is uv, pip, poetry, pixi, conda or docker; `targets` are names such as `linux-cu126`, `macos`.
    """
    from torchsmith.export import export as _export

    return _export(
        tool,
        list(requirements),
        targets=list(targets),
        mode=mode,
        output=Path(output) if output is not None else None,
        check=check,
        settings=_settings(offline, None),
    )


def lint(
    paths: Sequence[str | Path] = (".",),
    *,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] | None = None,
    fix: bool = False,
) -> LintResult:
    """Find the known traps in configs (files, or folders searched): `torchsmith lint`."""
    from torchsmith.lint import lint_paths

    return lint_paths([Path(p) for p in paths], select=select, ignore=ignore, fix=fix)
