"""The format-neutral view the cross-format rules work on: where each torch-family package comes from.

Each format module (uv, Poetry, pixi, conda, pip) turns its config into `TorchDep`s: one per package, per
source it may come from, per scope (an extra, a group, a pixi environment), with the platforms where that
source applies. The knowledge rules (`wheels.py`) then ask the same questions of every format: do torch and
its companions come from the same index, can their pins pair, does the Python range and each declared
platform have wheels.
"""

from __future__ import annotations

from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from packaging.utils import canonicalize_name

from torchsmith.lint.document import KeyPath
from torchsmith.lint.platforms import PLATFORMS
from torchsmith.record import record

__all__ = [
    "ALL_PLATFORMS",
    "CONDA",
    "CONDA_TORCH_NAMES",
    "TORCH_DEPENDENTS",
    "TorchDep",
    "exact_pin",
    "family_name",
    "label_origin",
    "local_label",
    "public_spec",
]

ALL_PLATFORMS: frozenset[str] = frozenset(PLATFORMS)
CONDA = "conda"
"""The origin key of a package installed from a conda channel."""

CONDA_TORCH_NAMES = frozenset({"pytorch", "pytorch-gpu", "pytorch-cpu"})
"""conda-forge's names for torch itself (`pytorch-gpu`/`-cpu` are metapackages pinning a variant)."""

TORCH_DEPENDENTS = frozenset(
    {
        "torchvision",
        "torchaudio",
        "torchtext",
        "torchdata",
        "torchmetrics",
        "pytorch-lightning",
        "lightning",
        "timm",
        "kornia",
        "xformers",
        "torch-geometric",
        "pytorch-geometric",
        "pyg",
        "accelerate",
        "torch-scatter",
        "torch-sparse",
        "sentence-transformers",
        "ultralytics",
    }
)
"""Packages that depend on torch: installed from conda, they pull conda's pytorch (and the reverse)."""


def family_name(name: str) -> str | None:
    """`torch`, `torchvision` or `torchaudio` for a PyPI or conda name of one of them; else None."""
    canonical = canonicalize_name(name)
    if canonical in CONDA_TORCH_NAMES or canonical == "torch":
        return "torch"
    if canonical in ("torchvision", "torchaudio"):
        return canonical
    return None


def public_spec(spec: SpecifierSet | None) -> SpecifierSet | None:
    """Drop local labels from `==` pins (`==2.5.1+cu124` -> `==2.5.1`): pairing is on public versions."""
    if spec is None:
        return None
    items: list[str] = []
    for item in spec:
        version = item.version
        if "+" in version and item.operator in ("==", "==="):
            version = version.split("+", 1)[0]
            items.append(f"=={version}")
        else:
            items.append(str(item))
    try:
        return SpecifierSet(",".join(items))
    except InvalidSpecifier:  # pragma: no cover - rebuilt from valid specifiers
        return spec


def local_label(spec: SpecifierSet | None) -> str | None:
    """The local label of an `==` pin as written (`==2.5.1+cu124` -> `cu124`), else None."""
    for item in spec or ():
        if item.operator in ("==", "===") and "+" in item.version:
            return item.version.split("+", 1)[1]
    return None


def label_origin(spec: SpecifierSet | None) -> str | None:
    """The backend named by the local label of an `==` pin (`==2.5.1+cu124` -> `cu124`), else None."""
    from torchsmith.lint.urls import backend_named

    for item in spec or ():
        if item.operator in ("==", "===") and "+" in item.version:
            backend = backend_named(item.version.split("+", 1)[1])
            return None if backend is None else backend.name
    return None


def exact_pin(spec: SpecifierSet | None) -> str | None:
    """The version of a single `==X` specifier (no wildcard), else None."""
    if spec is None:
        return None
    items = list(spec)
    if (
        len(items) == 1
        and isinstance(items[0], Specifier)
        and items[0].operator in ("==", "===")
        and not items[0].version.endswith("*")
    ):
        return items[0].version
    return None


@record
class TorchDep:
    """One way a torch-family package gets installed.

    `origin` is an index key (`cu124`, `cpu`, `nightly/cu126`, `jp6-cu126`), `pypi` (the default index),
    `conda`, or `url:<...>` for a direct URL. `scope` is "" for what is always installed, else a label
    such as `extra cpu`, `group cuda` or `environment gpu`. `platforms` are the platform keys where this
    source applies. `spec` is None when the constraint has no PEP 440 form.
    """

    name: str
    spec: SpecifierSet | None
    origin: str
    scope: str
    platforms: frozenset[str]
    at: KeyPath  # where the origin is decided (a source entry, or the dependency itself)
    spec_at: KeyPath  # where the version constraint is written
    text: str  # the requirement as written, for messages (`torch>=2.5.1`)
    marker: str | None = None
    label: str | None = None  # the local label of an `==` pin as written (`cu124` of `==2.5.1+cu124`)
    cap: frozenset[str] | None = None  # torch patches the scope's companion pins allow (None: no cap)
