"""Container detection: marker files first, then /proc/1/cgroup, then systemd's note."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.machine.fakeroot import FakeRoot
from torchsmith.machine import container
from torchsmith.machine.model import ContainerInfo

RECORDED = Path(__file__).parents[1] / "data" / "recorded" / "proc-1-cgroup"


@pytest.mark.parametrize("path", sorted(RECORDED.glob("*.txt")), ids=lambda p: p.name)
def test_parse_cgroup(path: Path) -> None:
    kind = path.name.split("-", 1)[0]  # the file name says what the runtime is
    assert container.parse_cgroup(path.read_text()) == (None if kind == "none" else kind)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("docker\n", "docker"), ("systemd-nspawn\n", "systemd-nspawn"), ("", None), ("two words\n", None)],
)
def test_parse_systemd_container(text: str, expected: str | None) -> None:
    assert container.parse_systemd_container(text) == expected


def test_docker(tmp_path: Path) -> None:
    root = FakeRoot(tmp_path).write("/.dockerenv").write("/proc/1/cgroup", "0::/\n")
    assert container.detect(root.context()) == ContainerInfo("docker", False, "/.dockerenv")


def test_podman_marker_wins(tmp_path: Path) -> None:
    root = FakeRoot(tmp_path).write("/run/.containerenv", 'engine="podman-4.9.3"\n').write("/.dockerenv")
    assert container.detect(root.context()) == ContainerInfo("podman", False, "/run/.containerenv")


def test_kubernetes_from_cgroup_v1(tmp_path: Path) -> None:
    text = (RECORDED / "kubernetes-cgroup-v1.txt").read_text()
    root = FakeRoot(tmp_path).write("/proc/1/cgroup", text)
    assert container.detect(root.context()) == ContainerInfo("kubernetes", False, "/proc/1/cgroup")


def test_systemd_container_file(tmp_path: Path) -> None:
    root = FakeRoot(tmp_path).write("/proc/1/cgroup", "0::/\n").write("/run/systemd/container", "lxc\n")
    assert container.detect(root.context()) == ContainerInfo("lxc", False, "/run/systemd/container")


def test_gpu_container_has_the_driver_injected(tmp_path: Path) -> None:
    root = FakeRoot(tmp_path).write("/.dockerenv").write("/dev/nvidiactl")
    root.write("/proc/driver/nvidia/version", "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.127.05\n")
    assert container.detect(root.context()) == ContainerInfo("docker", True, "/.dockerenv")


def test_visible_devices_variable_alone_is_not_a_gpu(tmp_path: Path) -> None:
    # nvidia/cuda images set NVIDIA_VISIBLE_DEVICES=all even when started without `--gpus`.
    root = FakeRoot(tmp_path).write("/.dockerenv")
    info = container.detect(root.context({"NVIDIA_VISIBLE_DEVICES": "all"}))
    assert info == ContainerInfo("docker", False, "/.dockerenv")


def test_a_host(tmp_path: Path) -> None:
    text = (RECORDED / "none-host-cgroup-v1.txt").read_text()
    assert container.detect(FakeRoot(tmp_path).write("/proc/1/cgroup", text).context()) is None


def test_not_linux(tmp_path: Path) -> None:
    assert container.detect(FakeRoot(tmp_path).write("/.dockerenv").context(sys_platform="darwin")) is None
