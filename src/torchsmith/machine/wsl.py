"""Whether this Linux runs under WSL (Windows Subsystem for Linux), where GPUs are reached through the Windows
driver (`/dev/dxg`, `/usr/lib/wsl/lib/libcuda.so`, `/usr/lib/wsl/lib/nvidia-smi`).

Why it exists: under WSL2 the NVIDIA driver is the *Windows* driver (its version, e.g. `560.94`, follows the
Windows numbering), the Linux driver must not be installed inside the distribution, and there is no
`/proc/driver/nvidia`. The planner and `doctor` explain those traps when this is true.

Ladder, cheapest first: `<root>/proc/sys/kernel/osrelease` or `<root>/proc/version` naming a Microsoft
kernel (`5.15.153.1-microsoft-standard-WSL2`), then `<root>/dev/dxg`, then `<root>/usr/lib/wsl/lib`.
See https://learn.microsoft.com/windows/wsl/tutorials/gpu-compute.
"""

from __future__ import annotations

import re

from torchsmith.machine.context import ProbeContext

__all__ = ["SECTION", "detect", "is_wsl_kernel"]

SECTION = "wsl"


def is_wsl_kernel(text: str) -> bool:
    """True when a kernel release or `/proc/version` line names WSL's kernel.

    Samples: `5.15.153.1-microsoft-standard-WSL2` (WSL2), `4.4.0-19041-Microsoft` (WSL1),
    `Linux version 5.15.167.4-microsoft-standard-WSL2 (root@f9c826d3017f) ...`.
    """
    return re.search(r"microsoft|\bWSL2?\b", text, re.IGNORECASE) is not None


def detect(ctx: ProbeContext) -> bool:
    """True under WSL (1 or 2); only Linux can be WSL."""
    if not ctx.sys_platform.startswith("linux"):
        return False
    for absolute in ("/proc/sys/kernel/osrelease", "/proc/version"):
        text = ctx.read_text(absolute, limit=4096)
        if text is not None and text.strip():
            if is_wsl_kernel(text):
                return True
            break  # one kernel source answered, and it is not WSL's
    return ctx.exists("/dev/dxg") or ctx.exists("/usr/lib/wsl/lib")
