"""Shortcuts lint takes for speed (issue 17) give exactly what the code they stand in for gives.

- Option lines are split as pip splits them, with `shlex.split`; `req_syntax._words` uses `str.split`
  where the two must agree. Any text, and text made of the characters that matter, must split the same.
"""

from __future__ import annotations

import shlex

from hypothesis import example, given, settings
from hypothesis import strategies as st

from torchsmith.lint.req_syntax import _words

option_ish = st.lists(
    st.sampled_from([*" \t\r\n\x0b\x0c\x1c\x85\xa0\u2003'\"\\#=-", "--index-url", "https://x/simple", "a"]),
).map("".join)


def _shlex(text: str) -> list[str] | str:
    try:
        return shlex.split(text)
    except ValueError as error:
        return str(error)


def _ours(text: str) -> list[str] | str:
    try:
        return _words(text)
    except ValueError as error:
        return str(error)


@settings(max_examples=500, deadline=None)
@given(text=st.text() | option_ish)
@example(text="--extra-index-url https://download.pytorch.org/whl/cu124 --pre")
@example(text="-i\x0bhttps://x")
@example(text="a\u2003b")
def test_words_split_as_shlex_splits(text: str) -> None:
    assert _ours(text) == _shlex(text)
