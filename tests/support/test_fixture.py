"""The local index fixture itself: valid wheels, real names, a real server, and real pip / uv using it."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from packaging.utils import parse_wheel_filename
from packaging.version import Version

from tests.support.catalog import PYPI, standard_catalog
from tests.support.fixtures import LocalIndex
from tests.support.index_tree import build_index
from tests.support.wheels import Broken, make_wheel

UV = Path(sys.executable).with_name("uv")
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with _NO_PROXY.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as e:
        with e:
            return e.code, dict(e.headers), e.read()


# -- the catalog ------------------------------------------------------------------------------------------


def test_catalog_names_parse_and_are_unique() -> None:
    catalog = standard_catalog()
    assert 400 <= len(catalog.wheels) <= 800
    for spec in catalog.wheels:
        name, version, _, tags = parse_wheel_filename(spec.filename)
        assert (str(name), version) == (spec.name, Version(spec.version))  # `nv24.08` normalises to `nv24.8`
        assert tags
    assert not [k for k, n in Counter((w.index, w.filename) for w in catalog.wheels).items() if n > 1]
    assert catalog.indexes[-1] == PYPI


@pytest.mark.parametrize(
    ("index", "filename"),
    [
        ("cu124", "torch-2.5.1+cu124-cp311-cp311-linux_x86_64.whl"),
        ("cu124", "torch-2.4.1+cu124-cp38-cp38-linux_x86_64.whl"),
        ("cu126", "torch-2.7.1+cu126-cp311-cp311-manylinux_2_28_x86_64.whl"),
        ("cpu", "torch-2.5.1-cp311-none-macosx_11_0_arm64.whl"),
        ("cpu", "torch-2.5.1-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl"),
        ("cpu", "torch-2.7.1+cpu-cp311-cp311-manylinux_2_28_aarch64.whl"),
        ("cpu", "torchvision-0.20.1-cp311-cp311-linux_aarch64.whl"),
        ("cpu", "torch-2.13.0-cp312-none-macosx_14_0_arm64.whl"),
        ("cu128", "torch-2.7.1+cu128-cp311-cp311-win_amd64.whl"),
        ("rocm6.2", "torch-2.5.1+rocm6.2-cp313-cp313-linux_x86_64.whl"),
        ("xpu", "torch-2.9.1+xpu-cp311-cp311-linux_x86_64.whl"),
        ("xpu", "torch-2.13.0+xpu-cp311-cp311-manylinux_2_28_x86_64.whl"),
        ("cu130", "torchaudio-2.11.0+cu130-cp312-cp312-manylinux_2_28_x86_64.whl"),
        ("cu130", "torchvision-0.28.0+cu130-cp310-cp310-manylinux_2_28_x86_64.whl"),
        (PYPI, "torch-2.5.1-cp311-cp311-manylinux1_x86_64.whl"),
        (PYPI, "nvidia_cuda_runtime_cu12-12.4.127-py3-none-manylinux2014_x86_64.whl"),
    ],
)
def test_catalog_has_the_real_names(index: str, filename: str) -> None:
    assert filename in {w.filename for w in standard_catalog().select(index=index)}


def test_catalog_pairs_companions_with_torch() -> None:
    catalog = standard_catalog()
    for release in catalog.releases:
        for vision in catalog.select(name="torchvision", version=None):
            if Version(vision.version).public == release.torchvision:
                assert f"torch=={release.torch}" in vision.requires_dist
    assert catalog.select(name="torchaudio", version="2.13.0") == ()
    assert not [w for w in catalog.select(name="torchaudio") if Version(w.version) > Version("2.11.0+zzz")]
    audio_211 = catalog.select(index="cu130", name="torchaudio", version="2.11.0+cu130")
    assert audio_211 and all(not any(r.startswith("torch") for r in w.requires_dist) for w in audio_211)
    assert {w.python_tag for w in catalog.select(index="cu124", name="torch", version="2.4.1+cu124")} >= {
        "cp38",
        "cp312",
    }
    assert "cp313" not in {w.python_tag for w in catalog.select(name="torch", version="2.4.1+cu124")}


# -- make_wheel -------------------------------------------------------------------------------------------


def _record_ok(archive: zipfile.ZipFile, record_name: str) -> bool:
    for line in archive.read(record_name).decode().splitlines():
        path, digest, size = line.rsplit(",", 2)
        if path == record_name:
            continue
        data = archive.read(path)
        expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        if digest != f"sha256={expected}" or int(size) != len(data):
            return False
    return True


def test_make_wheel_is_valid_and_deterministic(tmp_path: Path) -> None:
    kwargs = {
        "requires_dist": ("filelock", 'nvidia-x==1; platform_system == "Linux"'),
        "requires_python": ">=3.9",
        "build_tag": "3",
        "files": {"torch/version.py": "cuda = '12.4'\n"},
    }
    platform = "manylinux_2_17_aarch64.manylinux2014_aarch64"
    path = make_wheel(tmp_path / "a", "torch", "2.5.1+cu124", "cp311", "cp311", platform, **kwargs)  # type: ignore[arg-type]
    again = make_wheel(tmp_path / "b", "torch", "2.5.1+cu124", "cp311", "cp311", platform, **kwargs)  # type: ignore[arg-type]
    assert path.name == "torch-2.5.1+cu124-3-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl"
    assert path.read_bytes() == again.read_bytes()
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist()[-1] == "torch-2.5.1+cu124.dist-info/RECORD"
        assert archive.read("torch/__init__.py") == b'__version__ = "2.5.1+cu124"\n'
        assert archive.read("torch/version.py") == b"cuda = '12.4'\n"
        assert archive.read("torch-2.5.1+cu124.dist-info/METADATA").decode() == (
            "Metadata-Version: 2.1\nName: torch\nVersion: 2.5.1+cu124\nSummary: tiny test torch\n"
            "Requires-Python: >=3.9\nRequires-Dist: filelock\n"
            'Requires-Dist: nvidia-x==1; platform_system == "Linux"\n\n'
        )
        assert archive.read("torch-2.5.1+cu124.dist-info/WHEEL").decode() == (
            "Wheel-Version: 1.0\nGenerator: torchsmith-tests\nRoot-Is-Purelib: false\n"
            "Tag: cp311-cp311-manylinux_2_17_aarch64\nTag: cp311-cp311-manylinux2014_aarch64\nBuild: 3\n"
        )
        assert _record_ok(archive, "torch-2.5.1+cu124.dist-info/RECORD")


@pytest.mark.parametrize(
    ("broken", "check"),
    [
        ("bad-record-hash", lambda a: not _record_ok(a, "demo_pkg-1.0.dist-info/RECORD")),
        ("missing-metadata", lambda a: "demo_pkg-1.0.dist-info/METADATA" not in a.namelist()),
        ("missing-record", lambda a: "demo_pkg-1.0.dist-info/RECORD" not in a.namelist()),
        ("missing-wheel", lambda a: "demo_pkg-1.0.dist-info/WHEEL" not in a.namelist()),
        (
            "wrong-metadata-name",
            lambda a: b"Name: demo-pkg-wrong\n" in a.read("demo_pkg-1.0.dist-info/METADATA"),
        ),
    ],
)
def test_broken_knobs(tmp_path: Path, broken: Broken, check: object) -> None:
    path = make_wheel(tmp_path, "demo-pkg", "1.0", "py3", "none", "any", broken=broken)
    with zipfile.ZipFile(path) as archive:
        assert callable(check) and check(archive)


@pytest.mark.parametrize("broken", ["not-a-zip", "truncated-zip"])
def test_broken_archives(tmp_path: Path, broken: Broken) -> None:
    path = make_wheel(tmp_path, "demo-pkg", "1.0", "py3", "none", "any", broken=broken)
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(path)


# -- the tree and the server ------------------------------------------------------------------------------


def test_tree_layout_like_download_pytorch_org(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "src", "torch", "2.5.1+cu124", "cp311", "cp311", "linux_x86_64",
                       requires_dist=("filelock",), requires_python=">=3.9")  # fmt: skip
    plain = make_wheel(tmp_path / "src", "filelock", "3.16.1", "py3", "none", "any")
    no_meta = make_wheel(tmp_path / "src", "numpy", "2.1.3", "py3", "none", "any", broken="missing-metadata")
    build_index(tmp_path / "root", [("cu124", wheel), (PYPI, plain), (PYPI, no_meta)])
    root = tmp_path / "root"
    sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
    metadata = (root / "whl" / "cu124" / f"{wheel.name}.metadata").read_bytes()
    with zipfile.ZipFile(wheel) as archive:
        assert metadata == archive.read("torch-2.5.1+cu124.dist-info/METADATA")
    meta_sha = hashlib.sha256(metadata).hexdigest()
    assert (root / "whl" / "cu124" / "torch" / "index.html").read_text() == (
        "<!DOCTYPE html>\n<html>\n  <body>\n    <h1>Links for torch</h1>\n"
        f'    <a href="/whl/cu124/torch-2.5.1%2Bcu124-cp311-cp311-linux_x86_64.whl#sha256={sha}" '
        f'data-requires-python="&gt;=3.9" data-dist-info-metadata="sha256={meta_sha}" '
        f'data-core-metadata="sha256={meta_sha}">torch-2.5.1+cu124-cp311-cp311-linux_x86_64.whl</a><br/>\n'
        "  </body>\n</html>\n<!--TIMESTAMP 1704067200-->\n"
    )
    assert '<a href="torch/">torch</a>' in (root / "whl" / "cu124" / "index.html").read_text()
    doc = json.loads((root / "pypi" / "simple" / "numpy" / "index.json").read_text())
    assert doc["meta"] == {"api-version": "1.1"}
    assert "core-metadata" not in doc["files"][0]
    assert not (root / "pypi" / "packages" / f"{no_meta.name}.metadata").exists()
    assert (root / "pypi" / "packages" / f"{plain.name}.metadata").is_file()
    assert "data-core-metadata" not in (root / "pypi" / "simple" / "numpy" / "index.html").read_text()


def test_server_negotiates_revalidates_and_logs(local_index: LocalIndex) -> None:
    local_index.clear_log()
    status, headers, body = _get(f"{local_index.pypi}/torch/", Accept="application/vnd.pypi.simple.v1+json")
    assert (status, headers["Content-Type"]) == (200, "application/vnd.pypi.simple.v1+json")
    assert json.loads(body)["name"] == "torch"
    status, html_headers, _ = _get(f"{local_index.pypi}/torch/", Accept="text/html")
    assert (status, html_headers["Content-Type"]) == (200, "text/html")
    assert html_headers["ETag"] != headers["ETag"]
    status, _, body = _get(f"{local_index.pypi}/torch/", **{"If-None-Match": html_headers["ETag"]})
    assert (status, body) == (304, b"")
    status, _, _ = _get(f"{local_index.pypi}/torch/", **{"If-Modified-Since": html_headers["Last-Modified"]})
    assert status == 304
    status, _, body = _get(f"{local_index.url}/pypi/simple/torch")  # redirected to the slash
    assert status == 200 and b"Links for torch" in body
    assert _get(f"{local_index.url}/../../etc/passwd")[0] == 404
    assert [(e["path"], e["status"]) for e in local_index.log()] == [
        ("/pypi/simple/torch/", 200),
        ("/pypi/simple/torch/", 200),
        ("/pypi/simple/torch/", 304),
        ("/pypi/simple/torch/", 304),
        ("/pypi/simple/torch", 301),
        ("/pypi/simple/torch/", 200),
        ("/../../etc/passwd", 404),
    ]


def test_server_faults(local_index: LocalIndex) -> None:
    page = (local_index.root / "whl" / "cpu" / "torch" / "index.html").read_bytes()
    assert _get(local_index.fault_url("/whl/cpu/torch/", "500"))[0] == 500
    assert _get(local_index.fault_url("/whl/cpu/torch/", "404"))[0] == 404
    assert _get(local_index.fault_url("/whl/cpu/torch/", "slow/0.01", "html-only"))[2] == page
    status, _, body = _get(local_index.fault_url("/whl/cpu/torch/", "corrupt"))
    assert status == 200 and len(body) == len(page) and body != page
    rule = {"path": "/whl/cpu/torch/", "fault": "503"}
    with local_index.faults(rule):
        assert _get(f"{local_index.base}/cpu/torch/")[0] == 503
        assert _get(f"{local_index.base}/cpu/torchvision/")[0] == 200
    assert _get(f"{local_index.base}/cpu/torch/")[0] == 200


# -- real installers --------------------------------------------------------------------------------------


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_INPUT="1",
        UV_CACHE_DIR=str(tmp_path / "uv-cache"),
        UV_NO_CONFIG="1",
        UV_PYTHON_DOWNLOADS="never",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=180, check=False)
    assert result.returncode == 0, result.stderr
    return result


EXPECTED = {
    "torch": "2.5.1+cu124",
    "torchvision": "0.20.1+cu124",
    "filelock": "3.16.1",
    "typing-extensions": "4.12.2",
    "numpy": "2.1.3",
    "nvidia-cuda-runtime-cu12": "12.4.127",
}


@pytest.mark.slow
def test_pip_resolves_torch_from_the_backend_index(local_index: LocalIndex, tmp_path: Path) -> None:
    result = _run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed",
         "--no-cache-dir", "--report", "-", "--index-url", local_index.pypi,
         "--extra-index-url", local_index.index_url("cu124"), "torch==2.5.1+cu124", "torchvision"],
        _env(tmp_path),
    )  # fmt: skip
    installs = {i["metadata"]["name"]: i for i in json.loads(result.stdout)["install"]}
    assert {name: i["metadata"]["version"] for name, i in installs.items()} == EXPECTED
    assert installs["torch"]["download_info"]["url"] == (
        f"{local_index.base}/cu124/torch-2.5.1%2Bcu124-cp311-cp311-linux_x86_64.whl"
    )
    assert installs["filelock"]["download_info"]["url"].startswith(f"{local_index.url}/pypi/packages/")


@pytest.mark.slow
def test_uv_resolves_torch_from_the_backend_index(local_index: LocalIndex, tmp_path: Path) -> None:
    env = _env(tmp_path)
    _run([str(UV), "venv", "--quiet", "--python", sys.executable, str(tmp_path / "venv")], env)
    result = _run(
        [str(UV), "pip", "install", "--dry-run", "--python", str(tmp_path / "venv" / "bin" / "python"),
         "--default-index", local_index.pypi, "--index", local_index.index_url("cu124"),
         "torch==2.5.1+cu124", "torchvision"],
        env,
    )  # fmt: skip
    plan = sorted(line.strip() for line in result.stderr.splitlines() if line.startswith(" + "))
    assert plan == sorted(f"+ {name}=={version}" for name, version in EXPECTED.items())


@pytest.mark.slow
def test_uv_installs_a_tiny_torch_into_a_fresh_venv(local_index: LocalIndex, tmp_path: Path) -> None:
    env = _env(tmp_path)
    python = tmp_path / "venv" / "bin" / "python"
    _run([str(UV), "venv", "--quiet", "--python", sys.executable, str(tmp_path / "venv")], env)
    _run(
        [str(UV), "pip", "install", "--python", str(python), "--default-index", local_index.pypi,
         "--index", local_index.index_url("cpu"), "torch==2.9.1+cpu"],
        env,
    )  # fmt: skip
    result = _run(
        [str(python), "-c", "import torch, filelock; print(torch.__version__, filelock.__version__)"], env
    )
    assert result.stdout == "2.9.1+cpu 3.16.1\n"


@pytest.mark.slow
def test_uv_refuses_a_wheel_that_does_not_match_its_index_hash(
    local_index: LocalIndex, tmp_path: Path
) -> None:
    env = _env(tmp_path)
    _run([str(UV), "venv", "--quiet", "--python", sys.executable, str(tmp_path / "venv")], env)
    rule = {"path": "/pypi/packages/filelock-3.16.1-py3-none-any.whl", "fault": "corrupt"}
    with local_index.faults(rule):
        result = subprocess.run(
            [str(UV), "pip", "install", "--python", str(tmp_path / "venv" / "bin" / "python"),
             "--default-index", local_index.pypi, "filelock"],
            capture_output=True, text=True, env=env, timeout=180, check=False,
        )  # fmt: skip
    assert result.returncode != 0
    assert "Hash mismatch for `filelock==3.16.1`" in result.stderr


def test_a_refused_head_request_keeps_the_connection_readable(tmp_path: Path) -> None:
    """A 401 answer to HEAD carries no body (RFC 9110 9.3.2): on a kept-alive connection a body there would
    be read as the start of the next response ("invalid HTTP version parsed", as uv reported it)."""
    import http.client
    from urllib.parse import urlsplit

    from tests.support.server import serve

    (tmp_path / "simple").mkdir()
    with serve(tmp_path, auth="user:secret") as url:
        where = urlsplit(url)
        connection = http.client.HTTPConnection(where.hostname or "", where.port, timeout=10)
        try:
            connection.request("HEAD", "/simple/")
            first = connection.getresponse()
            assert first.status == 401 and first.read() == b""
            token = base64.b64encode(b"user:secret").decode()
            connection.request("GET", "/simple/", headers={"Authorization": f"Basic {token}"})
            second = connection.getresponse()  # raises BadStatusLine when a stray body was left behind
            assert second.status in (200, 404)
            second.read()
        finally:
            connection.close()
