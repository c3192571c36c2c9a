"""The ROCm gfx table: invariants of the data, then the answers the probe and planner rely on."""

from __future__ import annotations

from itertools import pairwise

import pytest
from packaging.version import Version

from torchsmith.backends import parse_backend
from torchsmith.errors import KnowledgeError
from torchsmith.knowledge import releases, rocm
from torchsmith.knowledge._load import Table, load_table


def test_every_row_names_a_declared_source_with_url_and_date() -> None:
    table = load_table("rocm")
    for name, source in table.sources.items():
        assert source["url"].startswith("https://"), name
        assert "retrieved" in source, name
    for row in table.rows() + table.rows("override"):
        names = row["source"] if isinstance(row["source"], list) else [row["source"]]
        assert names and all(n in table.sources for n in names), row


def test_backends_unique_newest_first_and_rocm() -> None:
    rows = rocm.rocm_rows()
    names = [row.backend for row in rows]
    assert len(names) == len(set(names))
    assert all(parse_backend(n).kind == "rocm" for n in names)
    versions = [row.version for row in rows]
    assert versions == sorted(versions, reverse=True)


def test_every_rocm_backend_of_a_torch_release_has_a_row() -> None:
    known = {row.backend for row in rocm.rocm_rows()}
    for release in releases.releases():
        for names in release.backends.values():
            for name in names:
                if name.startswith("rocm"):
                    assert name in known, (release.torch, name)


def test_gaps_carry_a_note_and_known_lists_only_grow_within_a_major() -> None:
    rows = rocm.rocm_rows()
    for row in rows:
        if row.gfx is None:
            assert row.note, row.backend
    # Within ROCm 6 and 7, a newer wheel never drops a target an older one had (rocm6.2 re-added gfx1101
    # later, so compare each row only with rocm6.2.4 and newer of its major).
    for major in (6, 7):
        lists = [
            r.gfx
            for r in reversed(rows)
            if r.gfx and r.version.major == major and r.version >= Version("6.2.4")
        ]
        for older, newer in pairwise(lists):
            assert older <= newer


def test_overrides_point_at_built_targets() -> None:
    _, overrides = rocm._load()
    built = set().union(*(r.gfx for r in rocm.rocm_rows() if r.gfx))
    for override in overrides:
        assert override.target in built
        assert not override.gfx & {override.target}


@pytest.mark.parametrize(
    ("gfx", "first", "last"),
    [
        ("gfx90a", "rocm7.2", "rocm6.0"),
        ("gfx942", "rocm7.2", "rocm6.0"),
        ("gfx1100", "rocm7.2", "rocm6.0"),
        ("gfx950", "rocm7.2", "rocm7.0"),
        ("gfx1201", "rocm7.2", "rocm6.2.4"),
        ("gfx1151", "rocm7.2", "rocm7.2"),
    ],
)
def test_backends_for_gfx(gfx: str, first: str, last: str) -> None:
    backends = rocm.backends_for_gfx(gfx)
    assert (backends[0], backends[-1]) == (first, last)


def test_backends_for_gfx_edge_cases() -> None:
    assert "rocm6.2" not in rocm.backends_for_gfx("gfx1201")  # only from 6.2.4
    assert "rocm6.2" not in rocm.backends_for_gfx("gfx1101")  # 6.1 had it, 6.2 did not
    assert rocm.backends_for_gfx("gfx90a:sramecc+:xnack-") == rocm.backends_for_gfx("GFX90A")
    assert rocm.backends_for_gfx("gfx1031") == ()
    assert rocm.backends_for_gfx("not-a-gpu") == ()


def test_gfx_targets() -> None:
    assert "gfx942" in rocm.gfx_targets("rocm6.2")
    assert "gfx1101" not in rocm.gfx_targets("rocm6.2")
    assert rocm.gfx_targets("rocm5.7") == frozenset()  # a documented gap
    assert rocm.gfx_targets("rocm9.9") == frozenset()


@pytest.mark.parametrize(
    ("gfx", "backend", "value"),
    [
        ("gfx1031", None, "10.3.0"),
        ("gfx1032", "rocm6.4", "10.3.0"),
        ("gfx1103", None, "11.0.0"),
        ("gfx1100", None, None),  # built as is
        ("gfx1101", None, None),  # built by newer wheels
        ("gfx1101", "rocm6.2", "11.0.0"),  # ... but not by this one
        ("gfx1101", "rocm6.4", None),
        ("gfx1031", "rocm5.7", None),  # gap: nothing known to be built
        ("gfx803", None, None),  # Polaris: no sibling is built
        ("junk", None, None),
    ],
)
def test_gfx_override(gfx: str, backend: str | None, value: str | None) -> None:
    assert rocm.gfx_override(gfx, backend) == value


def test_gfx_names() -> None:
    assert rocm.gfx_from_version(9, 0, 10) == "gfx90a"
    assert rocm.gfx_from_version(11, 5, 1) == "gfx1151"
    with pytest.raises(ValueError):
        rocm.gfx_from_version(9, 16, 0)
    assert rocm.normalize_gfx(" gfx942:sramecc+:xnack-\n") == "gfx942"
    assert rocm.normalize_gfx("gfx") is None


def test_malformed_table_reports_every_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    data = {
        "sources": {"s": {"url": "https://example.org", "retrieved": "2026-11-21"}},
        "row": [
            {"backend": "rocm6.0", "gfx": ["gfx90a"], "source": "s"},
            {"backend": "rocm6.1", "gfx": ["GFX90A"], "source": "nope"},
            {"backend": "cu126", "gfx": ["gfx90a"], "source": "s"},
            {"backend": "rocm5.7", "gfx": "null", "source": "s"},
        ],
        "override": [{"gfx": ["gfx1031"], "value": "10.3.0", "source": "s"}],
    }
    monkeypatch.setattr(rocm, "load_table", lambda name: Table(name, data))
    with pytest.raises(KnowledgeError) as caught:
        rocm._load.__wrapped__()
    message = str(caught.value)
    assert "6 problem(s)" in message  # row 2 has three (source, target spelling, order)
    for part in (
        "unknown source `nope`",
        "every target must look like",
        "not a ROCm backend",
        "rows must run newest first",
        "a gap needs a `note`",
        "`gfx1030` is not built",
    ):
        assert part in message
