"""`IndexClient`: fetch project pages, PEP 658 metadata and wheels, through the on-disk cache.

Pages are asked for as PEP 691 JSON first and PEP 503 HTML second (download.pytorch.org only has HTML).
A cached page younger than `max_age` is used as is; an older one is revalidated with If-None-Match /
If-Modified-Since (a 304 keeps the cached body). When the index cannot be reached or fails with a 5xx, a
cached copy is used with a warning. Offline (`TORCHSMITH_OFFLINE=1`) means the cache only. With no network
the first fetch fails within about `connect_timeout` (DNS included, see `_net`), naming the host and how to
go offline. Every failure is an `IndexFetchError`; nothing else escapes.

Limits: every page and metadata request finishes within the command's network deadline
(`TORCHSMITH_NETWORK_DEADLINE`, however slowly a server trickles), and no response may be larger than
`MAX_PAGE_BYTES` (pages) / `MAX_METADATA_BYTES` / the size its index page gives (downloads).
Authentication: credentials come from the settings (`settings_auth`) as a Basic `Authorization` header that
is never forwarded on a redirect; a 401/403 is an `IndexAuthError` (exit 2) naming the index, where it was
configured and how to give credentials, never a reason to fall back to the cache or to offline knowledge.
Uses only the standard library (urllib), so planning pulls in no HTTP dependency.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING
from urllib.parse import urlsplit

from torchsmith.errors import IndexFetchError
from torchsmith.index.cache import CacheEntry, HttpCache
from torchsmith.index.client_errors import (
    OFFLINE_HINT,
    IndexAuthError,
    _host,
    _http_error,
    _MissingProjectError,
    _NotFoundError,
    _NotModifiedError,
    _too_large,
    _TransientError,
    _transport_error,
    _truncated,
    auth_error,
)
from torchsmith.index.simple import JSON_CONTENT_TYPE, DistFile, ProjectPage, parse_project_page
from torchsmith.report import NullReporter, Reporter

if TYPE_CHECKING:  # the HTTP stack (ssl, http.client, urllib.request) is imported only when a fetch happens
    import http.client
    import urllib.request

    from torchsmith.index._net import GetAddrInfo
    from torchsmith.index.settings import IndexSettings
    from torchsmith.index.settings_auth import Credential

__all__ = [
    "MAX_METADATA_BYTES",
    "MAX_PAGE_BYTES",
    "OFFLINE_HINT",
    "PAGE_ACCEPT",
    "IndexAuthError",
    "IndexClient",
]

MAX_PAGE_BYTES = 64 * 1024 * 1024
"""64 MiB: the largest real project page (download.pytorch.org's torch, thousands of files) is a few MiB."""
MAX_METADATA_BYTES = 16 * 1024 * 1024
"""16 MiB: a wheel's METADATA file is kilobytes."""
MAX_UNSIZED_DOWNLOAD = 16 * 1024**3
"""16 GiB: the cap for a download whose index page gives no size (the largest torch wheels are ~4 GiB)."""


PAGE_ACCEPT = f"{JSON_CONTENT_TYPE}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"
"""PEP 691 content negotiation: JSON preferred, HTML accepted (what pip and uv send, in spirit)."""

_CHUNK = 256 * 1024
_USER_AGENT = "torchsmith (+https://github.com/torchsmith/torchsmith)"


class _Fetched:
    """A response's status, headers and body: `status` 304 carries no body."""

    def __init__(self, status: int, body: bytes, content_type: str, etag: str | None, modified: str | None):
        self.status, self.body, self.content_type = status, body, content_type
        self.etag, self.last_modified = etag, modified


class IndexClient:
    """Fetches index pages, metadata and files; thread-safe, one per command."""

    def __init__(
        self,
        cache_dir: Path,
        offline: bool = False,
        timeout: float = 15.0,
        reporter: Reporter | None = None,
        *,
        connect_timeout: float = 1.5,
        max_age: float = 600.0,
        max_workers: int = 8,
        getaddrinfo: GetAddrInfo | None = None,
        deadline: float = 300.0,
        access: IndexSettings | None = None,
    ) -> None:
        """`timeout`: seconds a server may stay silent mid-response; `connect_timeout`: DNS plus TCP
        connect; `max_age`: seconds a cached page is used without revalidation; `getaddrinfo`: name
        resolution (tests inject a slow one); `deadline`: seconds all page and metadata requests of this
        client may take together; `access`: the settings giving credentials, CA bundle and insecure hosts."""
        self.cache = HttpCache(cache_dir)
        self.offline = offline
        self.timeout = timeout
        self.max_age = max_age
        self.max_workers = max_workers
        self.reporter: Reporter = reporter or NullReporter()
        self._connect_timeout = connect_timeout
        self._getaddrinfo = getaddrinfo
        self._opener_made: urllib.request.OpenerDirector | None = None
        self.deadline = deadline
        self._ends_at: float | None = None
        self.access = access

    # -- public API -------------------------------------------------------------------------------------

    def project_page(self, index_url: str, project: str) -> ProjectPage:
        """The page of `project` on the PEP 503 index `index_url` (e.g. `<base>/cu124`)."""
        from torchsmith.names import canonicalize_name

        url = f"{index_url.rstrip('/')}/{canonicalize_name(project)}/"
        try:
            entry = self._get(url, accept=PAGE_ACCEPT)
        except _NotFoundError:
            raise _MissingProjectError(
                f"no project `{project}` on `{index_url.rstrip('/')}`",
                hint=f"the index has no page at `{url}`; check the index URL and the project name",
            ) from None
        cached = self.cache.get_parsed(url, entry.body)
        if cached is not None:
            try:
                files = tuple(DistFile.from_json(f) for f in cached)
                return ProjectPage(name=str(canonicalize_name(project)), files=files, url=url)
            except (KeyError, TypeError, ValueError):
                pass  # a copy written by another version: parse again
        page = parse_project_page(entry.body, entry.content_type, url, project)
        self.cache.put_parsed(url, entry.body, [f.to_json() for f in page.files])
        return page

    def project_pages(self, requests: Sequence[tuple[str, str]]) -> list[ProjectPage]:
        """`project_page` for each (index_url, project), fetched in parallel; results in request order.
        If any fails, the first failure (in request order) is raised."""
        pages = self._pages(requests, missing_ok=False)
        return [page for page in pages if page is not None]

    def project_pages_or_none(self, requests: Sequence[tuple[str, str]]) -> list[ProjectPage | None]:
        """As `project_pages`, but a project the index does not have (404) gives None instead of an error:
        a backend index may lack a companion (no torchaudio on a new backend)."""
        return self._pages(requests, missing_ok=True)

    def _pages(self, requests: Sequence[tuple[str, str]], *, missing_ok: bool) -> list[ProjectPage | None]:
        def one(index: str, project: str) -> ProjectPage | None:
            try:
                return self.project_page(index, project)
            except _MissingProjectError:
                if missing_ok:
                    return None
                raise

        # Pages the cache answers without a request are read here; threads only for the network.
        results: dict[int, ProjectPage | None] = {}
        remote: list[int] = []
        for position, (index, project) in enumerate(requests):
            if self._answered_by_cache(index, project):
                results[position] = one(index, project)
            else:
                remote.append(position)
        if remote:
            self.reporter.step(f"fetching {len(remote)} index page{'s' if len(remote) != 1 else ''}")
            from concurrent.futures import ThreadPoolExecutor

            workers = max(1, min(self.max_workers, len(remote)))
            pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="torchsmith-index")
            try:
                futures = {p: pool.submit(one, *requests[p]) for p in remote}
                for position, future in futures.items():
                    results[position] = future.result()
            except BaseException:  # a signal must not wait for slow requests to finish (issue 11)
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            pool.shutdown()
        return [results[p] for p in range(len(requests))]

    def _answered_by_cache(self, index_url: str, project: str) -> bool:
        """Whether `project_page` would answer from the cache alone (fresh, or offline with a copy)."""
        from torchsmith.names import canonicalize_name

        cached = self.cache.get(f"{index_url.rstrip('/')}/{canonicalize_name(project)}/")
        return cached is not None and (self.offline or cached.age() < self.max_age)

    def metadata(self, file: DistFile) -> list[str]:
        """The `Requires-Dist` values from the file's PEP 658 metadata; [] when the index has none."""
        url = file.metadata_url
        if url is None:
            return []
        try:
            entry = self._get(url, accept="*/*", immutable=True)
        except _NotFoundError:
            raise IndexFetchError(
                f"the index lists metadata for `{file.filename}` but `{url}` is missing"
            ) from None
        if isinstance(file.core_metadata, str):
            import hashlib

            digest = hashlib.sha256(entry.body).hexdigest()
            if digest != file.core_metadata:
                self.cache.discard(url)
                raise IndexFetchError(
                    f"sha256 mismatch for `{url}`: expected `{file.core_metadata}`, got `{digest}`"
                )
        from email.parser import BytesHeaderParser

        headers = BytesHeaderParser().parsebytes(entry.body)
        return [str(value).strip() for value in headers.get_all("Requires-Dist") or []]

    def download(self, file: DistFile, dest: Path) -> Path:
        """Download `file` into the directory `dest`, checking its sha256 when the index gives one;
        returns the file's path. A mismatching or interrupted download leaves nothing behind."""
        if self.offline:
            raise IndexFetchError(
                f"offline (`TORCHSMITH_OFFLINE=1`): cannot download `{file.url}`",
                hint="unset `TORCHSMITH_OFFLINE` to download wheels",
            )
        dest.mkdir(parents=True, exist_ok=True)
        target = dest / file.filename
        self.reporter.step(f"downloading {file.filename}")
        import tempfile

        fd, tmp_name = tempfile.mkstemp(dir=dest, prefix=f".{file.filename}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                digest = self._stream(file.url, out, file.size)
            if file.sha256 is not None and digest != file.sha256:
                raise IndexFetchError(
                    f"sha256 mismatch for `{file.filename}` from `{file.url}`: "
                    f"expected `{file.sha256}`, got `{digest}`",
                    hint="the file differs from what its index page promises; it was not kept",
                )
            Path(tmp_name).replace(target)
        finally:
            with contextlib.suppress(OSError):
                Path(tmp_name).unlink()
        return target

    # -- fetching ---------------------------------------------------------------------------------------

    def _get(self, url: str, *, accept: str, immutable: bool = False) -> CacheEntry:
        """The body of `url` via the cache; `immutable` entries (hash-pinned metadata) never revalidate."""
        cached = self.cache.get(url)
        if self.offline:
            if cached is None:
                raise IndexFetchError(
                    f"offline (`TORCHSMITH_OFFLINE=1`): no cached copy of `{url}`",
                    hint="run once with network access to fill the cache, or unset `TORCHSMITH_OFFLINE`",
                )
            if cached.content_type == _MISSING:
                raise _NotFoundError(f"`{url}` was not found (cached answer)")
            return cached
        if cached is not None and (immutable or cached.age() < self.max_age):
            if cached.content_type == _MISSING:
                raise _NotFoundError(f"`{url}` was not found (cached answer)")
            return cached
        headers = {"Accept": accept}
        if cached is not None and cached.etag:
            headers["If-None-Match"] = cached.etag
        if cached is not None and cached.last_modified:
            headers["If-Modified-Since"] = cached.last_modified
        try:
            fetched = self._fetch(url, headers)
        except _NotFoundError:
            # Remember the 404 as long as a page, so a backend lacking a project costs one request.
            self.cache.put(url, b"", _MISSING, None, None)
            raise
        except IndexFetchError as e:
            if cached is None or not isinstance(e, _TransientError):
                raise
            if cached.content_type == _MISSING:
                raise _NotFoundError(f"`{url}` was not found (cached answer)") from e
            self.reporter.warn(f"{e.message}; using the cached copy from before")
            return cached
        if fetched.status == 304 and cached is not None:
            return self.cache.touch(cached)
        return self.cache.put(url, fetched.body, fetched.content_type, fetched.etag, fetched.last_modified)

    @property
    def _opener(self) -> urllib.request.OpenerDirector:
        """The deadline-bounded urllib opener, made on the first fetch (TLS set-up loads the CA store)."""
        if self._opener_made is None:
            from torchsmith.index._net import build_opener

            access = self.access
            self._opener_made = build_opener(
                self._connect_timeout,
                self._getaddrinfo,
                ca_file=access.ca_file if access else None,
                insecure_hosts=frozenset(h for h, _ in access.insecure_hosts) if access else frozenset(),
            )
        return self._opener_made

    def _remaining(self) -> float:
        """Seconds left of this client's network deadline (its clock starts at the first request)."""
        import time

        now = time.monotonic()
        if self._ends_at is None:
            self._ends_at = now + self.deadline
        return self._ends_at - now

    def _open(
        self, url: str, headers: dict[str, str], credential: Credential | None = None
    ) -> http.client.HTTPResponse:
        import http.client
        import urllib.error
        import urllib.request

        if urlsplit(url).scheme not in ("http", "https"):
            raise IndexFetchError(f"unsupported URL `{url}`: expected `http://` or `https://`")
        request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT, **headers})
        sent = credential
        if sent is None and self.access is not None:
            sent = self.access.credentials.for_url(url)
        if sent is not None:
            request.add_unredirected_header("Authorization", _basic(sent))
        try:
            response = self._opener.open(request, timeout=self.timeout)
        except urllib.error.HTTPError as e:
            e.close()
            if e.code == 304:
                raise _NotModifiedError from None
            if e.code in (401, 403):
                retry = self._keyring(url, sent) if e.code == 401 and credential is None else None
                if retry is not None:
                    return self._open(url, headers, retry)
                raise self._auth_error(url, e.code, e.reason, sent) from None
            raise _http_error(url, e.code, e.reason) from None
        except urllib.error.URLError as e:
            raise _transport_error(url, e.reason, self.timeout) from e
        except (OSError, http.client.HTTPException, ValueError) as e:
            raise _transport_error(url, e, self.timeout) from e
        assert isinstance(response, http.client.HTTPResponse)
        return response

    def _keyring(self, url: str, sent: Credential | None) -> Credential | None:
        """After a 401: keyring's credential for the index of `url`, unless a password was already sent."""
        if self.access is None or (sent is not None and sent.password is not None):
            return None
        index = self.access.index_for(url)
        service = index[1] if index else url
        found = self.access.credentials.from_keyring(service, sent.username if sent else None)
        if found is not None:
            self.access.credentials.add(service, found)
        return found

    def _auth_error(self, url: str, code: int, reason: str, sent: Credential | None) -> IndexAuthError:
        index = self.access.index_for(url) if self.access is not None else None
        return auth_error(url, code, reason, sent, index)

    def _fetch(self, url: str, headers: dict[str, str]) -> _Fetched:
        remaining = self._remaining()
        if remaining <= 0:
            raise self._deadline_error(url)
        limit = MAX_PAGE_BYTES if "text/html" in headers.get("Accept", "") else MAX_METADATA_BYTES
        with self._within(url, remaining):
            try:
                response = self._open(url, headers)
            except _NotModifiedError:
                return _Fetched(304, b"", "", None, None)
            chunks: list[bytes] = []
            with response:
                self._read(url, response, chunks.append, limit)
                return _Fetched(
                    response.status,
                    b"".join(chunks),
                    response.headers.get("Content-Type", "text/html"),
                    response.headers.get("ETag"),
                    response.headers.get("Last-Modified"),
                )

    @contextlib.contextmanager
    def _within(self, url: str, seconds: float) -> Iterator[None]:
        """Run the block's requests under a deadline of `seconds` (index._net.Deadline shuts their sockets
        when it passes). A failure at or near the deadline, or a block that ends after it, is reported as
        the deadline's error, which says what to raise or that the cache can be used."""
        from torchsmith.index._net import Deadline

        with Deadline(seconds) as scope:
            try:
                yield
            except IndexFetchError:
                if scope.expired or scope.remaining() < 0.1:  # the socket timeout may fire first
                    raise self._deadline_error(url) from None
                raise
            if scope.expired:
                raise self._deadline_error(url)

    def _deadline_error(self, url: str) -> IndexFetchError:
        return _TransientError(
            f"`{_host(url)}` did not finish answering `{url}` within the network deadline of "
            f"{self.deadline:g} s",
            hint="the server is stuck or trickling; retry, raise `TORCHSMITH_NETWORK_DEADLINE` (seconds), "
            "or set `TORCHSMITH_OFFLINE=1` to use the cache",
        )

    def _stream(self, url: str, out: IO[bytes], size: int | None = None) -> str:
        import hashlib

        hasher = hashlib.sha256()

        def sink(chunk: bytes) -> None:
            hasher.update(chunk)
            out.write(chunk)

        limit = size if size is not None else MAX_UNSIZED_DOWNLOAD
        # a download may take longer than the page deadline: allow at least 256 KiB/s on top of it
        with (
            self._within(url, self.deadline + limit / (256 * 1024)),
            self._open(url, {"Accept": "*/*"}) as response,
        ):
            self._read(url, response, sink, limit)
        return hasher.hexdigest()

    def _read(
        self, url: str, response: http.client.HTTPResponse, sink: Callable[[bytes], object], limit: int
    ) -> None:
        import http.client

        expected_header = response.headers.get("Content-Length")
        expected = int(expected_header) if expected_header and expected_header.isdigit() else None
        if expected is not None and expected > limit:
            raise _too_large(url, expected, limit)
        got = 0
        try:
            while chunk := response.read1(_CHUNK):
                got += len(chunk)
                if got > limit:
                    raise _too_large(url, got, limit)
                sink(chunk)
        except http.client.IncompleteRead as e:
            got += len(e.partial)
            raise _truncated(url, got, expected) from e
        except (OSError, http.client.HTTPException, ValueError) as e:
            raise _transport_error(url, e, self.timeout) from e
        if expected is not None and got < expected:
            raise _truncated(url, got, expected)


def _basic(credential: Credential) -> str:
    import base64

    pair = f"{credential.username or ''}:{credential.password or ''}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


_MISSING = "application/x-torchsmith-not-found"
"""Content type of a cache entry that records a 404."""
