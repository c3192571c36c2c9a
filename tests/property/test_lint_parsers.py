"""Fuzzing the lint parsers and rules: any text, and any mutation of a real config, gives findings.

Malformed TOML, YAML, INI or requirements text must come back as a `parse-error` finding, never as an
exception; text that parses must run every rule without raising either.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from torchsmith.lint import lint_text
from torchsmith.lint.document import Kind
from torchsmith.lint.tomlpos import scan_positions

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

pytestmark = pytest.mark.property

CORPUS = Path(__file__).parents[1] / "lint" / "corpus"
FILES: dict[str, Kind] = {
    "pyproject.toml": "pyproject",
    "pixi.toml": "pixi",
    "uv.toml": "uv",
    "environment.yml": "conda",
    "requirements.txt": "requirements",
    "pip.conf": "pip-conf",
}
SAMPLES = sorted((p.name, p.read_text()) for p in CORPUS.rglob("*") if p.is_file() and p.name in FILES)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

toml_ish = st.lists(
    st.sampled_from([*"[]{}=\".,#'\n \tabxyz0123_-+:*<>", "\r\n", '"""', "[[", "]]", "a = ", "- "]),
).map("".join)


@FUZZ
@given(name=st.sampled_from(sorted(FILES)), text=st.text() | toml_ish)
@example(name="pyproject.toml", text="[a]\n[a]\n")
@example(name="environment.yml", text="- a\n- b\n")
@example(name="environment.yml", text="a: !!python/object:os.system x\n")
@example(name="environment.yml", text="&a [*a]")
@example(name="pip.conf", text="key = value\n")
@example(name="requirements.txt", text="torch==\n-i\n")
def test_any_text_gives_findings_never_an_exception(name: str, text: str) -> None:
    hits = lint_text(text, Path(name), FILES[name])
    for hit in hits:
        assert hit.finding.location is not None
        assert hit.finding.location.line >= 1 and hit.finding.location.column >= 1


@FUZZ
@given(
    sample=st.sampled_from(SAMPLES),
    cuts=st.lists(st.tuples(st.integers(0, 5000), st.integers(0, 8), st.text(max_size=4)), max_size=4),
)
def test_mutated_real_configs_never_raise(sample: tuple[str, str], cuts: list[tuple[int, int, str]]) -> None:
    name, text = sample
    for start, length, insert in cuts:
        start %= len(text) + 1
        text = text[:start] + insert + text[start + length :]
    lint_text(text, Path(name), FILES[name])


@FUZZ
@given(text=st.text() | toml_ish)
def test_invalid_toml_is_exactly_one_parse_error(text: str) -> None:
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        pass
    else:
        return
    hits = lint_text(text, Path("pixi.toml"), "pixi")
    rules = [h.finding.rule for h in hits]
    assert rules == ["parse-error"] or "parse-error" not in rules  # tomlkit may accept TOML 1.1


@FUZZ
@given(text=st.text() | toml_ish)
def test_position_scanner_never_raises(text: str) -> None:
    positions = scan_positions(text)
    lines = text.count("\n") + 1
    assert all(1 <= line <= lines and column >= 1 for line, column in positions.values())
