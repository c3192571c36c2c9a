"""`torchsmith lint .` on a repository tree holding every discovered name, honouring .gitignore and excludes.

Expected lists are written from the rules in docs/rules.md ("Which files") and git's gitignore semantics
(https://git-scm.com/docs/gitignore#_pattern_format), not from the walker's output.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from torchsmith.cli import main
from torchsmith.lint import lint_paths

CONFIGS = {
    "pyproject.toml": '[project]\nname = "app"\nversion = "0"\n',
    "pixi.toml": '[workspace]\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n',
    "uv.toml": "[pip]\n",
    "pip.conf": "[global]\ntimeout = 60\n",
    ".condarc": "channels:\n  - conda-forge\n",
    "environment.yml": "dependencies:\n  - python=3.12\n",
    "envs/environment-gpu.yaml": "dependencies:\n  - python=3.12\n",
    "envs/train.environment.yml": "dependencies:\n  - python=3.12\n",
    "conda-linux.yml": "dependencies:\n  - python=3.12\n",
    "conda.yaml": "dependencies:\n  - python=3.12\n",
    "ci/test-env.yml": "dependencies:\n  - python=3.12\n",
    "requirements.txt": "numpy\n",
    "dev-requirements.txt": "pytest\n",
    "docker/requirements_gpu.txt": "numpy\n",
    "requirements.in": "numpy\n",
    "requirements/base.txt": "numpy\n",
    "requirements/pytorch/test.txt": "pytest\n",
    "constraints.txt": "numpy<2\n",
    "constraints-cu124.txt": "numpy<2\n",
    "services/api/pyproject.toml": '[project]\nname = "api"\nversion = "0"\n',
    "services/api/pip.ini": "[global]\ntimeout = 60\n",
}
TRAP = "-i http://download.pytorch.org/whl/cu118\ntorch\n"
SKIPPED = {
    "README.md": "# not a config\n",
    "docs/notes.txt": TRAP,
    "setup.cfg": "[metadata]\n",
    ".venv/requirements.txt": TRAP,
    "venv/requirements.txt": TRAP,
    "node_modules/x/requirements.txt": TRAP,
    "build/requirements.txt": TRAP,
    ".tox/py312/requirements.txt": TRAP,
    "myenv/requirements.txt": TRAP,  # a virtual environment: it has a pyvenv.cfg
    "generated/requirements.txt": TRAP,  # .gitignore: generated/
    "locks/requirements.lock.txt": TRAP,  # .gitignore: *.lock.txt
    "services/api/scratch-requirements.txt": TRAP,  # services/api/.gitignore: scratch-*
    "private/requirements.txt": TRAP,  # .git/info/exclude: /private
}


def _tree(root: Path) -> None:
    for name, text in {**CONFIGS, **SKIPPED}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / "myenv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (root / ".gitignore").write_text("generated/\n*.lock.txt\n!keep.lock.txt\n")
    (root / "locks" / "keep.lock.txt").write_text(
        "numpy\n"
    )  # re-included by `!keep.lock.txt`: not a config name
    (root / "services" / "api" / ".gitignore").write_text("scratch-*\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True, timeout=60)
    (root / ".git" / "info").mkdir(parents=True, exist_ok=True)
    (root / ".git" / "info" / "exclude").write_text("/private\n")


def _linted(root: Path, **options: object) -> list[str]:
    result = lint_paths([root], **options)  # type: ignore[arg-type]
    return sorted(p.relative_to(root).as_posix() for p in result.files)


def test_lint_dot_sees_every_config_name_and_nothing_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert _linted(tmp_path) == sorted(CONFIGS)
    result = lint_paths([Path()])
    assert sorted(p.as_posix() for p in result.files) == sorted(CONFIGS)
    assert result.findings == ()


def test_exclude_patterns_are_gitignore_style(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    expected = sorted(n for n in CONFIGS if not n.startswith("envs/") and not n.endswith("pip.ini"))
    assert _linted(tmp_path, exclude=["envs/", "*.ini"]) == expected


def test_no_respect_gitignore_lints_ignored_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    linted = _linted(tmp_path, respect_gitignore=False)
    assert {"generated/requirements.txt", "locks/requirements.lock.txt", "private/requirements.txt"} <= set(
        linted
    )
    assert ".venv/requirements.txt" not in linted  # the default excludes still apply


def test_settings_exclude_replaces_the_default_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _tree(tmp_path)
    (tmp_path / "torchsmith.toml").write_text('[lint]\nexclude = [".venv"]\n')
    monkeypatch.chdir(tmp_path)
    linted = _linted(tmp_path)
    assert "build/requirements.txt" in linted and "venv/requirements.txt" in linted
    assert ".venv/requirements.txt" not in linted


def test_cli_exclude_and_force_exclude_for_named_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    # a file named on the command line is linted even when excluded ...
    assert (
        main(["lint", "--exclude", "vendor/", "generated/requirements.txt", "--output-format", "concise"])
        == 1
    )
    assert "generated/requirements.txt:1:1: insecure-index" in capsys.readouterr().out
    # ... unless --force-exclude (what the pre-commit hook passes)
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "requirements.txt").write_text(TRAP)
    assert main(["lint", "--force-exclude", "--exclude", "vendor/", "vendor/requirements.txt"]) == 0
    assert capsys.readouterr().out == "no config files found\n"


def test_a_named_file_of_any_name_is_linted_by_its_suffix(tmp_path: Path) -> None:
    path = tmp_path / "deps.txt"
    path.write_text(TRAP)
    assert {f.rule for f in lint_paths([path]).findings} == {"insecure-index", "pytorch-index-as-default"}
