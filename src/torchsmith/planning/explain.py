"""Words for the plan: reasons for the choice, why each alternative was rejected, and what to do instead.

Reasons are chains ("driver 470.82 supports CUDA up to 11.4; `cu121` needs driver >= 525.60.13, so it is
rejected"), never bare verdicts, and a failure always ends with a command or a change that works.
"""

from __future__ import annotations

from collections.abc import Sequence

from packaging.version import Version

from torchsmith.backends import Backend
from torchsmith.knowledge import releases
from torchsmith.machine.model import Machine
from torchsmith.planning.model import Rejection
from torchsmith.planning.requirements import Requirements

__all__ = [
    "capped_by",
    "gpu_without_backend",
    "has_gpu",
    "newer_release",
    "no_companion",
    "no_versions",
    "nothing_fits",
    "nothing_fits_hint",
    "reasons",
    "rejections",
    "unrunnable",
    "why_cpu",
]

Failures = dict[str, list[tuple[Version, str]]]


def has_gpu(machine: Machine) -> bool:
    return bool(
        (machine.nvidia and machine.nvidia.gpus)
        or (machine.amd and machine.amd.gpus)
        or (machine.intel and machine.intel.gpus)
        or machine.jetson
    )


def no_companion(name: str, torch: Version) -> str:
    """`torchaudio has no release for torch 2.12.0: the last is torchaudio 2.11.0 (for torch 2.11.0)`."""
    paired = [
        (companion, patch)
        for release in releases.releases()
        for patch in release.patches
        if (companion := releases.companion_for(name, patch)) is not None
    ]
    if not paired:
        return f"{name} has no release for torch {torch}"
    last_companion, last_torch = max(paired)
    if torch > last_torch:
        return (
            f"{name} has no release for torch >= {last_torch.major}.{last_torch.minor + 1}: the last is "
            f"{name} {last_companion} (for torch {last_torch}); drop {name} or ask for `torch<="
            f"{last_torch}`"
        )
    return f"torchsmith knows no {name} release paired with torch {torch}"


def no_versions(reqs: Requirements, backend: Backend, offline: bool, machine: Machine | None = None) -> str:
    spec = reqs.spec_text("torch")
    if backend.kind == "jetson":
        from torchsmith.knowledge import jetson
        from torchsmith.machine.runnable import jetson_backend_name

        own = [r for r in jetson.jetpack_releases() if jetson_backend_name(r) == backend.name]
        pythons = sorted({r.python for r in own})
        python = machine.python.version if machine is not None and machine.python else None
        here = python is not None and any(python.startswith(f"{p}.") or python == p for p in pythons)
        if pythons and not here:
            return (
                f"NVIDIA's `{backend}` wheels are built for CPython {', '.join(pythons)} (the JetPack's own "
                f"Python) and none matches `{spec}` for this Python; use the system "
                f"Python {pythons[-1]} (e.g. `python{pythons[-1]} -m venv`)"
            )
        if here and offline:
            known = sorted({w.wheel_filename.split("-")[1] for r in own for w in r.wheels})
            listed = f" ({', '.join(known)})" if known else ""
            indexed = any(r.backend == backend.name for r in own)
            fix = (
                "NVIDIA's index lists newer builds, so plan online (unset `TORCHSMITH_OFFLINE`)"
                if indexed
                else "build torch from source for this JetPack, or relax the requirement"
            )
            return (
                f"offline, torchsmith knows only NVIDIA's direct wheels for `{backend}`{listed}, none "
                f"matching `{spec}`: a gap in its knowledge, not a missing build; {fix}"
            )
    where = "in torchsmith's knowledge" if offline else "on its index"
    return f"no torch matching `{spec}` for this platform and Python {where}"


def _cuda_for_driver(driver: str, machine: Machine) -> str | None:
    """The driver's own CUDA version from the driver table, when the machine did not record it."""
    from packaging.version import InvalidVersion

    from torchsmith.knowledge import cuda_drivers

    try:
        own = cuda_drivers.cuda_for_driver(Version(driver), machine.driver_os)
    except InvalidVersion:
        return None
    return str(own) if own else None


def _machine_lines(machine: Machine) -> list[str]:
    lines: list[str] = []
    if machine.jetson:
        from torchsmith.machine.runnable import jetson_release

        j = machine.jetson
        jp = jetson_release(machine)
        jetpack = j.jetpack or (jp.jetpack if jp else None) or "?"
        cuda = j.cuda or (str(jp.cuda) if jp and jp.cuda else None) or "?"
        tail = (
            "Arm SBSA CUDA, so upstream aarch64 CUDA wheels apply"
            if jp is not None and jp.sbsa
            else "upstream aarch64 wheels don't run on Tegra, NVIDIA's Jetson builds do"
        )
        lines.append(
            f"Jetson {j.module or 'board'}: L4T {j.l4t} = JetPack {jetpack} with CUDA {cuda}; {tail}"
        )
    if machine.nvidia:
        n = machine.nvidia
        if n.driver:
            own = n.cuda_driver or _cuda_for_driver(n.driver, machine)
            cuda = f" supports CUDA up to {own}" if own else ""
            lines.append(f"NVIDIA driver {n.driver}{cuda}")
        for i, gpu in enumerate(n.gpus):
            cc = f" (compute capability {gpu.compute_capability})" if gpu.compute_capability else ""
            lines.append(f"GPU {i}: {gpu.name}{cc}")
    if machine.amd:
        for i, agpu in enumerate(machine.amd.gpus):
            lines.append(f"AMD GPU {i}: {agpu.name} ({agpu.gfx or 'unknown gfx target'})")
    if machine.intel:
        for i, igpu in enumerate(machine.intel.gpus):
            lines.append(f"Intel GPU {i}: {igpu.name}")
    if machine.apple and machine.apple.rosetta:
        lines.append(
            "this Python is x86_64 running under Rosetta: it gets x86_64 wheels (the last is torch 2.2) "
            "and no MPS; install an arm64 Python (e.g. `uv python install 3.12`) to use the GPU"
        )
    elif machine.apple and machine.apple.mps:
        lines.append("macOS wheels include MPS (Metal) support: the CPU build is the GPU build on a Mac")
    return lines


def reasons(
    machine: Machine,
    reqs: Requirements,
    torch: Version,
    backend: Backend,
    notes: Sequence[str],
    newer_cpu: Version | None,
    companions: Sequence[tuple[str, Version]] = (),
) -> list[str]:
    """Why this choice: the machine facts it rests on, then the choice, the companions, then caveats."""
    lines = _machine_lines(machine)
    python = f"CPython {machine.python.version}" if machine.python else "this Python"
    lines.append(
        f"torch {torch} is the newest release matching `{reqs.spec_text('torch')}` with a "
        f"`{backend}` build for {machine.platform_key} and {python}"
    )
    if releases.release_for(torch) is None:
        lines.append(
            f"torch {torch} is newer than torchsmith's knowledge tables: its wheels and companions come from "
            "the index, but GPU architecture support is not checked (a newer torchsmith knows it)"
        )
    for name, version in companions:
        known = releases.release_for(torch) is not None
        how = "pairs with" if known else "declares in its metadata that it pairs with"
        lines.append(f"{name} {version} {how} torch {torch}; taken from the same `{backend}` index")
    lines.extend(notes)
    if newer_cpu is not None:
        lines.append(
            f"torch {newer_cpu} exists but none of its accelerated builds runs here; "
            f"`--backend cpu` gets it on the CPU"
        )
    return lines


def newer_release(machine: Machine, reqs: Requirements, torch: Version, backend: Backend) -> str | None:
    """Why a newer torch that the requirements allow was not chosen (None when the newest was chosen)."""
    from torchsmith.planning.rules import check

    spec = reqs.family["torch"]
    newer = [p for r in releases.releases() for p in r.patches if p > torch and spec.contains(p)]
    if not newer:
        return None
    for newest in sorted(newer, reverse=True):
        verdict = check(machine, newest, backend)
        if verdict.why is not None:
            return f"torch {newest} is newer, but not here: {verdict.why}"
    return None


def _cause_rank(why: str) -> int:
    """Which failure explains a cap best: a companion's pin or missing release, then a driver floor, then a
    GPU architecture, then anything else; "no such build here" explains least."""
    if any(k in why for k in ("excludes", "has no release for torch", "no torchvision", "no torchaudio")):
        return 0
    if "needs driver" in why or "driver, which is not loaded" in why:
        return 1
    if "cannot run there" in why or "cannot compile" in why or "predates sm_" in why:
        return 2
    if " has no `" in why or "has no torch " in why or "has no wheels for `" in why:
        return 4
    return 3


def capped_by(
    machine: Machine, reqs: Requirements, failures: Failures, torch: Version, accelerated: bool
) -> str | None:
    """What kept the newest torch newer than `torch` from being chosen: the search's own failures, and,
    where those only say "no such build", the builds of that release the machine's backends left out
    (a CUDA build its driver is too old for)."""
    spec = reqs.family["torch"]
    known = {p for r in releases.releases() for p in r.patches if spec.contains(p)}
    newer = sorted({v for entries in failures.values() for v, _ in entries} | known, reverse=True)
    for version in [v for v in newer if v > torch][:3]:
        whys = _failures_at(machine, failures, version, accelerated)
        if whys:
            return f"torch {version} is newer, but not here: {_cap_text(whys)}"
    return None


def _cap_text(whys: list[str]) -> str:
    """The best-ranked cause; where a driver floor stopped some builds and an architecture list the others
    (an RTX 5090 on a driver too old for `cu130`, whose `cu126` build has no sm_120), both, since each alone
    would misstate the fix."""
    ranked = sorted(dict.fromkeys(whys), key=_cause_rank)
    best = ranked[0]
    if _cause_rank(best) == 1:
        arch = next((why for why in ranked if _cause_rank(why) == 2), None)
        if arch is not None:
            return f"{best}; {arch}"
    return best


def _failures_at(machine: Machine, failures: Failures, version: Version, accelerated: bool) -> list[str]:
    whys = [
        why
        for backend, entries in failures.items()
        if accelerated != (backend == "cpu")
        for v, why in entries
        if v == version
    ]
    release = releases.release_for(version)
    if accelerated and release is not None and (not whys or min(map(_cause_rank, whys)) >= 2):
        from torchsmith.backends import parse_backend
        from torchsmith.planning.rules import check

        for name in release.backends.get(machine.platform_key, ()):
            if name not in failures and parse_backend(name).kind != "cpu":
                why = check(machine, version, parse_backend(name)).why
                if why and "none was found" not in why and "needs an Intel GPU" not in why:
                    whys.append(why)
    return whys


def _why(backend: str, chosen: Backend, torch: Version, failures: Failures) -> tuple[str, str | None]:
    """(why the backend was not chosen, the torch version that reason is about; None for "no versions")."""
    entries = failures.get(backend, [])
    at_chosen = [why for version, why in entries if version == torch]
    if at_chosen:
        return at_chosen[0], str(torch)
    if entries:
        version, why = max(entries, key=lambda e: e[0])
        return why, str(version) if version != Version("0") else None
    return f"also runs here, but `{chosen}` ranks higher for this machine", str(torch)


def rejections(
    backends: Sequence[Backend], chosen: Backend, torch: Version, failures: Failures
) -> list[Rejection]:
    """One entry per considered backend that was not chosen, with the reason at the chosen torch version."""
    return [
        Rejection(b.name, *_why(b.name, chosen, torch, failures)) for b in backends if b.name != chosen.name
    ]


def unrunnable(machine: Machine, considered: Sequence[Backend], torch: Version) -> list[Rejection]:
    """Backends the chosen torch ships for this platform that the machine cannot run (e.g. CUDA builds its
    driver is too old for), so "why not the newest CUDA?" is answered. Kinds with no hardware are skipped."""
    from torchsmith.backends import parse_backend
    from torchsmith.planning.rules import check

    release = releases.release_for(torch)
    if release is None:
        return []
    names = {b.name for b in considered}
    result: list[Rejection] = []
    for name in release.backends.get(machine.platform_key, ()):
        if name in names:
            continue
        why = check(machine, torch, parse_backend(name)).why
        if why and "none was found" not in why and "needs an Intel GPU" not in why:
            result.append(Rejection(name, why, str(torch)))
    return result


def why_cpu(rejected: Sequence[Rejection]) -> str:
    gpu = [r for r in rejected if r.backend != "cpu"]
    details = "; ".join(f"`{r.backend}`: {r.why}" for r in gpu[:3])
    return (
        f"CPU build chosen although this machine has an accelerator backend, because no accelerated build "
        f"fits: {details}"
    )


def gpu_without_backend(machine: Machine, torch: Version | None = None) -> str:
    overridden = (
        machine.nvidia
        and machine.nvidia.driver
        and machine.nvidia.cuda_driver
        and machine.virtual_packages  # recorded by a probe: a driver's CUDA is missing only when emptied
        and not any(v.startswith("__cuda=") for v in machine.virtual_packages)
    )
    if overridden:
        return (
            "CPU build chosen: the NVIDIA driver is loaded but the machine reports no CUDA (`__cuda` "
            "absent: is `CONDA_OVERRIDE_CUDA` set to an empty value?)"
        )
    if machine.nvidia and machine.nvidia.driver and not machine.backends[:-1]:
        return (
            f"CPU build chosen: NVIDIA driver `{machine.nvidia.driver}` is below the minimum driver of every "
            "CUDA build for this platform (or could not be read); update the driver and plan again"
        )
    if machine.nvidia and machine.nvidia.driver is None:
        return (
            "CPU build chosen: an NVIDIA GPU is present but no NVIDIA driver is loaded; install the driver "
            "(e.g. `sudo ubuntu-drivers install`), reboot, and plan again"
        )
    if machine.intel and not machine.amd and not machine.nvidia:
        return "CPU build chosen: this Intel GPU is not one PyTorch XPU supports"
    if machine.amd:
        from torchsmith.knowledge import rocm

        for gpu in machine.amd.gpus:
            override = rocm.gfx_override(gpu.gfx) if gpu.gfx else None
            if override:
                release = releases.release_for(torch) if torch is not None else None
                shipped = release.backends.get(machine.platform_key, ()) if release is not None else None
                newest = next(
                    (
                        b
                        for b in rocm.backends_for_gfx(_override_target(override))
                        if shipped is None or b in shipped
                    ),
                    None,
                )
                backend = f" and plan with `--backend {newest}`" if newest else ""
                return (
                    f"CPU build chosen: no PyTorch ROCm build is compiled for {gpu.name} ({gpu.gfx}); ROCm "
                    f"builds usually run on it with `HSA_OVERRIDE_GFX_VERSION={override}` set{backend}"
                )
        return "CPU build chosen: no PyTorch ROCm build supports this AMD GPU's gfx target"
    return "CPU build chosen: no accelerated PyTorch build runs on this machine's GPU"


def _override_target(value: str) -> str:
    """`10.3.0` → `gfx1030`: the target an `HSA_OVERRIDE_GFX_VERSION` value makes the GPU pretend to be."""
    from torchsmith.knowledge import rocm

    major, minor, stepping = (int(part) for part in value.split("."))
    return rocm.gfx_from_version(major, minor, stepping)


def nothing_fits(
    reqs: Requirements, machine: Machine, backends: Sequence[Backend], failures: Failures
) -> str:
    parts = []
    for backend in backends:
        entries = failures.get(backend.name)
        if entries:
            _, why = max(entries, key=lambda e: e[0])
            parts.append(f"`{backend}`: {why}")
    detail = "\n  ".join(parts) if parts else "no candidate versions were found"
    python = machine.python.version if machine.python else "?"
    return (
        f"no build of `{' '.join(reqs.texts)}` runs on this machine ({machine.platform_key}, Python "
        f"{python}):\n  {detail}"
    )


def nothing_fits_hint(
    reqs: Requirements, machine: Machine, backends: Sequence[Backend], failures: Failures
) -> str | None:
    texts = " ".join(why for entries in failures.values() for _, why in entries)
    if "CPython" in texts:
        return "plan for another Python with `--python 3.12` (or relax the torch version)"
    if "musllinux" in texts:
        return "use a glibc-based image (e.g. `python:3.12-slim`) instead of Alpine"
    if "has no release for torch" in texts:
        return "relax the torch requirement (e.g. `torch<=2.11`) or drop the companion package"
    if len(backends) == 1 and backends[0].kind != "cpu":
        return "let torchsmith choose with `--backend auto`, or use `--backend cpu`"
    if "has no wheels for `" in texts or "publishes no" in texts:
        return (
            f"no torch wheels exist for `{machine.platform_key}`: plan for a platform that has them, e.g. "
            "`--platform linux-x86_64` (an x86_64 Python runs emulated on Windows on Arm and Apple silicon)"
        )
    if "macOS" in texts or "glibc" in texts:
        return "relax the torch requirement (e.g. `torch<2.7`) or plan for a newer OS"
    return "relax the requirements (e.g. plain `torch`), or plan with `--backend auto`"
