"""`knowledge refresh` against a real HTTP server on 127.0.0.1 serving generated PEP 503 pages."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from torchsmith.errors import IndexFetchError
from torchsmith.index.client import IndexClient
from torchsmith.index.simple import DistFile
from torchsmith.knowledge.refresh import REFRESH_FILE, load_refreshed, refresh, torch_wheels

PAGES = {
    "cu124": [
        "torch-2.4.1%2Bcu124-cp311-cp311-linux_x86_64.whl",
        "torch-2.5.1%2Bcu124-cp311-cp311-linux_x86_64.whl",
        "torch-2.5.1%2Bcu124-cp312-cp312-win_amd64.whl",
        "torch-2.10.0%2Bcu124-cp312-cp312-manylinux_2_28_x86_64.whl",
    ],
    "cpu": [
        "torch-2.5.1-cp312-none-macosx_11_0_arm64.whl",
        "torch-2.5.1%2Bcpu-cp312-cp312-linux_x86_64.whl",
        "torch-2.9.1%2Bcpu-cp314t-cp314t-manylinux_2_28_aarch64.whl",
        "torchvision-0.20.1%2Bcpu-cp312-cp312-linux_x86_64.whl",  # another project: ignored
        "torch-2.5.1.tar.gz",  # not a wheel: ignored
        "torch-not-a-wheel.whl",
    ],
}


def _page(files: list[str]) -> str:
    links = "\n".join(
        f'<a href="../../files/{f}#sha256={"0" * 64}" data-requires-python="&gt;=3.9">{f}</a><br/>'
        for f in files
    )
    return f"<!DOCTYPE html>\n<html><body><h1>Links for torch</h1>\n{links}\n</body></html>\n"


@pytest.fixture
def index(tmp_path: Path) -> Iterator[str]:
    root = tmp_path / "www"
    for backend, files in PAGES.items():
        page = root / backend / "torch"
        page.mkdir(parents=True)
        (page / "index.html").write_text(_page(files), encoding="utf-8")
    handler = partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


_CLIENT: dict[str, IndexClient] = {}


def _fetch(url: str) -> tuple[DistFile, ...]:
    """The files on a project page, through the real index client (as `knowledge refresh` does)."""
    index, _, project = url.rstrip("/").rpartition("/")
    client = _CLIENT.setdefault("client", IndexClient(Path(_CACHE[0]), max_age=0))
    return client.project_page(index, project).files


_CACHE: list[str] = []


@pytest.fixture(autouse=True)
def _client_cache(tmp_path: Path) -> Iterator[None]:
    _CACHE[:] = [str(tmp_path / "http")]
    _CLIENT.clear()
    yield


def test_refresh_writes_versions_per_backend(index: str, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    result = refresh(cache, _fetch, index + "/", backends=["cu124", "cpu", "rocm9.9"])
    assert result.path == cache / REFRESH_FILE and result.path.is_file()
    assert result.versions("cu124") == (Version("2.10.0"), Version("2.5.1"), Version("2.4.1"))
    assert result.versions("cpu") == (Version("2.9.1"), Version("2.5.1"))
    assert result.wheels["cu124"]["2.5.1+cu124"] == ("cp311-cp311-linux_x86_64", "cp312-cp312-win_amd64")
    assert set(result.wheels["cpu"]) == {"2.5.1", "2.5.1+cpu", "2.9.1+cpu"}
    assert "no project `torch`" in result.errors["rocm9.9"] and "rocm9.9" not in result.backends
    # the server has no torchvision/torchaudio pages: each companion page that failed is named
    assert "no project `torchvision`" in result.errors["cu124/torchvision"]
    assert not result.has("cu124", "torchvision") and result.has("cu124", "torch")
    assert result.index_base == index

    loaded = load_refreshed(cache)
    assert loaded is not None
    assert loaded.to_json() == result.to_json()
    assert json.loads(result.path.read_text(encoding="utf-8"))["schema"] == 2
    # the rows keep what the page says: hash and requires-python
    cpu = {f.filename: f for f in loaded.files("cpu", "torch")}
    assert cpu["torch-2.5.1+cpu-cp312-cp312-linux_x86_64.whl"].sha256 == "0" * 64
    assert cpu["torch-2.5.1+cpu-cp312-cp312-linux_x86_64.whl"].requires_python == ">=3.9"


def test_refresh_all_failed_keeps_previous_file(index: str, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = refresh(cache, _fetch, index, backends=["cpu"])
    with pytest.raises(IndexFetchError, match="every backend page failed"):
        refresh(cache, _fetch, index, backends=["cu999", "rocm0.1"])
    again = load_refreshed(cache)
    assert again is not None and again.to_json() == first.to_json()


def test_refresh_server_down(tmp_path: Path) -> None:
    with pytest.raises(IndexFetchError):
        refresh(tmp_path, _fetch, "http://127.0.0.1:9", backends=["cpu"])
    assert load_refreshed(tmp_path) is None


def test_default_backends_come_from_the_release_table(tmp_path: Path) -> None:
    asked: list[str] = []

    def fetch(url: str) -> list[str]:
        asked.append(url)
        return ["torch-2.5.1+cu124-cp311-cp311-linux_x86_64.whl"]

    result = refresh(tmp_path, fetch, "https://example.invalid/whl")
    assert "https://example.invalid/whl/cu124/torch/" in asked
    assert "https://example.invalid/whl/rocm6.2/torch/" in asked
    assert "https://example.invalid/whl/cpu/torch/" in asked
    assert len(asked) == len(set(asked)) == 3 * len(result.wheels)
    assert "https://example.invalid/whl/cu124/torchaudio/" in asked


@pytest.mark.parametrize(
    "content", ["", "{not json", '{"schema": 2}', '{"schema": 1, "backends_read": []}', "[]"]
)
def test_load_refreshed_ignores_corrupt_files(tmp_path: Path, content: str) -> None:
    (tmp_path / REFRESH_FILE).write_text(content, encoding="utf-8")
    assert load_refreshed(tmp_path) is None


def test_load_refreshed_missing(tmp_path: Path) -> None:
    assert load_refreshed(tmp_path / "nowhere") is None


def test_torch_wheels_keeps_only_torch_wheels() -> None:
    names = [
        "torch-2.6.0+cu126-cp313-cp313-win_amd64.whl",
        "torchvision-0.21.0+cu126-cp313-cp313-win_amd64.whl",
        "torch-2.6.0.tar.gz",
        "torch-not-a-wheel.whl",
    ]
    assert torch_wheels(names) == {"2.6.0+cu126": ("cp313-cp313-win_amd64",)}
