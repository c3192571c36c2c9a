"""The CUDA ↔ driver table: invariants of the data and the answers the planner and probe rely on."""

from __future__ import annotations

import pytest
from packaging.version import Version

from torchsmith.knowledge import cuda_drivers
from torchsmith.knowledge._load import load_table
from torchsmith.knowledge.cuda_drivers import (
    cuda_for_driver,
    driver_rows,
    min_driver,
    relies_on_minor_compat,
    toolkit_driver,
)

V = Version


def test_every_row_names_a_declared_source_with_url_and_date() -> None:
    table = load_table("cuda_drivers")
    for name, source in table.sources.items():
        assert source["url"].startswith("https://"), name
        assert "retrieved" in source, name
    for row in table.rows():
        names = row["source"] if isinstance(row["source"], list) else [row["source"]]
        assert names and all(n in table.sources for n in names), row["cuda"]


def test_cuda_keys_unique_and_cover_10_0_to_13_x() -> None:
    cudas = [str(r.cuda) for r in driver_rows()]
    assert len(cudas) == len(set(cudas))
    assert cudas[0] == "10.0"
    assert {"11.8", "12.4", "12.6", "12.8", "12.9", "13.0", "13.2"} <= set(cudas)
    assert "12.7" not in cudas  # never released


@pytest.mark.parametrize("os", ["linux", "windows"])
def test_toolkit_drivers_grow_with_cuda(os: str) -> None:
    known = [(r.cuda, r.toolkit_driver[os]) for r in driver_rows() if r.toolkit_driver[os] is not None]
    drivers = [d for _, d in known]
    assert drivers == sorted(drivers), known


def test_gaps_carry_a_note() -> None:
    for row in driver_rows():
        if None in row.toolkit_driver.values() or None in row.min_driver.values():
            assert row.note, row.cuda


def test_minor_compat_only_from_cuda_11() -> None:
    for row in driver_rows():
        assert row.minor_compat == (row.cuda >= V("11.0")), row.cuda


@pytest.mark.parametrize(
    ("cuda", "os", "expected"),
    [
        ("13.0", "linux", "580.65.06"),
        ("13.2", "linux", "580.65.06"),  # minor-version compatibility inside 13.x
        ("12.8", "linux", "525.60.13"),
        ("12.1", "windows", "528.33"),
        ("11.8", "linux", "450.80.02"),
        ("10.2", "linux", "440.33"),
        ("12.6.3", "linux", "525.60.13"),  # a patch version resolves to its minor
        ("13.5", "linux", "580.65.06"),  # an unlisted 13.x minor still has the family minimum
    ],
)
def test_min_driver(cuda: str, os: str, expected: str) -> None:
    assert min_driver(V(cuda), os) == V(expected)


def test_min_driver_unknown() -> None:
    assert min_driver(V("9.2"), "linux") is None
    assert min_driver(V("12.6"), "macos") is None


def test_toolkit_driver() -> None:
    assert toolkit_driver(V("12.6"), "linux") == V("560.28.03")
    assert toolkit_driver(V("13.0"), "linux") == V("580.65.06")
    assert toolkit_driver(V("12.4"), "windows") == V("551.61")
    assert toolkit_driver(V("13.4"), "linux") is None  # recorded gap


@pytest.mark.parametrize(
    ("driver", "os", "expected"),
    [
        ("550.54", "linux", "12.4"),  # compared at the precision given
        ("550.54.15", "linux", "12.4"),
        ("550.54.13", "linux", "12.3"),
        ("580.65.06", "linux", "13.0"),
        ("580.126.09", "linux", "13.0"),
        ("590.48.01", "linux", "13.1"),
        ("535.54.03", "linux", "12.2"),
        ("470.82.01", "linux", "11.4"),
        ("560.94", "windows", "12.6"),
        ("418.39", "linux", "10.1"),
    ],
)
def test_cuda_for_driver(driver: str, os: str, expected: str) -> None:
    assert cuda_for_driver(V(driver), os) == V(expected)


def test_cuda_for_driver_too_old_or_no_cuda_os() -> None:
    assert cuda_for_driver(V("390.48"), "linux") is None
    assert cuda_for_driver(V("580.65.06"), "macos") is None


def test_relies_on_minor_compat() -> None:
    # cu130 wheel on the 13.0 GA driver: full support
    assert not relies_on_minor_compat(V("13.0"), V("580.65.06"), "linux")
    # cu132 wheel on R580: runs only through minor-version compatibility
    assert relies_on_minor_compat(V("13.2"), V("580.95.05"), "linux")
    # cu128 on an R560 driver: above 525.60.13, below 570.86.10
    assert relies_on_minor_compat(V("12.8"), V("560.35.03"), "linux")
    # below the minimum it does not run at all, which is not "minor compat"
    assert not relies_on_minor_compat(V("12.8"), V("470.82.01"), "linux")
    # 13.4's driver is unknown, but an R580 driver is below 13.3's, so it must rely on minor compat
    assert relies_on_minor_compat(V("13.4"), V("580.65.06"), "linux")


def test_rows_are_parsed_once() -> None:
    assert cuda_drivers.driver_rows() is not None
    assert cuda_drivers._rows() is cuda_drivers._rows()
