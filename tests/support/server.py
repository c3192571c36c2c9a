"""A static HTTP server for the local index, run in its own process, with faults on demand.

Run as `python tests/support/server.py --root DIR` (or `python -m tests.support.server`); it prints
`PORT <n>` once listening on 127.0.0.1 and exits when its stdin closes (so it never outlives the tests).
It serves files with ETag / Last-Modified and answers conditional requests with 304, and picks a
directory's `index.json` (PEP 691) over its `index.html` when the `Accept` header prefers
`application/vnd.pypi.simple.v1+json`.

Faults, by path prefix (chainable): `/fault/500/...`, `/fault/503/...`, `/fault/404/...`,
`/fault/slow/<seconds>/...` (wait before the headers), `/fault/slow-body/<seconds>/...` (headers, then wait),
`/fault/truncate/...` (half the body, full Content-Length), `/fault/die-after-bytes/<n>/...`,
`/fault/corrupt/...` (one byte changed; a zip stays readable), `/fault/garbage/...` (200 with junk),
`/fault/no-validators/...`, `/fault/html-only/...`. Or for any path, by rule: `POST /_faults` with a JSON
list of `{"prefix": "/whl/cu124/torch-", "fault": "die-after-bytes", "arg": 1000}` (or `"path"` for one exact
path: a wheel's prefix also matches its `.metadata`); `DELETE /_faults` clears them.
`GET /_log` returns the request log as JSON (method, path, status, accept, validators); `DELETE /_log`
clears it. Standard library only, so it runs in any interpreter.

Private-index wrappers (issue 13): with `TEST_SERVER_AUTH=USER:PASSWORD` in its environment, any request
without those Basic credentials gets 401 and `WWW-Authenticate: Basic` (the control paths stay open);
`--tls CERT KEY` serves HTTPS. `/fault/trickle/<seconds>/...` sends the body one byte per `<seconds>`;
`/fault/hang/...` accepts and never answers; `/fault/huge/...` streams an endless body.
"""

from __future__ import annotations

import argparse
import contextlib
import email.utils
import hashlib
import json
import os
import selectors
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
_ARG_FAULTS = {"slow", "slow-body", "die-after-bytes", "trickle"}
_FAULTS = {"500", "503", "404", "truncate", "corrupt", "garbage", "no-validators", "html-only"}
_FAULTS |= {"hang", "huge"} | _ARG_FAULTS


class _State:
    def __init__(self, root: Path, auth: str | None = None) -> None:
        self.auth = auth
        self.root = root.resolve()
        self.lock = threading.Lock()
        self.log: list[dict[str, object]] = []
        self.rules: list[dict[str, object]] = []


def _prefers_json(accept: str, query: str) -> bool:
    if f"format={JSON_TYPE}" in unquote(query):
        return True
    best_json = best_html = 0.0
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if media == JSON_TYPE:
            best_json = max(best_json, q)
        elif media in (
            "application/vnd.pypi.simple.v1+html",
            "text/html",
            "application/vnd.pypi.simple.latest+html",
        ):
            best_html = max(best_html, q)
    return best_json > 0 and best_json >= best_html


def _split_faults(path: str) -> tuple[list[tuple[str, str | None]], str]:
    faults: list[tuple[str, str | None]] = []
    parts = path.split("/")
    while len(parts) > 2 and parts[1] == "fault" and parts[2] in _FAULTS:
        kind = parts[2]
        if kind in _ARG_FAULTS and len(parts) > 3:
            faults.append((kind, parts[3]))
            parts = ["", *parts[4:]]
        else:
            faults.append((kind, None))
            parts = ["", *parts[3:]]
    return faults, "/".join(parts) or "/"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "torchsmith-test-index/1"
    state: _State

    def log_message(self, format: str, *args: object) -> None:  # silence the per-request stderr line
        pass

    def _authorized(self) -> bool:
        """With `--auth`, only requests carrying its Basic credentials pass; others get a 401."""
        if self.state.auth is None or urlsplit(self.path).path.startswith(("/_log", "/_faults")):
            return True
        import base64

        expected = "Basic " + base64.b64encode(self.state.auth.encode()).decode()
        if self.headers.get("Authorization") == expected:
            return True
        body = b"401 unauthorized\n"
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="torchsmith-test"')
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":  # a body after a HEAD's headers is read as the next response's start
            self.wfile.write(body)
        self._record(urlsplit(self.path).path, 401, len(body))
        return False

    def _record(self, path: str, status: int, sent: int) -> None:
        if path.startswith(("/_log", "/_faults")):
            return
        entry = {
            "authorization": self.headers.get("Authorization") is not None,
            "method": self.command,
            "path": path,
            "status": status,
            "accept": self.headers.get("Accept"),
            "if_none_match": self.headers.get("If-None-Match"),
            "if_modified_since": self.headers.get("If-Modified-Since"),
            "bytes": sent,
            "time": time.time(),
        }
        with self.state.lock:
            self.state.log.append(entry)

    def _send_simple(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_POST(self) -> None:
        if urlsplit(self.path).path != "/_faults":
            self._send_simple(405, b"method not allowed\n")
            return
        try:
            rules = json.loads(self._read_body() or b"[]")
            assert isinstance(rules, list)
            assert all(isinstance(r, dict) and ("prefix" in r or "path" in r) for r in rules)
        except (ValueError, AssertionError):
            self._send_simple(400, b"expected a JSON list of {prefix or path, fault, arg}\n")
            return
        with self.state.lock:
            self.state.rules.extend(rules)
        self._send_simple(204, b"")

    def do_DELETE(self) -> None:
        path = urlsplit(self.path).path
        with self.state.lock:
            if path == "/_log":
                self.state.log.clear()
            elif path == "/_faults":
                self.state.rules.clear()
            else:
                path = ""
        self._send_simple(204 if path else 405, b"")

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        if not self._authorized():
            return
        split = urlsplit(self.path)
        if split.path == "/_log":
            with self.state.lock:
                body = json.dumps(self.state.log).encode()
            self._send_simple(200, body, "application/json")
            return
        faults, path = _split_faults(unquote(split.path))
        with self.state.lock:
            for rule in self.state.rules:
                exact = rule.get("path")
                if path == exact or (exact is None and path.startswith(str(rule.get("prefix")))):
                    arg = rule.get("arg")
                    faults.append((str(rule.get("fault")), None if arg is None else str(arg)))
        kinds = dict(faults)
        try:
            self._serve(split.query, path, kinds)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _resolve(self, path: str, html_only: bool, query: str) -> tuple[Path | None, str, bool]:
        """The file for `path`, its media type, and whether `path` is a directory without a slash."""
        target = (self.state.root / path.lstrip("/")).resolve()
        if self.state.root not in (target, *target.parents):
            return None, "", False
        if target.is_dir():
            if not path.endswith("/"):
                return target, "", True
            as_json = target / "index.json"
            if not html_only and as_json.is_file() and _prefers_json(self.headers.get("Accept", ""), query):
                return as_json, JSON_TYPE, False
            target = target / "index.html"
        if not target.is_file():
            return None, "", False
        media = "text/html" if target.suffix == ".html" else "application/octet-stream"
        if target.suffix == ".whl":
            media = "application/zip"
        return target, media, False

    def _serve(self, query: str, path: str, faults: dict[str, str | None]) -> None:
        if "hang" in faults:  # never answer; the client gives up, and nothing is logged
            time.sleep(3600)
            self.close_connection = True
            return
        if "huge" in faults:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            block = b"<!-- filler -->" * 4096
            while True:
                self.wfile.write(block)
        if "slow" in faults:
            time.sleep(float(faults["slow"] or 1))
        for status in ("500", "503", "404"):
            if status in faults:
                body = f"{status} fault\n".encode()
                self._send_simple(int(status), body)
                self._record(path, int(status), len(body))
                return
        if "garbage" in faults:
            body = bytes(range(256)) * 4
            self._send_simple(200, body, "text/html")
            self._record(path, 200, len(body))
            return
        target, media, redirect = self._resolve(path, "html-only" in faults, query)
        if redirect:
            self.send_response(301)
            self.send_header("Location", path + "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            self._record(path, 301, 0)
            return
        if target is None:
            self._send_simple(404, b"not found\n")
            self._record(path, 404, 0)
            return
        body = target.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        mtime = int(target.stat().st_mtime)
        validators = "no-validators" not in faults
        if validators and self._not_modified(etag, mtime):
            self._record(path, 304, 0)  # before answering: a client reading `/_log` next must see it
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if "corrupt" in faults and body:
            # in a zip, change the first entry's timestamp: the archive stays readable, only hashes differ
            at = 10 if body.startswith(b"PK\x03\x04") and len(body) > 10 else 0
            body = body[:at] + bytes([body[at] ^ 0xFF]) + body[at + 1 :]
        self.send_response(200)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Accept")
        if validators:
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", email.utils.formatdate(mtime, usegmt=True))
        self.end_headers()
        if self.command == "HEAD":
            self._record(path, 200, 0)
            return
        if "slow-body" in faults:
            self.wfile.flush()
            time.sleep(float(faults["slow-body"] or 1))
        limit = len(body)
        if "truncate" in faults:
            limit = len(body) // 2
        if "die-after-bytes" in faults:
            limit = min(limit, int(faults["die-after-bytes"] or 0))
        if "trickle" in faults:
            for at in range(limit):
                self.wfile.write(body[at : at + 1])
                self.wfile.flush()
                time.sleep(float(faults["trickle"] or 0.5))
        else:
            self.wfile.write(body[:limit])
            self.wfile.flush()
        if limit < len(body):
            self.close_connection = True
        self._record(path, 200, limit)

    def _not_modified(self, etag: str, mtime: int) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
            return "*" in tags or etag in tags
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                return mtime <= int(email.utils.parsedate_to_datetime(since).timestamp())
            except (TypeError, ValueError):
                return False
        return False


@contextlib.contextmanager
def serve(
    root: Path,
    *,
    startup_timeout: float = 20.0,
    auth: str | None = None,
    tls: tuple[Path, Path] | None = None,
) -> Iterator[str]:
    """Serve `root` from a separate process; yield its base URL (`http://127.0.0.1:<port>`, or `https://`
    with `tls=(cert, key)`), then stop it and wait for it to exit. `auth="user:password"` requires Basic
    authentication."""
    extra = ["--tls", str(tls[0]), str(tls[1])] if tls else []
    env = dict(os.environ)
    if auth:  # in the environment, not on the command line, where `ps` (and the tests' watch) would see it
        env["TEST_SERVER_AUTH"] = auth
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--root", str(root), *extra],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            if not selector.select(timeout=startup_timeout):
                raise RuntimeError(f"the test index server did not start within {startup_timeout} s")
        line = process.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the test index server failed to start (exit {process.poll()}): {line!r}")
        yield f"{'https' if tls else 'http'}://127.0.0.1:{int(line.split()[1])}"
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, type=Path)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"), type=Path)
    args = parser.parse_args(argv)
    handler = type(
        "BoundHandler", (Handler,), {"state": _State(args.root, os.environ.get("TEST_SERVER_AUTH"))}
    )
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler)
    server.daemon_threads = True
    if args.tls:
        import ssl

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(args.tls[0]), str(args.tls[1]))
        # the handshake happens in each handler thread, so a client that never speaks TLS blocks nobody
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)

    def watch_stdin() -> None:
        sys.stdin.read()  # returns at EOF: the parent closed our stdin or died
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
