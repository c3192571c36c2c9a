"""What every bad-input and fault case asserts (issue 11), in one place.

For each case: the exit code is one of 0, 1, 2, 130, 143; there is no traceback and no "internal error";
the message names the input; and the user's files are byte-identical (sha256 before and after) unless
the command succeeded. `run_main` calls `torchsmith.cli.main` in-process (cheap); `run_process` runs
`python -m torchsmith` as a real process where exit codes, signals or tracebacks depend on it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

ALLOWED = {0, 1, 2, 130, 143}
SRC = Path(__file__).resolve().parents[2] / "src"
MACHINES = Path(__file__).resolve().parents[1] / "machines"


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str


def run_main(argv: Sequence[str], capsys: pytest.CaptureFixture[str]) -> Outcome:
    from torchsmith.cli import main

    capsys.readouterr()
    code = main(list(argv))
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(extra or {})
    return env


def run_process(
    argv: Sequence[str], *, env: Mapping[str, str] | None = None, timeout: float = 60, cwd: Path | None = None
) -> Outcome:
    done = subprocess.run(
        [sys.executable, "-m", "torchsmith", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=child_env(env),
        cwd=cwd,
        check=False,
    )
    return Outcome(done.returncode, done.stdout, done.stderr)


def checksums(paths: Iterable[Path]) -> dict[str, str]:
    """sha256 of every regular file at or under `paths` (directories walked; FIFOs and devices skipped)."""
    sums: dict[str, str] = {}
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            for child in sorted(path.rglob("*")):
                if child.is_file() and not child.is_symlink():
                    sums[str(child)] = hashlib.sha256(child.read_bytes()).hexdigest()
        elif path.is_file():
            sums[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
        elif path.exists() or path.is_symlink():
            sums[str(path)] = "special"
        else:
            sums[str(path)] = "absent"
    return sums


def assert_handled(outcome: Outcome, *, names: Sequence[str] = (), codes: Iterable[int] = ALLOWED) -> None:
    """Exit code allowed, no traceback, and (on failure) a message naming each of `names`."""
    allowed = set(codes)
    assert outcome.code in allowed, f"exit {outcome.code} not in {sorted(allowed)}:\n{outcome.err}"
    assert outcome.code in ALLOWED
    text = outcome.out + outcome.err
    assert "Traceback" not in text, text
    assert "internal error" not in text, text
    if outcome.code not in (0, 1):  # 1 is findings (doctor, lint, --check): a report, not an error
        for name in names:
            assert name in outcome.err, f"{name!r} not named in:\n{outcome.err}"
        assert any(word in outcome.err for word in ("error:", "usage:", "interrupted")), outcome.err


def machine_document() -> dict[str, object]:
    """A valid `probe --json` document (the probed `cpu-container` fixture)."""
    from torchsmith.machine import probe

    document: dict[str, object] = probe(root=MACHINES / "cpu-container").to_json()
    return document


RECORDER = """#!/bin/sh
echo "$0 $*" >> "{log}"
exit 1
"""


def recording_python(folder: Path) -> tuple[Path, Path]:
    """A fake interpreter that only records that it was run: proof that nothing touched an environment."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "calls.log"
    python = folder / "python"
    python.write_text(RECORDER.format(log=log))
    python.chmod(0o755)
    return python, log
