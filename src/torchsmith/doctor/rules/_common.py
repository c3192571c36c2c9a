"""Small helpers several rule modules share: naming torch, its CUDA version, the reinstall command."""

from __future__ import annotations

from packaging.version import Version

from torchsmith.doctor.context import RuleContext, backend_of_label, local_label
from torchsmith.doctor.facts import parse_version

__all__ = ["build_cuda", "describe_torch", "label_backend", "reinstall_command"]


def describe_torch(ctx: RuleContext) -> str:
    """`torch 2.5.1+cu124`, or `torch` when no version is known."""
    version = ctx.torch_version
    return f"torch {version}" if version is not None else "torch"


def label_backend(ctx: RuleContext) -> str | None:
    """The installed torch's local label when it names a backend (`cu124`, `rocm6.2`, `cpu`, `xpu`)."""
    version = ctx.torch_version
    label = version.local if version is not None else None
    return label if backend_of_label(label) else None


def build_cuda(ctx: RuleContext) -> Version | None:
    """The CUDA version torch was built with: `torch.version.cuda`, else the `cuXYZ` label."""
    if ctx.facts.torch is not None:
        return parse_version(ctx.facts.torch.cuda)
    label = local_label(ctx.torch_dist.version if ctx.torch_dist else None)
    if backend_of_label(label) == "cuda" and label is not None:
        from torchsmith.backends import parse_backend

        return parse_backend(label, source="torch's local version label").cuda
    return None


def reinstall_command(ctx: RuleContext) -> str:
    """Reinstall exactly what is installed (same versions, same backend): the fix for a damaged install."""
    packages = []
    for name in ctx.installed_family():
        dist = ctx.facts.first(name)
        version = dist.parsed_version if dist is not None else None
        if name == "torch" and ctx.torch_version is not None:
            version = ctx.torch_version
        packages.append(f"{name}=={version.public}" if version is not None else name)
    return ctx.install_command(backend=label_backend(ctx), packages=packages)
