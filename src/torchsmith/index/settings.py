"""Where the indexes and the cache are, from flags and environment variables (DESIGN.md "Overrides").

Precedence is the same for every setting: an explicit argument beats the environment, which beats the
default; a variable set to an empty string counts as unset (as in conda and uv). The default PyPI-like
index is read the way uv and pip read it (`UV_DEFAULT_INDEX`, `UV_INDEX_URL`, then `PIP_INDEX_URL`), so
the "everything else from PyPI" half of a plan points where the user's installer would.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from torchsmith.backends import DEFAULT_INDEX_BASE, JETSON_INDEX_BASE
from torchsmith.errors import UsageError
from torchsmith.report import NullReporter, Reporter

if TYPE_CHECKING:
    from torchsmith.index.client import IndexClient

__all__ = ["DEFAULT_PYPI_URL", "IndexSettings"]

DEFAULT_PYPI_URL = "https://pypi.org/simple"

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _first(env: Mapping[str, str], *names: str) -> tuple[str, str] | None:
    for name in names:
        value = env.get(name, "").strip()
        if value:
            return value, f"`{name}`"
    return None


def _parse_flag(value: str, source: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE or not lowered:
        return False
    raise UsageError(f"invalid value `{value}` for {source}: expected `1` or `0`")


@dataclass(frozen=True, slots=True)
class IndexSettings:
    """Resolved index locations and cache policy; `*_source` says where each URL came from."""

    index_base: str
    jetson_index_base: str
    default_index: str
    offline: bool
    cache_dir: Path
    index_base_source: str = "default"
    default_index_source: str = "default"

    @classmethod
    def from_env(cls, env: Mapping[str, str], index_base: str | None = None) -> IndexSettings:
        """Resolve from `env` (pass `os.environ`) and the `--index-base` flag's value, if given."""
        if index_base:
            base, base_source = index_base, "`--index-base`"
        else:
            base, base_source = _first(env, "TORCHSMITH_INDEX_URL") or (DEFAULT_INDEX_BASE, "default")
        jetson = _first(env, "TORCHSMITH_JETSON_INDEX_URL")
        default, default_source = _first(env, "UV_DEFAULT_INDEX", "UV_INDEX_URL", "PIP_INDEX_URL") or (
            DEFAULT_PYPI_URL,
            "default",
        )
        offline = _parse_flag(env.get("TORCHSMITH_OFFLINE", ""), "`TORCHSMITH_OFFLINE`")
        from torchsmith.paths import cache_dir

        return cls(
            index_base=base.rstrip("/"),
            jetson_index_base=(jetson[0] if jetson else JETSON_INDEX_BASE).rstrip("/"),
            default_index=default.rstrip("/"),
            offline=offline,
            cache_dir=cache_dir(env),
            index_base_source=base_source,
            default_index_source=default_source,
        )

    def client(self, reporter: Reporter | None = None) -> IndexClient:
        """An `IndexClient` using this cache directory and offline mode."""
        from torchsmith.index.client import IndexClient

        return IndexClient(self.cache_dir / "http", offline=self.offline, reporter=reporter or NullReporter())

    def to_json(self) -> dict[str, Any]:
        return {
            "index_base": self.index_base,
            "jetson_index_base": self.jetson_index_base,
            "default_index": self.default_index,
            "offline": self.offline,
            "cache_dir": str(self.cache_dir),
        }
