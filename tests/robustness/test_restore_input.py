"""`install --restore FILE`: the file is data, validated whole before any interpreter or installer runs.

The target is a fake interpreter that only records being run (`cli_case.recording_python`): an empty log
proves that no installer and no interpreter was started for a bad file, so nothing can have been
uninstalled. Hostile values are the ones from issue 11 (`--index-url=http://evil`, `torch; rm -rf /`) and
their relatives: options, markers, URLs without hashes, shell text, wrong JSON types.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.robustness.cli_case import assert_handled, checksums, recording_python, run_main

SHA = "0" * 64
GOOD_URL = f"https://download.pytorch.org/whl/cpu/torch-2.5.1%2Bcpu-cp311-cp311-linux_x86_64.whl#sha256={SHA}"


def _record(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "version": 1,
        "python": "/nonexistent/bin/python",
        "packages": [{"name": "torch", "version": "2.5.1+cpu", "url": None}],
    }
    record.update(changes)
    return record


def _pkg(**fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"name": "torch", "version": "2.5.1", "url": None}
    row.update(fields)
    return row


HOSTILE_NAMES = [
    "--index-url=http://evil",
    "--extra-index-url=http://evil",
    "-r/etc/passwd",
    "torch; rm -rf /",
    "torch @ http://evil/torch.whl",
    "torch==2.0",
    "torch --pre",
    "torch\n--index-url=http://evil",
    "../../etc/passwd",
    "",
    " torch",
    "torch ",
    "numpy",
    "pip",
    "torch[cuda]",
    "$(touch /tmp/pwned)",
    "`id`",
    "torch|id",
    "\x00torch",
]
HOSTILE_VERSIONS = [
    "latest",
    "",
    ">=2.0",
    "2.0; rm -rf /",
    "2.0 --index-url=http://evil",
    "--pre",
    "2.*",
    "2.0\n",
    " 2.0",
    "2.0,<3",
    "~=2.0",
]
HOSTILE_URLS = [
    "http://evil/torch-2.5.1-cp311-cp311-linux_x86_64.whl",
    "https://evil/torch.whl#md5=" + "0" * 32,
    "https://evil/torch.whl#sha256=" + "0" * 63,
    "https://evil/torch.whl#sha256=" + "g" * 64,
    "ftp://evil/torch.whl#sha256=" + SHA,
    "javascript:alert(1)#sha256=" + SHA,
    "https://evil/torch whl#sha256=" + SHA,
    "https:///torch.whl#sha256=" + SHA,
    "https://evil/torch.whl; rm -rf /#sha256=" + SHA,
    "--index-url=http://evil#sha256=" + SHA,
    "/local/torch.whl#sha256=" + SHA,
    "git+https://github.com/pytorch/pytorch#sha256=" + SHA,
]

DOCUMENTS: dict[str, Callable[[], Any]] = {
    **{f"name-{i}": (lambda n=n: _record(packages=[_pkg(name=n)])) for i, n in enumerate(HOSTILE_NAMES)},
    **{
        f"version-{i}": (lambda v=v: _record(packages=[_pkg(version=v)]))
        for i, v in enumerate(HOSTILE_VERSIONS)
    },
    **{f"url-{i}": (lambda u=u: _record(packages=[_pkg(url=u)])) for i, u in enumerate(HOSTILE_URLS)},
    "name-number": lambda: _record(packages=[_pkg(name=5)]),
    "name-null": lambda: _record(packages=[_pkg(name=None)]),
    "name-list": lambda: _record(packages=[_pkg(name=["torch"])]),
    "version-number": lambda: _record(packages=[_pkg(version=2.5)]),
    "version-null": lambda: _record(packages=[_pkg(version=None)]),
    "version-missing": lambda: _record(packages=[{"name": "torch"}]),
    "url-number": lambda: _record(packages=[_pkg(url=1)]),
    "url-object": lambda: _record(packages=[_pkg(url={"href": GOOD_URL})]),
    "row-string": lambda: _record(packages=["torch==2.5.1"]),
    "row-list": lambda: _record(packages=[["torch", "2.5.1"]]),
    "row-null": lambda: _record(packages=[None]),
    "row-extra-key": lambda: _record(packages=[_pkg(extra_index_url="http://evil")]),
    "duplicate-name": lambda: _record(packages=[_pkg(), _pkg(version="2.4.0")]),
    "packages-missing": lambda: {"version": 1, "python": "/nonexistent/bin/python"},
    "packages-object": lambda: _record(packages={"torch": "2.5.1"}),
    "packages-string": lambda: _record(packages="torch"),
    "packages-null": lambda: _record(packages=None),
    "python-relative": lambda: _record(python="bin/python"),
    "python-number": lambda: _record(python=3),
    "python-empty": lambda: _record(python=""),
    "python-list": lambda: _record(python=["/usr/bin/python3"]),
    "python-option": lambda: _record(python="--index-url=http://evil"),
    "version-2": lambda: _record(version=2),
    "version-string": lambda: _record(version="1"),
    "version-true": lambda: _record(version=True),
    "version-float": lambda: _record(version=1.0),
    "unknown-key": lambda: _record(command="rm -rf /"),
    "top-list": lambda: [_pkg()],
    "top-string": lambda: "torch",
    "top-number": lambda: 1,
    "top-null": lambda: None,
}


@pytest.mark.parametrize("case", sorted(DOCUMENTS))
def test_bad_restore_document_changes_nothing(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    python, log = recording_python(tmp_path / "env")
    path = tmp_path / "restore.json"
    path.write_text(json.dumps(DOCUMENTS[case]()))
    before = checksums([path])
    outcome = run_main(["install", "--restore", str(path), "--python", str(python)], capsys)
    assert_handled(outcome, codes={2}, names=[str(path)])
    assert "nothing was changed" in outcome.err
    assert not log.exists(), log.read_text()  # no interpreter, no installer was started
    assert checksums([path]) == before


def _fifo(tmp: Path) -> Path:
    os.mkfifo(tmp / "restore.fifo")
    return tmp / "restore.fifo"


def _huge(tmp: Path) -> Path:
    path = tmp / "huge.json"
    with path.open("wb") as handle:
        handle.truncate(1024 * 1024 * 1024)
    return path


def _write(data: bytes) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        path = tmp / "restore.json"
        path.write_bytes(data)
        return path

    return make


FILES: dict[str, Callable[[Path], Path]] = {
    "dev-zero": lambda _: Path("/dev/zero"),
    "dev-null": lambda _: Path("/dev/null"),
    "fifo": _fifo,
    "directory": lambda tmp: tmp,
    "missing": lambda tmp: tmp / "missing.json",
    "huge": _huge,
    "empty": _write(b""),
    "not-json": _write(b"torch==2.5.1\n"),
    "non-utf8": _write(b'{"packages": ["\xff"]}'),
    "nul": _write(b"\x00" * 10),
    "deep": _write(b"[" * 200000),
    "truncated": _write(json.dumps(_record()).encode()[:30]),
}


@pytest.mark.parametrize("case", sorted(FILES))
def test_unreadable_restore_file(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    python, log = recording_python(tmp_path / "env")
    path = FILES[case](tmp_path)
    outcome = run_main(["install", "--restore", str(path), "--python", str(python)], capsys)
    assert_handled(outcome, codes={2}, names=[str(path)])
    assert not log.exists()


def test_without_python_key_the_running_interpreter_is_never_touched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 11: `{"packages": []}` uninstalled torch from the interpreter running torchsmith."""
    path = tmp_path / "restore.json"
    path.write_text('{"packages": []}')
    outcome = run_main(["install", "--restore", str(path)], capsys)
    assert_handled(outcome, codes={2}, names=[str(path), "--python"])
    assert "nothing was changed" in outcome.err


def test_without_python_key_a_named_interpreter_is_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    python, log = recording_python(tmp_path / "env")
    path = tmp_path / "restore.json"
    path.write_text('{"packages": []}')
    outcome = run_main(["install", "--restore", str(path), "--python", str(python)], capsys)
    assert_handled(outcome, codes={2}, names=[str(python)])
    assert log.exists()  # it was asked about itself, and failed: nothing else ran


def test_restore_into_a_missing_venv_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "restore.json"
    path.write_text(json.dumps(_record()))
    venv = tmp_path / "no-venv"
    outcome = run_main(["install", "--restore", str(path), "--venv", str(venv)], capsys)
    assert_handled(outcome, codes={2}, names=[str(venv)])
    assert not venv.exists()


def test_the_recorded_interpreter_must_exist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "restore.json"
    path.write_text(json.dumps(_record(python=str(tmp_path / "gone" / "python"))))
    outcome = run_main(["install", "--restore", str(path)], capsys)
    assert_handled(outcome, codes={2}, names=[str(tmp_path / "gone" / "python")])


@pytest.mark.parametrize(
    "document",
    [
        _record(),
        _record(packages=[]),
        _record(packages=[_pkg(url=GOOD_URL)]),
        {"python": "/x/bin/python", "packages": [_pkg(name="TorchVision", version="0.20.1+cu124")]},
    ],
    ids=["pin", "empty", "hashed-url", "no-version-key"],
)
def test_valid_documents_pass_validation(document: dict[str, Any], tmp_path: Path) -> None:
    from torchsmith.restore_record import load_restore

    path = tmp_path / "restore.json"
    path.write_text(json.dumps(document))
    record = load_restore(path)
    for pin in record.packages:
        assert pin.requirement.split(" ")[0].split("==")[0] in ("torch", "torchvision", "torchaudio")
        assert not pin.requirement.startswith("-")
