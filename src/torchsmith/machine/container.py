"""The container we run in (Docker, Podman, Kubernetes, LXC, ...) and whether NVIDIA's runtime exposed a GPU.

Why it exists: inside a container the driver belongs to the host. A CUDA image without the NVIDIA container
runtime (`--gpus`) sees no GPU even on a GPU host, and `doctor` must say "start the container with `--gpus
all`" rather than "install a driver".

Ladder, cheapest first; the first marker found names the kind and is the `source`:
  1. `<root>/run/.containerenv` (Podman, https://docs.podman.io/en/latest/markdown/podman-run.1.html)
  2. `<root>/.dockerenv` (Docker)
  3. `<root>/proc/1/cgroup` (cgroup v1 paths: `/docker/<id>`, `/kubepods/...`, `/lxc/<name>`, `/libpod-...`)
  4. `<root>/run/systemd/container` (systemd's convention: `docker`, `podman`, `lxc`, `systemd-nspawn`)
`nvidia_runtime` is true when the runtime injected the host driver: `/proc/driver/nvidia/version` or
`/dev/nvidiactl` inside, or WSL's `/dev/dxg`. `NVIDIA_VISIBLE_DEVICES` alone proves nothing: the CUDA base
images set it to `all` whether or not the container got a GPU.
"""

from __future__ import annotations

import re

from torchsmith.lazy_re import lazy
from torchsmith.machine.context import ProbeContext
from torchsmith.machine.model import ContainerInfo

__all__ = ["SECTION", "detect", "parse_cgroup", "parse_systemd_container"]

SECTION = "container"

_CGROUP_KINDS = (
    (lazy(r"/kubepods\b"), "kubernetes"),
    (lazy(r"/libpod-|/machine\.slice/libpod"), "podman"),
    (lazy(r"/docker[/-]"), "docker"),
    (lazy(r"/lxc(?:\.payload)?[/.]"), "lxc"),
    (lazy(r"/containerd/|cri-containerd-"), "containerd"),
)


def parse_cgroup(text: str) -> str | None:
    """The container kind from `/proc/1/cgroup` (cgroup v1 paths name the runtime).

    Samples: `12:devices:/docker/3f1c...` → `docker`;
    `11:memory:/kubepods/burstable/pod5f0c.../6b2e...` → `kubernetes`. Under cgroup v2 a container sees only
    `0::/`, which names nothing (None).
    """
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        for pattern, kind in _CGROUP_KINDS:
            if pattern.search(parts[2]):
                return kind
    return None


def parse_systemd_container(text: str) -> str | None:
    """`/run/systemd/container` holds one word naming the manager.

    Samples: `docker`, `podman`, `lxc`, `systemd-nspawn`.
    """
    value = text.strip()
    return value if re.fullmatch(r"[a-z][a-z0-9_-]{0,31}", value) else None


def _nvidia_runtime(ctx: ProbeContext) -> bool:
    return any(ctx.exists(p) for p in ("/proc/driver/nvidia/version", "/dev/nvidiactl", "/dev/dxg"))


def detect(ctx: ProbeContext) -> ContainerInfo | None:
    """The container kind and its marker; None on a host (or a container that leaves no marker)."""
    if not ctx.sys_platform.startswith("linux"):
        return None
    kind: str | None = None
    source = ""
    if ctx.exists("/run/.containerenv"):
        kind, source = "podman", "/run/.containerenv"
    elif ctx.exists("/.dockerenv"):
        kind, source = "docker", "/.dockerenv"
    else:
        text = ctx.read_text("/proc/1/cgroup", limit=65536)
        kind = parse_cgroup(text) if text is not None else None
        source = "/proc/1/cgroup"
        if kind is None:
            text = ctx.read_text("/run/systemd/container", limit=256)
            kind = parse_systemd_container(text) if text is not None else None
            source = "/run/systemd/container"
    if kind is None:
        return None
    return ContainerInfo(kind=kind, nvidia_runtime=_nvidia_runtime(ctx), source=source)
