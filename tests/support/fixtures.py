"""pytest plugin: the session-wide local index (registered by `tests/conftest.py`'s `pytest_plugins`).

`local_index` builds the standard catalog's wheels and pages once per session in a temporary directory,
serves them from a separate server process on 127.0.0.1 and yields a `LocalIndex`:
    .base    `<url>/whl`           for `TORCHSMITH_INDEX_URL` / `--index-base` (backend `<base>/cu124`)
    .pypi    `<url>/pypi/simple`   for `UV_INDEX_URL` / `PIP_INDEX_URL`
    .root    the tree on disk;  .catalog  the `Catalog` it was built from;  .url  the server itself
plus the server's request log and fault rules (see `tests/support/server.py`). Tests that set fault rules
must clear them (`with local_index.faults(...)`), since the server is shared by the whole session.
"""

from __future__ import annotations

import contextlib
import json
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.catalog import Catalog
from tests.support.index_tree import build_standard_index
from tests.support.server import serve

__all__ = ["LocalIndex", "local_index"]


def _request(method: str, url: str, body: bytes | None = None) -> bytes:
    request = urllib.request.Request(url, data=body, method=method)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=10) as response:
        data: bytes = response.read()
        return data


@dataclass(frozen=True)
class LocalIndex:
    """A running local index."""

    url: str
    root: Path
    catalog: Catalog

    @property
    def base(self) -> str:
        return f"{self.url}/whl"

    @property
    def pypi(self) -> str:
        return f"{self.url}/pypi/simple"

    def index_url(self, backend: str) -> str:
        """The PEP 503 index of one backend, e.g. `<url>/whl/cu124`."""
        return f"{self.base}/{backend}"

    def fault_url(self, path: str, *faults: str) -> str:
        """`path` (e.g. `/whl/cu124`) behind fault prefixes, e.g. `fault_url("/whl/cpu", "slow/3")`."""
        prefix = "".join(f"/fault/{f.strip('/')}" for f in faults)
        return f"{self.url}{prefix}{path}"

    def log(self) -> list[dict[str, Any]]:
        """Every request the server has answered since the last `clear_log()`."""
        entries: list[dict[str, Any]] = json.loads(_request("GET", f"{self.url}/_log"))
        return entries

    def clear_log(self) -> None:
        _request("DELETE", f"{self.url}/_log")

    def set_faults(self, rules: Sequence[dict[str, Any]]) -> None:
        """Add fault rules: `{"prefix": "/whl/cu124/torch-", "fault": "die-after-bytes", "arg": 100}`, or
        with `"path"` for one exact path (`"prefix"` of a wheel also hits its `.metadata`)."""
        _request("POST", f"{self.url}/_faults", json.dumps(list(rules)).encode())

    def clear_faults(self) -> None:
        _request("DELETE", f"{self.url}/_faults")

    @contextlib.contextmanager
    def faults(self, *rules: dict[str, Any]) -> Iterator[None]:
        """Apply fault rules for the duration of a `with` block."""
        self.set_faults(rules)
        try:
            yield
        finally:
            self.clear_faults()


@pytest.fixture(scope="session")
def local_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalIndex]:
    root = tmp_path_factory.mktemp("local-index")
    catalog = build_standard_index(root)
    with serve(root) as url:
        yield LocalIndex(url=url, root=root, catalog=catalog)
