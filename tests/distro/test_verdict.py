"""The promotion rule on results as data (no environments): every declared cell, the required tier, the
members a member requires, and the file's sha256 — anything unknown blocks."""

from __future__ import annotations

from pathlib import Path

from torchsmith.distro.cells import Cell
from torchsmith.distro.graph import Graph
from torchsmith.distro.results import CellResult, MemberOutcome, MemberRecord, TestRun, load_results
from torchsmith.distro.verdict import promotion

A, B = "a" * 64, "b" * 64
CELLS = [Cell("2.9", backend, python) for backend in ("cpu", "cu126") for python in ("3.10", "3.11")]
CELLS += [Cell("2.11", backend, python) for backend in ("cpu", "cu126") for python in ("3.10", "3.11")]
MATRIX = tuple(c.id for c in CELLS)


def _records(tier: int = 1) -> tuple[MemberRecord, ...]:
    return (
        MemberRecord("alpha", "1.0", "pure", sha256=A, required_tier=tier),
        MemberRecord("beta", "1.0", "pure", requires=("alpha",), sha256=B, required_tier=tier),
    )


def _outcomes(status: str = "pass", stage: str = "tier1", alpha: str = "pass") -> tuple[MemberOutcome, ...]:
    return (
        MemberOutcome("alpha", alpha, "tier1", sha256=A, version="1.0"),  # type: ignore[arg-type]
        MemberOutcome("beta", status, stage, sha256=B, version="1.0"),  # type: ignore[arg-type]
    )


GRAPH = Graph(("alpha", "beta"), {"alpha": (), "beta": ("alpha",)})


def _run(cells: list[CellResult], tier: int = 1) -> TestRun:
    return TestRun("d", 1, _records(tier), GRAPH, tuple(cells), matrix=MATRIX)


def test_everything_proven_is_promotable() -> None:
    run = _run([CellResult(c, "2.9.1", _outcomes()) for c in CELLS])
    assert [(p.member, p.promotable) for p in promotion(run)] == [("alpha", True), ("beta", True)]


def test_seven_errored_cells_of_eight_block() -> None:
    cells = [CellResult(CELLS[0], "2.9.1", _outcomes())]
    cells += [CellResult(c, None, (), error="no torch build") for c in CELLS[1:]]
    decision = promotion(_run(cells))[0]
    assert not decision.promotable and len(decision.blockers) == 7
    assert decision.blockers[0] == "the cell errored (no torch build) in `torch2.9-cpu-py3.11`"


def test_a_missing_results_file_blocks() -> None:
    run = _run([CellResult(c, "2.9.1", _outcomes()) for c in CELLS[:-1]])
    assert promotion(run)[0].blockers == ("no results for the cell in `torch2.11-cu126-py3.11`",)


def test_tier0_only_results_do_not_promote() -> None:
    run = _run([CellResult(c, "2.9.1", _outcomes(stage="tier0")) for c in CELLS])
    beta = promotion(run)[1]
    assert not beta.promotable and beta.blockers[0] == (
        "passed tier 0 only; tier 1 is required in `torch2.9-cpu-py3.10`"
    )


def test_a_member_is_not_promoted_without_the_members_it_requires() -> None:
    cells = [CellResult(c, "2.9.1", _outcomes(alpha="pass")) for c in CELLS[:-1]]
    cells.append(CellResult(CELLS[-1], "2.11.0", _outcomes(alpha="fail")))
    alpha, beta = promotion(_run(cells))
    assert alpha.blockers == ("failed tier1 in `torch2.11-cu126-py3.11`",)
    assert beta.blockers == (
        "requires `alpha`, which is not proven: failed tier1 in `torch2.11-cu126-py3.11`",
    )


def test_stale_results_about_another_file_block() -> None:
    run = _run([CellResult(c, "2.9.1", _outcomes()) for c in CELLS])
    alpha = promotion(run, {"alpha": "c" * 64})[0]
    assert alpha.blockers[0] == f"results are for another file (sha256 {A[:12]}…) in `torch2.9-cpu-py3.10`"


def test_skipped_and_not_run_block(tmp_path: Path) -> None:
    cells = [CellResult(c, "2.9.1", _outcomes()) for c in CELLS[1:]]
    cells.append(CellResult(CELLS[0], "2.9.1", (_outcomes()[0],)))
    beta = promotion(_run(cells))[1]
    assert beta.blockers == ("not run in `torch2.9-cpu-py3.10`",)
    skipped = MemberOutcome(
        "beta", "skipped", "tier0", detail="declares `torch==2.9.*`", sha256=B, version="1.0"
    )
    cells[-1] = CellResult(CELLS[0], "2.9.1", (_outcomes()[0], skipped))
    assert promotion(_run(cells))[1].blockers == (
        "skipped at tier0 (declares `torch==2.9.*`) in `torch2.9-cpu-py3.10`",
    )
    # saved and loaded back, the decision is the same (the results files carry everything it needs)
    run = _run(cells)
    for cell in run.cells:
        run.save_cell(tmp_path, cell)
    loaded = load_results(sorted(tmp_path.glob("*.json")))
    assert promotion(loaded) == promotion(run)
