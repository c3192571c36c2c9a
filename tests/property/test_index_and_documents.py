"""Properties: index parsers raise only `IndexFetchError` on any input; probe/plan documents round-trip;
the planner never sorts versions as text; `--machine FILE` reproduces the probe's own plan."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from packaging.version import Version

from tests.machines.test_machines import MACHINES, context_for
from torchsmith.errors import IndexFetchError
from torchsmith.index.simple import parse_html_page, parse_json_page, parse_project_page
from torchsmith.index.wheel import parse_wheel_file
from torchsmith.machine import load_machine, probe_context
from torchsmith.machine.model import Machine
from torchsmith.planning.model import Plan

pytestmark = pytest.mark.property

PAGE = "https://download.pytorch.org/whl/cu124/torch/"
ANCHOR = '<a href="/whl/cu124/torch-2.5.1%2Bcu124-cp311-cp311-linux_x86_64.whl#sha256={}" {}>x</a>'


@given(st.text())
@example('<a href="torch-2.5.1-cp311-cp311-linux_x86_64.whl#sha256=zz">')
@example('<a href="torch-2.5.1-cp311-cp311-linux_x86_64.whl" data-dist-info-metadata="sha256=">')
@example("<a href>")
def test_html_parser_raises_only_index_errors(text: str) -> None:
    try:
        page = parse_html_page(text, PAGE, "torch")
    except IndexFetchError as error:
        assert PAGE in str(error)
        return
    assert all(f.url.startswith("https://") or f.url.startswith("http") for f in page.files)


@given(st.text() | st.builds(json.dumps, st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=20)))  # fmt: skip
@example('{"meta": {"api-version": "1.0"}, "name": "torch", "files": [{"filename": 3}]}')
@example('{"files": [{"filename": "a.whl", "url": "a.whl", "hashes": {"sha256": 5}}]}')
def test_json_parser_raises_only_index_errors(text: str) -> None:
    with contextlib.suppress(IndexFetchError):
        parse_json_page(text, PAGE)


@given(st.binary(), st.sampled_from(["text/html", "application/vnd.pypi.simple.v1+json", "", "image/png"]))
def test_page_dispatch_raises_only_index_errors(body: bytes, content_type: str) -> None:
    with contextlib.suppress(IndexFetchError):
        parse_project_page(body, content_type, PAGE, "torch")


@given(
    st.from_regex(r"[0-9a-f]{64}", fullmatch=True), st.sampled_from(["", 'data-requires-python="&gt;=3.9"'])
)
def test_valid_anchors_keep_hash_and_requires_python(digest: str, attribute: str) -> None:
    page = parse_html_page(ANCHOR.format(digest, attribute), PAGE, "torch")
    (file,) = page.files
    assert file.sha256 == digest
    assert file.filename == "torch-2.5.1+cu124-cp311-cp311-linux_x86_64.whl"
    assert file.requires_python == (">=3.9" if attribute else None)


@given(st.text())
def test_wheel_filenames_never_raise(name: str) -> None:
    parse_wheel_file(name)


def test_planner_ranks_2_10_above_2_9_1(tmp_path: Path) -> None:
    """light-the-torch picks 2.9.1 over 2.10 by sorting text; the planner compares versions."""
    from torchsmith.index.settings import IndexSettings
    from torchsmith.planning.plan import make_plan

    offline = IndexSettings.from_env({"TORCHSMITH_OFFLINE": "1", "TORCHSMITH_CACHE_DIR": str(tmp_path)})
    machine = probe_context(context_for("h100-driver580"))
    plan = make_plan(["torch>=2.9,<2.11"], machine=machine, settings=offline)
    assert Version(plan.packages[0].version).public == "2.10.0"


@pytest.mark.parametrize("name", MACHINES)
def test_probe_json_round_trips_through_machine_file(name: str, tmp_path: Path) -> None:
    machine = probe_context(context_for(name))
    path = tmp_path / "machine.json"
    path.write_text(json.dumps(machine.to_json()))
    assert load_machine(path) == machine
    assert Machine.from_json(json.loads(json.dumps(machine.to_json()))).to_json() == machine.to_json()


@given(st.dictionaries(st.sampled_from(["nvidia", "amd", "apple", "jetson", "python", "libc"]), st.none()))
def test_partial_machine_documents_load(sections: dict[str, None]) -> None:
    machine = Machine.from_json({"os": "linux", "arch": "x86_64", **sections})
    assert machine.backends == ("cpu",) and machine.platform_key == "linux-x86_64"


def test_plan_json_round_trips(tmp_path: Path) -> None:
    from torchsmith.index.settings import IndexSettings
    from torchsmith.planning.plan import make_plan

    settings_ = IndexSettings.from_env({"TORCHSMITH_OFFLINE": "1", "TORCHSMITH_CACHE_DIR": str(tmp_path)})
    for name in MACHINES:
        try:
            plan = make_plan(["torch"], machine=probe_context(context_for(name)), settings=settings_)
        except Exception as error:  # a machine nothing runs on (musl) is a ResolutionError, nothing else
            assert type(error).__name__ == "ResolutionError", name
            continue
        assert Plan.from_json(json.loads(json.dumps(plan.to_json()))) == plan
