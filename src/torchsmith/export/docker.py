"""Docker: one `Dockerfile.<target>` per target, the pinned install checked by `torchsmith doctor`.

Linux targets start from the slim official Python image and install the exact torch-family pins from the
backend's index (the wheels carry their CUDA/ROCm user-space libraries; the host only needs its driver and
`docker run --gpus all` / the ROCm devices). Jetson follows the recipe that works on JetPack: NVIDIA's
L4T JetPack image (its CUDA matches the board's) plus NVIDIA's own torch wheel, since the upstream aarch64
wheels are CPU builds there (https://docs.nvidia.com/deeplearning/frameworks/install-pytorch-jetson-platform/).
`RUN torchsmith doctor --no-device-test` fails the build when the install is inconsistent; the
`HEALTHCHECK` runs the full doctor (device test included) in the running container.
"""

from __future__ import annotations

from pathlib import Path

from torchsmith.errors import UsageError
from torchsmith.export.job import Job, Rendered, requirement_text
from torchsmith.export.merge import replace_block
from torchsmith.export.targets import Target

__all__ = ["jetson_base", "render"]

_RUN_FLAGS = {
    "cuda": "--gpus all",
    "rocm": "--device /dev/kfd --device /dev/dri --group-add video",
    "xpu": "--device /dev/dri",
    "jetson": "--runtime nvidia",
    "cpu": "",
}


def jetson_base(target: Target) -> tuple[str, str | None, str]:
    """(L4T JetPack image, NVIDIA torch wheel URL or None, Python) for a Jetson target."""
    from torchsmith.knowledge.jetson import jetpack_releases

    rows = [r for r in jetpack_releases() if r.backend == target.backend]
    if not rows:
        raise UsageError(f"no JetPack release in the knowledge tables uses `{target.backend}`")
    newest = max(rows, key=lambda r: r.l4t)
    wheels = sorted((w for r in rows for w in r.wheels), key=lambda w: w.torch, reverse=True)
    url = wheels[0].url if wheels else None
    return f"nvcr.io/nvidia/l4t-jetpack:r{newest.l4t}", url, newest.python


def _quote(items: list[str]) -> str:
    return " ".join(f'"{item}"' for item in items)


def _linux(job: Job, target: Target) -> list[str]:
    from torchsmith.export.pip import pins_for

    choice = job.choice(target)
    python = choice.best_python
    pins, _ = pins_for(job, target)
    others = [requirement_text(r) for r in job.others]
    url = job.index_url(target)
    platform = " --platform=linux/arm64" if target.arch == "aarch64" else ""
    index = f"--extra-index-url {url} " if url else ""
    default = job.settings.default_index
    default_flag = "" if default.rstrip("/") == "https://pypi.org/simple" else f"--index-url {default} "
    return [
        f"FROM{platform} python:{python}-slim",
        "ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1",
        f"RUN python -m pip install {default_flag}{index}{_quote([*pins, *others])} \\",
        "    && python -m pip install torchsmith",
    ]


def _jetson(job: Job, target: Target) -> list[str]:
    image, wheel, python = jetson_base(target)
    url = job.index_url(target)
    others = [requirement_text(r) for r in job.others]
    lines = [
        f"FROM {image}",
        "ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1",
        "RUN apt-get update && apt-get install -y --no-install-recommends python3-pip libopenblas-dev \\",
        "    && rm -rf /var/lib/apt/lists/*",
    ]
    names = [requirement_text(r, drop_marker=True) for r in job.family]
    if wheel and names == ["torch"]:
        lines += [
            f"# NVIDIA's torch wheel for JetPack (Python {python}); upstream aarch64 ones are CPU-only here",
            f"ENV TORCH_INSTALL={wheel}",
            'RUN python3 -m pip install numpy "$TORCH_INSTALL" && python3 -m pip install torchsmith',
        ]
    else:
        lines.append("# NVIDIA's Jetson index (mirrors PyPI) so no upstream CPU-only aarch64 wheel wins")
        lines.append(f"RUN python3 -m pip install --index-url {url} {_quote([*names, *others])} \\")
        lines.append("    && python3 -m pip install torchsmith")
    return lines


def render(job: Job) -> Rendered:
    files: list[tuple[Path, str]] = []
    notes: list[str] = []
    for target in job.targets:
        if target.os != "linux":
            raise UsageError(
                f"cannot export a Dockerfile for `{target.name}`: container images here are Linux images",
                hint="use a `linux-...` or `jetson-...` target (Docker on macOS or Windows runs Linux)",
            )
        path = job.target_path(target, "Dockerfile.{target}")
        body = _jetson(job, target) if target.kind == "jetson" else _linux(job, target)
        flags = _RUN_FLAGS.get(target.kind, "")
        run = f"docker run {flags} IMAGE".replace("  ", " ")
        block = [
            f"{job.header()} for `{target.name}` ({target.platform}, {target.backend})",
            f"# build: docker build -f {path.name} -t IMAGE .    run: {run}",
            *body,
            "# fail the build if the install is inconsistent (no device here: the device test runs below)",
            "RUN torchsmith doctor --no-device-test",
            "HEALTHCHECK --interval=5m --timeout=2m --start-period=1m CMD torchsmith doctor || exit 1",
        ]
        existing = job.read(path)
        content = replace_block(existing, "\n".join(block))
        if existing is None:
            content = "# syntax=docker/dockerfile:1\n" + content
        files.append((path, content))
        notes.append(f"build with `docker build -f {path.name} -t IMAGE .`, run with `{run}`")
    return Rendered(tuple(files), tuple(notes))
