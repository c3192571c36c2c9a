"""conda's package records (`<prefix>/conda-meta/*.json`): what conda installed into a prefix.

Each record is one installed package (format: https://docs.conda.io/projects/conda/en/stable/dev-guide/
deep-dives/install.html, "conda-meta"): `name`, `version`, `build`, `channel`, `depends` (match specs such
as `pytorch >=2.5`) and `files` (paths relative to the prefix). doctor uses them for `mixed-conda-pip`:
which torch files conda owns, and which conda packages depend on a torch conda does not manage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["TORCH_CONDA_NAMES", "CondaRecord", "parse_record", "read_records"]

TORCH_CONDA_NAMES = frozenset(
    {"pytorch", "pytorch-cpu", "pytorch-gpu", "libtorch", "torchvision", "torchaudio"}
)
"""conda package names that install torch-family files (conda-forge and the pytorch channel)."""

_TORCH_PROVIDERS = frozenset({"pytorch", "pytorch-cpu", "pytorch-gpu"})


@dataclass(frozen=True, slots=True)
class CondaRecord:
    """One `conda-meta/*.json` record, reduced to what doctor needs."""

    name: str
    version: str
    build: str = ""
    channel: str = ""
    depends: tuple[str, ...] = ()
    files: frozenset[str] = frozenset()
    record: str = ""

    @property
    def provides_torch(self) -> bool:
        """conda's own torch (`pytorch`, `pytorch-cpu`, `pytorch-gpu`)."""
        return self.name in _TORCH_PROVIDERS

    @property
    def depends_on_torch(self) -> bool:
        """A package that needs conda's torch (`torchvision`, `pytorch-lightning`, ...)."""
        return any(spec.split()[0] in _TORCH_PROVIDERS for spec in self.depends if spec.split())

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "build": self.build,
            "channel": self.channel,
            "record": self.record,
        }


def parse_record(text: str, record: str = "") -> CondaRecord | None:
    """One record from its JSON text; None for anything that is not a conda package record."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        return None
    files = data.get("files")
    depends = data.get("depends")
    return CondaRecord(
        name=data["name"],
        version=str(data.get("version", "")),
        build=str(data.get("build", "")),
        channel=str(data.get("channel", "")),
        depends=tuple(str(d) for d in depends) if isinstance(depends, list) else (),
        files=frozenset(str(f).replace("\\", "/") for f in files) if isinstance(files, list) else frozenset(),
        record=record,
    )


def read_records(prefix: str | Path) -> tuple[CondaRecord, ...]:
    """The records of the torch-related packages in `prefix` (nothing when it is not a conda prefix).

    Only records whose package either is a torch package or depends on one are parsed in full: a conda
    prefix holds hundreds, and the file name (`<name>-<version>-<build>.json`) is not enough to tell
    which depend on torch, so each file is read but only relevant ones are kept.
    """
    meta = Path(prefix) / "conda-meta"
    try:
        paths = sorted(meta.glob("*.json"))
    except OSError:
        return ()
    found: list[CondaRecord] = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if "torch" not in text:
            continue
        record = parse_record(text, path.name)
        if record is not None and (record.name in TORCH_CONDA_NAMES or record.depends_on_torch):
            found.append(record)
    return tuple(found)
