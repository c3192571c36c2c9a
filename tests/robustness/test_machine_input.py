"""`--machine FILE`, `--root` and `TORCHSMITH_ROOT`: bounded, typed input, refused with exit 2 naming it.

Each case asserts the common contract (`cli_case.assert_handled`): an allowed exit code, no traceback, the
input named in the message, and the file itself unchanged.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.robustness.cli_case import MACHINES, assert_handled, checksums, machine_document, run_main

CPU = MACHINES / "cpu-container"


def _doc(mutate: Callable[[dict[str, Any]], Any]) -> Callable[[Path], bytes]:
    def make(_: Path) -> bytes:
        document = copy.deepcopy(BASE)
        mutate(document)
        return json.dumps(document).encode()

    return make


BASE: dict[str, Any] = machine_document()


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(document: dict[str, Any]) -> None:
        document[key] = value

    return mutate


def _set_in(section: str, key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(document: dict[str, Any]) -> None:
        if not isinstance(document.get(section), dict):
            document[section] = {}
        document[section][key] = value

    return mutate


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda document: document.pop(key, None)


# content cases: the bytes of the machine file; the command must exit 0 or 2 and never 3
CONTENT: dict[str, Callable[[Path], bytes]] = {
    "empty": lambda _: b"",
    "whitespace": lambda _: b"  \n\t\n",
    "not-json": lambda _: b"this is not json",
    "truncated-json": lambda _: json.dumps(BASE).encode()[:40],
    "non-utf8": lambda _: b"\xff\xfe\xfa{}",
    "latin1": lambda _: '{"os": "linux", "arch": "x86_64", "kernel": "caf\u00e9"}'.encode("latin-1"),
    "utf16-bom": lambda _: json.dumps(BASE).encode("utf-16"),
    "nul-bytes": lambda _: b"\x00" * 64,
    "json-array": lambda _: b"[1, 2, 3]",
    "json-string": lambda _: b'"linux"',
    "json-number": lambda _: b"42",
    "json-null": lambda _: b"null",
    "json-true": lambda _: b"true",
    "empty-object": lambda _: b"{}",
    "deep-nesting": lambda _: b"[" * 100000 + b"]" * 100000,
    "deep-object": lambda _: b'{"a":' * 50000 + b"1" + b"}" * 50000,
    "os-number": _doc(_set("os", 5)),
    "os-list": _doc(_set("os", [])),
    "os-null": _doc(_set("os", None)),
    "os-unknown": _doc(_set("os", "plan9")),
    "arch-object": _doc(_set("arch", {})),
    "arch-unknown": _doc(_set("arch", "z80")),
    "no-os": _doc(_drop("os")),
    "no-arch": _doc(_drop("arch")),
    "no-python": _doc(_drop("python")),
    "python-string": _doc(_set("python", "3.12")),
    "python-list": _doc(_set("python", [3, 12])),
    "python-version-number": _doc(_set_in("python", "version", 3.12)),
    "python-version-garbage": _doc(_set_in("python", "version", "three")),
    "python-version-empty": _doc(_set_in("python", "version", "")),
    "python-abi-list": _doc(_set_in("python", "abi", ["cp312"])),
    "libc-string": _doc(_set("libc", "glibc")),
    "libc-version-garbage": _doc(_set("libc", {"name": "glibc", "version": "x.y"})),
    "nvidia-list": _doc(_set("nvidia", [])),
    "nvidia-string": _doc(_set("nvidia", "yes")),
    "nvidia-gpus-string": _doc(_set("nvidia", {"driver": "550.54", "gpus": "A100"})),
    "nvidia-gpus-strings": _doc(_set("nvidia", {"driver": "550.54", "gpus": ["A100"]})),
    "nvidia-driver-number": _doc(_set("nvidia", {"driver": 550, "cuda_driver": 12.4, "gpus": []})),
    "nvidia-driver-garbage": _doc(_set("nvidia", {"driver": "new", "cuda_driver": "latest", "gpus": []})),
    "nvidia-cc-garbage": _doc(
        _set("nvidia", {"driver": "550.54", "gpus": [{"name": "X", "compute_capability": "high"}]})
    ),
    "nvidia-memory-string": _doc(
        _set("nvidia", {"driver": "550.54", "gpus": [{"name": "X", "memory_mib": "lots"}]})
    ),
    "amd-list": _doc(_set("amd", [1])),
    "amd-gpus-numbers": _doc(_set("amd", {"rocm": "6.2", "gpus": [1, 2]})),
    "amd-rocm-garbage": _doc(_set("amd", {"rocm": "six", "gpus": []})),
    "intel-string": _doc(_set("intel", "arc")),
    "apple-number": _doc(_set("apple", 1)),
    "jetson-list": _doc(_set("jetson", ["orin"])),
    "wsl-string": _doc(_set("wsl", "yes")),
    "container-number": _doc(_set("container", 7)),
    "backends-string": _doc(_set("backends", "cpu")),
    "backends-objects": _doc(_set("backends", [{"name": "cpu"}])),
    "backends-garbage": _doc(_set("backends", ["warp-drive"])),
    "virtual-packages-string": _doc(_set("virtual_packages", "__cuda")),
    "warnings-number": _doc(_set("warnings", 3)),
    "huge-string": _doc(_set("kernel", "x" * 3_000_000)),
}


@pytest.mark.parametrize("case", sorted(CONTENT))
def test_machine_file_content(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "machine.json"
    path.write_bytes(CONTENT[case](tmp_path))
    before = checksums([path])
    outcome = run_main(["plan", "--machine", str(path), "--offline", "--json"], capsys)
    assert_handled(outcome, codes={0, 2})
    if outcome.code == 2 and "machine file" in outcome.err:
        assert str(path) in outcome.err
    assert checksums([path]) == before


def _fifo(tmp: Path) -> Path:
    path = tmp / "machine.fifo"
    os.mkfifo(path)
    return path


def _huge(tmp: Path) -> Path:
    path = tmp / "huge.json"
    with path.open("wb") as handle:  # sparse: 64 MiB on paper, nothing on disk
        handle.truncate(64 * 1024 * 1024)
    return path


def _symlink_loop(tmp: Path) -> Path:
    path = tmp / "loop.json"
    path.symlink_to(path)
    return path


def _dangling(tmp: Path) -> Path:
    path = tmp / "dangling.json"
    path.symlink_to(tmp / "nowhere.json")
    return path


def _under_file(tmp: Path) -> Path:
    (tmp / "file").write_text("x")
    return tmp / "file" / "machine.json"


# path cases: what the path names; each must be refused with exit 2 naming it, without hanging
PATHS: dict[str, Callable[[Path], Path]] = {
    "dev-zero": lambda _: Path("/dev/zero"),
    "dev-null": lambda _: Path("/dev/null"),
    "dev-urandom": lambda _: Path("/dev/urandom"),
    "fifo": _fifo,
    "directory": lambda tmp: tmp,
    "missing": lambda tmp: tmp / "missing.json",
    "huge-sparse": _huge,
    "symlink-loop": _symlink_loop,
    "dangling-symlink": _dangling,
    "under-a-file": _under_file,
    "proc-self-mem": lambda _: Path("/proc/self/mem"),
}


@pytest.mark.parametrize("case", sorted(PATHS))
def test_machine_file_path(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = PATHS[case](tmp_path)
    outcome = run_main(["plan", "--machine", str(path), "--offline"], capsys)
    assert_handled(outcome, names=[str(path)], codes={2})


def _root_file(tmp: Path) -> Path:
    (tmp / "root-file").write_text("x")
    return tmp / "root-file"


ROOTS: dict[str, Callable[[Path], Path]] = {
    "missing": lambda tmp: tmp / "nonexistent",
    "file": _root_file,
    "fifo": _fifo,
    "dev-null": lambda _: Path("/dev/null"),
    "typo": lambda _: Path(str(CPU) + "x"),
}
COMMANDS = {
    "probe": ["probe"],
    "plan": ["plan", "--offline"],
    "install-dry-run": ["install", "--dry-run", "--offline"],
    "doctor": ["doctor", "--no-device-test"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("case", sorted(ROOTS))
def test_root_flag_must_be_a_directory(
    case: str, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = ROOTS[case](tmp_path)
    outcome = run_main([*COMMANDS[command], "--root", str(root)], capsys)
    assert_handled(outcome, names=[str(root), "--root"], codes={2})


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("case", sorted(ROOTS))
def test_root_variable_must_be_a_directory(
    case: str,
    command: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = ROOTS[case](tmp_path)
    monkeypatch.setenv("TORCHSMITH_ROOT", str(root))
    outcome = run_main(COMMANDS[command], capsys)
    assert_handled(outcome, names=[str(root), "TORCHSMITH_ROOT"], codes={2})


def test_a_valid_root_still_plans(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_main(["plan", "--root", str(CPU), "--offline", "--json"], capsys)
    assert_handled(outcome, codes={0})
    assert json.loads(outcome.out)["backend"] == "cpu"
