"""`export`: bad outputs, options that do not apply, full disks, and the user's own entries and bytes.

An export merges into the user's file: nothing else in it may change (encoding, BOM, CRLF, the final
newline), a torch constraint or uv source the user wrote is kept when the plan satisfies it and is a
conflict (exit 2, file untouched) when it does not, and a write that fails leaves the original intact.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.robustness.cli_case import assert_handled, checksums, run_main

TOOLS = ("uv", "pip", "poetry", "pixi", "conda", "docker")
FILENAMES = {
    "uv": "pyproject.toml",
    "pip": "requirements.txt",
    "poetry": "pyproject.toml",
    "pixi": "pixi.toml",
    "conda": "environment.yml",
    "docker": "Dockerfile",
}
OFFLINE = ["--offline", "--targets", "linux-cpu"]


@pytest.fixture(autouse=True)
def _in_tmp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Work in `tmp_path`, with the cache elsewhere, so `tmp_path` holds only the user's files."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TORCHSMITH_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


def _export(tool: str, output: Path | str, *extra: str) -> list[str]:
    return ["export", tool, *extra, "-o", str(output), *OFFLINE]


# --- outputs that cannot be written -----------------------------------------------------------------------


def _fifo(tmp: Path) -> Path:
    os.mkfifo(tmp / "out.fifo")
    return tmp / "out.fifo"


def _under_file(tmp: Path) -> Path:
    (tmp / "plain").write_text("x")
    return tmp / "plain" / "out.toml"


def _non_utf8(tmp: Path) -> Path:
    (tmp / "bad.txt").write_bytes(b"torch\n\xff\xfe\xfd broken\n")
    return tmp / "bad.txt"


def _huge(tmp: Path) -> Path:
    path = tmp / "huge.txt"
    with path.open("wb") as handle:  # sparse, just over the 4 MiB a config may have
        handle.truncate(5 * 1024 * 1024)
    return path


def _dangling(tmp: Path) -> Path:
    (tmp / "link.txt").symlink_to(tmp / "missing-dir" / "x.txt")
    return tmp / "link.txt"


def _loop(tmp: Path) -> Path:
    (tmp / "loop.txt").symlink_to(tmp / "loop.txt")
    return tmp / "loop.txt"


OUTPUTS: dict[str, Callable[[Path], Path]] = {
    "dev-full": lambda _: Path("/dev/full"),
    "dev-zero": lambda _: Path("/dev/zero"),
    "fifo": _fifo,
    "under-a-file": _under_file,
    "non-utf8": _non_utf8,
    "huge": _huge,
    "symlink-loop": _loop,
    "proc": lambda _: Path("/proc/version"),
}
SINGLE_FILE_TOOLS = ("uv", "poetry", "pixi")


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("case", sorted(OUTPUTS))
def test_unwritable_output(case: str, tool: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = OUTPUTS[case](tmp_path)
    before = checksums([tmp_path])
    outcome = run_main(_export(tool, output), capsys)
    assert_handled(outcome, codes={2}, names=[output.name])
    assert checksums([tmp_path]) == before
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize("tool", SINGLE_FILE_TOOLS)
def test_output_naming_a_folder(tool: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    outcome = run_main(_export(tool, folder), capsys)
    assert_handled(outcome, codes={2}, names=[str(folder)])
    assert list(folder.iterdir()) == []


# --- broken files to merge into ---------------------------------------------------------------------------

BROKEN = {
    ("uv", "pyproject.toml"): b'[project\nname = "x"\n',
    ("poetry", "pyproject.toml"): b"[tool.poetry\n",
    ("pixi", "pixi.toml"): b"[workspace]\nchannels = [\n",
    ("conda", "environment.yml"): b"dependencies: [\n  - python\n",
    ("conda", "list.yml"): b"- just\n- a list\n",
    ("uv", "dup.toml"): b"[project]\nname = 1\nname = 2\n",
    ("uv", "bom16.toml"): b"\xff\xfe[\x00p\x00\xd8",
}


@pytest.mark.parametrize(("tool", "name"), sorted(BROKEN))
def test_broken_file_is_not_rewritten(
    tool: str, name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / name
    path.write_bytes(BROKEN[(tool, name)])
    before = checksums([path])
    outcome = run_main(_export(tool, path), capsys)
    assert_handled(outcome, codes={2}, names=[name])
    assert checksums([path]) == before


# --- options that do not apply ----------------------------------------------------------------------------

MISAPPLIED = [(tool, "--mode", "extras") for tool in TOOLS if tool != "uv"]
MISAPPLIED += [(tool, "--mode", "markers") for tool in TOOLS if tool != "uv"]
MISAPPLIED += [(tool, "--source", "pypi") for tool in TOOLS if tool != "pixi"]
MISAPPLIED += [(tool, "--source", "conda-forge") for tool in TOOLS if tool != "pixi"]


@pytest.mark.parametrize(("tool", "option", "value"), MISAPPLIED)
def test_option_for_another_tool_is_an_error(
    tool: str, option: str, value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = run_main(["export", tool, option, value, *OFFLINE], capsys)
    assert_handled(outcome, codes={2}, names=[option, tool])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("tool", "option", "value"), [("uv", "--mode", "extras"), ("pixi", "--source", "pypi")]
)
def test_option_for_its_tool_works(
    tool: str, option: str, value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = run_main(["export", tool, option, value, *OFFLINE], capsys)
    assert_handled(outcome, codes={0})


# --- full disk: RLIMIT_FSIZE ------------------------------------------------------------------------------

ORIGINALS = {
    "uv": b'[project]\r\nname = "demo"\r\nversion = "0.1.0"\r\ndependencies = ["numpy"]\r\n'
    + b"# pad\r\n" * 200,
    "poetry": b'[tool.poetry]\nname = "demo"\nversion = "0.1.0"\n' + b"# pad\n" * 200,
    "pixi": b'[workspace]\nname = "demo"\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n'
    + b"#\n" * 300,
    "conda": b"name: demo\nchannels:\n  - conda-forge\ndependencies:\n  - python\n" + b"# pad\n" * 200,
    "pip": b"numpy\n" + b"# pad\n" * 300,
    "docker": b"FROM python:3.12-slim\n" + b"# pad\n" * 300,
}


@contextlib.contextmanager
def file_size_limit(limit: int) -> Iterator[None]:
    """A full disk for this process: writes past `limit` bytes fail with EFBIG (SIGXFSZ ignored)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("limit", [0, 1, 64, 256])
def test_full_disk_keeps_the_original(
    tool: str, limit: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / FILENAMES[tool]
    path.write_bytes(ORIGINALS[tool])
    before = checksums([tmp_path])
    with file_size_limit(limit):
        outcome = run_main(_export(tool, path), capsys)
    assert_handled(outcome, codes={2}, names=[path.name])
    assert "the original is unchanged" in outcome.err or "space" in outcome.err
    assert checksums([tmp_path]) == before  # no truncated file, no temporary left behind


# --- the user's own entries -------------------------------------------------------------------------------

PYPROJECT = (
    '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.10"\ndependencies = [\n{deps}]\n'
)


def _pyproject(*deps: str, tail: str = "") -> str:
    return PYPROJECT.format(deps="".join(f'  "{d}",\n' for d in deps)) + tail


CONFLICTS = {
    "old-pin": _pyproject("torch==2.4.1", "numpy"),
    "upper-bound": _pyproject("torch<2.0"),
    "torchvision-pin": _pyproject("torch", "torchvision==0.1.6"),
    "direct-url": _pyproject("torch @ https://example.org/torch-2.4.1-cp311-cp311-linux_x86_64.whl"),
    "own-index-source": _pyproject("torch", tail='\n[tool.uv.sources]\ntorch = { index = "my-mirror" }\n'),
    "git-source": _pyproject(
        "torch", tail='\n[tool.uv.sources]\ntorch = { git = "https://github.com/pytorch/pytorch" }\n'
    ),
    "path-source": _pyproject("torch", tail='\n[tool.uv.sources]\ntorch = { path = "wheels/torch.whl" }\n'),
}


@pytest.mark.parametrize("case", sorted(CONFLICTS))
def test_conflicting_entry_stops_the_export(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(CONFLICTS[case])
    before = checksums([path])
    outcome = run_main(_export("uv", path), capsys)
    assert_handled(outcome, codes={2}, names=[str(path), "--force"])
    assert checksums([path]) == before


@pytest.mark.parametrize("case", sorted(CONFLICTS))
def test_force_replaces_a_conflicting_entry(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(CONFLICTS[case])
    outcome = run_main([*_export("uv", path), "--force"], capsys)
    assert_handled(outcome, codes={0})
    assert "replaced" in outcome.out + outcome.err
    assert 'index = "pytorch-cpu"' in path.read_text()


KEPT = {
    "lower-bound": "torch>=2.0",
    "range": "torch>=2.0,<3",
    "with-marker": "torch>=2.0; python_version >= '3.10'",
    "with-extras": "torch[opt-einsum]>=2.0",
}


@pytest.mark.parametrize("case", sorted(KEPT))
def test_compatible_constraint_is_kept(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    entry = KEPT[case]
    path = tmp_path / "pyproject.toml"
    path.write_text(_pyproject(entry.replace('"', '\\"'), "numpy"))
    outcome = run_main(_export("uv", path), capsys)
    assert_handled(outcome, codes={0})
    import tomllib

    document = tomllib.loads(path.read_text())
    assert document["tool"]["uv"]["sources"]["torch"][0]["index"] == "pytorch-cpu"
    assert entry in document["project"]["dependencies"]  # the user's entry, verbatim
    assert "kept" in outcome.err + outcome.out


def test_compatible_constraint_joins_the_command_line_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(_pyproject("torch>=2.0"))
    outcome = run_main(["export", "uv", "torch<99", "-o", str(path), *OFFLINE], capsys)
    assert_handled(outcome, codes={0})
    assert '"torch>=2.0,<99"' in path.read_text()


# --- bytes outside torchsmith's sections ------------------------------------------------------------------

STYLES = {
    "crlf": ("\r\n", b""),
    "lf": ("\n", b""),
    "crlf-bom": ("\r\n", b"\xef\xbb\xbf"),
    "lf-bom": ("\n", b"\xef\xbb\xbf"),
}


@pytest.mark.parametrize("final_newline", [True, False], ids=["final-newline", "no-final-newline"])
@pytest.mark.parametrize("style", sorted(STYLES))
@pytest.mark.parametrize("tool", ["uv", "pip", "conda"])
def test_encoding_line_endings_and_final_newline_survive(
    tool: str, style: str, final_newline: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    newline, bom = STYLES[style]
    lines = {
        "uv": [
            "[project]",
            'name = "demo"',
            'version = "0.1.0"',
            "# caf\u00e9 comment",
            'requires-python = ">=3.10"',
        ],
        "pip": ["numpy  # caf\u00e9", "requests"],
        "conda": ["name: demo", "# caf\u00e9", "channels:", "  - conda-forge", "dependencies:", "  - numpy"],
    }[tool]
    text = newline.join(lines) + (newline if final_newline else "")
    path = tmp_path / FILENAMES[tool]
    path.write_bytes(bom + text.encode())
    outcome = run_main(_export(tool, path), capsys)
    assert_handled(outcome, codes={0})
    data = path.read_bytes()
    assert data.startswith(bom) and (bom or not data.startswith(b"\xef\xbb\xbf"))
    body = data[len(bom) :].decode()
    if newline == "\r\n":
        assert "\n" not in body.replace("\r\n", "")
    else:
        assert "\r" not in body
    assert body.endswith(newline) == final_newline
    for line in lines:
        assert line in body
    # and a second export changes nothing at all
    again = run_main(_export(tool, path), capsys)
    assert_handled(again, codes={0})
    assert path.read_bytes() == data


def test_mode_is_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("numpy\n")
    path.chmod(0o640)
    outcome = run_main(_export("pip", path), capsys)
    assert_handled(outcome, codes={0})
    assert (path.stat().st_mode & 0o777) == 0o640


# --- the user's own entries, every tool -------------------------------------------------------------------
# (file name, content) per tool; spellings per each tool's own docs: poetry's caret and tilde
# (https://python-poetry.org/docs/dependency-specification/), conda's `=2.4` and `2.4.*` match specs
# (https://docs.conda.io/projects/conda-build/en/latest/resources/package-spec.html).

POETRY = '[tool.poetry]\nname = "x"\n[tool.poetry.dependencies]\n'
OWN_CONFLICTS = {
    "poetry-exact": (
        "pyproject.toml",
        POETRY + 'torch = "2.4.1"\n',
    ),
    "poetry-tilde": (
        "pyproject.toml",
        POETRY + 'torch = "~2.4"\n',
    ),
    "poetry-git": (
        "pyproject.toml",
        '[tool.poetry]\nname = "x"\n[tool.poetry.dependencies]\n'
        'torch = { git = "https://github.com/pytorch/pytorch.git" }\n',
    ),
    "poetry-own-source": (
        "pyproject.toml",
        POETRY + 'torch = { version = "*", source = "mirror" }\n',
    ),
    "pixi-root-pin": (
        "pixi.toml",
        '[workspace]\nname = "x"\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n'
        '[dependencies]\npytorch = "2.4.*"\n',
    ),
    "pixi-channel": (
        "pixi.toml",
        '[workspace]\nname = "x"\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n'
        '[dependencies]\npytorch = { version = "*", channel = "pytorch" }\n',
    ),
    "pip-pin": ("requirements.txt", "numpy\ntorch==2.4.1\n"),
    "pip-torchvision": ("requirements.txt", "torchvision<0.2\n"),
    "conda-single-equals": ("environment.yml", "name: x\ndependencies:\n  - pytorch=2.4\n"),
    "conda-pip-section": (
        "environment.yml",
        "name: x\ndependencies:\n  - pip\n  - pip:\n    - torch==2.4.1\n",
    ),
}
OWN_TOOLS = {
    "pyproject.toml": "poetry",
    "pixi.toml": "pixi",
    "requirements.txt": "pip",
    "environment.yml": "conda",
}


@pytest.mark.parametrize("case", sorted(OWN_CONFLICTS))
def test_own_entry_conflicts_in_every_tool(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name, content = OWN_CONFLICTS[case]
    path = tmp_path / name
    path.write_text(content)
    before = checksums([path])
    outcome = run_main(_export(OWN_TOOLS[name], path), capsys)
    assert_handled(outcome, codes={2}, names=[str(path), "--force"])
    assert checksums([path]) == before
    forced = run_main([*_export(OWN_TOOLS[name], path), "--force"], capsys)
    assert_handled(forced, codes={0})


OWN_KEPT = {
    "poetry-caret": (
        "pyproject.toml",
        POETRY + 'torch = "^2.4"\n',
        "^2.4",
    ),
    "pixi-range": (
        "pixi.toml",
        '[workspace]\nname = "x"\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n'
        '[dependencies]\npytorch = ">=2.0"\n',
        'pytorch = ">=2.0"',
    ),
    "pip-lower-bound": ("requirements.txt", "numpy\ntorch>=2.0  # mine\n", "torch>=2.0  # mine"),
    "conda-lower-bound": ("environment.yml", "name: x\ndependencies:\n  - pytorch>=2.0\n", "pytorch>=2.0"),
}


@pytest.mark.parametrize("case", sorted(OWN_KEPT))
def test_own_compatible_entry_is_kept_in_every_tool(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name, content, kept = OWN_KEPT[case]
    path = tmp_path / name
    path.write_text(content)
    outcome = run_main(_export(OWN_TOOLS[name], path), capsys)
    assert_handled(outcome, codes={0})
    assert kept in path.read_text()


@pytest.mark.parametrize("tool", TOOLS)
def test_read_only_file_is_not_replaced(
    tool: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A rename needs no permission on the file itself; a file made read-only on purpose is still left
    alone (this holds for root too, which ignores permission bits)."""
    path = tmp_path / FILENAMES[tool]
    path.write_bytes(ORIGINALS[tool])
    path.chmod(0o444)
    before = checksums([tmp_path])
    outcome = run_main(_export(tool, path), capsys)
    assert_handled(outcome, codes={2}, names=[path.name, "read-only"])
    assert checksums([tmp_path]) == before
    assert (path.stat().st_mode & 0o777) == 0o444


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
@pytest.mark.parametrize("tool", TOOLS)
def test_read_only_folder(tool: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    path = folder / FILENAMES[tool]
    path.write_bytes(ORIGINALS[tool])
    folder.chmod(0o555)
    try:
        before = checksums([folder])
        outcome = run_main(_export(tool, path), capsys)
        assert_handled(outcome, codes={2}, names=[path.name])
        assert checksums([folder]) == before
    finally:
        folder.chmod(0o755)
