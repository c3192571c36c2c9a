"""The planner reads the common requirement forms itself (`planning.requirements.parse_named`) and hands
the rest to `packaging.requirements`; both readings must agree on every input, valid or not.

Reference: PEP 508 (https://peps.python.org/pep-0508/) as implemented by `packaging.requirements`, the
parser pip and uv's Python tooling share. Each case compares name, URL and the version specifier set, and
an invalid requirement must be refused (with packaging's own words, since the fallback produces them).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.requirements import InvalidRequirement, Requirement

from torchsmith.errors import UsageError
from torchsmith.planning.requirements import parse_named, parse_requirements

_CASES = [
    "torch",
    "torchvision>=0.20",
    "torch==2.7.1+cu126",
    "torch == 2.7.1+cu126",
    "torch (>=2.4,<2.6)",
    "torch(>=2.4)",
    "Torch_Audio>=2",
    "torch[opt]>=2",
    "torch[opt, dev] ~= 2.5",
    "torch[]",
    "torch[opt,]",  # a trailing comma: invalid
    "torch[,opt]",
    "torch>=2;python_version>'3.8'",
    "torch ; sys_platform == 'linux'",
    "torch @ https://download.pytorch.org/whl/cu126/torch-2.6.0%2Bcu126-cp311-cp311-linux_x86_64.whl",
    "torch @ file:///tmp/torch.whl ; python_version >= '3.9'",
    "torch===2.5.1",
    "torch!=2.5.*",
    "torch==2.*",
    "torch>=2.*",  # a wildcard with >=: invalid
    "torch>=",
    "torch>>2",
    "torch 2.5",
    "",
    " ",
    "-torch",
    "torch-",
    "tor ch",
    "torch,torchvision",
    "torch==2.5.1 torchvision",
    "torch>=2.0.0a1",
    "torch<=2.5.1.post1",
    "torch==2.5.1,>=2",
    "a.b_c-d>=1",
    "torch)>=2(",
    "torch[opt](>=2)",
    "torch (>=2",
    "torch>=2)",
    "torch ((>=2))",
    "torch==1!2.0",
    "torch==v2.0",
    "torch ===  arbitrary-string",
]


def _compare(text: str) -> None:
    try:
        reference = Requirement(text)
    except InvalidRequirement:
        with pytest.raises(UsageError):
            parse_named(text)
        return
    ours = parse_named(text)
    assert (ours.name, ours.url, ours.specifier) == (reference.name, reference.url, reference.specifier), text
    assert str(ours.specifier) == str(reference.specifier), text


@pytest.mark.parametrize("text", _CASES)
def test_both_readings_agree(text: str) -> None:
    _compare(text)


_PIECES = st.sampled_from(
    ["torch", "torchvision", "Torch_Audio", "[", "]", "opt", ",", " ", "(", ")", ">=", "==", "~=", "!=", "<",
     "2", ".", "5", "*", "+cu126", ";", "@", "a1", "===", "x"]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, min_size=1, max_size=8).map("".join))
def test_both_readings_agree_on_generated_strings(text: str) -> None:
    _compare(text)


def test_an_invalid_requirement_is_named_with_packagings_reason() -> None:
    with pytest.raises(UsageError) as error:
        parse_requirements(["torch>>2"])
    assert "`torch>>2`" in error.value.message
    assert "Expected" in error.value.message or "expected" in error.value.message


@pytest.mark.parametrize(
    "text",
    [
        "a" * 20000 + "[",
        "a" * 20000 + " " * 20000 + "!",
        "a[" + "b," * 10000,
        "a" * 20000 + ".",
        "a" + " (" * 5000,
    ],
    ids=["open-extras", "spaces-then-junk", "many-extras", "trailing-dot", "nested-parens"],
)
def test_long_hostile_requirements_are_read_like_packaging(text: str) -> None:
    # Requires-Dist lines come from an index's metadata: the reading is step by step (linear), so these
    # take milliseconds; a pattern with nested repetition would take minutes on the first two.
    _compare(text)
