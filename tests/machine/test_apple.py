"""Mac detection: recorded `sysctl` / `sw_vers` / SystemVersion.plist outputs, with the platform injected."""

from __future__ import annotations

import plistlib
from pathlib import Path

import pytest

from tests.machine.fakeroot import FakeRoot
from tests.machine.recorded import RECORDED, expected, files
from torchsmith.machine import apple
from torchsmith.machine.model import AppleInfo

PLIST = "/System/Library/CoreServices/SystemVersion.plist"

EXPECTED_BRAND = {
    "brand-m2.txt": "Apple M2",
    "brand-m3-max.txt": "Apple M3 Max",
    "brand-intel-i9.txt": "Intel(R) Core(TM) i9-9880H CPU @ 2.30GHz",
}
EXPECTED_SW_VERS = {"productVersion-14.5.txt": "14.5", "productVersion-15.0.1.txt": "15.0.1"}


@pytest.mark.parametrize("path", files("sysctl"), ids=lambda p: p.name)
def test_parse_brand_string(path: Path) -> None:
    assert apple.parse_brand_string(path.read_text()) == expected(EXPECTED_BRAND, path)


@pytest.mark.parametrize("path", files("sw_vers"), ids=lambda p: p.name)
def test_parse_product_version(path: Path) -> None:
    assert apple.parse_product_version(path.read_text()) == expected(EXPECTED_SW_VERS, path)


@pytest.mark.parametrize("path", files("SystemVersion.plist"), ids=lambda p: p.name)
def test_parse_system_version_plist(path: Path) -> None:
    assert apple.parse_system_version_plist(path.read_bytes()) == expected({"macos-14.5.plist": "14.5"}, path)


def test_binary_plist_reads_too() -> None:
    data = plistlib.loads((RECORDED / "SystemVersion.plist" / "macos-14.5.plist").read_bytes())
    assert apple.parse_system_version_plist(plistlib.dumps(data, fmt=plistlib.FMT_BINARY)) == "14.5"
    assert apple.parse_system_version_plist(plistlib.dumps(["14.5"])) is None


def test_translated() -> None:
    assert apple.parse_translated("1\n") is True
    assert apple.parse_translated("0\n") is False
    assert apple.parse_translated("sysctl: unknown oid") is None


@pytest.mark.parametrize(
    ("chip", "macos", "rosetta", "mps"),
    [
        ("Apple M1", "12.3", False, True),
        ("Apple M1", "12.2.1", False, False),
        ("Apple M3 Max", "15.1", False, True),
        (None, "14.0", True, True),  # chip hidden by Rosetta, but only Apple silicon translates
        ("Intel(R) Core(TM) i9-9880H CPU @ 2.30GHz", "14.5", False, False),
        ("Apple M2", None, False, False),
        ("Apple M2", "not-a-version", False, False),
    ],
)
def test_mps_rule(chip: str | None, macos: str | None, rosetta: bool, mps: bool) -> None:
    assert apple.mps_available(chip, macos, rosetta) is mps


def mac(tmp_path: Path, brand: str, translated: str | None, version: str) -> FakeRoot:
    root = FakeRoot(tmp_path)
    cases = {"machdep.cpu.brand_string": (brand, 0)}
    if translated is not None:
        cases["sysctl.proc_translated"] = (translated, 0)
    root.program("/usr/sbin/sysctl", cases)
    root.program("/usr/bin/sw_vers", {"-productVersion": (version, 0)})
    return root


def test_native_arm64_mac_reads_the_plist_first(tmp_path: Path) -> None:
    root = mac(tmp_path, "Apple M2\n", None, "13.0\n")
    root.write(PLIST, (RECORDED / "SystemVersion.plist" / "macos-14.5.plist").read_bytes())
    ctx = root.context(sys_platform="darwin")
    ctx.machine_arch = "arm64"
    assert apple.detect(ctx) == AppleInfo(
        chip="Apple M2", macos="14.5", rosetta=False, mps=True, source="SystemVersion.plist+sysctl"
    )
    assert ctx.warnings == []


def test_x86_64_python_under_rosetta(tmp_path: Path) -> None:
    root = mac(tmp_path, "VirtualApple @ 2.50GHz processor\n", "1\n", "15.1\n")
    ctx = root.context(sys_platform="darwin")
    assert apple.detect(ctx) == AppleInfo(
        chip=None, macos="15.1", rosetta=True, mps=True, source="sw_vers+sysctl"
    )


def test_intel_mac(tmp_path: Path) -> None:
    root = mac(tmp_path, "Intel(R) Core(TM) i9-9880H CPU @ 2.30GHz\n", "0\n", "14.7.1\n")
    info = apple.detect(root.context(sys_platform="darwin"))
    assert info == AppleInfo(
        chip="Intel(R) Core(TM) i9-9880H CPU @ 2.30GHz",
        macos="14.7.1",
        rosetta=False,
        mps=False,
        source="sw_vers+sysctl",
    )


def test_garbled_plist_falls_back_with_a_warning(tmp_path: Path) -> None:
    root = mac(tmp_path, "Apple M1\n", None, "12.3\n")
    root.write(PLIST, (RECORDED / "SystemVersion.plist" / "corrupt-truncated.plist").read_bytes())
    ctx = root.context(sys_platform="darwin")
    ctx.machine_arch = "arm64"
    info = apple.detect(ctx)
    assert info is not None and (info.macos, info.mps) == ("12.3", True)
    assert ctx.warnings == [f"unrecognised `{PLIST}`"]


def test_not_a_mac(tmp_path: Path) -> None:
    root = mac(tmp_path, "Apple M2\n", None, "14.5\n")
    assert apple.detect(root.context(sys_platform="linux")) is None
