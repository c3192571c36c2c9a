"""Backend names: `cpu`, `cuXYZ`, `rocmX.Y[.Z]`, `xpu` and Jetson backends (`jp6-cu126`).

A backend is one accelerator flavour of the PyTorch wheels, hosted on its own index
(`<base>/<name>/<package>/`, e.g. https://download.pytorch.org/whl/cu126/torch/) with a local version label
(`2.7.1+cu126`). Jetson builds come from NVIDIA (https://pypi.jetson-ai-lab.io/jp6/cu126). This module only
parses and names backends; which ones exist and what they need lives in `torchsmith.knowledge`.
"""

from __future__ import annotations

from torchsmith.errors import InvalidBackend
from torchsmith.lazy_re import lazy
from torchsmith.record import record

TYPE_CHECKING = False  # `typing` stays unloaded at start-up (issue 17); mypy reads the name as typing's
if TYPE_CHECKING:
    from typing import Literal

    from packaging.version import Version

    BackendKind = Literal["cpu", "cuda", "rocm", "xpu", "jetson"]

__all__ = [
    "DEFAULT_INDEX_BASE",
    "JETSON_INDEX_BASE",
    "Backend",
    "BackendKind",
    "parse_backend",
]

DEFAULT_INDEX_BASE = "https://download.pytorch.org/whl"
"""Where PyTorch publishes one PEP 503 index per backend (override: `TORCHSMITH_INDEX_URL`)."""

JETSON_INDEX_BASE = "https://pypi.jetson-ai-lab.io"
"""NVIDIA's Jetson index: `<base>/jp6/cu126` (override: `TORCHSMITH_JETSON_INDEX_URL`)."""


_CUDA = lazy(r"cu(?P<digits>[0-9]{2,3})")
_ROCM = lazy(r"rocm(?P<version>[0-9]+\.[0-9]+(?:\.[0-9]+)?)")
_JETSON = lazy(r"jp(?P<jetpack>[0-9]+)-cu(?P<digits>[0-9]{2,3})")
_EXPECTED = "expected `auto`, `cpu`, `cuXYZ`, `rocmX.Y`, `xpu` or `jpN-cuXYZ`"


def _cuda_version(digits: str) -> Version:
    """`118` → 11.8, `92` → 9.2, `130` → 13.0: the last digit is the minor version."""
    from packaging.version import Version  # on first use: naming a backend needs no version (issue 17)

    return Version(f"{int(digits[:-1])}.{digits[-1]}")


@record
class Backend:
    """One backend. `version` is the CUDA or ROCm version (None for cpu and xpu)."""

    name: str
    kind: BackendKind
    version: Version | None = None
    jetpack: int | None = None

    @property
    def local_label(self) -> str | None:
        """The local version label of wheels built for this backend (`cu126` in `2.7.1+cu126`)."""
        if self.kind == "jetson":
            return None  # NVIDIA's Jetson wheels use `+nvYY.MM` labels that vary per release
        return self.name

    @property
    def cuda(self) -> Version | None:
        """The CUDA version of a CUDA or Jetson backend."""
        return self.version if self.kind in ("cuda", "jetson") else None

    def index_url(self, base: str = DEFAULT_INDEX_BASE, jetson_base: str = JETSON_INDEX_BASE) -> str:
        """The PEP 503 index holding this backend's wheels."""
        if self.kind == "jetson":
            assert self.version is not None
            cu = f"cu{self.version.major}{self.version.minor}"
            return f"{jetson_base.rstrip('/')}/jp{self.jetpack}/{cu}"
        return f"{base.rstrip('/')}/{self.name}"

    def __str__(self) -> str:
        return self.name


def parse_backend(name: str, *, source: str = "`--backend`") -> Backend:
    """Parse a backend name; raise `InvalidBackend` naming `source` (where the value came from)."""
    text = name.strip().lower()
    if text == "cpu":
        return Backend("cpu", "cpu")
    if text == "xpu":
        return Backend("xpu", "xpu")
    if match := _CUDA.fullmatch(text):
        return Backend(text, "cuda", _cuda_version(match["digits"]))
    if match := _ROCM.fullmatch(text):
        from packaging.version import Version

        return Backend(text, "rocm", Version(match["version"]))
    if match := _JETSON.fullmatch(text):
        return Backend(text, "jetson", _cuda_version(match["digits"]), jetpack=int(match["jetpack"]))
    raise InvalidBackend(f"invalid value `{name}` for {source}: {_EXPECTED}")
