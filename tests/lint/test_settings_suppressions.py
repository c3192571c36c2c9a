"""Settings in `[tool.torchsmith.lint]` / torchsmith.toml, and `# torchsmith: ignore[...]` comments."""

from __future__ import annotations

from pathlib import Path

import pytest

from torchsmith.cli import main
from torchsmith.errors import UsageError
from torchsmith.lint import lint_paths

TRAP = "-i http://mirror.example.org/simple\ntorch==2.5.1\ntorchvision==0.21.0\n"


def _rules(root: Path) -> list[tuple[str, int, str]]:
    return [(f.location.path, f.location.line, f.rule) for f in lint_paths([Path()]).findings if f.location]


def test_pyproject_settings_select_ignore_and_per_file_ignores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = "0"\n'
        "[tool.torchsmith.lint]\n"
        'ignore = ["insecure-index"]\n'
        '[tool.torchsmith.lint.per-file-ignores]\n"ci/*.txt" = ["companion-version-mismatch"]\n'
    )
    (tmp_path / "requirements.txt").write_text(TRAP)
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "requirements.txt").write_text(TRAP)
    assert _rules(tmp_path) == [("requirements.txt", 3, "companion-version-mismatch")]
    # --select replaces `select`, --ignore adds to `ignore`
    assert lint_paths([Path()], select=["insecure-index"]).findings == ()
    assert lint_paths([Path()], ignore=["companion-version-mismatch"]).findings == ()


def test_torchsmith_toml_wins_over_pyproject_and_is_found_from_a_subfolder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.torchsmith.lint]\nselect = ["insecure-index"]\n')
    (tmp_path / "torchsmith.toml").write_text('[lint]\nselect = ["companion-version-mismatch"]\n')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "requirements.txt").write_text(TRAP)
    monkeypatch.chdir(tmp_path / "sub")
    assert _rules(tmp_path) == [("requirements.txt", 3, "companion-version-mismatch")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[lint]\nselect = "insecure-index"\n', "`select` in [lint]"),
        ('[lint]\nnope = ["x"]\n', "unknown key `nope` in [lint]"),
        ('[lint]\nignore = ["no-such-rule"]\n', "unknown rule id `no-such-rule`"),
        ("[lint\n", "cannot read lint settings"),
    ],
)
def test_bad_settings_are_a_usage_error(
    text: str,
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "torchsmith.toml").write_text(text)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError, match=message.replace("[", r"\[")):
        lint_paths([Path()])
    assert main(["lint"]) == 2
    assert message in capsys.readouterr().err


def test_explicit_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "lint.toml").write_text('[lint]\nignore = ["companion-version-mismatch", "insecure-index"]\n')
    (tmp_path / "requirements.txt").write_text(TRAP)
    monkeypatch.chdir(tmp_path)
    assert lint_paths([Path()]).findings != ()
    from torchsmith.lint.config import load_settings

    assert lint_paths([Path()], settings=load_settings(tmp_path / "lint.toml")).findings == ()


SUPPRESSED = {
    "pyproject.toml": (
        '[project]\nname = "p"\nversion = "0"\ndependencies = ["torch"]\n'
        "[[tool.uv.index]]  # torchsmith: ignore[uv-index-not-explicit]\n"
        'name = "pt"\nurl = "https://download.pytorch.org/whl/cpu"\n'
    ),
    "environment.yml": "channels:\n  - conda-forge\n"
    "  - pytorch  # torchsmith: ignore[conda-legacy-pytorch-channel, conda-mixed-channels]\n",
    "requirements.txt": "-i http://mirror.example.org/simple  # torchsmith: ignore[insecure-index]\ntorch\n",
    "pip.conf": "[global]\nindex-url = https://download.pytorch.org/whl/cpu  # torchsmith: ignore\n",
}


@pytest.mark.parametrize("name", sorted(SUPPRESSED))
def test_inline_suppression_in_every_comment_syntax(name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_text(SUPPRESSED[name])
    assert lint_paths([path]).findings == ()
    path.write_text(SUPPRESSED[name].replace("torchsmith: ignore", "torchsmith-off"))
    assert lint_paths([path]).findings != ()


def test_a_suppression_only_covers_its_rules_and_line(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text(
        "-i http://mirror.example.org/simple  # torchsmith: ignore[companion-version-mismatch]\n"
        "torch==2.5.1  # torchsmith: ignore[insecure-index, nope]\ntorchvision==0.21.0\n"
    )
    found = [(f.location.line, f.rule, f.message) for f in lint_paths([path]).findings if f.location]
    assert [(line, rule) for line, rule, _ in found] == [
        (1, "insecure-index"),
        (1, "unused-suppression"),
        (2, "unused-suppression"),
        (3, "companion-version-mismatch"),
    ]
    assert found[2][2].endswith("nothing to suppress for `insecure-index`; unknown rule id `nope`")


def test_unused_suppression_can_itself_be_ignored(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("torch  # torchsmith: ignore[insecure-index]\n")
    assert [f.rule for f in lint_paths([path]).findings] == ["unused-suppression"]
    assert lint_paths([path], ignore=["unused-suppression"]).findings == ()


def test_per_file_ignores_follow_the_file_a_finding_points_into(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # base.txt's own finding stays ignored when base.txt is read through `-r` from requirements.txt
    monkeypatch.chdir(tmp_path)
    (tmp_path / "torchsmith.toml").write_text('[lint.per-file-ignores]\n"base.txt" = ["insecure-index"]\n')
    (tmp_path / "base.txt").write_text("--extra-index-url http://mirror.example.org/simple\n")
    (tmp_path / "requirements.txt").write_text("-r base.txt\ntorch\n")
    assert lint_paths([Path("requirements.txt")]).findings == ()


def test_settings_are_found_from_the_linted_folder_not_only_the_current_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "torchsmith.toml").write_text(
        '[lint]\nignore = ["companion-version-mismatch", "insecure-index"]\n'
    )
    (project / "requirements.txt").write_text(TRAP)
    monkeypatch.chdir(tmp_path)
    assert lint_paths([project]).findings == ()
    assert lint_paths([project / "requirements.txt"]).findings == ()
