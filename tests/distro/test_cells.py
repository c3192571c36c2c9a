"""Cells: ids, the matrix expansion, `--cell` selection and the GitHub Actions matrix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from torchsmith.distro.cells import Cell, cell_matrix, parse_cell_id, select_cells
from torchsmith.distro.registry import DistroError, load_distro

TEXT = """[matrix]
torch = ["2.9", "2.11"]
backends = ["cpu", "cu126", "rocm6.4"]
pythons = ["3.11"]

[[member]]
name = "a"
path = "a"
"""


@pytest.fixture
def distro_file(tmp_path: Path) -> Path:
    path = tmp_path / "distro.toml"
    path.write_text(TEXT)
    return path


def test_cell_ids_round_trip() -> None:
    cell = parse_cell_id("torch2.11-rocm6.4-py3.12")
    assert cell == Cell("2.11", "rocm6.4", "3.12") and cell.id == "torch2.11-rocm6.4-py3.12"
    assert cell.runner == "amd" and parse_cell_id("torch2.9-cu126-py3.10").runner == "nvidia"
    for bad in ("torch2-cpu-py3.11", "torch2.9-cuda-py3.11", "2.9-cpu-3.11"):
        with pytest.raises(DistroError, match=f"invalid value `{bad}` for `--cell`"):
            parse_cell_id(bad)


def test_github_matrix(distro_file: Path) -> None:
    result = cell_matrix(distro_path=distro_file, format="github")
    include = json.loads(result.summary())["include"]
    assert [c["cell"] for c in include] == [
        "torch2.9-cpu-py3.11",
        "torch2.9-cu126-py3.11",
        "torch2.9-rocm6.4-py3.11",
        "torch2.11-cpu-py3.11",
        "torch2.11-cu126-py3.11",
        "torch2.11-rocm6.4-py3.11",
    ]
    assert include[1] == {
        "id": "torch2.9-cu126-py3.11",
        "cell": "torch2.9-cu126-py3.11",
        "torch": "2.9",
        "backend": "cu126",
        "python": "3.11",
        "runner": "nvidia",
    }
    assert cell_matrix(distro_path=distro_file).summary().splitlines()[0] == "torch2.9-cpu-py3.11"


def test_select_one_cell(distro_file: Path) -> None:
    distro = load_distro(distro_file)
    assert select_cells(distro, "torch2.11-cu126-py3.11") == (Cell("2.11", "cu126", "3.11"),)
    # torch 2.11 was built for ROCm 7.1/7.2, not 6.4 (PyTorch RELEASE.md matrix): that cell is not run
    assert len(select_cells(distro, None)) == 5
    assert Cell("2.11", "rocm6.4", "3.11") not in select_cells(distro, None)
    with pytest.raises(DistroError, match=r"cell `torch2\.13-cpu-py3\.11` is not in the matrix"):
        select_cells(distro, "torch2.13-cpu-py3.11")
