"""Docker: a Dockerfile per target installing the planned files by URL and sha256, checked by doctor's script.

The image needs nothing unpublished: no `pip install torchsmith`. Linux targets start from the slim
official Python image and install the exact torch-family *files* the plan chose (`torch @ URL#sha256=...`;
pip verifies a URL fragment hash against the downloaded file, https://pip.pypa.io/en/stable/topics/
secure-installs/#hash-checking-mode), with the backend's index as an extra index for their dependencies.
The wheels carry their CUDA/ROCm user-space libraries; the host only needs its driver and
`docker run --gpus all` / the ROCm devices. Offline (no index read), the files are not known: the pins
are written instead and the Dockerfile says so. Jetson follows the recipe that works on JetPack: NVIDIA's
L4T JetPack image (its CUDA matches the board's) plus NVIDIA's own torch wheel, since the upstream aarch64
wheels are CPU builds there (https://docs.nvidia.com/deeplearning/frameworks/install-pytorch-jetson-platform/).

Verification uses doctor's own stdlib-only script (`doctor/target_script.py`, Python >= 3.6), written
beside the Dockerfile as `torchsmith-check.py` and `COPY`ed in: `RUN ... --check` fails the build when
the install is not what was planned, and the exec-form `HEALTHCHECK` runs it again, device test included,
in the running container. Credentials never enter a Dockerfile: an index URL with userinfo is written
without it, and pip reads them at build time from a BuildKit secret mounted as `~/.netrc`
(`docker build --secret id=netrc,src=$HOME/.netrc ...`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from torchsmith.errors import UsageError
from torchsmith.export.job import Job, Rendered, requirement_text
from torchsmith.export.merge import replace_block
from torchsmith.export.targets import Target

if TYPE_CHECKING:
    from packaging.version import Version

    from torchsmith.index.settings import IndexSettings
    from torchsmith.planning.model import PlannedPackage

__all__ = ["CHECK_NAME", "check_script", "jetson_base", "render"]

CHECK_NAME = "torchsmith-check.py"
"""The doctor script's name beside the Dockerfile (and under /opt/torchsmith/ in the image)."""

_CHECK_IN_IMAGE = f"/opt/torchsmith/{CHECK_NAME}"

_RUN_FLAGS = {
    "cuda": "--gpus all",
    "rocm": "--device /dev/kfd --device /dev/dri --group-add video",
    "xpu": "--device /dev/dri",
    "jetson": "--runtime nvidia",
    "cpu": "",
}

_NETRC_MOUNT = "--mount=type=secret,id=netrc,target=/root/.netrc,required=true "


def check_script() -> str:
    """The text of doctor's target script, exactly as the package ships it."""
    from importlib.resources import files

    return files("torchsmith.doctor").joinpath("target_script.py").read_text(encoding="utf-8")


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


class _Urls:
    """URLs as written into a Dockerfile: credentials stripped, and whether any index needs some.

    The index settings strip credentials from URLs as they are read (index/settings.py) and keep them
    aside, so "needs credentials" is asked of the settings (URL, per-index variables, netrc), not the URL.
    """

    def __init__(self, settings: IndexSettings) -> None:
        self.secret = False
        self._settings = settings

    def __call__(self, url: str) -> str:
        from torchsmith.redact import redact_text, split_credentials

        bare, user, password = split_credentials(url)
        if user or password or self._settings.credentials.for_url(bare) is not None:
            self.secret = True
        return redact_text(bare)


def _quote(items: list[str]) -> str:
    return " \\\n    ".join(f'"{item}"' for item in items)


def _planned_files(job: Job, target: Target) -> tuple[Version, tuple[PlannedPackage, ...]] | None:
    """(Python, the plan's files) for the newest Python whose files the index has, each with a URL and
    sha256; None offline or when no plan has them (then the Dockerfile pins versions instead)."""
    from torchsmith.errors import TorchsmithError
    from torchsmith.export.pip import synthetic_machine
    from torchsmith.planning.plan import make_plan

    if job.settings.offline:
        return None
    for python in reversed(job.choice(target).pythons):
        try:
            plan = make_plan(
                [requirement_text(r, drop_marker=True) for r in job.family],
                machine=synthetic_machine(target, python),  # type: ignore[arg-type]
                backend=target.backend,
                settings=job.settings,
            )
        except TorchsmithError:
            continue
        if not plan.offline and all(p.url and p.sha256 for p in plan.packages):
            return python, plan.packages
    return None


def _check_args(expect: list[str], target: Target) -> list[str]:
    args = [a for pin in expect for a in ("--expect", pin)]
    return [*args, "--backend", target.backend]


def _linux(job: Job, target: Target, urls: _Urls) -> tuple[list[str], list[str], str | None]:
    """(instructions, expected pins, note) for a slim-Python-image target."""
    from torchsmith.export.pip import pins_for

    python = job.choice(target).best_python
    others = [requirement_text(r) for r in job.others]
    index = job.index_url(target)
    default = job.settings.default_index
    flags = "" if default.rstrip("/") == "https://pypi.org/simple" else f"--index-url {urls(default)} "
    flags += f"--extra-index-url {urls(index)} " if index else ""
    planned = _planned_files(job, target)
    note = None
    if planned is not None:
        python, files = planned
        wanted = [f"{p.name} @ {urls(p.url or '')}#sha256={p.sha256}" for p in files]
        expect = [p.pin for p in files]
        comment = "# the planned files, by URL and sha256 (pip checks the hash of each download)"
    else:
        pins, _ = pins_for(job, target)
        wanted, expect = list(pins), list(pins)
        comment = "# pins only: planned offline, so the files and their sha256 are not known here"
        note = f"{target.name}: planned offline, so the Dockerfile pins versions without file hashes"
    mount = _NETRC_MOUNT if urls.secret else ""
    platform = "linux/arm64" if target.arch == "aarch64" else "linux/amd64"
    return (
        [
            "# the planned wheels are for one architecture, so the image is too",
            "# hadolint ignore=DL3029",
            f"FROM --platform={platform} python:{python}-slim",
            "ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1",
            comment,
            f"RUN {mount}python -m pip install {flags}\\",
            f"    {_quote([*wanted, *others])}",
        ],
        expect,
        note,
    )


def _jetson(job: Job, target: Target, urls: _Urls) -> tuple[list[str], list[str], str | None]:
    """(instructions, expected pins, note) for a Jetson target on NVIDIA's L4T JetPack image."""
    image, wheel, python = jetson_base(target)
    index = urls(job.index_url(target) or "")
    others = [requirement_text(r) for r in job.others]
    lines = [
        f"FROM {image}",
        "ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1",
        "# apt versions follow the L4T image's Ubuntu archive, which torchsmith does not track",
        "# hadolint ignore=DL3008",
        "RUN apt-get update && apt-get install -y --no-install-recommends python3-pip libopenblas-dev \\",
        "    && rm -rf /var/lib/apt/lists/*",
    ]
    names = [requirement_text(r, drop_marker=True) for r in job.family]
    mount = _NETRC_MOUNT if urls.secret else ""
    if wheel and names == ["torch"]:
        # the version as the wheel's name spells it: the installed .dist-info folder is named the same
        version = wheel.rsplit("/", 1)[-1].split("-")[1]
        lines += [
            f"# NVIDIA's torch wheel for JetPack (Python {python}); upstream aarch64 ones are CPU-only here;",
            f"ENV TORCH_INSTALL={wheel}",
            "# NVIDIA publishes no sha256 for it, so only its URL is pinned; numpy is left to pip",
            "# hadolint ignore=DL3013",
            f'RUN {mount}python3 -m pip install numpy "$TORCH_INSTALL" {_quote(others)}'.rstrip(),
        ]
        return lines, [f"torch=={version}"], None
    lines.append("# NVIDIA's Jetson index (mirrors PyPI) so no upstream CPU-only aarch64 wheel wins;")
    lines.append("# versions are the index's newest for this JetPack (torchsmith has no pins for it)")
    lines.append("# hadolint ignore=DL3013")
    lines.append(f"RUN {mount}python3 -m pip install --index-url {index} \\")
    lines.append(f"    {_quote([*names, *others])}")
    return lines, [r.name for r in job.family], None


def _dockerfile_path(job: Job, target: Target) -> Path:
    """`-o DIR` (existing) -> DIR/Dockerfile.<target>; `-o FILE` with one target -> FILE; `-o
    path/Dockerfile` with several -> path/Dockerfile.<target>; nothing -> ./Dockerfile.<target>."""
    name = f"Dockerfile.{target.name}"
    output = job.output
    if output is None:
        return Path.cwd() / name
    if output.is_dir():
        return output / name
    if len(job.targets) == 1:
        return output
    if output.name.startswith("Dockerfile"):
        return output.with_name(f"{output.name}.{target.name}")
    return output / name


def render(job: Job) -> Rendered:
    files: dict[Path, str] = {}
    notes: list[str] = []
    for target in job.targets:
        if target.os != "linux":
            raise UsageError(
                f"cannot export a Dockerfile for `{target.name}`: container images here are Linux images",
                hint="use a `linux-...` or `jetson-...` target (Docker on macOS or Windows runs Linux)",
            )
        path = _dockerfile_path(job, target)
        urls = _Urls(job.settings)
        build = _jetson if target.kind == "jetson" else _linux
        body, expect, note = build(job, target, urls)
        python = "python3" if target.kind == "jetson" else "python"
        flags = _RUN_FLAGS.get(target.kind, "")
        run = f"docker run {flags} IMAGE".replace("  ", " ")
        secret = " --secret id=netrc,src=$HOME/.netrc" if urls.secret else ""
        check = _check_args(expect, target)
        health = [python, _CHECK_IN_IMAGE, "--check", *check]
        if target.kind in ("cuda", "rocm", "xpu", "jetson"):
            health.append("--require-gpu")
        block = [
            f"{job.header()} for `{target.name}` ({target.platform}, {target.backend})",
            f"# build: docker build{secret} -f {path.name} -t IMAGE .    run: {run}",
            *body,
            f"# doctor's stdlib-only script ({CHECK_NAME}, written beside this file): fail the build if",
            "# the install is not the planned one (no device at build time: the HEALTHCHECK tests it)",
            f"COPY {CHECK_NAME} {_CHECK_IN_IMAGE}",
            f"RUN {python} {_CHECK_IN_IMAGE} --check --no-device-test {' '.join(check)}",
            "HEALTHCHECK --interval=5m --timeout=2m --start-period=1m CMD "
            + "["
            + ", ".join(f'"{a}"' for a in health)
            + "]",
        ]
        existing = job.read(path)
        content = replace_block(existing, "\n".join(block))
        if existing is None:
            content = "# syntax=docker/dockerfile:1\n" + content
        files[path] = content
        files[path.parent / CHECK_NAME] = check_script()
        if note:
            notes.append(note)
        if urls.secret:
            notes.append(
                f"{path.name}: the index needs credentials: build with `--secret id=netrc,src=$HOME/.netrc`"
            )
        notes.append(f"build with `docker build{secret} -f {path.name} -t IMAGE .`, run with `{run}`")
    return Rendered(tuple(files.items()), tuple(notes))
