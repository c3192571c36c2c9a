"""Constraint dialects (Poetry, conda) and index URL classification, on values taken from real configs."""

from __future__ import annotations

import pytest
from packaging.specifiers import SpecifierSet

from torchsmith.lint.specs import conda_spec, parse_match_spec, poetry_spec
from torchsmith.lint.urls import classify, is_insecure, wheel_backend


@pytest.mark.parametrize(
    ("constraint", "expected"),
    [
        ("^2.2", ">=2.2,<3"),
        ("^0.18", ">=0.18,<0.19"),
        ("^0.0.3", ">=0.0.3,<0.0.4"),
        ("~2.5.1", ">=2.5.1,<2.6"),
        ("~2", ">=2,<3"),
        ("2.5.1", "==2.5.1"),
        ("2.5.*", "==2.5.*"),
        (">=2.5 <3", ">=2.5,<3"),
        (">=2.5,<3", ">=2.5,<3"),
        ("*", ""),
    ],
)
def test_poetry_constraints(constraint: str, expected: str) -> None:
    assert poetry_spec(constraint) == SpecifierSet(expected)


def test_poetry_unions_are_unknown() -> None:
    assert poetry_spec("^1.0 || ^2.0") is None
    assert poetry_spec("^banana") is None


@pytest.mark.parametrize(
    ("constraint", "expected"),
    [("2.5.*", "==2.5.*"), (">=2.5,<3", ">=2.5,<3"), ("2.5.1", "==2.5.1"), ("=2.5", "==2.5.*"), ("*", "")],
)
def test_conda_constraints(constraint: str, expected: str) -> None:
    assert conda_spec(constraint) == SpecifierSet(expected)


def test_match_specs() -> None:
    spec = parse_match_spec("conda-forge::pytorch=2.5.1=cuda126*")
    assert spec is not None
    assert (spec.name, spec.channel, spec.build) == ("pytorch", "conda-forge", "cuda126*")
    assert spec.specifier() == SpecifierSet("==2.5.1.*")
    spaced = parse_match_spec("pytorch 2.5.1 cuda*")
    assert spaced is not None and spaced.specifier() == SpecifierSet("==2.5.1") and spaced.build == "cuda*"
    bracket = parse_match_spec("pytorch[version='>=2.5',build=*cuda*]")
    assert bracket is not None and bracket.version == ">=2.5" and bracket.build == "*cuda*"
    assert parse_match_spec("::") is None


def test_classify_pytorch_indexes() -> None:
    info = classify("HTTPS://download.pytorch.org/whl/cu124/")
    assert info is not None and info.key == "cu124" and info.backend is not None
    nightly = classify("https://download.pytorch.org/whl/nightly/rocm6.2")
    assert nightly is not None and nightly.key == "nightly/rocm6.2"
    assert nightly.backend is not None and nightly.backend.kind == "rocm"
    jetson = classify("https://pypi.jetson-ai-lab.io/jp6/cu126/+simple/")
    assert jetson is not None and jetson.key == "jp6-cu126"
    assert classify("https://pypi.org/simple") is None
    assert classify("https://download.pytorch.org.evil.example/whl/cu124") is None


def test_wheel_urls_name_their_backend() -> None:
    info = wheel_backend(
        "https://download.pytorch.org/whl/cu124/torch-2.5.1%2Bcu124-cp312-cp312-linux_x86_64.whl"
    )
    assert info is not None and info.key == "cu124"
    flat = wheel_backend("https://download.pytorch.org/whl/torch-2.5.1%2Bcpu-cp312-cp312-linux_x86_64.whl")
    assert flat is not None and flat.key == "cpu"


def test_insecure() -> None:
    assert is_insecure("http://mirror.example/simple")
    assert not is_insecure("https://mirror.example/simple")
    assert not is_insecure("http://127.0.0.1:8080/simple")
    assert not is_insecure("http://localhost/simple")
