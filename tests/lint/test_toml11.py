"""TOML 1.1 inline tables read without tomlkit: the rewrite to TOML 1.0 must read as tomlkit reads them.

TOML 1.1 allows newlines, comments and a trailing comma inside inline tables, between key/value pairs
(https://github.com/toml-lang/toml/blob/main/CHANGELOG.md, `inline-table` in toml.abnf); pixi's docs
write `torch = {\\n  version = "...",\\n  index = "..."\\n}`. tomlkit (0.13 and later reads TOML 1.1) is
the oracle: for every text stdlib `tomllib` rejects, `_toml_1_1` must give what tomlkit gives (a dict, or
nothing for text tomlkit rejects too).
"""

from __future__ import annotations

import sys
from typing import Any

import pytest
import tomlkit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from torchsmith.lint.toml_files import _toml_1_1

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def _tomlkit(text: str) -> dict[str, Any] | None:
    try:
        value = tomlkit.parse(text).unwrap()
    except Exception:
        return None
    return value if isinstance(value, dict) else None


def _rejected_by_tomllib(text: str) -> bool:
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return True
    return False


CASES = [
    # valid TOML 1.1, not TOML 1.0
    'torch = {\n  version = ">=2.5.1",\n  index = "https://download.pytorch.org/whl/cu124"\n}\n',
    "a = {x = 1, }\n",
    "a = {\n x = 1 }\n",
    "a = { x = 1\n}\n",
    'a = { # why\n x = 1, # one\n y = "}#,\'" # two\n}\n',
    "a = {x = [1,\n 2], }\n",
    'a = {x = """l1\nl2 } # ,""",\n}\n',
    "a = {x = '''l1\n}'''\n}\n",
    "[t]\na = {\n b = {\n c = 1,\n },\n}\n",
    "a = {\r\n x = 1,\r\n}\r\n",
    "a = {x.y = 1,\n x.z = 2}\n",
    "a = {x = 1,\n\n y = 2,\n\n}\n",
    "a = {\n}\n",
    "a = {x = 1\n,y = 2}\n",
    'a = {x = "q\\"}",\n}\n',
    "[[a]]\nb = {\n c = [\n  {d = 1,},\n ],\n}\n",
    # TOML 1.1's other additions: read by tomlkit
    'a = "\\e"\n',
    'a = {x = "\\x41",\n}\n',
    "a = 07:32\n",
    # invalid in TOML 1.1 too
    "a = {,}\n",
    "a = {x = 1,,}\n",
    "a = {x =\n 1}\n",
    "a = {x\n = 1}\n",
    "a = {x = 1\n y = 2}\n",
    "a = {x = 1, x = 2,\n}\n",
    "a = {\n,\n}\n",
    'a = {x = "open\n}\n',
    "a = {x = 1,\n",
    '[project]\ndependencies = ["torch"\n[tool.uv]\n',
]


@pytest.mark.parametrize("text", CASES)
def test_rejected_text_reads_as_tomlkit_reads_it(text: str) -> None:
    assert _rejected_by_tomllib(text)
    assert _toml_1_1(text) == _tomlkit(text)


def test_the_pixi_docs_example_reads_without_importing_tomlkit() -> None:
    code = (
        "import sys\n"
        "from torchsmith.lint.toml_files import _toml_1_1\n"
        f"assert _toml_1_1({CASES[0]!r}) is not None\n"
        "assert 'tomlkit' not in sys.modules\n"
    )
    import subprocess

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


# Generated inline tables: any layout TOML 1.1 allows must read as the same values.
_keys = st.sampled_from(["a", "b", "c-d", "e_f", '"q}"', "'#,'"])
_scalars = st.one_of(
    st.integers(-5, 5).map(str),
    st.sampled_from(["true", "false"]),
    st.sampled_from(['"x"', '"}"', '"#"', '","', "'{'", '"\\""', '"""m\n}"""']),
)
_gaps = st.sampled_from(["", " ", "\n", " # c }\n", "\n\n  ", "\r\n"])


@st.composite
def _inline_table(draw: st.DrawFn, depth: int = 0) -> str:
    keys = draw(st.lists(_keys, max_size=4, unique=True))
    pairs = []
    for key in keys:
        value = draw(_inline_table(depth + 1)) if depth < 2 and draw(st.booleans()) else draw(_scalars)
        pairs.append(f"{key} = {value}")
    out = "{" + draw(_gaps)
    for index, pair in enumerate(pairs):
        out += pair + draw(_gaps)
        if index < len(pairs) - 1 or draw(st.booleans()):
            out += "," + draw(_gaps)
    return out + "}"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=_inline_table())
def test_generated_inline_tables_read_as_tomlkit_reads_them(table: str) -> None:
    text = f"[t]\nv = {table}\nafter = 1\n"
    if not _rejected_by_tomllib(text):
        return  # TOML 1.0 already: never reaches the fallback
    expected = _tomlkit(text)
    assert expected is not None, text  # the generator writes valid TOML 1.1 only
    assert _toml_1_1(text) == expected


toml_ish = st.lists(
    st.sampled_from([*"{}[]=\",#'\n x1", "\r\n", '"""', "a = ", "b = {", "}\n", ", ", "\\"]),
    max_size=30,
).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=toml_ish)
def test_any_rejected_text_reads_as_tomlkit_reads_it(text: str) -> None:
    if _rejected_by_tomllib(text):
        assert _toml_1_1(text) == _tomlkit(text)
