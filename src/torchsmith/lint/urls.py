"""Which index URLs are PyTorch indexes, which backend each one serves, and which are insecure.

PyTorch publishes one PEP 503 index per backend under https://download.pytorch.org/whl/<backend>
(`cpu`, `cu126`, `rocm6.2`, `xpu`; nightlies under `whl/nightly/<backend>`), overridable with
`TORCHSMITH_INDEX_URL`; NVIDIA publishes Jetson builds under https://pypi.jetson-ai-lab.io/jp6/cu126.
A config may spell the same index with a trailing slash, `/simple`, or an upper-case host; everything
here compares normalized URLs.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import unquote, urlsplit

from torchsmith.backends import DEFAULT_INDEX_BASE, Backend, parse_backend
from torchsmith.errors import InvalidBackend
from torchsmith.record import record

__all__ = ["PYPI", "IndexInfo", "backend_named", "classify", "is_insecure", "normalize_url", "wheel_backend"]

PYPI = "pypi"
"""The key of the default index (PyPI, or whatever index a config leaves as the default)."""

_JETSON_HOSTS = ("pypi.jetson-ai-lab.io", "pypi.jetson-ai-lab.dev")
_LOOPBACK = ("localhost", "127.0.0.1", "::1", "[::1]")


def normalize_url(url: str) -> str:
    """Lower-case scheme and host, no trailing slash, no trailing `/simple`: one spelling per index."""
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return text.rstrip("/")
    if not parts.scheme or not parts.netloc:
        return text.rstrip("/")
    path = parts.path.rstrip("/")
    if path.endswith("/simple"):
        path = path[: -len("/simple")]
    elif path.endswith("/+simple"):
        path = path[: -len("/+simple")]
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{path}"


@record
class IndexInfo:
    """A PyTorch (or Jetson) index: its normalized URL, a comparison key and the backend it serves."""

    url: str
    key: str  # `cu124`, `nightly/cu126`, `jp6-cu126`, or the URL when no backend is named
    backend: Backend | None  # None for the flat `whl` root (every backend at once)


@lru_cache(maxsize=1024)
def backend_named(name: str) -> Backend | None:
    """The backend `name` names (`cu124`), None if it names none; cached: the same few labels recur in
    every file of a repository, and a `Backend` is immutable."""
    try:
        return parse_backend(name)
    except InvalidBackend:
        return None


@lru_cache(maxsize=1024)
def classify(url: str, index_base: str | None = None) -> IndexInfo | None:
    """The PyTorch index behind `url`, or None when it is not one (PyPI, a private mirror, ...)."""
    normalized = normalize_url(url)
    for base in {normalize_url(DEFAULT_INDEX_BASE), normalize_url(index_base or DEFAULT_INDEX_BASE)}:
        plain = base.split("://", 1)[-1]
        body = normalized.split("://", 1)[-1]
        if body == plain or body.startswith(plain + "/"):
            rest = body[len(plain) :].strip("/")
            last = rest.rsplit("/", 1)[-1] if rest else ""
            backend = backend_named(last) if last else None
            return IndexInfo(url=normalized, key=rest or normalized, backend=backend)
    try:
        parts = urlsplit(normalized) if "://" in normalized else None
    except ValueError:  # `http://[bad` (an unclosed IPv6 bracket): not a URL of any index
        return None
    if parts is not None and parts.hostname in _JETSON_HOSTS:
        segments = [s for s in parts.path.split("/") if s]
        if len(segments) >= 2 and segments[0].startswith("jp") and segments[1].startswith("cu"):
            key = f"{segments[0]}-{segments[1]}"
            return IndexInfo(url=normalized, key=key, backend=backend_named(key))
        return IndexInfo(url=normalized, key=normalized, backend=None)
    return None


def wheel_backend(url: str, index_base: str | None = None) -> IndexInfo | None:
    """For a direct wheel URL on a PyTorch index (`.../whl/cu124/torch-2.5.1%2Bcu124-...whl`), its index."""
    text = unquote(url.strip())
    if not text.endswith(".whl") or "/" not in text:
        return None
    directory = text.rsplit("/", 1)[0]
    info = classify(directory, index_base)
    if info is not None and info.backend is None and "+" in text.rsplit("/", 1)[1]:
        label = text.rsplit("/", 1)[1].split("+", 1)[1].split("-", 1)[0]
        backend = backend_named(label)
        if backend is not None:
            return IndexInfo(url=info.url, key=backend.name, backend=backend)
    return info


def is_insecure(url: str) -> bool:
    """An `http://` URL to anything but this machine: anyone on the path can swap the wheels."""
    text = url.strip()
    if not text.lower().startswith("http://"):
        return False
    try:
        host = urlsplit(text).hostname or ""
    except ValueError:
        return True
    return host not in _LOOPBACK
