"""Deadline-bounded connections for urllib: fail in under 2 s when there is no network.

`socket.getaddrinfo` has no timeout (glibc retries a dead resolver for 5-10 s) and urllib uses one timeout
for connecting and reading. Here name resolution runs in a helper thread that the caller stops waiting for at
the deadline, connecting gets its own short budget, and reads get the (longer) read timeout. Resolutions are
shared between threads and a host that failed fails again at once, so parallel page fetches to a dead host
cost one deadline in total. Names under `.invalid` never resolve (RFC 6761 §6.4), without a DNS query.
The connection classes plug into `urllib.request` handlers, so proxies (`HTTPS_PROXY`, `HTTP_PROXY`,
`NO_PROXY`, credentials in the proxy URL, CONNECT tunnels) and redirects keep working.

A `Deadline` bounds a whole request, however slowly the server trickles: every socket opened in its scope
(in this thread) is shut down when it expires, which ends any blocked read at once. TLS trust comes from
`tls_context`: a CA bundle when one is configured, else the operating system's store through `truststore`
when it can be imported (as pip does), else OpenSSL's defaults; hosts allowed as insecure get a context that
does not verify.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

__all__ = ["Deadline", "UnreachableError", "build_opener", "tls_context"]

AddrInfo = list[tuple[Any, ...]]
GetAddrInfo = Callable[[str, int], AddrInfo]


class UnreachableError(OSError):
    """The host could not be resolved or connected to within the deadline."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"{host}: {reason}")
        self.host = host
        self.reason = reason


_local = threading.local()


class Deadline:
    """A time limit for the requests made in a `with` block by this thread (see the module docstring)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.expired = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._timer = threading.Timer(max(0.0, seconds), self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        self._previous = getattr(_local, "deadline", None)
        _local.deadline = self
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        _local.deadline = self._previous

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            expired = self.expired
        if expired:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def tls_context(ca_file: str | None, *, verify: bool = True) -> ssl.SSLContext:
    """The context for HTTPS: see the module docstring."""
    if not verify:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if ca_file:
        return ssl.create_default_context(cafile=ca_file)
    try:
        import truststore
    except ImportError:
        return ssl.create_default_context()
    return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # type: ignore[no-any-return,unused-ignore]


def _system_getaddrinfo(host: str, port: int) -> AddrInfo:
    return list(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))


class _Resolver:
    """Resolves each (host, port) once, in a daemon thread, and remembers failures."""

    def __init__(self, getaddrinfo: GetAddrInfo) -> None:
        self._getaddrinfo = getaddrinfo
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, int], Future[AddrInfo]] = {}

    def resolve(self, host: str, port: int, deadline: float) -> AddrInfo:
        if host.rstrip(".").lower().endswith(".invalid") or host.lower() == "invalid":
            raise UnreachableError(host, "the name cannot resolve (reserved `.invalid` domain)")
        key = (host, port)
        with self._lock:
            future = self._pending.get(key)
            if future is None:
                future = Future()
                self._pending[key] = future
                threading.Thread(target=self._run, args=(future, host, port), daemon=True).start()
        try:
            return future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:  # the builtin TimeoutError from 3.11 on, a separate class on 3.10
            raise UnreachableError(host, "DNS lookup timed out") from None

    def _run(self, future: Future[AddrInfo], host: str, port: int) -> None:
        try:
            infos = self._getaddrinfo(host, port)
        except (OSError, UnicodeError) as e:
            future.set_exception(UnreachableError(host, f"cannot resolve the host name ({e})"))
        else:
            if infos:
                future.set_result(infos)
            else:
                future.set_exception(UnreachableError(host, "cannot resolve the host name"))


class _Connector:
    """Creates sockets within `connect_timeout` (DNS included) and sets the read timeout on them."""

    def __init__(self, connect_timeout: float, getaddrinfo: GetAddrInfo) -> None:
        self.connect_timeout = connect_timeout
        self._resolver = _Resolver(getaddrinfo)
        self._dead: dict[str, UnreachableError] = {}
        self._lock = threading.Lock()

    def __call__(
        self, address: tuple[str, int], timeout: float | None = None, source_address: Any = None
    ) -> socket.socket:
        host, port = address
        with self._lock:
            dead = self._dead.get(host)
        if dead is not None:
            raise UnreachableError(host, dead.reason)
        try:
            return self._connect(host, port, timeout, source_address)
        except UnreachableError as e:
            with self._lock:
                self._dead[host] = e
            raise

    def _connect(self, host: str, port: int, timeout: float | None, source_address: Any) -> socket.socket:
        deadline = time.monotonic() + self.connect_timeout
        reason = "no address to connect to"
        for family, kind, proto, _name, sockaddr in self._resolver.resolve(host, port, deadline):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                reason = f"connection timed out after {self.connect_timeout:g} s"
                break
            sock = socket.socket(family, kind, proto)
            try:
                sock.settimeout(remaining)
                if source_address:
                    sock.bind(source_address)
                sock.connect(sockaddr)
            except TimeoutError:
                sock.close()
                reason = f"connection timed out after {self.connect_timeout:g} s"
            except ConnectionRefusedError:
                sock.close()
                reason = "connection refused"
            except OSError as e:
                sock.close()
                reason = (e.strerror or str(e)).lower()
            else:
                scope: Deadline | None = getattr(_local, "deadline", None)
                if scope is not None:
                    scope.add(sock)
                    timeout = scope.remaining() if timeout is None else min(timeout, scope.remaining())
                sock.settimeout(timeout)
                return sock
        raise UnreachableError(host, reason)


def build_opener(
    connect_timeout: float,
    getaddrinfo: GetAddrInfo | None = None,
    *,
    ca_file: str | None = None,
    insecure_hosts: frozenset[str] = frozenset(),
) -> urllib.request.OpenerDirector:
    """A urllib opener whose HTTP and HTTPS connections use a shared deadline-bounded `_Connector`, trusting
    `ca_file` (or the system store), and not verifying the hosts in `insecure_hosts` (lower-case names,
    optionally `host:port`)."""
    connector = _Connector(connect_timeout, getaddrinfo or _system_getaddrinfo)

    class _HTTPConnection(http.client.HTTPConnection):
        def connect(self) -> None:
            self.sock = connector((self.host, self.port), self.timeout, getattr(self, "source_address", None))
            if getattr(self, "_tunnel_host", None):
                self._tunnel()  # type: ignore[attr-defined]

    class _HTTPSConnection(http.client.HTTPSConnection, _HTTPConnection):
        """HTTPSConnection.connect calls super().connect(), which the MRO routes to `_HTTPConnection`."""

    context = tls_context(ca_file)
    unverified = tls_context(None, verify=False) if insecure_hosts else None

    class _HTTPHandler(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(_HTTPConnection, req)

    class _HTTPSHandler(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            host = (getattr(req, "_tunnel_host", None) or req.host).lower()
            insecure = unverified is not None and (
                host in insecure_hosts or host.split(":")[0] in insecure_hosts
            )
            return self.do_open(_HTTPSConnection, req, context=unverified if insecure else context)

    return urllib.request.build_opener(_HTTPHandler(), _HTTPSHandler(context=context))
