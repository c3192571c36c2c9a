"""The errors of `IndexClient`: every failure is an `IndexFetchError` whose message names the host and URL
and whose hint names the fix; `_TransientError`s are the ones a cached copy may stand in for, and an
`_UnreachableError` is the one that lets a plan fall back to offline knowledge. A 401/403 is neither.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from torchsmith.errors import IndexFetchError, IndexUnreachableError

if TYPE_CHECKING:
    from torchsmith.index.settings_auth import Credential

__all__ = ["OFFLINE_HINT", "IndexAuthError", "auth_error"]

OFFLINE_HINT = "no network? set `TORCHSMITH_OFFLINE=1` to plan from the cache and the shipped knowledge"


def _host(url: str) -> str:
    return urlsplit(url).hostname or url


class IndexAuthError(IndexFetchError):
    """The index refused the request (HTTP 401/403): credentials are missing or wrong."""


def auth_error(
    url: str, code: int, reason: str, sent: Credential | None, index: tuple[str, str, str] | None
) -> IndexAuthError:
    """The 401/403 error: which index refused, whether (and which) credentials were sent, how to give them."""
    host = _host(url)
    where = f" (the {index[0]} index `{index[1]}` from {index[2]})" if index else ""
    if sent is None:
        said = "no credentials were sent"
    elif code == 403:
        said = f"the credentials from {sent.source} lack permission"
    else:
        said = f"the credentials from {sent.source} were refused"
    return IndexAuthError(
        f"`{host}` answered HTTP {code} {reason} for `{url}`{where}: {said}",
        hint=(
            f"give credentials for `{host}` in one of these ways: in the index URL "
            f"(`https://USER:TOKEN@{host}/...`); a line `machine {host} login USER password TOKEN` in "
            "`~/.netrc` (or the file `NETRC` names); `UV_INDEX_<NAME>_USERNAME` and "
            "`UV_INDEX_<NAME>_PASSWORD` for a named uv index; or keyring (`pip install keyring`). "
            "`torchsmith config` shows the indexes and where their credentials come from"
        ),
    )


def _too_large(url: str, size: int, limit: int) -> IndexFetchError:
    return IndexFetchError(
        f"`{_host(url)}` sent more than {limit / 1024 / 1024:g} MiB for `{url}` "
        f"({size} bytes so far); refused",
        hint="a package index never sends this much for one page; check the index URL",
    )


class _NotModifiedError(Exception):
    """Internal: the server answered 304."""


class _NotFoundError(IndexFetchError):
    """Internal: HTTP 404 / 410, turned into a message that names the project where one is known."""


class _MissingProjectError(IndexFetchError):
    """The index has no page for the project (what `project_pages_or_none` turns into None)."""


class _TransientError(IndexFetchError):
    """A failure that a cached copy may stand in for: unreachable, 5xx, timeouts, cut connections."""


class _UnreachableError(_TransientError, IndexUnreachableError):
    """The host could not be reached at all: callers may fall back to offline knowledge."""


def _http_error(url: str, code: int, reason: str) -> IndexFetchError:
    if code in (404, 410):
        return _NotFoundError(f"`{url}` was not found (HTTP {code})")
    message = f"`{_host(url)}` answered HTTP {code} {reason} for `{url}`".rstrip()
    if code >= 500:
        return _TransientError(
            message, hint="the index server failed; retry later, or set `TORCHSMITH_OFFLINE=1`"
        )
    return IndexFetchError(message)


def _truncated(url: str, got: int, expected: int | None) -> IndexFetchError:
    of = f" of {expected}" if expected is not None else ""
    return _TransientError(
        f"truncated response from `{_host(url)}` for `{url}`: got {got}{of} bytes",
        hint="the connection was cut; retry, or set `TORCHSMITH_OFFLINE=1` to use the cache",
    )


def _transport_error(url: str, reason: object, timeout: float) -> IndexFetchError:
    host = _host(url)
    import ssl

    from torchsmith.index._net import UnreachableError

    if isinstance(reason, UnreachableError):
        return _UnreachableError(
            f"cannot reach `{reason.host}` to fetch `{url}`: {reason.reason}", hint=OFFLINE_HINT
        )
    if isinstance(reason, ssl.SSLError):
        return IndexFetchError(
            f"TLS with `{host}` failed for `{url}`: {reason.reason or reason}",
            hint="if a proxy or a private CA signs the certificate, point `SSL_CERT_FILE` (or `PIP_CERT`, "
            "`REQUESTS_CA_BUNDLE`) at its PEM bundle; to skip verification for this host only, pass "
            f"`--allow-insecure-host {host}` (or set `UV_INSECURE_HOST`)",
        )
    if isinstance(reason, OSError) and "Tunnel connection failed" in str(reason):
        return IndexFetchError(
            f"the proxy refused to connect to `{host}` for `{url}`: "
            f"{str(reason).partition(': ')[2] or reason}",
            hint="check `HTTPS_PROXY` / `HTTP_PROXY` (credentials go in the proxy URL: "
            "`http://USER:PASSWORD@proxy:3128`) and `NO_PROXY`",
        )
    if isinstance(reason, TimeoutError):
        return _TransientError(
            f"`{host}` sent nothing for {timeout:g} s while serving `{url}`",
            hint="the server is stuck or very slow; retry, or set `TORCHSMITH_OFFLINE=1` to use the cache",
        )
    if isinstance(reason, ConnectionError):
        return _TransientError(f"the connection to `{host}` dropped while fetching `{url}`")
    return _TransientError(f"cannot fetch `{url}`: {reason}")
