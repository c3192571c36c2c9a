"""`RuleContext`: the inputs every doctor rule reads, and the facts several rules derive from them.

A rule is a small pure function `RuleContext -> list[Finding]`. The context holds the target's facts (from
the probe script), the `Machine`, the environment the target ran with, conda's records for the target's
prefix, and the answers rules share: which torch is installed, what it was built for (`build_kind`), and
the exact `torchsmith install` command that fixes a wrong build.
"""

from __future__ import annotations

import shlex
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from packaging.version import Version

from torchsmith.doctor.conda import CondaRecord
from torchsmith.doctor.facts import Distribution, TargetFacts, parse_version
from torchsmith.machine.model import Machine

__all__ = ["FAMILY_ORDER", "RuleContext", "backend_of_label", "grouped", "local_label"]

FAMILY_ORDER = ("torch", "torchvision", "torchaudio")
"""The torch family in the order fix commands name them."""


def local_label(version: str | None) -> str | None:
    """The local version label: `cu124` in `2.5.1+cu124`; None without one (PyPI's own builds)."""
    parsed = parse_version(version)
    return parsed.local if parsed is not None else None


def grouped(names: Iterable[str]) -> str:
    """`8x NVIDIA H100 80GB HBM3 (sm_90)`: identical names counted, not repeated, in first-seen order."""
    counts = Counter(names)
    return ", ".join(f"{n}x {name}" if n > 1 else name for name, n in counts.items())


def backend_of_label(label: str | None) -> str | None:
    """`cpu`, `cuda`, `rocm` or `xpu` from a local label (`cu124`, `rocm6.2`, `cpu`, `xpu`); else None."""
    if not label:
        return None
    if label == "cpu" or label.startswith("cpu."):
        return "cpu"
    if label.startswith("cu") and label[2:3].isdigit():
        return "cuda"
    if label.startswith("rocm"):
        return "rocm"
    if label.startswith("xpu"):
        return "xpu"
    return None


@dataclass(frozen=True, slots=True)
class RuleContext:
    """What one doctor run knows. `explicit_python` adds `--python PATH` to fix commands."""

    facts: TargetFacts
    machine: Machine
    env: Mapping[str, str] = field(default_factory=dict)
    root: str = "/"
    conda_records: tuple[CondaRecord, ...] = ()
    explicit_python: bool = False

    @property
    def python(self) -> str:
        return self.facts.python.executable

    @property
    def torch_dist(self) -> Distribution | None:
        """The torch distribution Python uses (the first on `sys.path`)."""
        return self.facts.first("torch")

    @property
    def torch_version(self) -> Version | None:
        """The torch version as imported, else as its metadata says."""
        if self.facts.torch is not None and (parsed := self.facts.torch.parsed_version) is not None:
            return parsed
        dist = self.torch_dist
        return dist.parsed_version if dist is not None else None

    @property
    def build_kind(self) -> str | None:
        """`cpu`, `cuda`, `rocm` or `xpu`: what torch was built for; None when nothing tells.

        torch's own `torch.version.cuda/hip/xpu` decide when it imported; otherwise the local label; a
        label-less Linux wheel that requires `nvidia-*` libraries is PyPI's CUDA build.
        """
        if self.facts.torch is not None:
            return self.facts.torch.kind
        dist = self.torch_dist
        if dist is None:
            return None
        if kind := backend_of_label(local_label(dist.version)):
            return kind
        if any(r.lower().startswith("nvidia-") for r in dist.requires):
            return "cuda"
        return None

    @property
    def platform_key(self) -> str:
        """The knowledge tables' platform key (`linux-x86_64`, `macos-arm64`)."""
        return self.machine.platform_key

    @property
    def os_key(self) -> str:
        """The driver tables' OS key: `windows` (Windows and WSL2) or `linux`."""
        return self.machine.driver_os

    def installed_family(self) -> list[str]:
        """The torch-family packages installed, in `FAMILY_ORDER` (torch always first)."""
        names = [name for name in FAMILY_ORDER[1:] if self.facts.first(name) is not None]
        return ["torch", *names]

    def install_command(self, backend: str | None = None, packages: Sequence[str] | None = None) -> str:
        """`torchsmith install torch torchvision --backend cu126 [--python PATH]`: fixes a wrong build."""
        words = ["torchsmith", "install", *(packages if packages is not None else self.installed_family())]
        if backend:
            words += ["--backend", backend]
        if self.explicit_python:
            words += ["--python", self.python]
        return shlex.join(words)

    def python_command(self, *args: str) -> str:
        """A command run with the target interpreter, quoted for a POSIX shell."""
        return shlex.join([self.python, *args])

    def best_backend(self, kind: str | None = None) -> str | None:
        """The machine's best runnable backend (of `kind`: `cuda`, `rocm`, `xpu`, `jetson`), else None."""
        from torchsmith.backends import parse_backend

        for name in self.machine.backends:
            if name == "cpu":
                continue
            if kind is None or parse_backend(name, source="the machine's backends").kind == kind:
                return name
        return None
