"""The python section's fast tag (machine/python.py `_glibc_tag`) agrees with `packaging.tags.sys_tags()`.

The fast path skips importing `packaging.tags` on the probe's hot path (issue 17); packaging is the
reference (it is what pip and uv's PEP 425 ordering follow), so on the machine the tests run on the fast
answer must be exactly packaging's first non-`linux_` tag, and packaging's first tag's ABI.
"""

from __future__ import annotations

import sys

import pytest
from packaging import tags

from torchsmith.machine.python import _glibc_tag, _interpreter


def _reference() -> tags.Tag:
    every = list(tags.sys_tags())
    return next((tag for tag in every if not tag.platform.startswith("linux_")), every[0])


def test_fast_tag_matches_packaging_here() -> None:
    fast = _glibc_tag()
    if fast is None:
        pytest.skip(f"no fast path on this interpreter ({sys.platform}, abiflags {sys.abiflags!r})")
    assert fast == str(_reference())


def test_probe_python_section_matches_packaging() -> None:
    info = _interpreter()
    reference = _reference()
    assert info.tag == str(reference)
    assert info.abi == reference.abi
