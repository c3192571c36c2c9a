"""Property tests: random documents into every loader issue 11 owns; exit 0 or 2, never 3.

The loaders are the `--machine` file (`plan --machine`), the restore file (`install --restore`, with a
recording fake interpreter so nothing can be installed) and the files `export` merges into (uv and
poetry `pyproject.toml`, `pixi.toml`, `environment.yml`, `requirements.txt`). Documents are random JSON,
random mutations of a valid document, and random text/bytes; for each, the CLI returns 0 or 2 with no
traceback, and a failed export leaves the file byte-identical.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.robustness.cli_case import assert_handled, checksums, machine_document, recording_python, run_main

pytestmark = [pytest.mark.property]

SETTINGS = settings(
    max_examples=int(os.environ.get("TORCHSMITH_PROPERTY_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(["linux", "x86_64", "2.5.1", "12.4", "cu124", "torch", "--index-url=http://evil"]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)

BASE = machine_document()
KEYS = sorted(BASE)


@st.composite
def mutated_machines(draw: st.DrawFn) -> Any:
    """A valid machine document with a few values (top-level or one level down) replaced at random."""
    document = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from(KEYS))
        section = document.get(key)
        if isinstance(section, dict) and section and draw(st.booleans()):
            inner = draw(st.sampled_from(sorted(section)))
            section[inner] = draw(json_values)
        else:
            document[key] = draw(json_values)
    return document


def _run_plan(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_main(["plan", "--machine", str(path), "--offline", "--json"], capsys)
    assert_handled(outcome, codes={0, 2})


@SETTINGS
@given(document=st.one_of(json_values, mutated_machines()))
def test_machine_documents(document: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "machine.json"
    path.write_text(json.dumps(document))
    _run_plan(path, capsys)


@SETTINGS
@given(data=st.binary(max_size=200))
def test_machine_bytes(data: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "machine.json"
    path.write_bytes(data)
    _run_plan(path, capsys)


pins = st.fixed_dictionaries(
    {"name": st.one_of(st.sampled_from(["torch", "torchvision", "torchaudio", "Torch_Vision"]), scalars),
     "version": st.one_of(st.sampled_from(["2.5.1", "2.5.1+cu124", "0.20.1", "latest"]), scalars)},
    optional={"url": st.one_of(st.none(), st.text(max_size=40), scalars)},
)  # fmt: skip
restore_documents = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"packages": st.one_of(st.lists(pins, max_size=4), json_values)},
        optional={
            "version": st.one_of(st.just(1), scalars),
            "python": st.one_of(st.text(max_size=30), scalars),
        },
    ),
)


@SETTINGS
@given(document=restore_documents)
def test_restore_documents(document: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    python, log = recording_python(tmp_path / "env")
    path = tmp_path / "restore.json"
    path.write_text(json.dumps(document))
    log.unlink(missing_ok=True)
    outcome = run_main(["install", "--restore", str(path), "--python", str(python)], capsys)
    # the fake interpreter fails when asked about itself, so a valid document ends in exit 2 too
    assert_handled(outcome, codes={2})
    if log.exists():  # the interpreter was only run after the whole document was validated
        from torchsmith.restore_record import load_restore

        load_restore(path)


TARGETS = {
    "uv": "pyproject.toml",
    "poetry": "pyproject.toml",
    "pixi": "pixi.toml",
    "conda": "environment.yml",
    "pip": "requirements.txt",
}
toml_lines = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "[project]",
                'name = "demo"',
                'dependencies = ["torch==2.4.1", "numpy"]',
                'dependencies = "torch"',
                "[tool.uv.sources]",
                'torch = { index = "mine" }',
                "torch = 5",
                "[[tool.uv.index]]",
                'name = "pytorch-cpu"',
                "[tool.poetry.dependencies]",
                'torch = "^2.4"',
                "[dependencies]",
                'pytorch = "==2.4.1"',
                "[workspace]",
                "channels = []",
                "- python",
                "dependencies:",
                "  - pytorch=2.4",
                "torch==2.4.1",
                "--index-url http://evil",
                "# comment",
                "",
            ]
        ),
        st.text(max_size=30),
    ),
    max_size=12,
)


@SETTINGS
@given(tool=st.sampled_from(sorted(TARGETS)), lines=toml_lines, crlf=st.booleans())
def test_export_into_random_files(
    tool: str, lines: list[str], crlf: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "work"
    folder.mkdir(exist_ok=True)
    path = folder / TARGETS[tool]
    path.write_bytes(("\r\n" if crlf else "\n").join(lines).encode("utf-8", errors="surrogatepass"))
    before = checksums([path])
    outcome = run_main(["export", tool, "-o", str(path), "--offline", "--targets", "linux-cpu"], capsys)
    assert_handled(outcome, codes={0, 2})
    if outcome.code != 0:
        assert checksums([path]) == before
    path.unlink()
