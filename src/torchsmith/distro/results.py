"""Test results as data: what happened to each member in each cell, saved as one JSON file per cell.

One file per cell (`<results>/<cell-id>.json`) is what a CI job uploads; each file is self-contained (it
carries the members' versions and the dependency graph), so `distro report --merge results/*.json` can
rebuild the whole picture, and decide promotion, from the files alone.
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

__all__ = ["CellResult", "MemberOutcome", "MemberRecord", "TestRun", "load_results", "merge_runs"]

Status = Literal["pass", "fail", "flaky", "skipped"]
SCHEMA = 1


@dataclass(frozen=True, slots=True)
class MemberOutcome:
    """One member in one cell: its status, the stage that decided it, attempts and the log file."""

    member: str
    status: Status
    stage: str
    """`tier0` (resolution), `tier1` (install + import) or `tier2` (tests)."""
    attempts: int = 1
    log: str | None = None
    """Relative to the results folder."""
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "member": self.member,
            "status": self.status,
            "stage": self.stage,
            "attempts": self.attempts,
            "log": self.log,
            "detail": self.detail,
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
        )


@dataclass(frozen=True, slots=True)
class CellResult:
    """A cell: the torch it got (exact version), each member's outcome, and an error if it never ran."""

    cell: Cell
    torch: str | None
    outcomes: tuple[MemberOutcome, ...]
    seconds: float = 0.0
    error: str | None = None
    log: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and all(o.status != "fail" for o in self.outcomes)

    def outcome(self, member: str) -> MemberOutcome | None:
        return next((o for o in self.outcomes if o.member == member), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "cell": self.cell.to_json(),
            "torch": self.torch,
            "outcomes": [o.to_json() for o in self.outcomes],
            "seconds": round(self.seconds, 3),
            "error": self.error,
            "log": self.log,
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
        )


@dataclass(frozen=True, slots=True)
class MemberRecord:
    """A member as it was tested: canonical name, version, ABI class, maintainers."""

    name: str
    version: str
    abi: str
    maintainers: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "abi": self.abi,
            "maintainers": list(self.maintainers),
            "requires": list(self.requires),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MemberRecord:
        return cls(
            name=str(data["name"]),
            version=str(data["version"]),
            abi=str(data.get("abi", "pure")),
            maintainers=tuple(data.get("maintainers", ())),
            requires=tuple(data.get("requires", ())),
        )


@dataclass(frozen=True, slots=True)
class TestRun:
    """What `distro test` did: members, graph, tier, the change under test and every cell's result."""

    __test__ = False  # not a pytest class

    distro: str
    tier: int
    members: tuple[MemberRecord, ...]
    graph: Graph
    cells: tuple[CellResult, ...]
    changed: str | None = None
    results_dir: Path | None = field(default=None, compare=False)

    @property
    def exit_code(self) -> int:
        return 0 if all(c.ok for c in self.cells) else 1

    def member(self, name: str) -> MemberRecord | None:
        return next((m for m in self.members if m.name == name), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "distro": self.distro,
            "tier": self.tier,
            "changed": self.changed,
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
        return "\n".join(lines)

    def save(self, folder: Path) -> list[Path]:
        """One self-contained JSON file per cell in `folder`; returns their paths."""
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for cell in self.cells:
            one = TestRun(self.distro, self.tier, self.members, self.graph, (cell,), self.changed)
            path = folder / f"{cell.cell.id}.json"
            tmp = path.with_suffix(".json.tmp")
            tmp.write_text(json.dumps(one.to_json(), indent=2) + "\n", encoding="utf-8")
            tmp.replace(path)
            paths.append(path)
        return paths


def _cell_key(result: CellResult) -> tuple[Version, str, Version]:
    cell = result.cell
    return Version(cell.torch), cell.backend, Version(cell.python)


def merge_runs(runs: Sequence[TestRun]) -> TestRun:
    """One run from many (CI jobs, one cell each): cells in first-seen order, a later file's cell wins."""
    if not runs:
        raise DistroError("no results to merge", hint="run `torchsmith distro test` first, or pass files")
    names = {r.distro for r in runs}
    if len(names) > 1:
        raise DistroError(f"results of different distros cannot be merged: {', '.join(sorted(names))}")
    members: dict[str, MemberRecord] = {}
    cells: dict[str, CellResult] = {}
    for run in runs:
        for member in run.members:
            if member.name in members and members[member.name].version != member.version:
                raise DistroError(
                    f"results disagree on `{member.name}`: version {members[member.name].version} and "
                    f"{member.version}",
                    hint="merge only results of one test run (same member versions)",
                )
            members[member.name] = member
        for cell in run.cells:
            cells[cell.cell.id] = cell
    last = runs[-1]
    order = sorted(cells.values(), key=_cell_key)
    return TestRun(
        last.distro,
        max(r.tier for r in runs),
        tuple(members.values()),
        last.graph,
        tuple(order),
        last.changed,
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
    runs = []
    for path in paths:
        try:
            run = TestRun.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise DistroError(f"`{path}` is not a distro results file: {error}") from error
        runs.append(_anchor_logs(run, path.parent) if absolute_logs else run)
    return merge_runs(runs)
