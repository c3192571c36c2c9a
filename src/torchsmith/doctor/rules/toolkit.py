"""`cuda-toolkit-mismatch`: the installed CUDA toolkit (nvcc) cannot build extensions for this torch.

Building a CUDA extension against torch (flash-attn, apex, xformers from source, custom ops through
`torch.utils.cpp_extension`) compiles with the toolkit found via `CUDA_HOME` / `nvcc`, and PyTorch refuses
when its major version differs from the one torch was built with (`_check_cuda_version` raises on a major
mismatch and only warns on a minor one:
https://github.com/pytorch/pytorch/blob/main/torch/utils/cpp_extension.py). The toolkit is a machine fact
(`Machine.cuda_toolkit`, filled by the probe); torch's CUDA is `torch.version.cuda` (or its `cuXYZ` label).
"""

from __future__ import annotations

from torchsmith.doctor.context import RuleContext
from torchsmith.doctor.facts import parse_version
from torchsmith.doctor.rules._common import build_cuda, describe_torch
from torchsmith.findings import Finding

__all__ = ["cuda_toolkit_mismatch"]


def _backend_for_major(ctx: RuleContext, major: int) -> str | None:
    """The machine's best runnable CUDA backend whose CUDA major is `major` (`cu126` for a 12.x toolkit)."""
    from torchsmith.backends import parse_backend

    for name in ctx.machine.backends:
        backend = parse_backend(name, source="the machine's backends")
        if backend.kind == "cuda" and backend.cuda is not None and backend.cuda.major == major:
            return name
    return None


def cuda_toolkit_mismatch(ctx: RuleContext) -> list[Finding]:
    """The toolkit's CUDA major differs from the torch build's: CUDA extensions then fail to build."""
    toolkit = ctx.machine.cuda_toolkit
    if toolkit is None or ctx.build_kind != "cuda":
        return []
    built, have = build_cuda(ctx), parse_version(toolkit.version)
    if built is None or have is None or built.major == have.major:
        return []
    where = f" at `{toolkit.path}`" if toolkit.path else ""
    backend = _backend_for_major(ctx, have.major)
    other = f"install CUDA toolkit {built.major}.{built.minor} and point `CUDA_HOME` at it"
    if backend is not None:
        fix = ctx.install_command(backend=backend)
        alternative = f"or keep this torch: {other}"
    else:
        fix, alternative = other, f"this machine runs no CUDA {have.major}.x build of torch"
    return [
        Finding(
            rule="cuda-toolkit-mismatch",
            severity="warning",
            message=(
                f"the CUDA toolkit{where} is {toolkit.version}, but {describe_torch(ctx)} was built with "
                f"CUDA {built}: CUDA extensions (flash-attn, apex, custom ops) will fail to build"
            ),
            fix=fix,
            evidence=(
                f"CUDA toolkit {toolkit.version}{where} (found by {toolkit.source})",
                f"torch.version.cuda = {built}",
                "torch.utils.cpp_extension refuses a toolkit whose major version differs from torch's",
                alternative,
            ),
        )
    ]
