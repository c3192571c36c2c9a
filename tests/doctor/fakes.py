"""Environments for doctor tests: real virtual environments holding tiny fake packages.

`FakeEnv.create()` makes a real venv (`python -m venv --without-pip`, any Python >= 3.6) and writes
distributions into its site-packages the way an installer does: a `<name>-<version>.dist-info` directory
with METADATA, INSTALLER and RECORD, plus the package directory. `FAKE_TORCH` is a `torch/__init__.py`
that answers the parts of torch's API the probe script uses, with behaviour chosen per test: a build
(`version.cuda`, `version.hip`), availability, devices, arch list, MPS, and faults per device kind
(raise, wrong result, abort, hang) so the device test's failure handling runs for real.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["FAKE_TORCH", "FakeEnv", "fake_torch_source", "machine_json"]

FAKE_TORCH = '''\
"""A fake torch for torchsmith's doctor tests; behaviour comes from CONFIG."""
import os
import time
import warnings

CONFIG = {config}

__version__ = CONFIG["version"]
float32 = "float32"

if CONFIG.get("import_error"):
    kind, message = CONFIG["import_error"]
    raise {{"ImportError": ImportError, "OSError": OSError, "ModuleNotFoundError": ImportError,
            "RuntimeError": RuntimeError}}[kind](message)
if CONFIG.get("import_abort"):
    os.abort()


class version:
    cuda = CONFIG.get("cuda")
    hip = CONFIG.get("hip")
    xpu = None
    git_version = "0" * 40
    debug = False


def _fault(device, operation):
    action = CONFIG.get("faults", {{}}).get(device.split(":")[0])
    if not action or not action.startswith(operation + ":"):
        return None
    kind = action.split(":", 2)[1]
    if kind == "raise":
        raise RuntimeError(action.split(":", 2)[2])
    if kind == "abort":
        os.abort()
    if kind == "hang":
        time.sleep(3600)
    return kind


class _Scalar:
    def __init__(self, value):
        self.value = value

    def item(self):
        return self.value


class _Tensor:
    def __init__(self, value, n, device):
        self.value, self.n, self.device = value, n, device

    def __mul__(self, other):
        return _Tensor(self.value * other.value, self.n, self.device)

    def sum(self):
        return _Scalar(self.value * self.n * self.n)

    def __getitem__(self, index):
        return _Scalar(self.value)


def full(shape, value, device="cpu", dtype=None):
    _fault(device, "full")
    return _Tensor(float(value), shape[0], device)


def matmul(a, b):
    wrong = _fault(a.device, "matmul") == "wrong"
    return _Tensor(a.value * b.value * a.n + (1.0 if wrong else 0.0), a.n, a.device)


class _Props:
    def __init__(self, index):
        self.total_memory = 80 * 1024 ** 3
        self.gcnArchName = CONFIG["devices"][index].get("gfx")


class cuda:
    @staticmethod
    def is_available():
        if CONFIG.get("cuda_warning"):
            warnings.warn(CONFIG["cuda_warning"])
        return CONFIG.get("available", False)

    @staticmethod
    def device_count():
        return len(CONFIG.get("devices", [])) if CONFIG.get("available") else 0

    @staticmethod
    def get_device_name(index):
        return CONFIG["devices"][index]["name"]

    @staticmethod
    def get_device_capability(index):
        major, minor = CONFIG["devices"][index]["capability"].split(".")
        return int(major), int(minor)

    @staticmethod
    def get_device_properties(index):
        return _Props(index)

    @staticmethod
    def get_arch_list():
        return list(CONFIG.get("arch_list", [])) if CONFIG.get("available") else []

    @staticmethod
    def synchronize(index=None):
        return None


class _C:
    @staticmethod
    def _cuda_getArchFlags():
        return " ".join(CONFIG.get("arch_list", []))


class backends:
    class mps:
        @staticmethod
        def is_built():
            return CONFIG.get("mps_built", False)

        @staticmethod
        def is_available():
            return CONFIG.get("mps_available", False)
'''


def fake_torch_source(**config: Any) -> str:
    """A fake `torch/__init__.py`; `config` keys: version, cuda, hip, available, devices, arch_list, ..."""
    config.setdefault("version", "2.13.0+cpu")
    return FAKE_TORCH.format(config=repr(config))


@dataclass
class FakeEnv:
    """A real venv to which tests add fake distributions."""

    prefix: Path
    python: Path
    site: Path

    @classmethod
    def create(cls, path: Path, base_python: str = sys.executable) -> FakeEnv:
        subprocess.run([base_python, "-m", "venv", "--without-pip", str(path)], check=True)
        (site,) = path.glob("lib/python3*/site-packages")
        return cls(prefix=path, python=path / "bin" / "python", site=site)

    def add_dist(
        self,
        name: str,
        version: str,
        *,
        requires: tuple[str, ...] = (),
        installer: str = "pip",
        site: Path | None = None,
        files: dict[str, str] | None = None,
    ) -> Path:
        """Write `<name>-<version>.dist-info` (and `files`, relative to the site) as an installer would."""
        site = site or self.site
        dist_info = site / f"{name.replace('-', '_')}-{version}.dist-info"
        dist_info.mkdir(parents=True)
        lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
        lines += [f"Requires-Dist: {r}" for r in requires]
        (dist_info / "METADATA").write_text("\n".join(lines) + "\n\nA fake distribution.\n")
        (dist_info / "INSTALLER").write_text(installer + "\n")
        for relative, text in (files or {}).items():
            target = site / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        (dist_info / "RECORD").write_text(
            "".join(f"{r},,\n" for r in [*(files or {}), f"{dist_info.name}/METADATA"])
        )
        return dist_info

    def add_torch(
        self, *, requires: tuple[str, ...] = (), site: Path | None = None, dist: bool = True, **config: Any
    ) -> Path:
        """A fake torch: the package from `fake_torch_source(**config)` and (by default) its dist-info."""
        config.setdefault("version", "2.13.0+cpu")
        site = site or self.site
        package = site / "torch" / "__init__.py"
        package.parent.mkdir(parents=True, exist_ok=True)
        package.write_text(fake_torch_source(**config))
        if not dist:
            return package
        return self.add_dist("torch", config["version"], requires=requires, site=site)

    def add_conda_record(
        self,
        name: str,
        version: str,
        *,
        depends: tuple[str, ...] = (),
        files: tuple[str, ...] = (),
        build: str = "0",
        channel: str = "pytorch",
    ) -> Path:
        """A `conda-meta/<name>-<version>-<build>.json` record, as conda writes for an installed package."""
        meta = self.prefix / "conda-meta"
        meta.mkdir(exist_ok=True)
        record = meta / f"{name}-{version}-{build}.json"
        record.write_text(
            json.dumps(
                {
                    "name": name,
                    "version": version,
                    "build": build,
                    "channel": channel,
                    "depends": list(depends),
                    "files": list(files),
                }
            )
        )
        return record

    def relative(self, path: Path) -> str:
        """`path` relative to the prefix, as conda records files."""
        return path.relative_to(self.prefix).as_posix()


def machine_json(**sections: Any) -> dict[str, Any]:
    """A `probe --json` document for a Linux x86_64 glibc 2.36 machine, with `sections` replaced."""
    document: dict[str, Any] = {
        "os": "linux",
        "arch": "x86_64",
        "libc": {"name": "glibc", "version": "2.36"},
        "backends": ["cpu"],
    }
    document.update(sections)
    return document
