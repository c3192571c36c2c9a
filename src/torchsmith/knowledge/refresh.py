"""`torchsmith knowledge refresh`: what the live indexes say exists, cached next to the shipped tables.

The shipped tables are the offline truth; the live PyTorch index knows which torch versions each backend
index really holds today (a new patch, a backend added after this release of torchsmith). `refresh` reads
the PEP 503 page `<index_base>/<backend>/torch/` of every backend (https://peps.python.org/pep-0503/),
parses the wheel file names (https://packaging.python.org/en/latest/specifications/binary-distribution-format/)
and writes `knowledge-refresh.json` into the cache dir. Fetching is injected: `fetch(page_url)` returns the
file names on that page; `torchsmith.knowledge.refresh_cli` feeds it from the cached index client.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Any

from packaging.version import Version

from torchsmith.errors import IndexFetchError, TorchsmithError
from torchsmith.index.wheel import parse_wheel_file

__all__ = ["REFRESH_FILE", "RefreshResult", "load_refreshed", "refresh", "torch_wheels"]

REFRESH_FILE = "knowledge-refresh.json"
_SCHEMA = 1


@dataclass(frozen=True, slots=True)
class RefreshResult:
    """Torch wheels per backend index: backend → version (with local label) → `py-abi-platform` tags."""

    path: Path
    index_base: str
    generated: str
    wheels: Mapping[str, Mapping[str, tuple[str, ...]]]
    errors: Mapping[str, str]

    def versions(self, backend: str) -> tuple[Version, ...]:
        """Public torch versions on `backend`'s index, newest first (`2.5.1+cu124` → 2.5.1)."""
        found = {Version(Version(v).public) for v in self.wheels.get(backend, {})}
        return tuple(sorted(found, reverse=True))

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": _SCHEMA,
            "index_base": self.index_base,
            "generated": self.generated,
            "backends": {b: {v: list(t) for v, t in files.items()} for b, files in self.wheels.items()},
            "errors": dict(self.errors),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], path: Path) -> RefreshResult:
        """Raises KeyError, TypeError or ValueError for a document of another shape."""
        if data["schema"] != _SCHEMA:
            raise ValueError(f"unknown schema `{data['schema']}`")
        wheels = {
            str(b): MappingProxyType({str(v): tuple(str(t) for t in tags) for v, tags in files.items()})
            for b, files in data["backends"].items()
        }
        return cls(
            path=path,
            index_base=str(data["index_base"]),
            generated=str(data["generated"]),
            wheels=MappingProxyType(wheels),
            errors=MappingProxyType({str(k): str(v) for k, v in data["errors"].items()}),
        )


def torch_wheels(filenames: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Wheels of torch among `filenames`: version (with local label) → sorted `py-abi-platform` tags."""
    found: dict[str, set[str]] = {}
    for name in filenames:
        wheel = parse_wheel_file(name)
        if wheel is None or wheel.name != "torch":
            continue
        found.setdefault(str(wheel.version), set()).update(str(tag) for tag in wheel.tags)
    return {v: tuple(sorted(t)) for v, t in sorted(found.items(), key=lambda item: Version(item[0]))}


def _default_backends() -> tuple[str, ...]:
    from torchsmith.knowledge.releases import releases

    names = {name for r in releases() for names in r.backends.values() for name in names}
    return tuple(sorted(names))


def refresh(
    cache_dir: Path,
    fetch: Callable[[str], Iterable[str]],
    index_base: str,
    *,
    backends: Iterable[str] | None = None,
) -> RefreshResult:
    """Fetch `<index_base>/<backend>/torch/` for every backend and write the result into `cache_dir`.

    `backends` defaults to every backend named in the shipped release table. A backend whose page fails
    is recorded in `errors`; if every page fails, IndexFetchError is raised and the previous file is kept.
    """
    base = index_base.rstrip("/")
    wheels: dict[str, Mapping[str, tuple[str, ...]]] = {}
    errors: dict[str, str] = {}
    names = tuple(backends) if backends is not None else _default_backends()
    for backend in names:
        url = f"{base}/{backend}/torch/"
        try:
            wheels[backend] = MappingProxyType(torch_wheels(fetch(url)))
        except (TorchsmithError, OSError, ValueError, UnicodeError) as error:
            errors[backend] = f"{url}: {error}"
    if names and not wheels:
        first = next(iter(errors.values()))
        raise IndexFetchError(
            f"could not refresh the knowledge from `{base}`: every backend page failed ({first})",
            hint="check the network or `TORCHSMITH_INDEX_URL`; the shipped tables are still used",
        )
    path = cache_dir / REFRESH_FILE
    result = RefreshResult(
        path=path,
        index_base=base,
        generated=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        wheels=MappingProxyType(wheels),
        errors=MappingProxyType(errors),
    )
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{REFRESH_FILE}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(result.to_json(), indent=1, sort_keys=True), encoding="utf-8")
    tmp.replace(path)
    return result


def load_refreshed(cache_dir: Path) -> RefreshResult | None:
    """The last refresh written into `cache_dir`, or None if there is none or it is unreadable."""
    path = cache_dir / REFRESH_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return RefreshResult.from_json(data, path)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
