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

__all__ = [
    "MODES",
    "SOURCES",
    "TOOLS",
    "ExportResult",
    "ExportedFile",
    "Target",
    "check_options",
    "export",
    "make_job",
]

TOOLS = ("uv", "pip", "poetry", "pixi", "conda", "docker")
MODES = ("markers", "extras")
SOURCES = ("conda-forge", "pypi")
_OPTION_TOOLS = {"--mode": ("uv",), "--source": ("pixi",)}
"""The tools each tool-specific option applies to; given for another tool it is an error, not ignored."""


def check_options(tool: str, *, mode: str | None, source: str | None) -> None:
    """Refuse `--mode` / `--source` (given explicitly, i.e. not None) for a tool they do not apply to."""
    for option, value in (("--mode", mode), ("--source", source)):
        tools = _OPTION_TOOLS[option]
        if value is not None and tool not in tools:
            applies = " and ".join(f"`{t}`" for t in tools)
            raise UsageError(
                f"`{option} {value}` does not apply to `export {tool}`: it is for {applies} only",
                hint=f"drop `{option}`, or export for {applies}",
            )


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


def _make_parent(path: Path) -> None:
    from torchsmith.fileio import UserFileError, describe_os_error

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserFileError(
            f"cannot write `{path}`: cannot create its folder `{path.parent}`: {describe_os_error(error)}",
            hint="give `-o` a path whose folder can be created",
        ) from error


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
    force: bool = False,
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
        force=force,
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
    force: bool = False,
) -> ExportResult:
    """Render `tool`'s config for `targets`, merge it into `output` (or the tool's default file) and write it.

    With `check`, nothing is written; `ExportResult.exit_code` is 1 if any file would change. Every file
    is written atomically (`torchsmith.fileio`) in its own encoding, line endings and final newline;
    the file's own torch-family entries are kept or, when they conflict, the export stops before writing
    anything (`force` replaces them).
    """
    from torchsmith.export.style import NEW_FILE, encode_styled, read_styled
    from torchsmith.fileio import atomic_write_bytes

    job = make_job(tool, requirements, targets=targets, mode=mode, source=source, output=output,
                   settings=settings, machine=machine, force=force)  # fmt: skip
    rendered = _renderer(tool)(job)
    files: list[ExportedFile] = []
    writes: list[tuple[Path, bytes]] = []
    for path, content in rendered.files:
        found = read_styled(path)
        style = NEW_FILE if found is None else found[1]
        changed = found is None or found[0] != content
        if changed:
            writes.append((path, encode_styled(content, style)))
        files.append(ExportedFile(path, content, changed))
    if not check:
        for path, data in writes:
            _make_parent(path)
            atomic_write_bytes(path, data)
    notes = tuple(dict.fromkeys([*job.notes, *rendered.notes]))
    if check:
        stale = [str(f.path) for f in files if f.changed]
        notes += (f"out of date: {', '.join(stale)}",) if stale else ("up to date",)
    return ExportResult(tuple(files), notes, check=check, targets=job.targets)
