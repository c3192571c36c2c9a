"""The running interpreter: version, implementation, ABI tag and best installable wheel tag.

Why it exists: a torch wheel exists per Python ABI (`cp311`, and `cp313t` for the free-threaded build), so the
planner needs the exact ABI, not just "3.13". The tags come from `packaging.tags.sys_tags()` (PEP 425 /
https://packaging.python.org/en/latest/specifications/platform-compatibility-tags/), the same ordering pip
and uv use. This section always describes *this* interpreter, whatever `--root` says; `doctor` inspects other
interpreters from outside.
"""

from __future__ import annotations

import sys
from functools import cache

from torchsmith.machine.context import ProbeContext
from torchsmith.machine.model import PythonInfo

__all__ = ["SECTION", "detect"]

SECTION = "python"


def _is_index_platform(platform_tag: str) -> bool:
    """Indexes reject the bare `linux_*` tag (PEP 513); it names a local build, so it is not the best tag."""
    return not platform_tag.startswith("linux_")


def _glibc_tag() -> str | None:
    """`sys_tags()`'s best tag on the common case, without importing `packaging.tags` (~10 ms, a fifth of
    the probe): CPython without ABI flags on 64-bit glibc Linux for x86_64/aarch64 and no `_manylinux`
    override module. There packaging's first non-`linux_` tag is `cpXY-cpXY-manylinux_<glibc>_<arch>`
    (its `cpython_tags` pairs the interpreter's own ABI with the first platform, and `_manylinux.
    platform_tags` yields the running glibc first). None on every other case: `packaging` decides those.
    tests/machine/test_python_fast_tag.py checks the two agree on the machine the tests run on."""
    if sys.platform != "linux" or sys.implementation.name != "cpython" or sys.abiflags:
        return None
    if sys.maxsize <= 2**32:  # 32-bit interpreters on 64-bit kernels get i686/armv8l tags
        return None
    import os

    arch = os.uname().machine
    if arch not in ("x86_64", "aarch64"):
        return None
    try:
        name, _, version = os.confstr("CS_GNU_LIBC_VERSION").partition(" ")  # type: ignore[union-attr]
        major, minor = (int(part) for part in version.split(".")[:2])
    except (AttributeError, OSError, ValueError):
        return None
    if name != "glibc":
        return None
    from importlib.util import find_spec

    if find_spec("_manylinux") is not None:  # PEP 600's override: packaging honours it
        return None
    interpreter = "cp{}{}".format(*sys.version_info[:2])
    return f"{interpreter}-{interpreter}-manylinux_{major}_{minor}_{arch}"


@cache
def _interpreter() -> PythonInfo:
    """This interpreter's facts; cached because they cannot change while the process runs."""
    fast = _glibc_tag()
    if fast is not None:
        return PythonInfo(
            version="{}.{}.{}".format(*sys.version_info[:3]),
            implementation=sys.implementation.name,
            abi=fast.split("-")[1],
            tag=fast,
            source="interpreter",
        )
    from packaging import tags  # imported here: ~10 ms, only the python section needs it

    first = None
    best = None
    for tag in tags.sys_tags():
        if first is None:
            first = tag
        if _is_index_platform(tag.platform):
            best = tag
            break
    chosen = best or first
    implementation = sys.implementation.name
    return PythonInfo(
        version="{}.{}.{}".format(*sys.version_info[:3]),
        implementation=implementation,
        abi=chosen.abi if chosen is not None else None,
        tag=str(chosen) if chosen is not None else None,
        source="interpreter",
    )


def detect(ctx: ProbeContext) -> PythonInfo | None:
    """The running interpreter (the same under any `--root`: it is the one that will install)."""
    del ctx  # the interpreter is never read from the root
    return _interpreter()
