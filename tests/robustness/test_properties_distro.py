"""Property tests: random documents into the distro loaders (the registry and the results files); exit 0,
1 or 2 with no traceback, never 3 (issue 11's "every loader", for the loaders issue 12 owns).

The registry is read by every `distro` action; `distro matrix` and `distro workflow` read nothing else, so
they exercise `load_distro` offline. Results files are read by `distro report --merge`. Documents are
random TOML / JSON values, random mutations of a valid document (the one `distro init` writes, and a
results document of the current shape), and random bytes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.robustness.cli_case import assert_handled, run_main

pytestmark = [pytest.mark.property]

SETTINGS = settings(
    max_examples=int(os.environ.get("TORCHSMITH_PROPERTY_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

keys = st.sampled_from(
    ["distro", "name", "members", "matrix", "torch", "backends", "python", "package", "source", "test",
     "requires", "abi", "required-tier", "prereleases", "torch-wheels", "path", "index", "git", "x"]
)  # fmt: skip
scalars = st.one_of(
    st.booleans(),
    st.integers(-(2**31), 2**31),
    st.text(max_size=16),
    st.sampled_from(["2.5", "cu124", "cpu", "3.11", "torch>=2.4", "pure", "exact-abi", "../../etc", "-rf"]),
)
toml_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=16,
)


def _cwd_registry(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "distro.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@SETTINGS
@given(document=st.dictionaries(keys, toml_values, max_size=5))
def test_random_registry_documents(
    document: dict[str, Any], tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    import tomlkit

    folder = tmp_path_factory.mktemp("registry")
    path = _cwd_registry(folder, tomlkit.dumps(document))
    for action in (["matrix"], ["workflow", "-o", str(folder / "ci.yml")]):
        outcome = run_main(["distro", *action, "--distro", str(path)], capsys)
        assert_handled(outcome, codes=(0, 1, 2))


@SETTINGS
@given(data=st.binary(max_size=200))
def test_random_registry_bytes(
    data: bytes, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _cwd_registry(tmp_path_factory.mktemp("registry"), data)
    assert_handled(run_main(["distro", "matrix", "--distro", str(path)], capsys), codes=(0, 2))


@SETTINGS
@given(cut=st.integers(0, 4000), junk=st.text(max_size=12))
def test_mutated_init_registry(
    cut: int, junk: str, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    """The registry `distro init` writes, with junk spliced in at a random place."""
    folder = tmp_path_factory.mktemp("registry")
    assert run_main(["distro", "init", "--distro", str(folder / "seed.toml")], capsys).code == 0
    text = (folder / "seed.toml").read_text(encoding="utf-8")
    cut = cut % (len(text) + 1)
    path = _cwd_registry(folder, text[:cut] + junk + text[cut:])
    assert_handled(run_main(["distro", "matrix", "--distro", str(path)], capsys), codes=(0, 2))


def _assert_report_handles(
    data: bytes, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    """`distro report --merge FILE` on a results file holding `data`: exit 0, 1 or 2, no traceback."""
    folder = tmp_path_factory.mktemp("results")
    assert run_main(["distro", "init", "--distro", str(folder / "distro.toml")], capsys).code == 0
    results = folder / "results.json"
    results.write_bytes(data)
    argv = ["distro", "report", "--distro", str(folder / "distro.toml"), "--merge", str(results)]
    assert_handled(run_main([*argv, "--format", "json"], capsys), codes=(0, 1, 2))


json_values = st.recursive(
    st.one_of(st.none(), scalars),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.one_of(
                keys,
                st.sampled_from(
                    ["cells", "cell", "outcomes", "status", "tier", "sha256", "version", "members"]
                ),
            ),
            inner,
            max_size=4,
        ),
    ),
    max_leaves=16,
)


@SETTINGS
@given(document=json_values)
def test_random_results_documents(
    document: Any, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    _assert_report_handles(json.dumps(document).encode("utf-8"), tmp_path_factory, capsys)


@SETTINGS
@given(data=st.binary(max_size=200))
def test_random_results_bytes(
    data: bytes, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    _assert_report_handles(data, tmp_path_factory, capsys)
