"""gitignore matching against git itself, and discovery's name globs against `fnmatch`.

The oracle for `.gitignore` semantics is `git check-ignore` (https://git-scm.com/docs/git-check-ignore):
the same patterns and paths go to git and to `IgnoreRules`, and the verdicts must agree. This guards the
fast paths of `gitignore.py` (a plain name is a set look-up, regexes compile on first use) against the
patterns they must not change: wildcards, anchored paths, folder-only patterns, `**`, `!` re-includes.
The discovered-name globs (`NAMES`) must agree with `fnmatch.fnmatchcase`, which they replace.
"""

from __future__ import annotations

import fnmatch
import shutil
import subprocess
from pathlib import Path

import pytest

from torchsmith.lint.discover import _NAME_PARTS, NAMES, _glob
from torchsmith.lint.gitignore import IgnoreRules, parse_gitignore

PATHS = {
    # path: is a folder
    "build": True,
    "src/build": True,
    "src/build.py": False,
    "dist": False,  # a file named like a default-excluded folder
    "a/dist": True,
    ".venv": True,
    "docs/venv": True,
    "notes.txt": False,
    "docs/notes.txt": False,
    "docs/keep.txt": False,
    "logs/deep/x.log": False,
    "x.log": False,
    "generated": True,
    "src/generated": True,
    "top/only.txt": False,
    "other/top/only.txt": False,
    "requirements.lock.txt": False,
    "keep.lock.txt": False,
    "abc": False,
    "a?c": False,
}

GITIGNORES = {
    "plain names": "build\n.venv\nvenv\ndist/\n",
    "wildcards": "*.txt\n!keep.txt\n*.log\n",
    "anchored": "/generated\ntop/only.txt\n",
    "folder only": "generated/\nbuild/\n",
    "double star": "**/deep/*.log\nlogs/**\n",
    "re-include": "*.lock.txt\n!keep.lock.txt\nbuild\n!src/build\n",
    "character class": "a[bx]c\n",
    "escaped wildcard": "a\\?c\n",
}


def _git_verdicts(tmp_path: Path, gitignore: str) -> dict[str, bool]:
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / ".gitignore").write_text(gitignore)
    for rel, is_dir in PATHS.items():
        target = repo / rel
        if is_dir:
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("")
    # `--no-index`: judge by the patterns alone; `-v -n`: one line per path, matched or not. A path
    # is ignored when its last matching pattern is not a `!` one.
    done = subprocess.run(
        ["git", "-C", str(repo), "check-ignore", "--no-index", "-v", "-n", "--stdin"],
        input="\n".join(PATHS) + "\n",
        capture_output=True,
        text=True,
        check=False,
    )
    verdicts: dict[str, bool] = {}
    for line in done.stdout.splitlines():
        source, path = line.split("\t")
        pattern = source.split(":", 2)[2]
        verdicts[path] = bool(pattern) and not pattern.startswith("!")
    return verdicts


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git as the oracle")
@pytest.mark.parametrize("case", sorted(GITIGNORES))
def test_ignore_rules_agree_with_git(tmp_path: Path, case: str) -> None:
    expected = _git_verdicts(tmp_path, GITIGNORES[case])
    assert set(expected) == set(PATHS)
    rules = IgnoreRules(parse_gitignore(GITIGNORES[case], ""))
    got = {rel: rules.ignored(rel, is_dir) for rel, is_dir in PATHS.items()}
    # git judges a path by its own patterns only; the walker never enters an ignored folder, so a file
    # below one is ignored there whatever git says of the file alone: compare only paths whose
    # folders are not ignored.
    reachable = [
        rel
        for rel in PATHS
        if not any(rules.ignored("/".join(rel.split("/")[:i]), True) for i in range(1, rel.count("/") + 1))
    ]
    assert {r: got[r] for r in reachable} == {r: expected[r] for r in reachable}


NAMES_TO_TRY = [
    "pyproject.toml",
    "xpyproject.toml",
    "environment.yml",
    "environment-gpu.yml",
    "environment.yaml",
    "train.environment.yml",
    ".environment.yml",
    "environment.yml.bak",
    "conda.yml",
    "conda-linux.yaml",
    "condarc",
    "test-env.yml",
    "-env.yml",
    "env.yml",
    "requirements.txt",
    "dev-requirements.txt",
    "requirements_gpu.txt",
    "requirements.in",
    "requirements",
    "requirementstxt",
    "requirements.txt.in",
    "constraints.txt",
    "constraints-cu124.txt",
    "constraints.in",
    "pip.conf",
    "pip.ini",
    ".condarc",
    "",
]


@pytest.mark.parametrize("name", NAMES_TO_TRY)
def test_name_globs_agree_with_fnmatch(name: str) -> None:
    assert [
        pattern for (pattern, _), (parts, _) in zip(NAMES, _NAME_PARTS, strict=True) if _glob(name, parts)
    ] == [pattern for pattern, _ in NAMES if fnmatch.fnmatchcase(name, pattern)]
