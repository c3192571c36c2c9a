"""`IndexClient` against the real local index server (a separate process on 127.0.0.1)."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import socket
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.fixtures import LocalIndex
from torchsmith.errors import IndexFetchError
from torchsmith.index.client import OFFLINE_HINT, PAGE_ACCEPT, IndexClient
from torchsmith.index.simple import DistFile


class RecordingReporter:
    def __init__(self) -> None:
        self.steps: list[str] = []
        self.warnings: list[str] = []

    def step(self, message: str) -> None:
        self.steps.append(message)

    def line(self, text: str) -> None:
        pass

    def warn(self, message: str) -> None:
        self.warnings.append(message)


def _requests(local_index: LocalIndex, path: str) -> list[dict[str, Any]]:
    return [entry for entry in local_index.log() if entry["path"] == path]


def _file(local_index: LocalIndex, client: IndexClient, backend: str, filename: str) -> DistFile:
    page = client.project_page(local_index.index_url(backend), filename.split("-", 1)[0])
    return next(f for f in page.files if f.filename == filename)


@pytest.fixture
def client(tmp_path: Path) -> IndexClient:
    return IndexClient(tmp_path / "http-cache")


@pytest.fixture
def scratch(local_index: LocalIndex) -> Iterator[tuple[str, Path]]:
    """A private one-project index inside the served tree: (index URL, page file)."""
    name = f"scratch-{uuid.uuid4().hex[:8]}"
    page = local_index.root / "whl" / name / "demo" / "index.html"
    page.parent.mkdir(parents=True)
    page.write_text(
        '<html><body><a href="/whl/demo-1.0-py3-none-any.whl">demo-1.0-py3-none-any.whl</a></body></html>'
    )
    yield f"{local_index.base}/{name}", page


# -- pages ------------------------------------------------------------------------------------------------


def test_backend_page_is_html_with_hashes_and_metadata(local_index: LocalIndex, client: IndexClient) -> None:
    local_index.clear_log()
    page = client.project_page(local_index.index_url("cu124"), "torch")
    expected = sorted(w.filename for w in local_index.catalog.select(index="cu124", name="torch"))
    assert [f.filename for f in page.files] == expected
    for file in page.files:
        on_disk = local_index.root / "whl" / "cu124" / file.filename
        assert file.url == f"{local_index.base}/cu124/{file.filename.replace('+', '%2B')}"
        assert file.sha256 == hashlib.sha256(on_disk.read_bytes()).hexdigest()
        metadata = Path(f"{on_disk}.metadata").read_bytes()
        assert file.core_metadata == hashlib.sha256(metadata).hexdigest()
    assert {f.requires_python for f in page.files} == {">=3.8.0"}
    (request,) = _requests(local_index, "/whl/cu124/torch/")
    assert (request["status"], request["accept"]) == (200, PAGE_ACCEPT)


def test_pypi_page_is_json_and_matches_its_html_twin(local_index: LocalIndex, client: IndexClient) -> None:
    from_json = client.project_page(local_index.pypi, "Typing_Extensions")
    from_html = client.project_page(local_index.fault_url("/pypi/simple", "html-only"), "typing-extensions")
    assert from_json.name == from_html.name == "typing-extensions"
    (json_file,) = from_json.files
    (html_file,) = from_html.files
    assert json_file.url == f"{local_index.url}/pypi/packages/typing_extensions-4.12.2-py3-none-any.whl"
    assert json_file.size == (local_index.root / "pypi" / "packages" / json_file.filename).stat().st_size
    assert json_file.upload_time == "2024-01-01T00:00:00.000000Z"
    assert dataclasses.replace(json_file, url="", size=None, upload_time=None) == dataclasses.replace(
        html_file, url=""
    )


def test_project_pages_in_parallel_keep_request_order(local_index: LocalIndex, tmp_path: Path) -> None:
    reporter = RecordingReporter()
    client = IndexClient(tmp_path, reporter=reporter)
    wanted = [
        (local_index.index_url(b), p) for b in ("cpu", "cu126", "xpu") for p in ("torch", "torchvision")
    ]
    pages = client.project_pages(wanted)
    assert [(p.url, p.name) for p in pages] == [(f"{index}/{project}/", project) for index, project in wanted]
    assert reporter.steps == ["fetching 6 index pages"]
    assert client.project_pages([]) == []


# -- metadata and downloads -------------------------------------------------------------------------------


def test_metadata_gives_requires_dist(local_index: LocalIndex, client: IndexClient) -> None:
    filename = "torch-2.5.1+cu124-cp311-cp311-linux_x86_64.whl"
    (spec,) = [w for w in local_index.catalog.select(index="cu124", name="torch") if w.filename == filename]
    file = _file(local_index, client, "cu124", filename)
    assert client.metadata(file) == [
        "filelock",
        "typing-extensions>=4.8.0",
        'nvidia-cuda-runtime-cu12==12.4.127; platform_system == "Linux" and platform_machine == "x86_64"',
    ]
    assert client.metadata(file) == list(spec.requires_dist)


def test_metadata_absent_on_the_index_is_empty(local_index: LocalIndex, client: IndexClient) -> None:
    local_index.clear_log()
    file = DistFile("x-1.0-py3-none-any.whl", f"{local_index.url}/nowhere/x-1.0-py3-none-any.whl")
    assert client.metadata(file) == []
    assert local_index.log() == []


def test_metadata_with_a_wrong_hash_is_refused(local_index: LocalIndex, client: IndexClient) -> None:
    file = _file(local_index, client, "cpu", "torchaudio-2.5.1+cpu-cp311-cp311-linux_x86_64.whl")
    bad = dataclasses.replace(file, core_metadata="0" * 64)
    with pytest.raises(IndexFetchError) as caught:
        client.metadata(bad)
    actual = hashlib.sha256(
        Path(local_index.root, "whl/cpu", f"{file.filename}.metadata").read_bytes()
    ).hexdigest()
    assert (
        caught.value.message
        == f"sha256 mismatch for `{file.url}.metadata`: expected `{'0' * 64}`, got `{actual}`"
    )


def test_download_checks_sha256(local_index: LocalIndex, client: IndexClient, tmp_path: Path) -> None:
    file = _file(local_index, client, "cpu", "torch-2.9.1+cpu-cp312-cp312-manylinux_2_28_x86_64.whl")
    path = client.download(file, tmp_path / "dl")
    assert path == tmp_path / "dl" / file.filename
    assert path.read_bytes() == (local_index.root / "whl" / "cpu" / file.filename).read_bytes()


def test_download_of_a_tampered_file_is_refused_and_removed(
    local_index: LocalIndex, client: IndexClient, tmp_path: Path
) -> None:
    file = _file(local_index, client, "cpu", "torch-2.9.1+cpu-cp311-cp311-manylinux_2_28_x86_64.whl")
    rule = {"path": f"/whl/cpu/{file.filename}", "fault": "corrupt"}
    with local_index.faults(rule):
        served = urllib.request.build_opener(urllib.request.ProxyHandler({})).open(file.url).read()
        with pytest.raises(IndexFetchError) as caught:
            client.download(file, tmp_path / "dl")
    assert hashlib.sha256(served).hexdigest() != file.sha256
    assert caught.value.message == (
        f"sha256 mismatch for `{file.filename}` from `{file.url}`: "
        f"expected `{file.sha256}`, got `{hashlib.sha256(served).hexdigest()}`"
    )
    assert list((tmp_path / "dl").iterdir()) == []


def test_download_cut_mid_body_leaves_nothing(
    local_index: LocalIndex, client: IndexClient, tmp_path: Path
) -> None:
    file = _file(local_index, client, "cpu", "torch-2.7.1+cpu-cp311-cp311-manylinux_2_28_x86_64.whl")
    size = (local_index.root / "whl" / "cpu" / file.filename).stat().st_size
    rule = {"path": f"/whl/cpu/{file.filename}", "fault": "die-after-bytes", "arg": 100}
    with local_index.faults(rule), pytest.raises(IndexFetchError) as caught:
        client.download(file, tmp_path / "dl")
    assert (
        caught.value.message
        == f"truncated response from `127.0.0.1` for `{file.url}`: got 100 of {size} bytes"
    )
    assert list((tmp_path / "dl").iterdir()) == []


# -- cache ------------------------------------------------------------------------------------------------


def test_revalidation_uses_etag_and_304(
    local_index: LocalIndex, scratch: tuple[str, Path], tmp_path: Path
) -> None:
    index, page_file = scratch
    client = IndexClient(tmp_path, max_age=0)
    path = f"{index.removeprefix(local_index.url)}/demo/"
    local_index.clear_log()
    first = client.project_page(index, "demo")
    second = client.project_page(index, "demo")
    assert first == second
    assert [f.filename for f in first.files] == ["demo-1.0-py3-none-any.whl"]
    log = _requests(local_index, path)
    assert [(e["status"], e["if_none_match"] is not None) for e in log] == [(200, False), (304, True)]

    page_file.write_text('<html><a href="/whl/demo-2.0-py3-none-any.whl">demo</a></html>')
    third = client.project_page(index, "demo")
    assert [f.filename for f in third.files] == ["demo-2.0-py3-none-any.whl"]
    assert [e["status"] for e in _requests(local_index, path)] == [200, 304, 200]


def test_fresh_cache_entries_make_no_request(
    local_index: LocalIndex, scratch: tuple[str, Path], tmp_path: Path
) -> None:
    index, _ = scratch
    client = IndexClient(tmp_path)
    local_index.clear_log()
    assert client.project_page(index, "demo") == client.project_page(index, "demo")
    assert len(_requests(local_index, f"{index.removeprefix(local_index.url)}/demo/")) == 1


@pytest.mark.parametrize("damage", ["body", "meta", "both-missing-body"])
def test_corrupt_cache_entry_is_refetched(
    local_index: LocalIndex, scratch: tuple[str, Path], tmp_path: Path, damage: str
) -> None:
    index, _ = scratch
    client = IndexClient(tmp_path / "cache")
    page = client.project_page(index, "demo")
    (body,) = (tmp_path / "cache").glob("*/*.body")
    (meta,) = (tmp_path / "cache").glob("*/*.json")
    if damage == "body":
        body.write_bytes(b"<html>something else entirely</html>")
    elif damage == "meta":
        meta.write_text("{not json")
    else:
        body.unlink()
    local_index.clear_log()
    assert client.project_page(index, "demo") == page
    (request,) = _requests(local_index, f"{index.removeprefix(local_index.url)}/demo/")
    assert (request["status"], request["if_none_match"]) == (200, None)


def test_offline_uses_only_the_cache(
    local_index: LocalIndex, scratch: tuple[str, Path], tmp_path: Path
) -> None:
    index, _ = scratch
    offline = IndexClient(tmp_path, offline=True)
    url = f"{index}/demo/"
    with pytest.raises(IndexFetchError) as caught:
        offline.project_page(index, "demo")
    assert caught.value.message == f"offline (`TORCHSMITH_OFFLINE=1`): no cached copy of `{url}`"
    assert (
        caught.value.hint == "run once with network access to fill the cache, or unset `TORCHSMITH_OFFLINE`"
    )

    online = IndexClient(tmp_path, max_age=0).project_page(index, "demo")
    local_index.clear_log()
    assert offline.project_page(index, "demo") == online
    assert local_index.log() == []


def test_server_error_falls_back_to_a_cached_copy_with_a_warning(
    local_index: LocalIndex, scratch: tuple[str, Path], tmp_path: Path
) -> None:
    index, _ = scratch
    reporter = RecordingReporter()
    client = IndexClient(tmp_path, max_age=0, reporter=reporter)
    page = client.project_page(index, "demo")
    path = f"{index.removeprefix(local_index.url)}/demo/"
    with local_index.faults({"prefix": path, "fault": "503"}):
        assert client.project_page(index, "demo") == page
    assert reporter.warnings == [
        f"`127.0.0.1` answered HTTP 503 Service Unavailable for `{index}/demo/`; "
        "using the cached copy from before"
    ]


# -- faults -----------------------------------------------------------------------------------------------


def _fails(client: IndexClient, index: str, project: str = "torch") -> IndexFetchError:
    with pytest.raises(IndexFetchError) as caught:
        client.project_page(index, project)
    return caught.value


def test_404_names_the_project_and_index(local_index: LocalIndex, client: IndexClient) -> None:
    error = _fails(client, local_index.index_url("cu124"), "no-such-thing")
    assert error.message == f"no project `no-such-thing` on `{local_index.base}/cu124`"
    assert error.hint == (
        f"the index has no page at `{local_index.base}/cu124/no-such-thing/`; "
        "check the index URL and the project name"
    )


def test_500(local_index: LocalIndex, client: IndexClient) -> None:
    index = local_index.fault_url("/whl/cpu", "500")
    error = _fails(client, index)
    assert error.message == f"`127.0.0.1` answered HTTP 500 Internal Server Error for `{index}/torch/`"
    assert error.hint == "the index server failed; retry later, or set `TORCHSMITH_OFFLINE=1`"


def test_truncated_page(local_index: LocalIndex, client: IndexClient) -> None:
    index = local_index.fault_url("/whl/cpu", "truncate")
    size = (local_index.root / "whl" / "cpu" / "torch" / "index.html").stat().st_size
    error = _fails(client, index)
    assert (
        error.message
        == f"truncated response from `127.0.0.1` for `{index}/torch/`: got {size // 2} of {size} bytes"
    )


def test_garbage_page(local_index: LocalIndex, client: IndexClient) -> None:
    index = local_index.fault_url("/whl/cpu", "garbage")
    assert _fails(client, index).message == f"`{index}/torch/` is not a valid index page: not UTF-8 text"


@pytest.mark.parametrize("fault", ["slow/5", "slow-body/5"])
def test_slow_server_times_out(local_index: LocalIndex, tmp_path: Path, fault: str) -> None:
    index = local_index.fault_url("/whl/cpu", fault)
    started = time.monotonic()
    error = _fails(IndexClient(tmp_path, timeout=0.5), index)
    assert time.monotonic() - started < 2
    assert error.message == f"`127.0.0.1` sent nothing for 0.5 s while serving `{index}/torch/`"


def test_server_down(client: IndexClient) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    index = f"http://127.0.0.1:{port}/whl/cpu"
    error = _fails(client, index)
    assert error.message == f"cannot reach `127.0.0.1` to fetch `{index}/torch/`: connection refused"
    assert error.hint == OFFLINE_HINT


def test_unresolvable_host_fails_fast_without_a_dns_query(tmp_path: Path) -> None:
    queried: list[str] = []

    def getaddrinfo(host: str, port: int) -> list[tuple[Any, ...]]:
        queried.append(host)
        raise AssertionError("no DNS query for .invalid names")

    started = time.monotonic()
    error = _fails(IndexClient(tmp_path, getaddrinfo=getaddrinfo), "https://nonexistent.invalid/whl/cpu")
    assert time.monotonic() - started < 2
    assert error.message == (
        "cannot reach `nonexistent.invalid` to fetch `https://nonexistent.invalid/whl/cpu/torch/`: "
        "the name cannot resolve (reserved `.invalid` domain)"
    )
    assert error.hint == OFFLINE_HINT
    assert queried == []


def test_hanging_dns_fails_within_2_seconds_for_all_parallel_pages(tmp_path: Path) -> None:
    """A resolver that never answers (a machine without network) costs one deadline, not one per page."""

    def getaddrinfo(host: str, port: int) -> list[tuple[Any, ...]]:
        time.sleep(30)
        raise OSError("unreachable")

    client = IndexClient(tmp_path, getaddrinfo=getaddrinfo)
    started = time.monotonic()
    with pytest.raises(IndexFetchError) as caught:
        client.project_pages(
            [(f"https://download.pytorch.org/whl/{b}", "torch") for b in ("cpu", "cu126", "cu128")]
        )
    assert time.monotonic() - started < 2
    assert caught.value.message == (
        "cannot reach `download.pytorch.org` to fetch `https://download.pytorch.org/whl/cpu/torch/`: "
        "DNS lookup timed out"
    )


@pytest.fixture
def blackhole() -> Iterator[int]:
    """A local port that accepts no connection: its accept queue is full, so SYNs are dropped."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    for _ in range(2):
        filler = socket.socket()
        filler.settimeout(0.2)
        with contextlib.suppress(TimeoutError):
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    yield port
    for sock in (*fillers, server):
        sock.close()


def test_unroutable_host_fails_within_2_seconds(blackhole: int, tmp_path: Path) -> None:
    client = IndexClient(tmp_path)
    started = time.monotonic()
    with pytest.raises(IndexFetchError) as caught:
        client.project_pages(
            [(f"http://127.0.0.1:{blackhole}/whl/{b}", "torch") for b in ("cpu", "cu126", "xpu")]
        )
    assert time.monotonic() - started < 2
    assert caught.value.message == (
        f"cannot reach `127.0.0.1` to fetch `http://127.0.0.1:{blackhole}/whl/cpu/torch/`: "
        "connection timed out after 1.5 s"
    )
    assert caught.value.hint == OFFLINE_HINT


def test_download_offline_is_refused(client: IndexClient, tmp_path: Path) -> None:
    offline = IndexClient(tmp_path / "c", offline=True)
    file = DistFile("x-1.0-py3-none-any.whl", "http://127.0.0.1:9/x-1.0-py3-none-any.whl")
    with pytest.raises(IndexFetchError) as caught:
        offline.download(file, tmp_path / "dl")
    assert (
        caught.value.message
        == "offline (`TORCHSMITH_OFFLINE=1`): cannot download `http://127.0.0.1:9/x-1.0-py3-none-any.whl`"
    )


def test_parsed_pages_are_cached_with_the_body_they_came_from(
    local_index: LocalIndex, scratch: tuple[str, Path], tmp_path: Path
) -> None:
    index, _ = scratch
    client = IndexClient(tmp_path / "cache")
    first = client.project_page(index, "demo")
    (parsed,) = (tmp_path / "cache").glob("*/*.page")
    document = json.loads(parsed.read_text())
    assert [f["filename"] for f in document["files"]] == [f.filename for f in first.files]
    # the same body: the stored parse is used as is (a marker in it shows through)
    document["files"][0]["yanked_reason"] = "from the parsed copy"
    parsed.write_text(json.dumps(document))
    assert client.project_page(index, "demo").files[0].yanked_reason == "from the parsed copy"
    # a parse of other bytes, or a corrupt one, is ignored and replaced
    document["length"] += 1
    parsed.write_text(json.dumps(document))
    assert client.project_page(index, "demo") == first
    parsed.write_text("{not json")
    assert client.project_page(index, "demo") == first
    assert json.loads(parsed.read_text())["files"] == [f.to_json() for f in first.files]
