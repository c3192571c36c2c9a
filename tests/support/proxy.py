"""A logging HTTP proxy for tests: CONNECT tunnels (HTTPS) and absolute-form requests (plain HTTP).

Run as `[TEST_PROXY_AUTH=USER:PASSWORD] python tests/support/proxy.py --log FILE`; it prints `PORT <n>` once
listening on 127.0.0.1 and exits when its stdin closes. Every request line is appended to FILE as one JSON
object (`method`, `target`, `status`, `proxy_authorization`: whether credentials came), so a test can prove
that traffic went through it. With `TEST_PROXY_AUTH`, requests without those Basic `Proxy-Authorization`
credentials get 407 (RFC 9110 §15.5.8). Standard library only.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import selectors
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit


class ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    log_file: Path
    auth: str | None
    lock = threading.Lock()

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _log(self, status: int) -> None:
        entry = {
            "method": self.command,
            "target": self.path,
            "status": status,
            "proxy_authorization": self.headers.get("Proxy-Authorization") is not None,
        }
        with self.lock, self.log_file.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")

    def _allowed(self) -> bool:
        if self.auth is None:
            return True
        expected = "Basic " + base64.b64encode(self.auth.encode()).decode()
        if self.headers.get("Proxy-Authorization") == expected:
            return True
        self._log(407)
        self.send_response(407)
        self.send_header("Proxy-Authenticate", 'Basic realm="torchsmith-test-proxy"')
        self.send_header("Content-Length", "0")
        self.end_headers()
        return False

    def do_CONNECT(self) -> None:
        if not self._allowed():
            return
        host, _, port = self.path.rpartition(":")
        try:
            upstream = socket.create_connection((host, int(port)), timeout=10)
        except OSError:
            self._log(502)
            self.send_response(502)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._log(200)
        self.send_response(200, "Connection established")
        self.end_headers()
        self.close_connection = True
        _pipe(self.connection, upstream)

    def _forward(self) -> None:
        if not self._allowed():
            return
        parts = urlsplit(self.path)
        if parts.scheme != "http" or not parts.hostname:
            self._log(400)
            self.send_response(400)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        upstream = socket.create_connection((parts.hostname, parts.port or 80), timeout=30)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        dropped = ("proxy-authorization", "connection", "proxy-connection")
        headers = "".join(f"{k}: {v}\r\n" for k, v in self.headers.items() if k.lower() not in dropped)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        head = f"{self.command} {target} HTTP/1.1\r\n{headers}Connection: close\r\n\r\n"
        upstream.sendall(head.encode() + body)
        self._log(200)
        self.close_connection = True
        _pipe(self.connection, upstream)

    def do_GET(self) -> None:
        self._forward()

    def do_HEAD(self) -> None:
        self._forward()


def _pipe(client: socket.socket, upstream: socket.socket) -> None:
    """Copy bytes both ways until either side closes."""
    with selectors.DefaultSelector() as selector:
        selector.register(client, selectors.EVENT_READ, upstream)
        selector.register(upstream, selectors.EVENT_READ, client)
        while True:
            for key, _ in selector.select(timeout=60):
                source = key.fileobj
                assert isinstance(source, socket.socket)
                try:
                    data = source.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    upstream.close()
                    return
                key.data.sendall(data)


@contextlib.contextmanager
def run_proxy(log_file: Path, *, auth: str | None = None) -> Iterator[str]:
    """Run the proxy in its own process; yield its URL (`http://127.0.0.1:<port>`), then stop it."""
    env = dict(os.environ)
    if auth:  # in the environment, not on the command line (`ps` shows command lines to everyone)
        env["TEST_PROXY_AUTH"] = auth
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--log", str(log_file)],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the test proxy failed to start: {line!r}")
        yield f"http://127.0.0.1:{int(line.split()[1])}"
    finally:
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def read_log(log_file: Path) -> list[dict[str, object]]:
    if not log_file.exists():
        return []
    return [json.loads(line) for line in log_file.read_text(encoding="utf-8").splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", required=True, type=Path)
    args = parser.parse_args(argv)
    handler = type(
        "BoundProxy", (ProxyHandler,), {"log_file": args.log, "auth": os.environ.get("TEST_PROXY_AUTH")}
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True

    def watch_stdin() -> None:
        sys.stdin.read()
        server.shutdown()

    threading.Thread(target=watch_stdin, daemon=True).start()
    print(f"PORT {server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
