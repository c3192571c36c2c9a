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


@cache
def _interpreter() -> PythonInfo:
    """This interpreter's facts; cached because they cannot change while the process runs."""
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
