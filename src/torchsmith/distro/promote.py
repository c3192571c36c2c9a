"""`distro promote`: publish what the results prove into the channel, and nothing else.

A member's file is copied only when `verdict.promotion` says it is proven (every declared cell, required
tier, the members it requires, its dependents) **for the very file now in the registry**: the results name
the sha256 of the file they tested, so a rebuilt wheel with the same name is refused, not published. A file
already published is never overwritten (same bytes: nothing to do; other bytes: refused). A cell whose
`[torch-wheels]` build changed since it ran is stale and blocks. With `mirror`, torch and every dependency
file the passing cells installed are copied too (by hash, `mirror.py`), so the channel is installable on its
own. `constraints.txt` pins torch and every tested file; `constraints/<cell>.txt` does so per cell.
Everything happens under the channel's lock and is published by an atomic link flip (`channel.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from torchsmith.distro.channel import channel_lock, file_sha256, place, write_index
from torchsmith.distro.graph import MemberInfo, resolve_members
from torchsmith.distro.registry import Distro, DistroError, load_distro
from torchsmith.distro.results import CellResult, Pin, TestRun, load_results
from torchsmith.distro.verdict import Promotion, cell_state, promotion
from torchsmith.fileio import atomic_write_text
from torchsmith.index.settings import IndexSettings
from torchsmith.report import NullReporter, Reporter

__all__ = ["PromoteResult", "promote", "write_index"]


@dataclass(frozen=True, slots=True)
class PromoteResult:
    """What was promoted, what was held back and why, what was mirrored, and where the channel is."""

    output: Path
    promoted: tuple[str, ...]
    blocked: tuple[Promotion, ...]
    mirrored: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        return 1 if self.blocked or self.problems else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "output": str(self.output),
            "promoted": list(self.promoted),
            "blocked": [b.to_json() for b in self.blocked],
            "mirrored": list(self.mirrored),
            "problems": list(self.problems),
        }

    def summary(self) -> str:
        lines = [f"promoted {name}" for name in self.promoted]
        for block in self.blocked:
            lines.append(f"blocked {block.member} {block.version}: " + "; ".join(block.blockers))
        if self.mirrored:
            lines.append(f"mirrored {len(self.mirrored)} file(s) (torch and dependencies)")
        lines += [f"not mirrored: {p}" for p in self.problems]
        lines.append(f"channel: {self.output / 'simple'}")
        return "\n".join(lines)


def _stale_torch(distro: Distro, run: TestRun) -> TestRun:
    """Cells whose `[torch-wheels]` file changed since they ran become errored (stale), so they block."""
    from torchsmith.distro.channel import file_sha256 as sha

    cells = []
    for cell in run.cells:
        override = distro.torch_wheels.get(cell.cell.id)
        if override and "://" not in override and Path(override).is_file() and cell.error is None:
            now = sha(Path(override))
            if cell.torch_sha256 != now:
                cell = replace(cell, error=f"stale: tested with another torch file than `{override}`")
        cells.append(cell)
    return replace(run, cells=tuple(cells))


def _published_conflict(info: MemberInfo, files: Path) -> str | None:
    if info.wheel is None:
        return None
    target = files / info.wheel.name
    if target.exists() and file_sha256(target) != info.sha256:
        return f"the channel already has a different `{info.wheel.name}`; publish it under a new version"
    return None


def _passing_cells(run: TestRun, promoted: set[str]) -> list[CellResult]:
    """Cells in which every promoted member is proven (their installs are what users will get)."""
    out = []
    for cell in run.cells:
        if cell.error is not None or not cell.installed:
            continue
        if all(
            cell_state(run, record, cell.cell.id, record.sha256).ok
            for record in run.members
            if record.name in promoted
        ):
            out.append(cell)
    return out


def _constraints(distro: Distro, cells: Sequence[CellResult], good: dict[str, str]) -> None:
    """`constraints.txt` (the newest torch's passing cell) and `constraints/<cell>.txt`: torch and every
    tested file pinned `==`, with the tested sha256 beside each pin."""

    def text(cell: CellResult | None, title: str) -> str:
        lines = [f"# known-good set of distro `{distro.name}`{title}"]
        pins: dict[str, Pin] = {p.name: p for p in (cell.installed if cell else ())}
        if cell is not None and cell.torch:
            pinned = pins["torch"].hashes if "torch" in pins else ()
            sha = cell.torch_sha256 or (pinned[0] if pinned else "")
            lines.append(f"torch=={cell.torch}" + (f"  # sha256={sha}" if sha else ""))
        for name in sorted(set(pins) | set(good)):
            if name == "torch":
                continue
            if name in good:
                lines.append(f"{name}=={good[name]}")
                continue
            pin = pins[name]
            tail = f"  # sha256={pin.hashes[0]}" if pin.hashes else ""
            lines.append(f"{name}=={pin.version}{tail}")
        return "\n".join(lines) + "\n"

    newest = max(cells, key=lambda c: (c.cell.torch.split("."), c.cell.python.split(".")), default=None)
    title = f"; tested with torch {newest.torch} ({newest.cell.id})" if newest else "; no passing cell"
    atomic_write_text(distro.output / "constraints.txt", text(newest, title))
    if cells:
        (distro.output / "constraints").mkdir(exist_ok=True)
    for cell in cells:
        atomic_write_text(
            distro.output / "constraints" / f"{cell.cell.id}.txt", text(cell, f" in {cell.cell.id}")
        )


def promote(
    *,
    distro_path: Path,
    results: Sequence[Path] = (),
    mirror: bool = False,
    settings: IndexSettings | None = None,
    reporter: Reporter | None = None,
) -> PromoteResult:
    """Promote the proven members (per `results`, default: the distro's results folder) into the distro's
    `output` channel, re-index it, write the constraints; `mirror`: also torch and every dependency."""
    import os

    reporter = reporter or NullReporter()
    distro = load_distro(distro_path)
    settings = settings or IndexSettings.from_env(os.environ)
    files = list(results) or sorted(distro.results_dir.glob("*.json"))
    if not files:
        raise DistroError(f"no results in `{distro.results_dir}`", hint="run `torchsmith distro test` first")
    run = _stale_torch(distro, load_results(files))
    from torchsmith.distro.cells import declared_cells

    run = replace(run, matrix=tuple(c.id for c in declared_cells(distro)))
    infos = resolve_members(distro, settings=settings, reporter=reporter)
    current = {key: info.sha256 for key, info in infos.items()}
    promoted: list[str] = []
    blocked: list[Promotion] = []
    good: dict[str, str] = {}
    out_files = distro.output / "files"
    mirrored: list[str] = []
    problems: list[str] = []
    with channel_lock(distro.output):
        out_files.mkdir(parents=True, exist_ok=True)
        for decision in promotion(run, current):
            info = infos.get(decision.member)
            if info is not None and info.version != decision.version:
                why = f"results are for {decision.version}, the registry has {info.version}"
                decision = replace(decision, promotable=False, blockers=(*decision.blockers, why))
            if decision.promotable and (info is None or info.wheel is None):
                decision = replace(decision, promotable=False, blockers=("no local wheel to promote",))
            conflict = _published_conflict(info, out_files) if decision.promotable and info else None
            if conflict:
                decision = replace(decision, promotable=False, blockers=(conflict,))
            if not decision.promotable or info is None or info.wheel is None:
                blocked.append(decision)
                continue
            if not (out_files / info.wheel.name).exists():
                reporter.step(f"promoting {info.wheel.name}")
                place(info.wheel, out_files)
            promoted.append(f"{decision.member}=={decision.version}")
            good[decision.member] = decision.version
        passing = _passing_cells(run, set(good)) if good else []
        if mirror and passing:
            from torchsmith.distro.mirror import mirror_pins

            skip = {m.key for m in distro.members}
            pairs = [(c.cell, c.installed) for c in passing]
            copied, problems = mirror_pins(distro, pairs, skip, out_files, settings, reporter)
            mirrored = copied
        write_index(distro.output)
        _constraints(distro, passing, good)
    return PromoteResult(distro.output, tuple(promoted), tuple(blocked), tuple(mirrored), tuple(problems))
