"""CUDA toolkit detection: parsers on recorded real outputs, then torch's CUDA_HOME order on fake roots.

Expected versions are the ones the recorded texts print (see each recording's README for where it came
from); the order of homes is torch's `torch.utils.cpp_extension._find_cuda_home()`: CUDA_HOME, CUDA_PATH,
the parent of `bin/nvcc` on PATH, /usr/local/cuda.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.machine.fakeroot import FakeRoot
from tests.machine.recorded import expected, files
from torchsmith.machine import toolkit
from torchsmith.machine.context import ProbeContext
from torchsmith.machine.model import CudaToolkit

NVCC = {
    "release-11.8.txt": "11.8.89",
    "release-13.0-this-machine.txt": "13.0.88",
    "release-13.1.txt": "13.1.115",
}
VERSION_FILES = {"11.8.20220929.json": "11.8.20220929", "13.3.1.json": "13.3.1", "10.2.89.txt": "10.2.89"}


@pytest.mark.parametrize("path", files("nvcc"), ids=lambda p: p.name)
def test_parse_nvcc_version(path: Path) -> None:
    assert toolkit.parse_nvcc_version(path.read_text()) == expected(NVCC, path)


@pytest.mark.parametrize("path", files("cuda-version-file"), ids=lambda p: p.name)
def test_parse_version_files(path: Path) -> None:
    parse = toolkit.parse_version_json if path.suffix == ".json" else toolkit.parse_version_txt
    assert parse(path.read_text()) == expected(VERSION_FILES, path)


def test_release_only_nvcc() -> None:
    assert toolkit.parse_nvcc_version("Cuda compilation tools, release 9.2\n") == "9.2"


def _recorded(tool: str, name: str) -> str:
    return (Path(__file__).parents[1] / "data" / "recorded" / tool / name).read_text()


def test_usr_local_cuda_version_json(tmp_path: Path) -> None:
    sample = _recorded("cuda-version-file", "13.3.1.json")
    root = FakeRoot(tmp_path).write("/usr/local/cuda/version.json", sample)
    found = toolkit.detect(root.context())
    assert found == CudaToolkit("13.3.1", "/usr/local/cuda", "usr-local+version.json")


def test_newest_versioned_dir_without_symlink(tmp_path: Path) -> None:
    root = FakeRoot(tmp_path)
    root.write("/usr/local/cuda-9.2/version.txt", "CUDA Version 9.2.148\n")
    root.write("/usr/local/cuda-10.2/version.txt", _recorded("cuda-version-file", "10.2.89.txt"))
    found = toolkit.detect(root.context())
    assert found == CudaToolkit("10.2.89", "/usr/local/cuda-10.2", "usr-local+version.txt")


def test_cuda_home_beats_usr_local(tmp_path: Path) -> None:
    root = FakeRoot(tmp_path)
    root.write("/usr/local/cuda/version.json", _recorded("cuda-version-file", "13.3.1.json"))
    root.write("/opt/cuda-11.8/version.json", _recorded("cuda-version-file", "11.8.20220929.json"))
    found = toolkit.detect(root.context({"CUDA_HOME": "/opt/cuda-11.8"}))
    assert found == CudaToolkit("11.8.20220929", "/opt/cuda-11.8", "CUDA_HOME+version.json")


def test_cuda_home_pointing_nowhere_is_a_warning(tmp_path: Path) -> None:
    ctx = FakeRoot(tmp_path).context({"CUDA_HOME": "/opt/missing"})
    assert toolkit.detect(ctx) is None
    assert ctx.warnings == [
        "`CUDA_HOME=/opt/missing` holds no CUDA toolkit (no version.json, version.txt or bin/nvcc)"
    ]


def test_nvcc_on_path_without_version_file(tmp_path: Path) -> None:
    """pip/conda layouts (as on this project's machine) have no version file: nvcc answers."""
    root = FakeRoot(tmp_path)
    out = _recorded("nvcc", "release-13.0-this-machine.txt")
    root.program("/usr/bin/nvcc", {"--version": (out, 0)})
    assert toolkit.detect(root.context()) == CudaToolkit("13.0.88", "/usr", "PATH+nvcc")


def test_garbled_version_json_quotes_its_first_line(tmp_path: Path) -> None:
    root = FakeRoot(tmp_path).write("/usr/local/cuda/version.json", "<html>oops</html>\n")
    ctx = root.context()
    assert toolkit.detect(ctx) is None
    assert ctx.warnings == [
        "cannot read the CUDA version in `/usr/local/cuda/version.json`: `<html>oops</html>`"
    ]


def test_no_toolkit(tmp_path: Path) -> None:
    assert toolkit.detect(FakeRoot(tmp_path).context()) is None


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="no nvcc on this machine")
def test_this_machine_nvcc_agrees() -> None:
    """The real probe reports what `nvcc --version` itself prints here (a toolkit, not a driver)."""
    import subprocess

    printed = subprocess.run(["nvcc", "--version"], capture_output=True, text=True, check=True).stdout
    found = toolkit.detect(ProbeContext(env={"PATH": str(Path(shutil.which("nvcc") or "").parent)}))
    assert found is not None and found.version == toolkit.parse_nvcc_version(printed)


def test_windows_cuda_path_that_cannot_be_read_here_is_a_warning() -> None:
    """NVIDIA's Windows installer sets CUDA_PATH to a drive path; on a host that cannot open it the detector
    says so instead of crashing."""
    ctx = ProbeContext(env={"CUDA_PATH": "C:\\CUDA\\v12.4"}, use_nvml=False)
    ctx.sys_platform = "win32"
    assert toolkit.detect(ctx) is None
    assert ctx.warnings == [
        "`CUDA_PATH=C:\\CUDA\\v12.4` holds no CUDA toolkit (no version.json, version.txt or bin/nvcc)"
    ]
