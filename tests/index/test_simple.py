"""PEP 503 HTML and PEP 691 JSON project pages, including junk."""

from __future__ import annotations

import json

import pytest

from torchsmith.errors import IndexFetchError
from torchsmith.index.simple import DistFile, parse_html_page, parse_json_page, parse_project_page

PAGE_URL = "https://download.pytorch.org/whl/cu124/torch/"
H1 = "a" * 64
H2 = "b" * 64

# ruff: noqa: E501 - the page below keeps the real one-anchor-per-line layout
# The shape download.pytorch.org serves (pytorch/test-infra manage_v2.py): absolute-path hrefs with `%2B`,
# escaped requires-python, both metadata attributes.
PYTORCH_HTML = f"""<!DOCTYPE html>
<html>
  <body>
    <h1>Links for torch</h1>
    <a href="/whl/cu124/torch-2.5.1%2Bcu124-cp311-cp311-linux_x86_64.whl#sha256={H1}" data-requires-python="&gt;=3.8.0" data-dist-info-metadata="sha256={H2}" data-core-metadata="sha256={H2}" data-upload-time="2024-10-29T17:00:00Z">torch-2.5.1+cu124-cp311-cp311-linux_x86_64.whl</a><br/>
    <a href="https://download-r2.pytorch.org/whl/cu124/torch-2.5.1%2Bcu124-cp311-cp311-win_amd64.whl#sha256={H2.upper()}">torch-2.5.1+cu124-cp311-cp311-win_amd64.whl</a><br/>
    <a href="../torch-2.4.1.tar.gz#md5=0123" data-dist-info-metadata="true" data-yanked="broken build">torch-2.4.1.tar.gz</a><br/>
    <a href="../torch-2.4.0-py3-none-any.whl" data-yanked="">torch-2.4.0-py3-none-any.whl</a>
    <a name="no-href">nothing</a>
  </body>
</html>
<!--TIMESTAMP 1730000000-->
"""


def test_html_page_like_download_pytorch_org() -> None:
    page = parse_html_page(PYTORCH_HTML, PAGE_URL, "Torch")
    assert page.name == "torch"
    assert page.url == PAGE_URL
    assert page.files == (
        DistFile(
            filename="torch-2.5.1+cu124-cp311-cp311-linux_x86_64.whl",
            url="https://download.pytorch.org/whl/cu124/torch-2.5.1%2Bcu124-cp311-cp311-linux_x86_64.whl",
            sha256=H1,
            requires_python=">=3.8.0",
            core_metadata=H2,
            upload_time="2024-10-29T17:00:00Z",
        ),
        DistFile(
            filename="torch-2.5.1+cu124-cp311-cp311-win_amd64.whl",
            url="https://download-r2.pytorch.org/whl/cu124/torch-2.5.1%2Bcu124-cp311-cp311-win_amd64.whl",
            sha256=H2,
        ),
        DistFile(
            filename="torch-2.4.1.tar.gz",
            url="https://download.pytorch.org/whl/cu124/torch-2.4.1.tar.gz",
            core_metadata=True,
            yanked=True,
            yanked_reason="broken build",
        ),
        DistFile(
            filename="torch-2.4.0-py3-none-any.whl",
            url="https://download.pytorch.org/whl/cu124/torch-2.4.0-py3-none-any.whl",
            yanked=True,
        ),
    )
    first = page.files[0]
    assert first.metadata_url == f"{first.url}.metadata"
    assert page.files[1].metadata_url is None
    assert [w.filename for _, w in page.wheels()] == [
        "torch-2.5.1+cu124-cp311-cp311-linux_x86_64.whl",
        "torch-2.5.1+cu124-cp311-cp311-win_amd64.whl",
        "torch-2.4.0-py3-none-any.whl",
    ]


def test_empty_project_page_has_no_files() -> None:
    page = parse_html_page("<!DOCTYPE html><html><body><h1>Links for x</h1></body></html>", PAGE_URL, "x")
    assert page.files == ()


PYPI_JSON = {
    "meta": {"api-version": "1.1"},
    "name": "Typing_Extensions",
    "files": [
        {
            "filename": "typing_extensions-4.12.2-py3-none-any.whl",
            "url": "../../packages/typing_extensions-4.12.2-py3-none-any.whl",
            "hashes": {"sha256": H1, "blake2b_256": "ff"},
            "requires-python": ">=3.8",
            "core-metadata": {"sha256": H2},
            "size": 37502,
            "upload-time": "2024-06-07T18:52:13.582567Z",
            "yanked": False,
        },
        {
            "filename": "typing_extensions-4.0.0.tar.gz",
            "url": "https://files.example/typing_extensions-4.0.0.tar.gz",
            "hashes": {},
            "dist-info-metadata": True,
            "yanked": "use 4.0.1",
        },
    ],
}


def test_json_page() -> None:
    url = "http://127.0.0.1:8000/pypi/simple/typing-extensions/"
    page = parse_json_page(json.dumps(PYPI_JSON), url)
    assert page.name == "typing-extensions"
    assert page.files == (
        DistFile(
            filename="typing_extensions-4.12.2-py3-none-any.whl",
            url="http://127.0.0.1:8000/pypi/packages/typing_extensions-4.12.2-py3-none-any.whl",
            sha256=H1,
            requires_python=">=3.8",
            core_metadata=H2,
            size=37502,
            upload_time="2024-06-07T18:52:13.582567Z",
        ),
        DistFile(
            filename="typing_extensions-4.0.0.tar.gz",
            url="https://files.example/typing_extensions-4.0.0.tar.gz",
            core_metadata=True,
            yanked=True,
            yanked_reason="use 4.0.1",
        ),
    )


def test_dispatch_on_media_type() -> None:
    as_json = parse_project_page(
        json.dumps(PYPI_JSON).encode(), "application/vnd.pypi.simple.v1+json", PAGE_URL, "typing-extensions"
    )
    assert len(as_json.files) == 2
    as_html = parse_project_page(PYTORCH_HTML.encode(), "text/html; charset=utf-8", PAGE_URL, "torch")
    assert len(as_html.files) == 4


def _json(**changes: object) -> str:
    doc = json.loads(json.dumps(PYPI_JSON))
    doc.update(changes)
    return json.dumps(doc)


def _json_file(**changes: object) -> str:
    doc = json.loads(json.dumps(PYPI_JSON))
    doc["files"][0].update(changes)
    return json.dumps(doc)


U = "https://example.invalid/simple/x/"
BAD = f"`{U}` is not a valid index page:"
TE = "typing_extensions-4.12.2-py3-none-any.whl"


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"\xff\xfe\x00garbage", "text/html", f"`{U}` is not a valid index page: not UTF-8 text"),
        (
            b"Service Unavailable, try later",
            "text/html",
            f"`{U}` is not a valid index page: expected an HTML page",
        ),
        (
            b'<html><a href="x-1.0-py3-none-any.whl#sha256=12ab">x</a></html>',
            "text/html",
            f"`{U}` is not a valid index page: malformed sha256 `12ab` for `x-1.0-py3-none-any.whl`",
        ),
        (
            b'<html><a href="x-1.0-py3-none-any.whl" data-core-metadata="sha256">x</a></html>',
            "text/html",
            f"{BAD} malformed core-metadata value `sha256` for `x-1.0-py3-none-any.whl`",
        ),
        (
            b"{not json",
            "application/vnd.pypi.simple.v1+json",
            f"`{U}` is not a valid index page: malformed JSON",
        ),
        (
            b"[1, 2]",
            "application/vnd.pypi.simple.v1+json",
            f"`{U}` is not a valid index page: expected a JSON object",
        ),
        (
            _json(meta={"api-version": "2.0"}).encode(),
            "application/vnd.pypi.simple.v1+json",
            f"`{U}` is not a valid index page: unsupported PEP 691 `api-version` `2.0`",
        ),
        (
            _json(files="nope").encode(),
            "application/vnd.pypi.simple.v1+json",
            f"`{U}` is not a valid index page: missing `name` or `files`",
        ),
        (
            _json(files=[42]).encode(),
            "application/vnd.pypi.simple.v1+json",
            f"`{U}` is not a valid index page: a `files` entry is not an object",
        ),
        (
            _json_file(size="big").encode(),
            "application/vnd.pypi.simple.v1+json",
            f"{BAD} a field of `{TE}` has the wrong type",
        ),
        (
            _json_file(hashes={"sha256": "zz"}).encode(),
            "application/vnd.pypi.simple.v1+json",
            f"{BAD} malformed sha256 `zz` for `{TE}`",
        ),
        (
            _json_file(**{"core-metadata": 7}).encode(),
            "application/vnd.pypi.simple.v1+json",
            f"{BAD} malformed `core-metadata` for `{TE}`",
        ),
        (b"[" * 100_000, "application/json", f"`{U}` is not a valid index page: malformed JSON"),
    ],
)
def test_garbage_raises_index_fetch_error_naming_the_url(
    body: bytes, content_type: str, message: str
) -> None:
    with pytest.raises(IndexFetchError) as caught:
        parse_project_page(body, content_type, U, "x")
    assert caught.value.message == message
