"""Rules about the interpreter and the operating system: Python tags, glibc, macOS and MPS.

`python-unsupported`, `glibc-too-old`, `mps-unavailable`. The release table says which Python ABI tags and
which glibc floor each torch release's wheels have; the machine and the target say what this is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from packaging.version import Version

from torchsmith.doctor.context import RuleContext
from torchsmith.doctor.facts import parse_version
from torchsmith.doctor.import_errors import classify_import_error
from torchsmith.doctor.rules._common import describe_torch
from torchsmith.findings import Finding, Severity

if TYPE_CHECKING:
    from torchsmith.knowledge.releases import Release

__all__ = ["glibc_too_old", "mps_unavailable", "python_unsupported"]


def _usable(ctx: RuleContext) -> bool:
    """torch imported (or at least is installed and did not fail to import)."""
    return ctx.facts.torch is not None


def _has_wheels(release: Release, ctx: RuleContext) -> bool:
    return ctx.facts.python.tag in release.python and bool(release.backends.get(ctx.platform_key))


def _suggested_python(ctx: RuleContext) -> str | None:
    """The newest non-free-threaded CPython that the newest release with wheels here supports (`3.13`)."""
    from torchsmith.knowledge import releases

    for release in releases.releases():
        if release.backends.get(ctx.platform_key):
            tags = [t for t in release.python if not t.endswith("t")]
            if tags:
                best = max(tags, key=lambda t: int(t[3:]))
                return f"3.{best[3:]}"
    return None


def python_unsupported(ctx: RuleContext) -> list[Finding]:
    """No torch release publishes wheels for this interpreter (or the installed one is foreign to it)."""
    from torchsmith.knowledge import releases

    py = ctx.facts.python
    if ctx.machine.jetson is not None:
        return _jetson_python(ctx)
    version = ctx.torch_version
    release = releases.release_for(version) if version is not None else None
    if release is not None and _usable(ctx):
        if py.tag in release.python or not release.python:
            return []
        return [
            Finding(
                rule="python-unsupported",
                severity="warning",
                message=(
                    f"{describe_torch(ctx)} publishes no wheels for {py.tag} (Python {py.version}): "
                    "this copy was built elsewhere, and pip or uv cannot reinstall or upgrade it here"
                ),
                fix=None,
                evidence=(f"torch {release.torch} wheels: " + ", ".join(release.python),),
            )
        ]
    if _usable(ctx) or any(_has_wheels(r, ctx) for r in releases.releases()):
        return []
    target = _suggested_python(ctx)
    newest = releases.releases()[0] if releases.releases() else None
    return [
        Finding(
            rule="python-unsupported",
            severity="error",
            message=(
                f"no torch release publishes wheels for {py.tag} (Python {py.version}) on {ctx.platform_key}"
            ),
            fix=(
                f"uv venv --python {target} .venv && torchsmith install torch --python .venv/bin/python"
                if target
                else None
            ),
            evidence=(
                f"python: `{py.executable}` ({py.version}, {py.tag})",
                *((f"torch {newest.torch} wheels: " + ", ".join(newest.python),) if newest else ()),
            ),
        )
    ]


def _jetson_python(ctx: RuleContext) -> list[Finding]:
    """On a Jetson, NVIDIA builds torch for the JetPack's own Python only."""
    from torchsmith.knowledge import jetson as jetson_table

    jetson = ctx.machine.jetson
    assert jetson is not None
    l4t = parse_version(jetson.l4t)
    release = jetson_table.jetpack_for_l4t(l4t) if l4t else None
    py = ctx.facts.python
    minor = ".".join(py.version.split(".")[:2])
    if release is None or _usable(ctx) or release.python == minor:
        return []
    if any(w.python == py.tag for w in release.wheels):
        return []
    return [
        Finding(
            rule="python-unsupported",
            severity="error",
            message=(
                f"NVIDIA's torch builds for JetPack {release.jetpack} are for Python {release.python}; "
                f"this is Python {py.version}"
            ),
            fix=f"python{release.python} -m venv .venv && torchsmith install torch --python .venv/bin/python",
            evidence=(f"Jetson: L4T {jetson.l4t}, JetPack {release.jetpack}", f"python: `{py.executable}`"),
        )
    ]


def _glibc(ctx: RuleContext) -> Version | None:
    libc = ctx.machine.libc
    if libc is not None and libc.name == "glibc":
        return parse_version(libc.version)
    target = ctx.facts.python.libc
    if target is not None and target[0] == "glibc":
        return parse_version(target[1])
    return None


def glibc_too_old(ctx: RuleContext) -> list[Finding]:
    """The system glibc is older than the manylinux floor of the torch wheels (installed or installable)."""
    from torchsmith.knowledge import releases

    if ctx.machine.os != "linux" or ctx.machine.jetson is not None:
        return []
    glibc = _glibc(ctx)
    if glibc is None:
        return []
    failure = ctx.facts.import_failure
    needed: Version | None = None
    severity: Severity
    if failure is not None and classify_import_error(failure.type, failure.message).kind == "glibc":
        needed = parse_version(classify_import_error(failure.type, failure.message).subject)
        severity = "error"
    elif ctx.torch_dist is None and not _usable(ctx):
        newest = next((r for r in releases.releases() if _has_wheels(r, ctx)), None)
        floor = newest.glibc_floor(ctx.platform_key) if newest else None
        if floor is None or glibc >= floor:
            return []
        needed, severity = floor, "warning"
    else:
        return []
    if needed is None or glibc >= needed:
        return []
    fitting = next(
        (
            r
            for r in releases.releases()
            if _has_wheels(r, ctx)
            and (floor := r.glibc_floor(ctx.platform_key)) is not None
            and floor <= glibc
        ),
        None,
    )
    fix = ctx.install_command(packages=[f"torch=={fitting.torch}.*"]) if fitting else None
    return [
        Finding(
            rule="glibc-too-old",
            severity=severity,
            message=(
                f"this system's glibc {glibc} is older than glibc {needed}, which "
                + (f"{describe_torch(ctx)} needs" if severity == "error" else "the newest torch wheels need")
                + (f"; torch {fitting.torch} is the newest release whose wheels run here" if fitting else "")
            ),
            fix=fix,
            evidence=(
                f"glibc {glibc} (from {'the machine probe' if ctx.machine.libc else 'the interpreter'})",
                *((f"{failure.type}: {failure.message[:300]}",) if failure else ()),
            ),
        )
    ]


def mps_unavailable(ctx: RuleContext) -> list[Finding]:
    """On an Apple-silicon Mac, torch cannot use the GPU through MPS (Rosetta, old macOS, no MPS build)."""
    apple, torch = ctx.machine.apple, ctx.facts.torch
    if apple is None or ctx.machine.os != "macos" or torch is None or torch.mps_available is not False:
        return []
    py_machine = ctx.facts.python.markers.get("platform_machine", "")
    evidence = [
        f"{describe_torch(ctx)} at `{torch.file}`",
        f"Mac: {apple.chip or '?'}, macOS {apple.macos or '?'}",
    ]
    translated = py_machine == "x86_64" and (ctx.machine.arch in ("arm64", "aarch64") or apple.rosetta)
    macos = parse_version(apple.macos)
    fix: str | None
    severity: Severity
    if translated:
        why = "this Python is an x86_64 build running under Rosetta, where MPS does not exist"
        fix = (
            "uv venv --python cpython-3.12-macos-aarch64-none .venv"
            " && torchsmith install torch --python .venv/bin/python"
        )
        severity = "error"
        evidence.append(f"python platform_machine: {py_machine}; machine: {ctx.machine.arch}")
    elif torch.mps_built is False:
        why, fix, severity = "this torch was built without MPS", ctx.install_command(), "error"
    elif macos is not None and macos < Version("12.3"):
        why, fix, severity = f"MPS needs macOS >= 12.3; this is macOS {macos}", None, "warning"
    else:
        why, fix, severity = "torch reports MPS unavailable", None, "warning"
    return [
        Finding(
            rule="mps-unavailable",
            severity=severity,
            message=f"`torch.backends.mps.is_available()` is False on this Apple-silicon Mac: {why}",
            fix=fix,
            evidence=tuple(evidence),
        )
    ]
