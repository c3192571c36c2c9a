"""`unknown-local-label` and `pin-not-on-index`: pins that name a build no index publishes.

PyTorch's indexes publish one local label per backend (`2.5.1+cu124` on `/whl/cu124`); PyPI holds no
local versions at all (https://packaging.python.org/en/latest/specifications/version-specifiers/#local-version-identifiers).
A label such as `+cu125` or a bare `+rocm` names a build that was never published, and a pin such as
`torch==2.6.0` on the `cu121` index names a release that index does not carry: the installer stops with
"no matching distribution". Versions come from `index_versions.py` only.
"""

from __future__ import annotations

from collections.abc import Sequence

from packaging.version import InvalidVersion, Version

from torchsmith.lazy_re import lazy
from torchsmith.lint.document import Document, Hit, KeyPath
from torchsmith.lint.index_versions import (
    known_labels,
    labels_of,
    never_published,
    newest_on_index,
    torch_version_of,
    versions_on_index,
)
from torchsmith.lint.model import TorchDep, exact_pin

__all__ = ["label_hits", "pin_hits"]

_BACKENDISH = lazy(r"^(cu\d*|rocm[\d.]*|cpu|xpu)$")


def _pinned(dep: TorchDep) -> Version | None:
    pin = exact_pin(dep.spec)
    try:
        return Version(pin) if pin is not None else None
    except InvalidVersion:
        return None


def label_hits(doc: Document, deps: Sequence[TorchDep]) -> list[Hit]:
    """A backend-like local label that no release publishes, or that the pinned release lacks."""
    hits: dict[KeyPath, Hit] = {}
    for dep in deps:
        label = dep.label
        if label is None or dep.spec_at in hits or not _BACKENDISH.match(label):
            continue
        if never_published(label):
            hits[dep.spec_at] = doc.hit(
                "unknown-local-label",
                f"`{dep.text}`: no PyTorch index publishes `+{label}` builds",
                at=dep.spec_at,
                fix="use a published label ("
                + ", ".join(f"`+{b}`" for b in sorted(known_labels()) if b[:2] == label[:2])
                + ") or run `torchsmith plan` to pick one",
            )
            continue
        version = _pinned(dep)
        torch = torch_version_of(dep.name, version) if version is not None else None
        published = labels_of(torch) if torch is not None and label in known_labels() else None
        if published is not None and label not in published:
            hits[dep.spec_at] = doc.hit(
                "unknown-local-label",
                f"`{dep.text}`: torch {torch} was not published as `+{label}` (its builds: "
                + ", ".join(sorted(published))
                + ")",
                at=dep.spec_at,
                fix="pick a label torch "
                f"{torch} was built for, or a torch release built for `{label}` (`torchsmith matrix`)",
            )
    return list(hits.values())


def pin_hits(doc: Document, deps: Sequence[TorchDep]) -> list[Hit]:
    """An exact pin of a version the index it resolves from does not hold (known releases only)."""
    hits: dict[KeyPath, Hit] = {}
    for dep in deps:
        version = _pinned(dep)
        if version is None or dep.spec_at in hits or (dep.label is not None and dep.origin != dep.label):
            continue
        held = versions_on_index(dep.origin, dep.name)
        newest = newest_on_index("pypi", dep.name)
        public = Version(version.public)
        if held is None or public in held or newest is None or public > newest:
            continue  # unknown index, or a release newer than the table knows
        if labels_of(torch_version_of(dep.name, Version(version.public)) or Version("0")) is None:
            continue  # a release the table does not know: not this rule's business
        where = "PyPI" if dep.origin == "pypi" else f"the `{dep.origin}` index"
        hits[dep.spec_at] = doc.hit(
            "pin-not-on-index",
            f"`{dep.text}`: {where} holds no {dep.name} {version.public}, so the install fails with "
            '"no matching distribution"',
            at=dep.spec_at,
            fix=f"pin a version {where} holds, or take {dep.name} from an index built for it "
            "(`torchsmith matrix`)",
        )
    return list(hits.values())
