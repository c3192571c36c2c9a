"""Does one torch version on one backend run on this machine? Each rule: runs, does not run, or unknown.

The rules, in the order a failure is reported (first wins, as the most fundamental): platform (does the
release ship this backend for this OS/arch at all), Python ABI, C library, macOS floor, NVIDIA driver, GPU
compute capability, ROCm gfx target, Intel XPU device. Messages read like uv's resolver hints: what was
needed, what the machine has, and what would work instead.

Unknown is not yes: a fact torchsmith cannot check (a gap in a knowledge table, a GPU whose architecture
could not be read, a torch newer than the tables) is recorded in `Verdict.unknown`, so the planner can prefer
builds known to run and the plan can say which fact it could not verify (`"verified": false`).
"""

from __future__ import annotations

from packaging.version import InvalidVersion, Version

from torchsmith.backends import Backend
from torchsmith.knowledge import releases
from torchsmith.knowledge.releases import Release
from torchsmith.machine.model import Machine
from torchsmith.planning.hardware import cuda_rule, jetson_rule, rocm_rule, xpu_rule
from torchsmith.planning.verdict import Fact, Verdict

__all__ = ["Fact", "Verdict", "check", "python_hint"]


def _v(text: str | None) -> Version | None:
    try:
        return None if text is None else Version(text)
    except InvalidVersion:
        return None


def _python_label(abi: str) -> str:
    digits = abi[2:].rstrip("t")
    label = f"{digits[0]}.{digits[1:]}"
    return f"{label} free-threaded" if abi.endswith("t") else label


def _abi_key(abi: str) -> tuple[int, int]:
    digits = abi[2:].rstrip("t")
    return (int(digits[0]), int(digits[1:] or 0)) if digits.isdigit() else (0, 0)


def python_hint(abi: str, torch: Version) -> str:
    """Which newer or older torch series ships wheels for this Python (`torch >= 2.5`, `torch < 2.15`)."""
    with_abi = [r.torch for r in releases.releases() if abi in r.python]
    if not with_abi:
        oldest = min((r for r in releases.releases()), key=lambda r: r.torch, default=None)
        known = sorted(
            {t for r in releases.releases() for t in r.python if not t.endswith("t")}, key=_abi_key
        )
        if oldest is not None and known and _abi_key(abi.rstrip("t")) < _abi_key(known[0]):
            # PyTorch 1.11 release notes: "Python 3.6 is no longer supported"; torch 1.10.2 was the last.
            last = " (the last torch with cp36 wheels is 1.10.2)" if abi == "cp36" else ""
            return (
                f"CPython {_python_label(abi)} is older than every torch release in torchsmith's tables "
                f"(torch {oldest.torch} on){last}; use a newer Python"
            )
        return f"no torch release has wheels for CPython {_python_label(abi)} yet"
    newer = [v for v in with_abi if v > torch]
    if newer:
        return f"torch >= {min(newer)} has {abi} wheels"
    return f"torch <= {max(with_abi)} has {abi} wheels"


def _platform_rule(release: Release, backend: Backend, key: str) -> Verdict:
    available = release.backends.get(key, ())
    if backend.name in available:
        return Verdict(None)
    torch = release.torch
    if f"backends.{key}" in release.gaps:
        return Verdict(
            None,
            unknown=(
                f"whether torch {torch} ships `{backend}` wheels for `{key}` (a gap in torchsmith's tables)",
            ),
        )
    if key.startswith("macos") and backend.kind != "cpu":
        why = f"PyTorch publishes no `{backend}` builds for macOS: Mac wheels are CPU builds with MPS"
    elif key == "macos-x86_64":
        why = (
            f"torch {torch} has no macOS x86_64 wheels (the last was torch 2.2); use an arm64 Python "
            "(not one running under Rosetta) or `torch<2.3`"
        )
    elif key.startswith("windows") and backend.kind == "rocm":
        why = "PyTorch publishes no ROCm wheels for Windows (ROCm builds are Linux x86_64 only)"
    elif key == "linux-aarch64" and backend.kind in ("rocm", "xpu"):
        why = f"PyTorch publishes no `{backend.kind}` wheels for Linux aarch64"
    elif not available:
        why = f"torch {torch} has no wheels for `{key}`"
    else:
        why = f"torch {torch} has no `{backend}` build for `{key}` (it has: {', '.join(available)})"
    return Verdict(why, hard=True)


def _python_rule(release: Release, machine: Machine) -> Verdict:
    abi = machine.python.abi if machine.python else None
    if not abi:
        return Verdict(None, unknown=("which Python ABI the machine's interpreter has",))
    if abi in release.python:
        return Verdict(None)
    tags = [t for t in release.python if not t.endswith("t")]
    supported = f"{_python_label(tags[0])}–{_python_label(tags[-1])}" if tags else "none"
    return Verdict(
        f"torch {release.torch} has no wheels for CPython {_python_label(abi)} (`{abi}`); supported: "
        f"{supported}. {python_hint(abi, release.torch)}",
        hard=True,
    )


def _libc_rule(release: Release, machine: Machine) -> Verdict:
    if machine.os != "linux":
        return Verdict(None)
    if machine.libc is None:
        return Verdict(None, unknown=("this Linux machine's C library (glibc version) was not recorded",))
    if machine.libc.name == "musl":
        return Verdict(
            "PyTorch publishes no musllinux wheels, so nothing installs on a musl system (Alpine); "
            "use a glibc-based image such as `python:3.12-slim`",
            hard=True,
        )
    floor = release.glibc_floor(machine.platform_key)
    have = _v(machine.libc.version)
    if have is None:
        return Verdict(None, unknown=(f"the glibc version (`{machine.libc.version}`) could not be read",))
    if floor is None or have >= floor:
        return Verdict(None)
    tag = release.manylinux_by_platform.get(machine.platform_key, "")
    return Verdict(
        f"torch {release.torch} wheels need glibc >= {floor} (`{tag}`); this machine has glibc {have}. "
        "Use a newer distribution (or container image) or an older torch",
        hard=True,
    )


def _macos_rule(release: Release, machine: Machine) -> Verdict:
    if machine.os != "macos":
        return Verdict(None)
    floor = _v(release.macos_min_by_platform.get(machine.platform_key) or release.macos_min)
    have = _v(machine.apple.macos) if machine.apple else None
    if have is None:
        return Verdict(None, unknown=("the macOS version of this Mac was not recorded",))
    if floor is None or have >= floor:
        return Verdict(None)
    return Verdict(
        f"torch {release.torch} wheels need macOS >= {floor}; this Mac runs macOS {have}", hard=True
    )


def check(machine: Machine, torch: Version, backend: Backend) -> Verdict:
    """Whether `torch` built for `backend` installs and runs on `machine`, and if not, why; facts that could
    not be checked are listed in `unknown`."""
    release = releases.release_for(torch)
    if backend.kind == "jetson" or (machine.jetson is not None and backend.kind != "cpu"):
        jetson = jetson_rule(machine, torch, backend, release)
        if not jetson.ok or backend.kind == "jetson":
            return jetson
        base = _installable(release, backend, machine)
        return base if not base.ok else base.merged(jetson)
    verdict = _installable(release, backend, machine)
    if not verdict.ok:
        return verdict
    if backend.kind == "cuda":
        hardware = cuda_rule(release, torch, backend, machine)
    elif backend.kind == "rocm":
        hardware = rocm_rule(backend, machine)
    elif backend.kind == "xpu":
        hardware = xpu_rule(machine)
    else:
        hardware = Verdict(None)
    if not hardware.ok:
        return Verdict(hardware.why, hardware.notes, unknown=verdict.unknown + hardware.unknown)
    if release is None and backend.kind != "cpu" and not hardware.unknown:
        hardware = hardware.merged(
            Verdict(None, unknown=(f"the GPU support of torch {torch} (newer than torchsmith's tables)",))
        )
    return verdict.merged(hardware)


def _installable(release: Release | None, backend: Backend, machine: Machine) -> Verdict:
    """The hard rules (platform, Python, C library, macOS): does any wheel install here at all."""
    if release is None:
        if machine.libc is not None and machine.libc.name == "musl":
            return _libc_rule(releases.releases()[0], machine)
        return Verdict(None)
    result = Verdict(None)
    for rule in (
        _platform_rule(release, backend, machine.platform_key),
        _python_rule(release, machine),
        _libc_rule(release, machine),
        _macos_rule(release, machine),
    ):
        if not rule.ok:
            return rule
        result = result.merged(rule)
    return result
