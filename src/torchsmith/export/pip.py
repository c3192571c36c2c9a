"""pip: one `requirements-<target>.txt` per target, pinned, and hash-checked when the index can be read.

pip has no per-package index, so the PyTorch index is added with `--extra-index-url` and the torch family
is pinned to the exact build (`torch==2.7.1+cu126`): the local version label can only come from that
index, and every other package keeps coming from the default index. Jetson is the exception: PyPI's
aarch64 torch would outrank NVIDIA's build, so NVIDIA's index (which mirrors PyPI) is the `--index-url`.

Pins come from `torchsmith.planning.plan.make_plan` for a machine synthesised from the target (the index is
read, so the pins exist). pip's hash-checking mode needs *every* package pinned and hashed
(https://pip.pypa.io/en/stable/topics/secure-installs/), so hashes are written only when the whole closure
can be compiled for the target's platform with `uv pip compile --generate-hashes`; offline, the file
holds `==` pins without hashes and says so.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from packaging.version import Version

from torchsmith.export.choose import Choice, family_pins
from torchsmith.export.job import Job, Rendered, requirement_text
from torchsmith.export.merge import check_requirement_lines, replace_block
from torchsmith.export.targets import Target

__all__ = ["pins_for", "render", "synthetic_machine"]

_DEFAULT_PYPI = "https://pypi.org/simple"


def synthetic_machine(target: Target, python: Version) -> object:
    """A `Machine` standing for `target` with CPython `python`, for planning a machine we are not on."""
    from torchsmith.machine.model import Libc, Machine, PythonInfo

    abi = f"cp{python.major}{python.minor}"
    return Machine(
        os=target.os,
        arch=target.arch,
        libc=Libc("glibc", "2.35", source="export target") if target.os == "linux" else None,
        python=PythonInfo(f"{python.major}.{python.minor}.0", abi=abi, source="export target"),
        backends=(target.backend,),
    )


def _python_for(choice: Choice) -> Version:
    """This interpreter's minor version when the target has wheels for it, else the oldest one with wheels."""
    import sys

    here = Version(f"{sys.version_info.major}.{sys.version_info.minor}")
    return here if here in choice.pythons else choice.pythons[0]


def pins_for(job: Job, target: Target) -> tuple[tuple[str, ...], str | None]:
    """(`name==version` pins of the torch family, a note when they come from knowledge only)."""
    choice = job.choice(target)
    if target.kind != "jetson":
        from torchsmith.errors import TorchsmithError

        try:
            from torchsmith.planning.plan import make_plan

            plan = make_plan(
                [requirement_text(r, drop_marker=True) for r in job.family],
                machine=synthetic_machine(target, _python_for(choice)),  # type: ignore[arg-type]
                backend=target.backend,
                settings=job.settings,
            )
        except (ImportError, TorchsmithError) as error:
            note = f"{target.name}: pins from torchsmith's knowledge ({error})"
        else:
            if not plan.offline:
                return tuple(p.pin for p in plan.packages), None
            note = f"{target.name}: pins from torchsmith's knowledge (offline)"
    else:
        note = None
    local = target.backend if target.kind in ("cpu", "cuda", "rocm", "xpu") and not target.uses_pypi else None
    pins = family_pins(choice, job.family, local=None)
    if local:
        pins = tuple(f"{p}+{local}" if p.startswith("torch==") else p for p in pins)
    if target.kind == "jetson":
        pins = tuple(requirement_text(r, drop_marker=True) for r in job.family)
    return pins, note


def _index_lines(job: Job, target: Target) -> list[str]:
    url = job.index_url(target)
    default = job.settings.default_index
    if target.kind == "jetson" and url:
        return [f"--index-url {url}"]
    lines = [] if default.rstrip("/") == _DEFAULT_PYPI else [f"--index-url {default}"]
    if url:
        lines.append(f"--extra-index-url {url}")
    return lines


def _compile(job: Job, target: Target, lines: list[str], python: Version) -> str | None:
    """The full closure, pinned with hashes, from `uv pip compile` for the target's platform; None if not."""
    if job.settings.offline:
        return None
    try:
        from uv import find_uv_bin

        uv = find_uv_bin()
    except (ImportError, FileNotFoundError):
        return None
    index_args: list[str] = []
    for line in _index_lines(job, target):
        flag, _, url = line.partition(" ")
        index_args += [flag, url]
    if not any(a == "--index-url" for a in index_args):
        index_args += ["--index-url", job.settings.default_index]
    command = [
        uv, "pip", "compile", "-", "--quiet", "--generate-hashes", "--no-header", "--no-annotate",
        "--python-platform", target.wheel_platform, "--python-version", str(python),
        "--index-strategy", "unsafe-best-match", *index_args,
    ]  # fmt: skip
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("UV_INDEX", "UV_DEFAULT_INDEX", "UV_EXTRA"))
    }
    if target.os == "macos":
        # uv assumes an old macOS for `--python-platform`; current torch needs the release table's floor.
        from torchsmith.knowledge import releases

        floors = [r.macos_min for r in releases.releases() if r.macos_min]
        env["MACOSX_DEPLOYMENT_TARGET"] = max(floors, key=Version) if floors else "14.0"
    from torchsmith.index.settings import installer_environment  # credentials and TLS, off the command line

    try:
        with installer_environment(job.settings, "uv", env) as run_env:
            done = subprocess.run(
                command,
                input="\n".join(lines) + "\n",
                capture_output=True,
                text=True,
                timeout=300,
                env=run_env,
            )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        job.notes.append(
            f"{target.name}: hashes left out: `uv pip compile` failed: {done.stderr.strip()[-300:]}"
        )
        return None
    return done.stdout.strip()


def render(job: Job) -> Rendered:
    files: list[tuple[Path, str]] = []
    notes: list[str] = []
    for target in job.targets:
        choice = job.choice(target)
        pins, note = pins_for(job, target)
        if note:
            notes.append(note)
        others = [requirement_text(r) for r in job.others]
        python = _python_for(choice)
        compiled = _compile(job, target, [*pins, *others], python) if target.kind != "jetson" else None
        path = job.target_path(target, "requirements-{target}.txt")
        body = [
            f"{job.header()} for `{target.name}` ({target.platform}, {target.backend})",
            f"# install: python -m pip install -r {path.name}",
            *_index_lines(job, target),
        ]
        if compiled:
            body.append(f"# every package pinned with hashes for Python {python} (pip checks them all)")
            body.append(compiled)
        else:
            body += [*pins, *others]
        existing = check_requirement_lines(job.guard(path), job.read(path))
        files.append((path, replace_block(existing, "\n".join(body))))
        notes.append(f"install on `{target.name}` with `python -m pip install -r {path.name}`")
    from torchsmith.index.settings_env import credential_notes  # issue 13: netrc/keyring, never secrets

    urls = [line.partition(" ")[2] for t in job.targets for line in _index_lines(job, t)]
    notes += credential_notes(job.settings, "pip", [(None, url) for url in urls])
    return Rendered(tuple(files), tuple(notes))
