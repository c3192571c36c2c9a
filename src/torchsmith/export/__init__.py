"""`torchsmith export`: correct PyTorch configs for uv, pip, poetry, pixi, conda and Docker, per target.

Each tool has one module (`uv.py`, `pip.py`, `poetry.py`, `pixi.py`, `conda.py`, `docker.py`) that renders
the new file contents from a `Job` (targets parsed by `targets.py`, torch chosen per target by
`choose.py`). This module writes them, or with `check=True` only compares: `--check` exits 1 when a file
is out of date, for CI. Existing files are merged (`merge.py`): only torchsmith's sections change.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from torchsmith.errors import UsageError
from torchsmith.export.targets import Target, parse_targets

if TYPE_CHECKING:
    from torchsmith.export.job import Job, Rendered
    from torchsmith.index.settings import IndexSettings
    from torchsmith.machine.model import Machine

__all__ = ["MODES", "SOURCES", "TOOLS", "ExportResult", "ExportedFile", "Target", "export", "make_job"]

TOOLS = ("uv", "pip", "poetry", "pixi", "conda", "docker")
MODES = ("markers", "extras")
SOURCES = ("conda-forge", "pypi")


@dataclass(frozen=True, slots=True)
class ExportedFile:
    """One file written (or, with `check`, that would be written); `changed` if it differs from disk."""

    path: Path
    content: str
    changed: bool

    def to_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "changed": self.changed, "content": self.content}


@dataclass(frozen=True, slots=True)
class ExportResult:
    """The files of one export, the notes for the user (commands to run, warnings) and the targets."""

    files: tuple[ExportedFile, ...]
    notes: tuple[str, ...]
    check: bool = False
    targets: tuple[Target, ...] = ()

    @property
    def exit_code(self) -> int:
        """1 with `check` when any file is out of date; else 0."""
        return 1 if self.check and any(f.changed for f in self.files) else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "files": [f.to_json() for f in self.files],
            "notes": list(self.notes),
            "check": self.check,
            "targets": [t.to_json() for t in self.targets],
            "exit_code": self.exit_code,
        }


def _renderer(tool: str) -> Callable[[Job], Rendered]:
    from importlib import import_module

    module = import_module(f"torchsmith.export.{tool}")
    render: Callable[[Job], Rendered] = module.render
    return render


def _command(tool: str, requirements: Sequence[str], targets: Sequence[str], mode: str, source: str) -> str:
    parts = ["torchsmith", "export", tool, *requirements, "--targets", ",".join(targets)]
    if mode != "markers":
        parts += ["--mode", mode]
    if tool == "pixi" and source != "conda-forge":
        parts += ["--source", source]
    return shlex.join(parts)


def make_job(
    tool: str,
    requirements: Sequence[str],
    *,
    targets: Sequence[str],
    mode: str = "markers",
    source: str = "conda-forge",
    output: Path | None = None,
    settings: IndexSettings | None = None,
    machine: Machine | None = None,
) -> Job:
    """Validate the request, parse targets and requirements and choose torch per target."""
    from torchsmith.export.choose import choose_all
    from torchsmith.export.job import Job
    from torchsmith.planning.requirements import parse_pep508

    if tool not in TOOLS:
        raise UsageError(f"invalid tool `{tool}`: expected one of {', '.join(f'`{t}`' for t in TOOLS)}")
    if mode not in MODES:
        raise UsageError(f"invalid value `{mode}` for `--mode`: expected `markers` or `extras`")
    if source not in SOURCES:
        raise UsageError(f"invalid value `{source}` for `--source`: expected `conda-forge` or `pypi`")
    if settings is None:
        from torchsmith.index.settings import IndexSettings

        settings = IndexSettings.from_env(os.environ)
    parsed_targets = parse_targets(targets, machine=machine)
    reqs = parse_pep508(list(requirements) or ["torch"])
    return Job(
        tool=tool,
        requirements=reqs,
        targets=parsed_targets,
        choices=choose_all(parsed_targets, reqs),
        mode=mode,
        source=source,
        settings=settings,
        output=output,
        command=_command(tool, [str(r) for r in reqs], [t.name for t in parsed_targets], mode, source),
    )


def export(
    tool: str,
    requirements: Sequence[str],
    *,
    targets: Sequence[str],
    mode: str = "markers",
    source: str = "conda-forge",
    output: Path | None = None,
    check: bool = False,
    settings: IndexSettings | None = None,
    machine: Machine | None = None,
) -> ExportResult:
    """Render `tool`'s config for `targets`, merge it into `output` (or the tool's default file) and write it.

    With `check`, nothing is written; `ExportResult.exit_code` is 1 if any file would change.
    """
    from torchsmith.export.job import Job

    job = make_job(tool, requirements, targets=targets, mode=mode, source=source, output=output,
                   settings=settings, machine=machine)  # fmt: skip
    rendered = _renderer(tool)(job)
    files: list[ExportedFile] = []
    for path, content in rendered.files:
        changed = Job.read(path) != content
        if changed and not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
        files.append(ExportedFile(path, content, changed))
    notes = tuple(dict.fromkeys([*job.notes, *rendered.notes]))
    if check:
        stale = [str(f.path) for f in files if f.changed]
        notes += (f"out of date: {', '.join(stale)}",) if stale else ("up to date",)
    return ExportResult(tuple(files), notes, check=check, targets=job.targets)
