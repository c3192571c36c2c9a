"""The Jetson table: invariants of the data, then L4T -> JetPack -> CUDA answers."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import pytest
from packaging.version import Version

from torchsmith.backends import parse_backend
from torchsmith.knowledge._load import load_table
from torchsmith.knowledge.jetson import jetpack_for_l4t, jetpack_releases

V = Version


def test_every_entry_names_a_declared_source_with_url_and_date() -> None:
    table = load_table("jetson")
    for name, source in table.sources.items():
        assert source["url"].startswith("https://"), name
        assert "retrieved" in source, name
    for kind in ("row", "series", "wheel"):
        for entry in table.rows(kind):
            names = entry["source"] if isinstance(entry["source"], list) else [entry["source"]]
            assert names and all(n in table.sources for n in names), entry


def test_rows_unique_and_newest_first() -> None:
    l4ts = [r.l4t for r in jetpack_releases()]
    assert l4ts == sorted(set(l4ts), reverse=True)
    assert len(l4ts) == len(load_table("jetson").rows())


@pytest.mark.parametrize(
    ("l4t_major", "jetpack_major", "python"),
    [
        (32, "4", "3.6"),
        (34, "5", "3.8"),
        (35, "5", "3.8"),
        (36, "6", "3.10"),
        (38, "7", "3.12"),
        (39, "7", "3.12"),
    ],
)
def test_each_l4t_line_has_one_jetpack_major_and_python(
    l4t_major: int, jetpack_major: str, python: str
) -> None:
    rows = [r for r in jetpack_releases() if r.l4t.major == l4t_major]
    assert rows
    assert {r.jetpack.split(".")[0] for r in rows} == {jetpack_major}
    assert {r.python for r in rows} == {python}


def test_cuda_grows_with_l4t_and_gaps_have_notes() -> None:
    known = [(r.l4t, r.cuda) for r in reversed(jetpack_releases()) if r.cuda is not None]
    cudas = [c for _, c in known]
    assert cudas == sorted(cudas), known
    for release in jetpack_releases():
        if release.cuda is None:
            assert release.note, release.l4t


def test_wheels_match_their_release() -> None:
    for release in jetpack_releases():
        for wheel in release.wheels:
            assert wheel.python == "cp" + release.python.replace(".", ""), wheel
            assert not release.sbsa  # JetPack 7 uses upstream wheels
            name = PurePosixPath(wheel.url).name
            if name.startswith("torch-"):  # box.com links hide the file name
                version = re.match(r"torch-([^-]+)-", name)
                assert version and Version(version.group(1)) == wheel.torch, wheel.url
                assert f"-{wheel.python}-" in name


def test_backends_are_jetson_backends_of_their_cuda() -> None:
    for release in jetpack_releases():
        if release.backend is None:
            continue
        backend = parse_backend(release.backend)
        assert backend.kind == "jetson"
        assert backend.cuda == release.cuda
        assert str(backend.jetpack) == release.jetpack.split(".")[0]


@pytest.mark.parametrize(
    ("l4t", "jetpack", "cuda", "backend"),
    [
        ("36.4.0", "6.1", "12.6", "jp6-cu126"),
        ("36.4.3", "6.2", "12.6", "jp6-cu126"),
        ("36.3.0", "6.0", "12.2", None),
        ("35.2.1", "5.1", "11.4", None),
        ("35.4.1", "5.1.2", "11.4", None),
        ("32.7.1", "4.6.1", "10.2", None),
        ("38.2.0", "7.0", "13.0", None),
    ],
)
def test_jetpack_for_l4t(l4t: str, jetpack: str, cuda: str, backend: str | None) -> None:
    release = jetpack_for_l4t(V(l4t))
    assert release is not None
    assert (release.l4t, release.jetpack, str(release.cuda), release.backend) == (
        V(l4t),
        jetpack,
        cuda,
        backend,
    )


def test_wheels_follow_the_jetpack_version() -> None:
    jp51 = jetpack_for_l4t(V("35.2.1"))
    jp512 = jetpack_for_l4t(V("35.4.1"))
    jp513 = jetpack_for_l4t(V("35.5.0"))
    assert jp51 is not None and jp512 is not None and jp513 is not None
    assert {str(w.torch) for w in jp51.wheels} == {"2.0.0+nv23.5", "2.1.0a0+41361538.nv23.6"}
    assert {str(w.torch) for w in jp512.wheels} == {"2.1.0a0+41361538.nv23.6"}
    # JetPack 5.1.3+ (L4T 35.5+) keeps CUDA 11.4 and Python 3.8, so NVIDIA's jp/v512 wheel still serves it
    # (NVIDIA, "Installing PyTorch for Jetson Platform"; issue 10, root cause 4).
    assert {str(w.torch) for w in jp513.wheels} == {"2.1.0a0+41361538.nv23.6"}


def test_stages_and_sbsa() -> None:
    dp = jetpack_for_l4t(V("36.2.0"))
    thor = jetpack_for_l4t(V("38.2.0"))
    assert dp is not None and (dp.jetpack, dp.stage) == ("6.0", "DP")
    assert thor is not None and thor.sbsa and thor.python == "3.12"


def test_unlisted_releases() -> None:
    nearest = jetpack_for_l4t(V("36.4.5"))
    assert nearest is not None and nearest.l4t == V("36.4.4")  # same R36.4 line, nearest older
    assert jetpack_for_l4t(V("36.1.0")) is None  # no R36.1 line: never guessed across lines
    assert jetpack_for_l4t(V("31.0.0")) is None
    assert jetpack_for_l4t(V("40.0.0")) is None
    early = jetpack_for_l4t(V("32.3.1"))
    assert early is not None and early.cuda is None and early.jetpack == "4.3"
