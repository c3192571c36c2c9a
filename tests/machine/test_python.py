"""The python section describes this interpreter, whatever the root."""

from __future__ import annotations

import platform
import sys
import sysconfig
from pathlib import Path

from packaging import tags

from torchsmith.machine import python
from torchsmith.machine.context import ProbeContext


def test_this_interpreter() -> None:
    info = python.detect(ProbeContext())
    assert info is not None
    assert info.version == platform.python_version()
    assert info.implementation == sys.implementation.name
    assert info.source == "interpreter"
    if sys.implementation.name == "cpython":
        suffix = "t" if sysconfig.get_config_var("Py_GIL_DISABLED") else ""
        assert info.abi == f"cp{sys.version_info.major}{sys.version_info.minor}{suffix}"


def test_best_tag_is_the_first_one_an_index_can_serve() -> None:
    info = python.detect(ProbeContext())
    assert info is not None and info.tag is not None
    supported = [str(tag) for tag in tags.sys_tags()]
    assert info.tag in supported
    _interpreter, abi, platform_tag = info.tag.split("-")
    assert abi == info.abi
    assert not platform_tag.startswith("linux_")  # a local-build tag; PyPI refuses it
    earlier = supported[: supported.index(info.tag)]
    assert all(tag.split("-")[2].startswith("linux_") for tag in earlier)


def test_a_fake_root_does_not_change_the_interpreter(tmp_path: Path) -> None:
    ctx = ProbeContext(root=tmp_path, env={"PATH": ""}, use_nvml=False)
    assert python.detect(ctx) == python.detect(ProbeContext())
