"""Machine documents for decision scenarios: a `probe --json`-shaped dict written to a file and loaded the
way `--machine FILE` loads it, so normalisation and derived backends run exactly as for a user's file."""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Sequence
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

from torchsmith.cli import main
from torchsmith.machine import load_machine
from torchsmith.machine.model import Machine
from torchsmith.planning.model import Plan
from torchsmith.planning.plan import make_plan

Doc = dict[str, Any]


def linux(python: str = "3.12", abi: str | None = None, glibc: str = "2.35", arch: str = "x86_64") -> Doc:
    return {
        "os": "linux",
        "arch": arch,
        "libc": {"name": "glibc", "version": glibc},
        "python": {"version": python, "abi": abi or "cp" + python.replace(".", "")},
    }


def windows(python: str = "3.12") -> Doc:
    return {
        "os": "windows",
        "arch": "x86_64",
        "python": {"version": python, "abi": "cp" + python.replace(".", "")},
    }


def macos(macos_version: str, arch: str = "arm64", python: str = "3.12") -> Doc:
    return {
        "os": "macos",
        "arch": arch,
        "python": {"version": python, "abi": "cp" + python.replace(".", "")},
        "apple": {"chip": "Apple M2", "macos": macos_version, "rosetta": False, "mps": arch == "arm64"},
    }


def nvidia(driver: str | None, *gpus: tuple[str, str | None], cuda: str | None = None) -> Doc:
    return {
        "driver": driver,
        "cuda_driver": cuda,
        "gpus": [{"name": name, "compute_capability": cc} for name, cc in gpus],
    }


def amd(*gpus: tuple[str, str | None]) -> Doc:
    return {"gpus": [{"name": name, "gfx": gfx} for name, gfx in gpus]}


def jetson(l4t: str, module: str, python: str) -> Doc:
    doc = linux(python=python, arch="aarch64", glibc="2.31")
    doc["jetson"] = {"l4t": l4t, "module": module}
    return doc


def with_(doc: Doc, **sections: Any) -> Doc:
    return {**doc, **sections}


def load(doc: Doc) -> Machine:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(doc, handle)
    try:
        return load_machine(handle.name)
    finally:
        Path(handle.name).unlink()


def plan(doc: Doc, requirements: Sequence[str] = ("torch",), **options: Any) -> Plan:
    return make_plan(requirements, machine=load(doc), **options)


def cli(doc: Doc, *args: str) -> tuple[int, str, str]:
    """`torchsmith plan --machine FILE ARGS` in-process: (exit code, stdout, stderr)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(doc, handle)
    out, err = io.StringIO(), io.StringIO()
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main(["plan", "--machine", handle.name, *args])
    finally:
        Path(handle.name).unlink()
    return code, out.getvalue(), err.getvalue()


def text(p: Plan) -> str:
    """Everything a user reads in a plan, for substring checks."""
    return "\n".join([*p.reasons, *p.warnings, *(f"{r.backend}: {r.why}" for r in p.rejected)])
