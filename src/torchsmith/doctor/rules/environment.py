"""Rules about what is installed: missing or unimportable torch, duplicates, conda over pip, requirements.

`torch-missing`, `torch-import-error`, `duplicate-dist-info`, `mixed-conda-pip`, `broken-requirements`,
`companion-mismatch`. Each is a pure function of the `RuleContext`.
"""

from __future__ import annotations

import os
import posixpath
import shlex
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from torchsmith.doctor.context import FAMILY_ORDER, RuleContext
from torchsmith.doctor.facts import Distribution
from torchsmith.doctor.import_errors import classify_import_error
from torchsmith.doctor.rules._common import label_backend, reinstall_command
from torchsmith.findings import Finding

__all__ = [
    "broken_requirements",
    "companion_mismatch",
    "duplicate_dist_info",
    "mixed_conda_pip",
    "torch_import_error",
    "torch_missing",
]


def _python_evidence(ctx: RuleContext) -> str:
    py = ctx.facts.python
    return f"python: `{py.executable}` ({py.version}, {py.tag}), prefix `{py.prefix}`"


def torch_missing(ctx: RuleContext) -> list[Finding]:
    """torch is neither importable nor installed in the target."""
    facts = ctx.facts
    if facts.torch is not None or ctx.torch_dist is not None:
        return []
    if facts.interrupted is not None and facts.interrupted.during == "import torch":
        return []
    failure = facts.import_failure
    if failure is not None and classify_import_error(failure.type, failure.message).kind != "not-installed":
        return []
    sites = sorted({d.site for d in facts.distributions}) or list(facts.python.sys_path)
    return [
        Finding(
            rule="torch-missing",
            severity="error",
            message=f"torch is not installed in `{facts.python.executable}`",
            fix=ctx.install_command(packages=["torch"]),
            evidence=(
                _python_evidence(ctx),
                "no `torch-*.dist-info` on sys.path: " + ", ".join(f"`{s}`" for s in sites),
            ),
        )
    ]


def _dependency_fix(ctx: RuleContext, module: str) -> str:
    """`pip install` the requirement of torch that provides `module`, else the module's own name."""
    dist = ctx.torch_dist
    wanted = canonicalize_name(module)
    for text in dist.requires if dist is not None else ():
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        if canonicalize_name(requirement.name) == wanted and requirement.marker is None:
            return ctx.python_command("-m", "pip", "install", f"{requirement.name}{requirement.specifier}")
    return ctx.python_command("-m", "pip", "install", module)


def torch_import_error(ctx: RuleContext) -> list[Finding]:
    """`import torch` raised or crashed; classified so the fix matches the cause."""
    facts = ctx.facts
    failure = facts.import_failure
    interrupted = (
        facts.interrupted if facts.interrupted and facts.interrupted.during == "import torch" else None
    )
    if failure is None and interrupted is None:
        return []
    evidence = [_python_evidence(ctx)]
    dist = ctx.torch_dist
    if dist is not None:
        evidence.append(f"installed: torch {dist.version} at `{dist.path}`")
    if interrupted is not None:
        kind = "crash" if interrupted.reason == "crashed" else "timeout"
        message = f"`import torch` {'crashed: the process ' if kind == 'crash' else ''}{interrupted.detail}"
        if interrupted.stderr_tail.strip():
            evidence.append("stderr: " + interrupted.stderr_tail.strip().splitlines()[-1][:500])
        retry = reinstall_command(ctx) if kind == "crash" else None
        return [Finding("torch-import-error", "error", message, retry, tuple(evidence))]
    assert failure is not None
    classified = classify_import_error(failure.type, failure.message)
    if classified.kind == "not-installed":
        if dist is None:
            return []  # torch-missing says it
        classified = type(classified)("incomplete-install", "torch")
    first_line = failure.message.strip().splitlines()[0] if failure.message.strip() else ""
    evidence.append(f"{failure.type}: {first_line[:500]}")
    if ld_path := ctx.env.get("LD_LIBRARY_PATH"):
        evidence.append(f"LD_LIBRARY_PATH=`{ld_path}`")
    match classified.kind:
        case "numpy-abi":
            fix: str | None = ctx.python_command("-m", "pip", "install", "numpy<2")
        case "missing-dependency":
            fix = _dependency_fix(ctx, classified.subject or "")
        case "dll-load":
            fix = "winget install Microsoft.VCRedist.2015+.x64"
        case "glibc" | "libstdcxx":
            fix = None  # glibc-too-old names the release to install; libstdc++ comes from the system
        case _:
            fix = reinstall_command(ctx) if dist is not None else ctx.install_command(packages=["torch"])
    if classified.kind == "libstdcxx" and ctx.facts.python.conda_meta:
        fix = shlex.join(
            ["conda", "install", "-p", ctx.facts.python.prefix, "-c", "conda-forge", "libstdcxx-ng"]
        )
    return [
        Finding(
            rule="torch-import-error",
            severity="error",
            message=f"`import torch` fails ({classified.kind}): {classified.describe()}",
            fix=fix,
            evidence=tuple(evidence),
        )
    ]


def _package_dir(dist: Distribution) -> str:
    return str(Path(dist.site) / canonicalize_name(dist.name).replace("-", "_"))


def duplicate_dist_info(ctx: RuleContext) -> list[Finding]:
    """Two metadata directories of one torch-family package: overlapping installs (poetry 1.x `-E cuda`)."""
    findings = []
    for name in FAMILY_ORDER:
        dists = ctx.facts.installed(name)
        if len(dists) < 2:
            continue
        by_site: dict[str, list[Distribution]] = {}
        for dist in dists:
            by_site.setdefault(dist.site, []).append(dist)
        evidence = tuple(f"`{d.path}` ({d.version})" for d in dists)
        crowded = [site for site, group in by_site.items() if len(group) > 1]
        if crowded:
            site = crowded[0]
            versions = " and ".join(d.version for d in by_site[site])
            uninstall = " && ".join(
                [ctx.python_command("-m", "pip", "uninstall", "-y", name)] * len(by_site[site])
            )
            findings.append(
                Finding(
                    rule="duplicate-dist-info",
                    severity="error",
                    message=(
                        f"{len(by_site[site])} `{name}-*.dist-info` directories in `{site}` ({versions}): "
                        "two installs wrote over each other (the signature of poetry 1.x `-E cuda`), so the "
                        f"files of `{name}` are a mix of both"
                    ),
                    fix=f"{uninstall} && {ctx.install_command()}",
                    evidence=evidence,
                )
            )
            continue
        used, shadowed = dists[0], dists[1:]
        paths = [p for d in shadowed for p in (d.path, _package_dir(d))]
        findings.append(
            Finding(
                rule="duplicate-dist-info",
                severity="warning",
                message=(
                    f"`{name}` is installed {len(dists)} times on sys.path: {used.version} in `{used.site}` "
                    f"shadows " + ", ".join(f"{d.version} in `{d.site}`" for d in shadowed)
                ),
                fix=shlex.join(["rm", "-rf", *paths]),
                evidence=evidence,
            )
        )
    return findings


def _owned_by_conda(ctx: RuleContext, dist: Distribution) -> bool:
    prefix = ctx.facts.python.prefix
    try:
        relative = os.path.relpath(dist.path, prefix).replace(os.sep, "/")
    except ValueError:  # another drive on Windows
        return False
    metadata = posixpath.join(relative, "METADATA")
    return any(metadata in record.files or relative in record.files for record in ctx.conda_records)


def mixed_conda_pip(ctx: RuleContext) -> list[Finding]:
    """A pip torch in a conda prefix that also has conda's pytorch, or conda packages built on a pip torch."""
    if not ctx.conda_records:
        return []
    prefix = ctx.facts.python.prefix
    pip_torch = [d for d in ctx.facts.installed("torch") if not _owned_by_conda(ctx, d)]
    if not pip_torch:
        return []
    dist = pip_torch[0]
    conda_torch = [r for r in ctx.conda_records if r.provides_torch]
    dependents = [r for r in ctx.conda_records if r.depends_on_torch and not r.provides_torch]
    evidence = [f"pip: torch {dist.version} at `{dist.path}` (installer: {dist.installer or 'unknown'})"]
    evidence += [
        f"conda: {r.name} {r.version} {r.build} ({r.channel or 'unknown channel'}), `conda-meta/{r.record}`"
        for r in conda_torch + dependents
    ]
    if conda_torch:
        names = [r.name for r in conda_torch + dependents]
        return [
            Finding(
                rule="mixed-conda-pip",
                severity="error",
                message=(
                    f"torch {dist.version} from pip is installed over conda's "
                    + ", ".join(f"`{r.name} {r.version}`" for r in conda_torch)
                    + f" in `{prefix}`: both write `site-packages/torch`, and conda and pip each think they"
                    " own it"
                ),
                fix=shlex.join(["conda", "remove", "-p", prefix, "--force", "-y", *names])
                + " && "
                + ctx.install_command(),
                evidence=tuple(evidence),
            )
        ]
    if not dependents:
        return []
    names = [r.name for r in dependents]
    return [
        Finding(
            rule="mixed-conda-pip",
            severity="warning",
            message=(
                "conda packages "
                + ", ".join(f"`{r.name} {r.version}`" for r in dependents)
                + f" depend on conda's pytorch, but torch {dist.version} comes from pip: the next "
                "`conda install` or `conda update` replaces it with conda's build"
            ),
            fix=shlex.join(["conda", "remove", "-p", prefix, "--force", "-y", *names])
            + " && "
            + ctx.install_command(
                packages=sorted(
                    {"torch", *ctx.installed_family(), *(n for n in names if n in FAMILY_ORDER)},
                    key=_family_key,
                )
            ),
            evidence=tuple(evidence),
        )
    ]


def _family_key(name: str) -> int:
    return FAMILY_ORDER.index(name) if name in FAMILY_ORDER else len(FAMILY_ORDER)


def _requirement_text(requirement: Requirement) -> str:
    extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
    return f"{requirement.name}{extras}{requirement.specifier}"


def broken_requirements(ctx: RuleContext) -> list[Finding]:
    """The torch family's `Requires-Dist` (markers evaluated for the target) not met by what is installed."""
    environment = {**ctx.facts.python.markers, "extra": ""}
    problems: list[str] = []
    wanted: list[str] = []
    for name in FAMILY_ORDER:
        dist = ctx.facts.first(name)
        if dist is None:
            continue
        for text in dist.requires:
            try:
                requirement = Requirement(text)
            except InvalidRequirement:
                continue
            if canonicalize_name(requirement.name) in FAMILY_ORDER:
                continue  # pairing inside the family is companion-mismatch's
            if requirement.marker is not None and not requirement.marker.evaluate(environment):
                continue
            installed = ctx.facts.first(requirement.name)
            version = installed.parsed_version if installed is not None else None
            if installed is None:
                problems.append(f"{dist.name} {dist.version} requires `{requirement}`: not installed")
            elif version is not None and not requirement.specifier.contains(version, prereleases=True):
                problems.append(
                    f"{dist.name} {dist.version} requires `{requirement}`: "
                    f"{installed.name} {installed.version} is installed"
                )
            else:
                continue
            if (text := _requirement_text(requirement)) not in wanted:
                wanted.append(text)
    if not problems:
        return []
    return [
        Finding(
            rule="broken-requirements",
            severity="error",
            message=f"{len(problems)} requirement(s) of the torch family are not met",
            fix=ctx.python_command("-m", "pip", "install", *wanted),
            evidence=tuple(problems),
        )
    ]


def _effective_label(ctx: RuleContext, version: Version, torch_version: Version) -> str | None:
    """A local label; a label-less build is PyPI's default build for this platform (when known)."""
    if version.local:
        return version.local
    from torchsmith.knowledge import releases

    release = releases.release_for(torch_version)
    if release is None:
        return None
    default = release.pypi_backend_by_platform.get(ctx.platform_key)
    if default is None and ctx.platform_key == "linux-x86_64":
        default = release.pypi_default_backend
    return default


def companion_mismatch(ctx: RuleContext) -> list[Finding]:
    """torchvision / torchaudio not built for the installed torch (version or backend label)."""
    from torchsmith.knowledge import releases

    torch_version = ctx.torch_version
    if torch_version is None:
        return []
    findings = []
    torch_label = _effective_label(ctx, torch_version, torch_version)
    for name in FAMILY_ORDER[1:]:
        dist = ctx.facts.first(name)
        version = dist.parsed_version if dist is not None else None
        if dist is None or version is None:
            continue
        expected = releases.companion_for(name, torch_version)
        problems = []
        if expected is not None and Version(version.public) != expected:
            problems.append(f"{name} {expected} is the release built for torch {torch_version.public}")
        elif expected is None and releases.release_for(torch_version) is not None:
            paired = releases.torch_for_companion(name, version)
            problems.append(
                f"no {name} release is built for torch {torch_version.public}"
                + (f"; {name} {version.public} was built for torch {paired}" if paired else "")
            )
        elif expected is None:
            problems += _pin_problems(dist, torch_version)
        label = _effective_label(ctx, version, torch_version)
        if torch_label and label and label != torch_label:
            problems.append(f"backend labels differ: torch is `+{torch_label}`, {name} is `+{label}`")
        if not problems:
            continue
        findings.append(
            Finding(
                rule="companion-mismatch",
                severity="error",
                message=f"{name} {dist.version} does not match torch {torch_version}: " + "; ".join(problems),
                fix=_pairing_fix(ctx, torch_version),
                evidence=(
                    f"torch {torch_version} at `{ctx.torch_dist.path if ctx.torch_dist else '?'}`",
                    f"{name} {dist.version} at `{dist.path}`",
                ),
            )
        )
    return findings


def _pairing_fix(ctx: RuleContext, torch_version: Version) -> str:
    """Install the exact companions of the installed torch; uninstall companions that have none."""
    from torchsmith.knowledge import releases

    packages = [f"torch=={torch_version.public}"]
    orphans = []
    for name in FAMILY_ORDER[1:]:
        if ctx.facts.first(name) is None:
            continue
        companion = releases.companion_for(name, torch_version)
        if companion is not None:
            packages.append(f"{name}=={companion}")
        elif releases.release_for(torch_version) is not None:
            orphans.append(name)
        else:
            packages.append(name)
    install = ctx.install_command(backend=label_backend(ctx), packages=packages)
    if orphans:
        return ctx.python_command("-m", "pip", "uninstall", "-y", *orphans) + " && " + install
    return install


def _pin_problems(dist: Distribution, torch_version: Version) -> list[str]:
    """For a torch the tables do not know: the companion's own `Requires-Dist: torch==...` pin."""
    for text in dist.requires:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        is_torch = canonicalize_name(requirement.name) == "torch" and requirement.marker is None
        if is_torch and not requirement.specifier.contains(torch_version, prereleases=True):
            return [f"{dist.name} {dist.version} requires `{requirement}`"]
    return []
