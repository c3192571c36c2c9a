"""Platform detection: parsers on recorded texts, then OS, arch, libc and kernel on fake roots and here."""

from __future__ import annotations

import os
import platform as host_platform
import sys
from pathlib import Path

import pytest

from tests.machine.fakeroot import FakeRoot
from torchsmith.machine import platform
from torchsmith.machine.context import ProbeContext
from torchsmith.machine.model import Libc

RECORDED = Path(__file__).parents[1] / "data" / "recorded"

EXPECTED_PROC_VERSION = {
    "alpine-6.6.58-0-lts.txt": "6.6.58-0-lts",
    "rocky8-4.18.0-553.txt": "4.18.0-553.51.1.el8_10.x86_64",
    "ubuntu-5.15.0-143-generic.txt": "5.15.0-143-generic",
    "wsl1-4.4.0-19041.txt": "4.4.0-19041-Microsoft",
    "wsl2-5.15.167.4.txt": "5.15.167.4-microsoft-standard-WSL2",
}
EXPECTED_BANNER = {
    "centos-7.txt": "2.17",
    "debian-12.txt": "2.36",
    "fedora-41.txt": "2.40",
    "gentoo.txt": "2.39",
    "ubuntu-22.04.txt": "2.35",
}
EXPECTED_APK = {"alpine-3.20.txt": "1.2.5", "alpine-edge-aarch64.txt": "1.2.3"}
BANNER = "GNU C Library (Debian GLIBC 2.36-9+deb12u10) stable release version 2.36."


def recorded(tool: str) -> list[Path]:
    return sorted(p for p in (RECORDED / tool).iterdir() if p.suffix == ".txt")


def _check(path: Path, result: object, expected: dict[str, str]) -> None:
    if path.name.startswith("corrupt-"):
        assert result is None
    else:
        assert result == expected[path.name]


@pytest.mark.parametrize("path", recorded("proc-version"), ids=lambda p: p.name)
def test_parse_proc_version(path: Path) -> None:
    _check(path, platform.parse_proc_version(path.read_text()), EXPECTED_PROC_VERSION)


@pytest.mark.parametrize("path", recorded("glibc-banner"), ids=lambda p: p.name)
def test_parse_glibc_banner(path: Path) -> None:
    _check(path, platform.parse_glibc_banner(path.read_text()), EXPECTED_BANNER)


@pytest.mark.parametrize("path", recorded("apk-installed"), ids=lambda p: p.name)
def test_parse_apk_musl_version(path: Path) -> None:
    _check(path, platform.parse_apk_musl_version(path.read_text()), EXPECTED_APK)


@pytest.mark.parametrize(
    ("tool", "expected"),
    [
        ("proc-version", EXPECTED_PROC_VERSION),
        ("glibc-banner", EXPECTED_BANNER),
        ("apk-installed", EXPECTED_APK),
    ],
)
def test_every_recorded_file_has_an_expectation(tool: str, expected: dict[str, str]) -> None:
    assert {p.name for p in recorded(tool) if not p.name.startswith("corrupt-")} == set(expected)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("libc-2.31.so", "2.31"),
        ("ld-2.17.so", "2.17"),
        ("/lib/x86_64-linux-gnu/libc-2.28.so", "2.28"),
        ("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", None),
        ("libc.so.6", None),
    ],
)
def test_parse_glibc_soname(target: str, expected: str | None) -> None:
    assert platform.parse_glibc_soname(target) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("glibc 2.36", Libc("glibc", "2.36", "confstr")), ("", None), (None, None), ("musl 1.2", None)],
)
def test_parse_confstr_libc(value: str | None, expected: Libc | None) -> None:
    assert platform.parse_confstr_libc(value) == expected


@pytest.mark.parametrize(
    ("sys_platform", "expected"),
    [
        ("linux", "linux"),
        ("darwin", "macos"),
        ("win32", "windows"),
        ("cygwin", "windows"),
        ("freebsd14", "freebsd"),
    ],
)
def test_os_name(sys_platform: str, expected: str) -> None:
    assert platform.os_name(sys_platform) == expected


@pytest.mark.parametrize(
    ("machine", "system", "expected"),
    [
        ("x86_64", "linux", "x86_64"),
        ("AMD64", "windows", "x86_64"),
        ("arm64", "linux", "aarch64"),
        ("aarch64", "linux", "aarch64"),
        ("arm64", "macos", "arm64"),
        ("ARM64", "windows", "arm64"),
        ("ppc64le", "linux", "ppc64le"),
    ],
)
def test_normalize_arch(machine: str, system: str, expected: str) -> None:
    assert platform.normalize_arch(machine, system) == expected


def _kernel(root: FakeRoot, release: str = "6.1.0-37-amd64") -> FakeRoot:
    return root.write("/proc/sys/kernel/ostype", "Linux\n").write(
        "/proc/sys/kernel/osrelease", release + "\n"
    )


def test_glibc_from_the_banner_inside_libc_so_6(tmp_path: Path) -> None:
    root = _kernel(FakeRoot(tmp_path))
    root.write("/lib/x86_64-linux-gnu/libc.so.6", b"\x7fELF\x00\x01\x02" + BANNER.encode() + b"\n\x00\xff")
    root.write("/proc/sys/kernel/arch", "aarch64\n")
    facts = platform.detect(root.context())
    assert facts == platform.PlatformFacts(
        os="linux", arch="aarch64", libc=Libc("glibc", "2.36", "libc.so.6 banner"), kernel="6.1.0-37-amd64"
    )


def test_glibc_from_a_versioned_symlink(tmp_path: Path) -> None:
    root = _kernel(FakeRoot(tmp_path)).write("/usr/lib64/libc-2.28.so", "stand-in")
    root.link("/usr/lib64/libc.so.6", "libc-2.28.so")
    assert platform.detect(root.context()).libc == Libc("glibc", "2.28", "libc.so.6 symlink")


def test_an_absolute_symlink_is_never_followed_out_of_the_root(tmp_path: Path) -> None:
    # On the host, /lib/x86_64-linux-gnu/libc.so.6 may exist; under the fake root it must not be read.
    root = _kernel(FakeRoot(tmp_path)).link("/lib64/libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6")
    assert platform.detect(root.context()).libc == Libc("glibc", None, "ld.so")


def test_musl_with_its_version_from_apk(tmp_path: Path) -> None:
    root = _kernel(FakeRoot(tmp_path)).write("/lib/ld-musl-x86_64.so.1", "stand-in")
    root.write("/lib/apk/db/installed", (RECORDED / "apk-installed" / "alpine-3.20.txt").read_text())
    assert platform.detect(root.context()).libc == Libc("musl", "1.2.5", "apk")


def test_musl_without_a_package_database(tmp_path: Path) -> None:
    root = _kernel(FakeRoot(tmp_path)).write("/lib/ld-musl-aarch64.so.1", "stand-in")
    assert platform.detect(root.context()).libc == Libc("musl", None, "ld-musl")


def test_glibc_wins_over_a_musl_loader_installed_beside_it(tmp_path: Path) -> None:
    # Debian's `musl` package installs /lib/ld-musl-x86_64.so.1 on a glibc system.
    root = _kernel(FakeRoot(tmp_path)).write("/lib/ld-musl-x86_64.so.1", "stand-in")
    root.write("/lib/x86_64-linux-gnu/libc.so.6", BANNER)
    assert platform.detect(root.context()).libc == Libc("glibc", "2.36", "libc.so.6 banner")


def test_kernel_from_proc_version_and_arch_from_the_context(tmp_path: Path) -> None:
    text = (RECORDED / "proc-version" / "wsl2-5.15.167.4.txt").read_text()
    root = FakeRoot(tmp_path).write("/proc/version", text)
    ctx = root.context()
    ctx.machine_arch = "arm64"
    facts = platform.detect(ctx)
    assert (facts.kernel, facts.arch, facts.libc) == ("5.15.167.4-microsoft-standard-WSL2", "aarch64", None)


def test_a_non_linux_ostype_is_a_warning(tmp_path: Path) -> None:
    root = FakeRoot(tmp_path).write("/proc/sys/kernel/ostype", "FreeBSD\n")
    ctx = root.context()
    platform.detect(ctx)
    assert ctx.warnings == ["unexpected `/proc/sys/kernel/ostype`: `FreeBSD`"]


def test_injected_macos_has_no_libc_or_kernel_under_a_fake_root(tmp_path: Path) -> None:
    ctx = FakeRoot(tmp_path).context(sys_platform="darwin")
    ctx.machine_arch = "arm64"
    assert platform.detect(ctx) == platform.PlatformFacts(os="macos", arch="arm64", libc=None, kernel=None)


def test_injected_windows(tmp_path: Path) -> None:
    ctx = FakeRoot(tmp_path).context(sys_platform="win32")
    ctx.machine_arch = "AMD64"
    assert platform.detect(ctx) == platform.PlatformFacts(os="windows", arch="x86_64", libc=None, kernel=None)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the host probe is checked on Linux")
def test_this_host() -> None:
    facts = platform.detect(ProbeContext())
    assert facts.os == "linux"
    assert facts.kernel == host_platform.release()
    confstr = os.confstr("CS_GNU_LIBC_VERSION")
    if confstr:
        assert facts.libc == Libc("glibc", confstr.split()[1], "confstr")


@pytest.mark.parametrize(
    ("name", "arch"),
    [
        ("ld-linux-x86-64.so.2", "x86_64"),
        ("ld-linux-aarch64.so.1", "aarch64"),
        ("ld-musl-x86_64.so.1", "x86_64"),
        ("ld-musl-aarch64.so.1", "aarch64"),
        ("aarch64-linux-gnu", "aarch64"),
        ("x86_64-linux-gnu", "x86_64"),
        ("libc.so.6", None),
        ("ld-linux.so.2", None),
        ("", None),
    ],
)
def test_parse_loader_arch(name: str, arch: str | None) -> None:
    assert platform.parse_loader_arch(name) == arch
