"""Integration testing of packages built on torch, and a channel of what passed (issue 7, seed 004).

One function per `torchsmith distro` subcommand, each taking explicit keyword arguments and returning a
result with `to_json()`, `summary()` and `exit_code`:
`init_distro`, `affected`, `check_bounds`, `run_tests`, `make_report`, `promote`, `cell_matrix`.
"""

from __future__ import annotations

from torchsmith.distro.bounds import BoundsReport, check_bounds
from torchsmith.distro.cells import Cell, MatrixResult, cell_matrix, expand_cells, parse_cell_id
from torchsmith.distro.graph import AffectedResult, Graph, MemberInfo, affected, build_graph
from torchsmith.distro.promote import PromoteResult, promote
from torchsmith.distro.registry import Distro, DistroError, InitResult, Member, init_distro, load_distro
from torchsmith.distro.report import ReportResult, make_report
from torchsmith.distro.results import CellResult, MemberOutcome, TestRun, load_results, merge_runs
from torchsmith.distro.runner import run_tests
from torchsmith.distro.verdict import Promotion, promotion

__all__ = [
    "AffectedResult",
    "BoundsReport",
    "Cell",
    "CellResult",
    "Distro",
    "DistroError",
    "Graph",
    "InitResult",
    "MatrixResult",
    "Member",
    "MemberInfo",
    "MemberOutcome",
    "PromoteResult",
    "Promotion",
    "ReportResult",
    "TestRun",
    "affected",
    "build_graph",
    "cell_matrix",
    "check_bounds",
    "expand_cells",
    "init_distro",
    "load_distro",
    "load_results",
    "make_report",
    "merge_runs",
    "parse_cell_id",
    "promote",
    "promotion",
    "run_tests",
]
