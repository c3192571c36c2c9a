"""The on-disk HTTP cache: response bodies keyed by URL, with the validators needed to revalidate them.

Each entry is two files named by the sha256 of the URL: `<key>.body` and `<key>.json` (URL, ETag,
Last-Modified, media type, the body's sha256 and when it was stored), plus `<key>.page` (JSON) holding a
project page's parsed files, tied to the exact body it came from. Writes go through a temporary file
and `os.replace`, so concurrent fetches and interrupted runs never leave a half-written entry visible; an
entry whose metadata does not parse or whose body does not match its recorded hash is deleted and treated
as a miss, never an error (a corrupt cache must cost a refetch, not a crash).
See RFC 9111 (caching) and RFC 9110 §13 (conditional requests).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
import zlib
from pathlib import Path
from typing import Any

from torchsmith.fileio import UserFileError, atomic_write_bytes
from torchsmith.record import record

__all__ = ["CacheEntry", "HttpCache"]


@record
class CacheEntry:
    """A cached response body and its validators."""

    url: str
    body: bytes
    content_type: str
    etag: str | None
    last_modified: str | None
    stored_at: float

    def age(self, now: float | None = None) -> float:
        return (time.time() if now is None else now) - self.stored_at


class HttpCache:
    """Bodies keyed by URL under `root` (created on first write)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _paths(self, url: str) -> tuple[Path, Path]:
        key = hashlib.sha256(url.encode("utf-8")).hexdigest()
        folder = self.root / key[:2]
        return folder / f"{key}.json", folder / f"{key}.body"

    def get(self, url: str) -> CacheEntry | None:
        """The entry for `url`; None when absent or corrupt (a corrupt entry is removed)."""
        meta_path, body_path = self._paths(url)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            body = body_path.read_bytes()
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            self.discard(url)
            return None
        entry = self._validate(meta, body, url)
        if entry is None:
            self.discard(url)
        return entry

    @staticmethod
    def _validate(meta: Any, body: bytes, url: str) -> CacheEntry | None:
        if not isinstance(meta, dict) or meta.get("url") != url:
            return None
        if meta.get("sha256") != hashlib.sha256(body).hexdigest():
            return None
        content_type, etag, modified, stored = (
            meta.get("content_type"),
            meta.get("etag"),
            meta.get("last_modified"),
            meta.get("stored_at"),
        )
        if not isinstance(content_type, str) or not isinstance(stored, (int, float)):
            return None
        if not (etag is None or isinstance(etag, str)) or not (modified is None or isinstance(modified, str)):
            return None
        return CacheEntry(url, body, content_type, etag, modified, float(stored))

    def put(
        self, url: str, body: bytes, content_type: str, etag: str | None, last_modified: str | None
    ) -> CacheEntry:
        """Store a fresh response; failures to write (read-only disk) are ignored: the cache is optional."""
        entry = CacheEntry(url, body, content_type, etag, last_modified, time.time())
        self._write(entry)
        return entry

    def touch(self, entry: CacheEntry) -> CacheEntry:
        """Record that `entry` was just revalidated (a 304), restarting its freshness time."""
        fresh = CacheEntry(
            entry.url, entry.body, entry.content_type, entry.etag, entry.last_modified, time.time()
        )
        self._write(fresh, body_unchanged=True)
        return fresh

    def discard(self, url: str) -> None:
        for path in (*self._paths(url), self._parsed_path(url)):
            with contextlib.suppress(OSError):
                path.unlink()

    def _parsed_path(self, url: str) -> Path:
        meta_path, _ = self._paths(url)
        return meta_path.with_suffix(".page")

    def get_parsed(self, url: str, body: bytes) -> list[dict[str, Any]] | None:
        """The parsed form of `body` stored by `put_parsed`, if it was parsed from these very bytes.

        A real index page lists about a thousand files; parsing its HTML again on every plan costs tens of
        milliseconds a page, reading this JSON a few. A stale or corrupt copy is ignored.
        """
        try:
            data = json.loads(self._parsed_path(url).read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict):
            return None
        if (data.get("length"), data.get("crc")) != (len(body), zlib.crc32(body)):
            return None
        files = data.get("files")
        return files if isinstance(files, list) else None

    def put_parsed(self, url: str, body: bytes, files: list[dict[str, Any]]) -> None:
        """Store the parsed form of `body`; failures to write are ignored (the cache is optional)."""
        document = {"length": len(body), "crc": zlib.crc32(body), "files": files}
        with contextlib.suppress(OSError, UserFileError):
            path = self._parsed_path(url)
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, json.dumps(document).encode("utf-8"))

    def _write(self, entry: CacheEntry, *, body_unchanged: bool = False) -> None:
        meta_path, body_path = self._paths(entry.url)
        meta = {
            "url": entry.url,
            "content_type": entry.content_type,
            "etag": entry.etag,
            "last_modified": entry.last_modified,
            "sha256": hashlib.sha256(entry.body).hexdigest(),
            "stored_at": entry.stored_at,
        }
        try:
            meta_path.parent.mkdir(parents=True, exist_ok=True)
            if not body_unchanged:
                atomic_write_bytes(body_path, entry.body)
            atomic_write_bytes(meta_path, json.dumps(meta).encode("utf-8"))
        except (OSError, UserFileError):
            pass  # the cache is optional: an unwritable one costs a refetch, never the command
