"""The five wheel platforms, PEP 508 marker evaluation on them, and pixi's platform names and selectors.

A config is resolved for several platforms at once (uv's universal lock, pixi's `platforms`), so rules ask
"does this source / environment marker apply on macOS?" by evaluating the marker
(https://packaging.python.org/en/latest/specifications/dependency-specifiers/#environment-markers) on a
representative environment of each platform. Non-platform variables (`python_version`, `extra`) are left
open: a marker applies on a platform when it is true there for some Python and some extra.
Pixi platforms are conda subdirs (https://pixi.sh/latest/reference/pixi_manifest/#platforms) and its
`[target.<selector>]` tables take a subdir, a family (`linux`, `osx`, `win`, `unix`) or, for named
platforms, a glob over names (`*-cuda`).
"""

from __future__ import annotations

import fnmatch
from functools import cache

from packaging.markers import InvalidMarker, Marker, UndefinedComparison, UndefinedEnvironmentName

__all__ = [
    "PLATFORMS",
    "PYTHONS",
    "conda_subdir_platform",
    "marker_applies",
    "platform_label",
    "selector_matches",
]

PLATFORMS: tuple[str, ...] = (
    "linux-x86_64",
    "linux-aarch64",
    "windows-x86_64",
    "macos-arm64",
    "macos-x86_64",
)

PYTHONS: tuple[str, ...] = ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14")
"""CPython minors tried when a marker mentions the Python version (open variables, see module doc)."""

_ENVIRONMENTS: dict[str, dict[str, str]] = {
    "linux-x86_64": {
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": "x86_64",
        "os_name": "posix",
    },
    "linux-aarch64": {
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": "aarch64",
        "os_name": "posix",
    },
    "windows-x86_64": {
        "sys_platform": "win32",
        "platform_system": "Windows",
        "platform_machine": "AMD64",
        "os_name": "nt",
    },
    "macos-arm64": {
        "sys_platform": "darwin",
        "platform_system": "Darwin",
        "platform_machine": "arm64",
        "os_name": "posix",
    },
    "macos-x86_64": {
        "sys_platform": "darwin",
        "platform_system": "Darwin",
        "platform_machine": "x86_64",
        "os_name": "posix",
    },
}

_LABELS = {
    "linux-x86_64": "Linux x86-64",
    "linux-aarch64": "Linux aarch64",
    "windows-x86_64": "Windows",
    "macos-arm64": "macOS arm64",
    "macos-x86_64": "macOS x86-64",
}

_SUBDIRS = {
    "linux-64": "linux-x86_64",
    "linux-aarch64": "linux-aarch64",
    "win-64": "windows-x86_64",
    "osx-arm64": "macos-arm64",
    "osx-64": "macos-x86_64",
}

_FAMILIES = {"linux": ("linux-",), "osx": ("osx-",), "win": ("win-",), "unix": ("linux-", "osx-")}


def platform_label(platform: str) -> str:
    return _LABELS.get(platform, platform)


def _environment(platform: str, python: str, extra: str) -> dict[str, str]:
    env = dict(_ENVIRONMENTS[platform])
    env.update(
        python_version=python,
        python_full_version=f"{python}.0",
        implementation_name="cpython",
        implementation_version=f"{python}.0",
        platform_python_implementation="CPython",
        platform_release="",
        platform_version="",
        extra=extra,
    )
    return env


@cache
def marker_applies(marker: str, platform: str, extras: tuple[str, ...] = ()) -> bool | None:
    """Whether `marker` is true on `platform` for some Python and extra; None if it is not a valid marker."""
    try:
        parsed = Marker(marker)
    except InvalidMarker:
        return None
    text = str(parsed)
    pythons = PYTHONS if "python" in text else ("3.12",)
    candidates = ("", *extras) if "extra" in text else ("",)
    for python in pythons:
        for extra in candidates:
            try:
                if parsed.evaluate(_environment(platform, python, extra)):
                    return True
            except (UndefinedComparison, UndefinedEnvironmentName):
                return None
    return False


def conda_subdir_platform(subdir: str) -> str | None:
    """`linux-64` -> `linux-x86_64`; None for subdirs torch has no wheels for at all (ppc64le, win-arm64)."""
    return _SUBDIRS.get(subdir)


def selector_matches(selector: str, subdir: str, name: str | None = None) -> bool:
    """Whether a pixi `[target.<selector>]` applies to a platform with this subdir (and optional name)."""
    if selector == subdir or (name is not None and selector == name):
        return True
    if selector in _FAMILIES:
        return subdir.startswith(_FAMILIES[selector])
    return name is not None and any(ch in selector for ch in "*?[") and fnmatch.fnmatchcase(name, selector)
