"""`distro.toml`: the template parses, and each kind of mistake is reported with its `file:line`."""

from __future__ import annotations

from pathlib import Path

import pytest

from torchsmith.distro.registry import DistroError, init_distro, load_distro

GOOD_HEAD = '[distro]\nname = "d"\n\n[matrix]\ntorch = ["2.9"]\nbackends = ["cpu"]\npythons = ["3.11"]\n\n'


def test_init_writes_a_template_that_loads(tmp_path: Path) -> None:
    result = init_distro(path=tmp_path)
    assert result.path == tmp_path / "distro.toml" and result.exit_code == 0
    distro = load_distro(result.path)
    assert [m.name for m in distro.members] == ["my-pure-lib"]
    assert distro.members[0].source.kind == "requirement" and distro.members[0].abi == "pure"
    assert (distro.torch, distro.backends, distro.pythons) == (
        ("2.9", "2.11"),
        ("cpu", "cu126"),
        ("3.11", "3.12"),
    )
    assert distro.output == tmp_path / "channel"
    with pytest.raises(DistroError, match="already exists"):
        init_distro(path=tmp_path)
    assert init_distro(path=tmp_path, force=True).written


def _error(tmp_path: Path, text: str) -> str:
    path = tmp_path / "distro.toml"
    path.write_text(text)
    with pytest.raises(DistroError) as raised:
        load_distro(path)
    return raised.value.message.split(": ", 1)[1]


def test_every_problem_is_listed_with_its_line(tmp_path: Path) -> None:
    text = GOOD_HEAD + (
        '[[member]]\nname = "a"\npath = "a.whl"\nabi = "cpp"\n\n'  # lines 9-12
        '[[member]]\nname = "b"\n\n'  # lines 14-15
        '[[member]]\nname = "c"\npath = "x.whl"\ncolour = "red"\n\n'  # lines 17-20
        '[[member]]\nname = "C"\npath = "y.whl"\n'  # lines 22-24
    )
    assert _error(tmp_path, text).splitlines() == [
        "distro.toml:12: invalid value `cpp` for `abi` of member `a`: expected `pure`, `exact-abi` or "
        "`stable-abi`",
        "distro.toml:14: member `b` needs exactly one of `requirement`, `path` or `git`",
        "distro.toml:20: unknown key `colour` in `[[member]]`",
        "distro.toml:22: member `C` is listed twice (first at line 17)",
    ]


def test_matrix_values_are_checked(tmp_path: Path) -> None:
    text = '[matrix]\ntorch = ["2.9.1"]\nbackends = ["cuda"]\npythons = []\n\n'
    text += '[[member]]\nname = "a"\npath = "a"\n'
    assert _error(tmp_path, text).splitlines() == [
        "distro.toml:2: invalid value `2.9.1` in `matrix.torch`: expected `2.9`",
        "distro.toml:3: invalid value `cuda` in `matrix.backends`: expected `cpu`, `cu126`, `rocm6.4`, `xpu`",
        "distro.toml:4: `matrix.pythons` must be a non-empty list of strings",
    ]


def test_requirement_must_name_the_member_and_git_needs_a_ref(tmp_path: Path) -> None:
    text = (
        GOOD_HEAD
        + '[[member]]\nname = "a"\nrequirement = "b>=1"\n\n[[member]]\nname = "c"\ngit = "https://x/c"\n'
    )
    assert _error(tmp_path, text).splitlines() == [
        "distro.toml:11: requirement `b>=1` names `b`, not member `a`",
        'distro.toml:15: git member `c` needs `ref = "<tag or commit>"`',
    ]


def test_broken_toml_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "distro.toml"
    with pytest.raises(DistroError, match="no distro file at"):
        load_distro(path)
    path.write_text("[distro\n")
    with pytest.raises(DistroError, match=r"invalid TOML in .*line 1"):
        load_distro(path)


def test_paths_resolve_against_the_file(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    path = tmp_path / "sub" / "distro.toml"
    path.write_text(
        GOOD_HEAD.replace('name = "d"', 'name = "d"\noutput = "../out"\nfind-links = ["w"]')
        + '[torch-wheels]\n"torch2.9-cpu-py3.11" = "t.whl"\n\n[[member]]\nname = "a"\npath = "a"\n'
    )
    distro = load_distro(path)
    assert distro.output == tmp_path / "out"
    assert distro.find_links == (str(tmp_path / "sub" / "w"),)
    assert distro.torch_wheels == {"torch2.9-cpu-py3.11": str(tmp_path / "sub" / "t.whl")}
    assert distro.members[0].import_name == "a" and distro.members[0].line == 14
