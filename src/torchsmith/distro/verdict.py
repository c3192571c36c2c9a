"""Promotion as a proof: a member version is promotable only if the results prove it.

The rule (issue 12, after seed 004's "running the tests for that package _and_ downstream dependencies"):
a member is promotable only when, in **every cell of the declared matrix**, the very file that is to be
published (same sha256) passed the member's required tier (`required-tier`, default 1, and 2 for a member
with a test command), and so did every member it requires; a dependent that fails blocks it too, so an
update that breaks a dependent stays out. Anything short of that is a named blocker: a cell with no results
(`missing`), a cell that errored, a member never run there (`not run`), results about another file
(`stale`), a `skipped` member, a failure, or a pass at a lower tier than required.
Unknown is not yes: every one of these blocks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from torchsmith.distro.results import MemberRecord, TestRun

__all__ = ["CellState", "Promotion", "cell_state", "promotion"]

StateKind = Literal["ok", "missing", "errored", "not-run", "stale", "skipped", "fail", "below-tier"]


@dataclass(frozen=True, slots=True)
class CellState:
    """What one cell proves about one member: `ok` or why not."""

    cell: str
    kind: StateKind
    why: str = ""

    @property
    def ok(self) -> bool:
        return self.kind == "ok"

    def blocker(self) -> str:
        return f"{self.why} in `{self.cell}`"


@dataclass(frozen=True, slots=True)
class Promotion:
    """Whether one member may be promoted, and every reason it may not."""

    member: str
    version: str
    promotable: bool
    blockers: tuple[str, ...] = ()
    sha256: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "member": self.member,
            "version": self.version,
            "promotable": self.promotable,
            "blockers": list(self.blockers),
            "sha256": self.sha256,
        }


def cell_state(run: TestRun, record: MemberRecord, cell_id: str, current: str | None) -> CellState:
    """The evidence for `record` in `cell_id`; `current` is the sha256 of the file to be published."""
    cell = run.cell(cell_id)
    if cell is None:
        return CellState(cell_id, "missing", "no results for the cell")
    if cell.error is not None:
        return CellState(cell_id, "errored", f"the cell errored ({cell.error})")
    outcome = cell.outcome(record.name)
    if outcome is None:
        return CellState(cell_id, "not-run", "not run")
    if current is not None and outcome.sha256 != current:
        tested = (outcome.sha256 or "no hash")[:12]
        return CellState(cell_id, "stale", f"results are for another file (sha256 {tested}…)")
    if outcome.version and outcome.version != record.version:
        return CellState(cell_id, "stale", f"results are for version {outcome.version}")
    if outcome.status == "fail":
        return CellState(cell_id, "fail", f"failed {outcome.stage}")
    if outcome.status == "skipped":
        return CellState(cell_id, "skipped", f"skipped at {outcome.stage} ({outcome.detail})")
    if outcome.tier < record.required_tier:
        return CellState(
            cell_id,
            "below-tier",
            f"passed tier {max(outcome.tier, 0)} only; tier {record.required_tier} is required",
        )
    return CellState(cell_id, "ok")


def _cells(run: TestRun) -> tuple[str, ...]:
    return run.matrix or tuple(c.cell.id for c in run.cells)


def _own(run: TestRun, record: MemberRecord, current: str | None) -> list[CellState]:
    return [s for s in (cell_state(run, record, c, current) for c in _cells(run)) if not s.ok]


def promotion(run: TestRun, current: Mapping[str, str | None] | None = None) -> tuple[Promotion, ...]:
    """Each member's promotion decision (registry order). `current`: member → sha256 of the file that would
    be published (default: the file the latest run tested)."""
    shas = {m.name: (current or {}).get(m.name, m.sha256) for m in run.members}
    records = {m.name: m for m in run.members}
    own = {m.name: _own(run, m, shas[m.name]) for m in run.members}
    out = []
    for record in run.members:
        name = record.name
        blockers = [s.blocker() for s in own[name]]
        if not _cells(run):
            blockers.append("not tested in any cell")
        upstream = [k for k in run.graph.topological() if k in _upstream(run, name)]
        for dep in upstream:
            if dep in records and own[dep]:
                blockers.append(f"requires `{dep}`, which is not proven: {own[dep][0].blocker()}")
        for dependent in run.graph.downstream(name)[1:] if name in run.graph.deps else ():
            for state in own.get(dependent, []):
                if state.kind == "fail":
                    blockers.append(f"dependent `{dependent}` {state.blocker()}")
        out.append(Promotion(name, record.version, not blockers, tuple(blockers), shas[name]))
    return tuple(out)


def _upstream(run: TestRun, name: str) -> set[str]:
    seen: set[str] = set()
    stack = [name]
    while stack:
        for dep in run.graph.deps.get(stack.pop(), ()):
            if dep not in seen:
                seen.add(dep)
                stack.append(dep)
    return seen
