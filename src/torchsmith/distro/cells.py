"""Cells: the torch versions × backends × Pythons a distro is tested in, and their stable ids.

A cell id (`torch2.9-cpu-py3.11`) names one environment everywhere: in results files, in log folders, in
`distro test --cell ID`, and in the GitHub Actions matrix (`distro matrix --format github`, the `include`
form of https://docs.github.com/en/actions/using-jobs/using-a-matrix-for-your-jobs), so a team can fan the
cells out to CI runners (GPU cells on GPU runners) and merge what the jobs upload.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torchsmith.distro.registry import Distro, DistroError, load_distro

__all__ = [
    "Cell",
    "MatrixResult",
    "cell_matrix",
    "declared_cells",
    "expand_cells",
    "parse_cell_id",
    "possible",
    "select_cells",
]

_CELL = re.compile(r"torch(?P<torch>\d+\.\d+)-(?P<backend>cpu|cu\d{3}|rocm\d+\.\d+|xpu)-py(?P<python>3\.\d+)")


@dataclass(frozen=True, slots=True)
class Cell:
    """One environment: a torch minor version, a backend and a Python."""

    torch: str
    backend: str
    python: str

    @property
    def id(self) -> str:
        return f"torch{self.torch}-{self.backend}-py{self.python}"

    @property
    def runner(self) -> str:
        """The kind of CI runner the cell needs: `cpu`, `nvidia`, `amd` or `intel`."""
        if self.backend.startswith("cu"):
            return "nvidia"
        if self.backend.startswith("rocm"):
            return "amd"
        return "intel" if self.backend == "xpu" else "cpu"

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "torch": self.torch, "backend": self.backend, "python": self.python}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Cell:
        return cls(torch=str(data["torch"]), backend=str(data["backend"]), python=str(data["python"]))


def parse_cell_id(text: str) -> Cell:
    """`torch2.9-cpu-py3.11` → Cell; raise `DistroError` naming the expected form."""
    match = _CELL.fullmatch(text.strip())
    if not match:
        raise DistroError(
            f"invalid value `{text}` for `--cell`: expected `torch<X.Y>-<backend>-py<X.Y>`, "
            "e.g. `torch2.9-cpu-py3.11`"
        )
    return Cell(match["torch"], match["backend"], match["python"])


def expand_cells(distro: Distro) -> tuple[Cell, ...]:
    """Every cell of the matrix, torch-major order (newest torch last), as written in `distro.toml`."""
    return tuple(
        Cell(torch, backend, python)
        for torch in distro.torch
        for backend in distro.backends
        for python in distro.pythons
    )


def possible(distro: Distro, cell: Cell) -> str | None:
    """None when `cell` can exist, else why not: torchsmith's release table (`knowledge.releases`) has no
    wheels of that torch series for the cell's Python or backend on linux-x86_64. A series it does not know,
    and a cell given its own `[torch-wheels]` build, are kept (the cell itself then says what it found)."""
    if cell.id in distro.torch_wheels:
        return None
    from packaging.version import Version

    from torchsmith.knowledge.releases import release_for

    release = release_for(Version(cell.torch))
    if release is None:
        return None
    tag = "cp" + cell.python.replace(".", "")
    if tag not in release.python:
        return f"torch {cell.torch} has no wheels for Python {cell.python}"
    if cell.backend not in release.backends.get("linux-x86_64", ()):
        return f"torch {cell.torch} has no `{cell.backend}` build for linux-x86_64"
    return None


def declared_cells(distro: Distro) -> tuple[Cell, ...]:
    """The cells promotion requires: the matrix less the cells no torch build exists for (`possible`), so
    an impossible combination neither runs nor blocks."""
    return tuple(c for c in expand_cells(distro) if possible(distro, c) is None)


def select_cells(distro: Distro, cell: str | None) -> tuple[Cell, ...]:
    """The declared cells, or the one `--cell` names (which must be in the matrix)."""
    cells = expand_cells(distro)
    if cell is None:
        return declared_cells(distro)
    wanted = parse_cell_id(cell)
    if wanted not in cells:
        raise DistroError(
            f"cell `{cell}` is not in the matrix of `{distro.path}`",
            hint="`torchsmith distro matrix` lists the cells",
        )
    return (wanted,)


@dataclass(frozen=True, slots=True)
class MatrixResult:
    """The cells, as a list or as a GitHub Actions matrix."""

    cells: tuple[Cell, ...]
    format: str = "json"

    @property
    def exit_code(self) -> int:
        return 0

    def to_json(self) -> dict[str, Any]:
        if self.format == "github":
            return {
                "include": [{**cell.to_json(), "cell": cell.id, "runner": cell.runner} for cell in self.cells]
            }
        return {"cells": [cell.to_json() for cell in self.cells]}

    def summary(self) -> str:
        if self.format == "github":
            return json.dumps(self.to_json(), separators=(",", ":"))
        return "\n".join(cell.id for cell in self.cells)


def cell_matrix(*, distro_path: Path, format: str = "json") -> MatrixResult:
    """The cells of `distro_path`'s matrix; `format="github"` gives `{"include": [...]}` for `fromJSON`."""
    if format not in ("json", "github"):
        raise DistroError(f"invalid value `{format}` for `--format`: expected `json` or `github`")
    return MatrixResult(expand_cells(load_distro(distro_path)), format)
