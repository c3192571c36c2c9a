"""The library functions the `torchsmith distro` subcommands call: results, summaries and exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.distro.conftest import STANDARD, DistroDir
from torchsmith.distro import (
    affected,
    cell_matrix,
    check_bounds,
    init_distro,
    make_report,
    promote,
    run_tests,
)
from torchsmith.distro.registry import DistroError


def test_init_then_matrix(tmp_path: Path) -> None:
    init = init_distro(path=tmp_path / "distro.toml")
    assert (
        init.summary() == f"wrote {tmp_path / 'distro.toml'}: edit the members and the matrix, then "
        "`torchsmith distro test`"
    )
    assert init.to_json() == {"path": str(tmp_path / "distro.toml"), "written": True}
    matrix = cell_matrix(distro_path=init.path, format="github")
    assert matrix.exit_code == 0 and len(matrix.to_json()["include"]) == 8
    with pytest.raises(DistroError, match="invalid value `yaml` for `--format`"):
        cell_matrix(distro_path=init.path, format="yaml")


def test_report_and_promote_need_results(distro_dir: Callable[[], DistroDir]) -> None:
    d = distro_dir()
    d.write(STANDARD)
    with pytest.raises(DistroError, match="no results in") as raised:
        make_report(distro_path=d.path)
    assert raised.value.hint == "run `torchsmith distro test` first"
    with pytest.raises(DistroError, match="no results in"):
        promote(distro_path=d.path, settings=d.settings)
    with pytest.raises(DistroError, match="invalid value `pdf` for `--format`"):
        make_report(distro_path=d.path, format="pdf")
    bogus = d.root / "bogus.json"
    bogus.write_text('{"cells": []}')
    with pytest.raises(DistroError, match="is not a distro results file"):
        make_report(merge=[bogus])


def test_affected_json(distro_dir: Callable[[], DistroDir]) -> None:
    d = distro_dir()
    d.write(STANDARD)
    result = affected(distro_path=d.path, package="alpha", settings=d.settings)
    assert result.to_json() == {"package": "alpha", "affected": ["alpha", "beta"]} and result.exit_code == 0


@pytest.mark.slow
def test_tier0_run_report_bounds_round_trip(distro_dir: Callable[[], DistroDir]) -> None:
    d = distro_dir()
    d.write(STANDARD)
    run = run_tests(distro_path=d.path, tier=0, jobs=2, settings=d.settings, env=d.env)
    assert run.summary().splitlines() == [
        "torch2.9-cpu-py3.11: ok (3 pass)",
        "torch2.11-cpu-py3.11: ok (2 pass, 1 skipped)",
    ]
    report = make_report(distro_path=d.path, format="json")
    data = json.loads(report.text)
    assert data["tier"] == 0 and data["graph"]["deps"] == {"alpha": [], "ext": [], "beta": ["alpha"]}
    assert {"schema_version": 1, **report.to_json()} == data and report.exit_code == 0
    # the results feed the bound check: ext's pin is exactly its passing torch
    bounds = check_bounds(distro_path=d.path, settings=d.settings)
    assert [(r.member, r.recommended) for r in bounds.rows] == [
        ("alpha", "torch>=2.9"),
        ("ext", "torch==2.9.*"),
        ("beta", "torch>=2.9"),
    ]


def test_cli_affected_and_tier0(
    distro_dir: Callable[[], DistroDir], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`torchsmith distro ...` is a thin layer over these functions: same documents, same exit codes."""
    from torchsmith.cli import main

    d = distro_dir()
    d.write(STANDARD)
    monkeypatch.setenv("TORCHSMITH_INDEX_URL", d.settings.index_base)
    monkeypatch.setenv("UV_INDEX_URL", d.settings.default_index)
    monkeypatch.setenv("TORCHSMITH_CACHE_DIR", str(d.settings.cache_dir))
    assert main(["distro", "affected", "alpha", "--distro", str(d.path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "schema_version": 1,
        "package": "alpha",
        "affected": ["alpha", "beta"],
    }
    for key, value in d.env.items():
        monkeypatch.setenv(key, value)
    assert main(["-q", "distro", "test", "--tier", "0", "--distro", str(d.path)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "torch2.9-cpu-py3.11: ok (3 pass)",
        "torch2.11-cpu-py3.11: ok (2 pass, 1 skipped)",
    ]
