"""Test results as data: what happened to each member in each cell, saved as one JSON file per cell.

One file per cell (`<results>/<cell-id>.json`) is what a CI job uploads; each file is self-contained (it
carries the members as tested — version, sha256 of the tested file, required tier — the dependency graph,
the declared matrix, and every file the cell installed with its hashes), so `distro report --merge` can
rebuild the whole picture, and decide promotion, from the files alone.

Results are evidence about *files*: an outcome names the sha256 of the member file it tested, so a rebuilt
wheel with the same name is a different member (its old results are stale, not reused). A new run merges
into the earlier results for a cell instead of replacing them (`merge_cell`): for the same file and the
same torch, a failure or skip always stands for the newer run, otherwise the outcome from the higher tier
is kept, so a quick `--changed` tier-1 pass never erases an earlier tier-2 failure.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from packaging.version import Version

from torchsmith.distro.cells import Cell
from torchsmith.distro.graph import Graph
from torchsmith.distro.registry import DistroError

__all__ = [
    "CellResult",
    "MemberOutcome",
    "MemberRecord",
    "Pin",
    "TestRun",
    "load_results",
    "merge_cell",
    "merge_runs",
    "stage_tier",
]

Status = Literal["pass", "fail", "flaky", "skipped"]
SCHEMA = 2
_TIERS = {"torch": -1, "tier0": 0, "tier1": 1, "tier2": 2}


def stage_tier(stage: str) -> int:
    """The tier a stage proves: `tier0` → 0 … `tier2` → 2 (`torch`, a cell that never started: -1)."""
    return _TIERS.get(stage, -1)


@dataclass(frozen=True, slots=True)
class MemberOutcome:
    """One member in one cell: its status, the stage that decided it, the tested file's sha256."""

    member: str
    status: Status
    stage: str
    """`tier0` (resolution), `tier1` (install + import) or `tier2` (tests)."""
    attempts: int = 1
    log: str | None = None
    """Relative to the results folder."""
    detail: str = ""
    sha256: str | None = None
    """Of the member file this outcome is about (None: a git member, or results from before hashes)."""
    version: str = ""
    at: str = ""
    """When the run that produced it started (ISO 8601, UTC)."""

    @property
    def tier(self) -> int:
        return stage_tier(self.stage)

    @property
    def passed(self) -> bool:
        return self.status in ("pass", "flaky")

    def to_json(self) -> dict[str, Any]:
        return {
            "member": self.member,
            "status": self.status,
            "stage": self.stage,
            "attempts": self.attempts,
            "log": self.log,
            "detail": self.detail,
            "sha256": self.sha256,
            "version": self.version,
            "at": self.at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MemberOutcome:
        return cls(
            member=str(data["member"]),
            status=data["status"],
            stage=str(data["stage"]),
            attempts=int(data.get("attempts", 1)),
            log=data.get("log"),
            detail=str(data.get("detail", "")),
            sha256=data.get("sha256"),
            version=str(data.get("version", "")),
            at=str(data.get("at", "")),
        )


@dataclass(frozen=True, slots=True)
class Pin:
    """One file a cell's environment was installed from: `name==version` and its sha256 hashes
    (`url` for direct references such as a local member wheel or a `[torch-wheels]` build)."""

    name: str
    version: str
    hashes: tuple[str, ...] = ()
    url: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "hashes": list(self.hashes), "url": self.url}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Pin:
        return cls(str(data["name"]), str(data["version"]), tuple(data.get("hashes", ())), data.get("url"))


@dataclass(frozen=True, slots=True)
class CellResult:
    """A cell: the torch it got (exact version and sha256), each member's outcome, what it installed, and an
    error if it never ran."""

    cell: Cell
    torch: str | None
    outcomes: tuple[MemberOutcome, ...]
    seconds: float = 0.0
    error: str | None = None
    log: str | None = None
    torch_sha256: str | None = None
    torch_url: str | None = None
    installed: tuple[Pin, ...] = ()
    at: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None and all(o.status != "fail" for o in self.outcomes)

    def outcome(self, member: str) -> MemberOutcome | None:
        return next((o for o in self.outcomes if o.member == member), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "cell": self.cell.to_json(),
            "torch": self.torch,
            "torch_sha256": self.torch_sha256,
            "torch_url": self.torch_url,
            "outcomes": [o.to_json() for o in self.outcomes],
            "installed": [p.to_json() for p in self.installed],
            "seconds": round(self.seconds, 3),
            "error": self.error,
            "log": self.log,
            "at": self.at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CellResult:
        return cls(
            cell=Cell.from_json(data["cell"]),
            torch=data.get("torch"),
            outcomes=tuple(MemberOutcome.from_json(o) for o in data.get("outcomes", ())),
            seconds=float(data.get("seconds", 0.0)),
            error=data.get("error"),
            log=data.get("log"),
            torch_sha256=data.get("torch_sha256"),
            torch_url=data.get("torch_url"),
            installed=tuple(Pin.from_json(p) for p in data.get("installed", ())),
            at=str(data.get("at", "")),
        )


@dataclass(frozen=True, slots=True)
class MemberRecord:
    """A member as it was tested: canonical name, version, the tested file and its sha256, the tier its
    promotion needs, ABI class, maintainers."""

    name: str
    version: str
    abi: str
    maintainers: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    sha256: str | None = None
    file: str | None = None
    required_tier: int = 1
    has_test: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "abi": self.abi,
            "maintainers": list(self.maintainers),
            "requires": list(self.requires),
            "sha256": self.sha256,
            "file": self.file,
            "required_tier": self.required_tier,
            "has_test": self.has_test,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MemberRecord:
        return cls(
            name=str(data["name"]),
            version=str(data["version"]),
            abi=str(data.get("abi", "pure")),
            maintainers=tuple(data.get("maintainers", ())),
            requires=tuple(data.get("requires", ())),
            sha256=data.get("sha256"),
            file=data.get("file"),
            required_tier=int(data.get("required_tier", 1)),
            has_test=bool(data.get("has_test", False)),
        )


@dataclass(frozen=True, slots=True)
class TestRun:
    """What `distro test` did: members, graph, tier, the declared matrix, and every cell's result."""

    __test__ = False  # not a pytest class

    distro: str
    tier: int
    members: tuple[MemberRecord, ...]
    graph: Graph
    cells: tuple[CellResult, ...]
    changed: str | None = None
    results_dir: Path | None = field(default=None, compare=False)
    matrix: tuple[str, ...] = ()
    """Every cell id the distro declares (a cell with no result is `missing`, and blocks)."""
    interrupted: bool = False

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 130
        return 0 if all(c.ok for c in self.cells) else 1

    def member(self, name: str) -> MemberRecord | None:
        return next((m for m in self.members if m.name == name), None)

    def cell(self, cell_id: str) -> CellResult | None:
        return next((c for c in self.cells if c.cell.id == cell_id), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "distro": self.distro,
            "tier": self.tier,
            "changed": self.changed,
            "matrix": list(self.matrix),
            "members": [m.to_json() for m in self.members],
            "graph": self.graph.to_json(),
            "cells": [c.to_json() for c in self.cells],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TestRun:
        graph = data["graph"]
        return cls(
            distro=str(data["distro"]),
            tier=int(data["tier"]),
            members=tuple(MemberRecord.from_json(m) for m in data["members"]),
            graph=Graph(tuple(graph["order"]), {k: tuple(v) for k, v in graph["deps"].items()}),
            cells=tuple(CellResult.from_json(c) for c in data["cells"]),
            changed=data.get("changed"),
            matrix=tuple(data.get("matrix", ())),
        )

    def summary(self) -> str:
        lines = []
        for cell in self.cells:
            counts: dict[str, int] = {}
            for outcome in cell.outcomes:
                counts[outcome.status] = counts.get(outcome.status, 0) + 1
            text = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
            state = "error: " + cell.error if cell.error else ("ok" if cell.ok else "FAILED")
            lines.append(f"{cell.cell.id}: {state} ({text})")
        for cell in self.cells:
            for outcome in cell.outcomes:
                if outcome.status in ("fail", "flaky"):
                    lines.append(
                        f"  {outcome.status}: {outcome.member} in {cell.cell.id} at {outcome.stage}"
                        + (f" (log: {outcome.log})" if outcome.log else "")
                    )
        if self.interrupted:
            lines.append("interrupted: the cells that finished are saved; the running ones were stopped")
        return "\n".join(lines)

    def one_cell(self, cell: CellResult) -> TestRun:
        return TestRun(
            self.distro, self.tier, self.members, self.graph, (cell,), self.changed, matrix=self.matrix
        )

    def save_cell(self, folder: Path, cell: CellResult) -> Path:
        """Merge `cell` into `<folder>/<cell>.json` (earlier results for it are kept where they still
        count, see `merge_cell`) and write it atomically; returns the path."""
        from torchsmith.fileio import atomic_write_text

        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{cell.cell.id}.json"
        merged = self.one_cell(cell)
        if path.exists():
            try:
                earlier = TestRun.from_json(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, KeyError, TypeError):
                earlier = None  # an unreadable earlier file is replaced, not trusted
            if earlier is not None and earlier.cells:
                merged = merge_runs([earlier, merged])
        atomic_write_text(path, json.dumps(merged.to_json(), indent=2) + "\n")
        return path


def _keep_old(old: MemberOutcome, new: MemberOutcome) -> bool:
    """Whether `old` still says more than `new` about the same member in the same cell."""
    if old.sha256 != new.sha256 or old.version != new.version:
        return False  # a different file: the new result is about what is there now
    if new.status in ("fail", "skipped"):
        return False  # a failure or skip of the same file always stands
    return old.tier > new.tier


def merge_cell(old: CellResult, new: CellResult) -> CellResult:
    """`new` merged into `old` (same cell). With a different torch build the old outcomes are about another
    torch and are dropped; otherwise each member's outcome is the one that says more (`_keep_old`), and
    members the new run did not touch keep their old outcome."""
    if old.torch_sha256 != new.torch_sha256 or old.torch != new.torch:
        if new.error is None or new.torch is not None:
            return new
        return replace(old, error=new.error, at=new.at)  # the new run never started: old evidence shown
    outcomes = {o.member: o for o in old.outcomes}
    for outcome in new.outcomes:
        earlier = outcomes.get(outcome.member)
        if earlier is None or not _keep_old(earlier, outcome):
            outcomes[outcome.member] = outcome
    pins = {p.name: p for p in old.installed} | {p.name: p for p in new.installed}
    return replace(new, outcomes=tuple(outcomes.values()), installed=tuple(pins.values()))


def _cell_key(result: CellResult) -> tuple[Version, str, Version]:
    cell = result.cell
    return Version(cell.torch), cell.backend, Version(cell.python)


def merge_runs(runs: Sequence[TestRun]) -> TestRun:
    """One run from many (CI jobs, one cell each, or earlier and later runs): later runs' member records
    win (outcomes about other files become stale), cells of the same id are merged (`merge_cell`)."""
    if not runs:
        raise DistroError("no results to merge", hint="run `torchsmith distro test` first, or pass files")
    names = {r.distro for r in runs}
    if len(names) > 1:
        raise DistroError(f"results of different distros cannot be merged: {', '.join(sorted(names))}")
    members: dict[str, MemberRecord] = {}
    cells: dict[str, CellResult] = {}
    matrix: list[str] = []
    for run in sorted(runs, key=lambda r: max((c.at for c in r.cells), default="")):
        for member in run.members:
            members[member.name] = member
        for cell in run.cells:
            earlier = cells.get(cell.cell.id)
            cells[cell.cell.id] = cell if earlier is None else merge_cell(earlier, cell)
        matrix = list(run.matrix) or matrix
    last = runs[-1]
    order = sorted(cells.values(), key=_cell_key)
    return TestRun(
        last.distro,
        max(r.tier for r in runs),
        tuple(members.values()),
        last.graph,
        tuple(order),
        last.changed,
        matrix=tuple(matrix),
    )


def _anchor_logs(run: TestRun, folder: Path) -> TestRun:
    """`run` with its log paths made absolute (they are relative to the folder of its results file)."""

    def absolute(log: str | None) -> str | None:
        return None if log is None else str((folder / log).resolve())

    cells = tuple(
        replace(
            cell,
            log=absolute(cell.log),
            outcomes=tuple(replace(o, log=absolute(o.log)) for o in cell.outcomes),
        )
        for cell in run.cells
    )
    return replace(run, cells=cells)


def load_results(paths: Iterable[Path], *, absolute_logs: bool = False) -> TestRun:
    """Read and merge results files; a file that is not one raises `DistroError` naming it.
    `absolute_logs`: make log paths absolute (files merged from several folders keep working links)."""
    from torchsmith.fileio import read_user_text

    runs = []
    for path in paths:
        try:
            run = TestRun.from_json(json.loads(read_user_text(path, what="results file")))
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            why = f"the key `{error.args[0]}` is missing" if isinstance(error, KeyError) else str(error)
            raise DistroError(
                f"`{path}` is not a distro results file: {why}",
                hint="pass the per-cell `<cell>.json` files that `torchsmith distro test` writes",
            ) from error
        runs.append(_anchor_logs(run, path.parent) if absolute_logs else run)
    return merge_runs(runs)
