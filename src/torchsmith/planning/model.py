"""The `Plan`: the chosen backend and exact pins, with reasons and rejected alternatives (pure data).

`torchsmith plan --json` prints `Plan.to_json()`; `install` and `export` only consume a Plan, so a plan made
on one machine (or for a `--machine FILE`) can be installed or exported elsewhere. Keys follow DESIGN.md.
"""

from __future__ import annotations

from typing import Any

from torchsmith.record import field, record

__all__ = ["Plan", "PlannedPackage", "Rejection"]

JSON = dict[str, Any]


@record
class PlannedPackage:
    """One exact pin. `filename`, `url` and `sha256` are None when planned offline from knowledge only."""

    name: str
    version: str
    index: str
    filename: str | None = None
    url: str | None = None
    sha256: str | None = None
    size: int | None = None

    @property
    def pin(self) -> str:
        return f"{self.name}=={self.version}"

    def to_json(self) -> JSON:
        return {
            "name": self.name,
            "version": self.version,
            "index": self.index,
            "filename": self.filename,
            "url": self.url,
            "sha256": self.sha256,
            "size": self.size,
        }

    @classmethod
    def from_json(cls, data: JSON) -> PlannedPackage:
        size = data.get("size")
        return cls(
            name=str(data["name"]),
            version=str(data["version"]),
            index=str(data["index"]),
            filename=data.get("filename"),
            url=data.get("url"),
            sha256=data.get("sha256"),
            size=None if size is None else int(size),
        )


@record
class Rejection:
    """A backend (or a torch version on a backend) that was considered and why it was not chosen."""

    backend: str
    why: str
    torch: str | None = None

    def to_json(self) -> JSON:
        data: JSON = {"backend": self.backend, "why": self.why}
        if self.torch is not None:
            data["torch"] = self.torch
        return data

    @classmethod
    def from_json(cls, data: JSON) -> Rejection:
        return cls(backend=str(data["backend"]), why=str(data["why"]), torch=data.get("torch"))


@record
class Plan:
    """What to install, from where, and why."""

    backend: str
    packages: tuple[PlannedPackage, ...]
    reasons: tuple[str, ...] = ()
    rejected: tuple[Rejection, ...] = ()
    requirements: tuple[str, ...] = ("torch",)
    python: str | None = None
    platform: str | None = None
    index: str | None = None
    pypi_index: str = "https://pypi.org/simple"
    offline: bool = False
    warnings: tuple[str, ...] = field(default_factory=tuple)
    commands: dict[str, str] = field(default_factory=dict)
    verified: bool = True
    """True when every fact the choice rests on was known; False names them in `unknown_facts`."""
    unknown_facts: tuple[str, ...] = ()
    gpus: tuple[int, ...] | None = None
    """The GPU indices planned for, when not all of the machine's (`--gpu`, or the multi-GPU policy)."""

    def package(self, name: str) -> PlannedPackage | None:
        return next((p for p in self.packages if p.name == name), None)

    def to_json(self) -> JSON:
        return {
            "backend": self.backend,
            "reasons": list(self.reasons),
            "rejected": [r.to_json() for r in self.rejected],
            "packages": [p.to_json() for p in self.packages],
            "commands": dict(self.commands),
            "requirements": list(self.requirements),
            "python": self.python,
            "platform": self.platform,
            "index": self.index,
            "pypi_index": self.pypi_index,
            "offline": self.offline,
            "warnings": list(self.warnings),
            "verified": self.verified,
            "unknown_facts": list(self.unknown_facts),
            "gpus": None if self.gpus is None else list(self.gpus),
        }

    @classmethod
    def from_json(cls, data: JSON) -> Plan:
        return cls(
            backend=str(data["backend"]),
            packages=tuple(PlannedPackage.from_json(p) for p in data.get("packages", ())),
            reasons=tuple(str(r) for r in data.get("reasons", ())),
            rejected=tuple(Rejection.from_json(r) for r in data.get("rejected", ())),
            requirements=tuple(str(r) for r in data.get("requirements", ("torch",))),
            python=data.get("python"),
            platform=data.get("platform"),
            index=data.get("index"),
            pypi_index=str(data.get("pypi_index", "https://pypi.org/simple")),
            offline=bool(data.get("offline", False)),
            warnings=tuple(str(w) for w in data.get("warnings", ())),
            commands={str(k): str(v) for k, v in data.get("commands", {}).items()},
            verified=bool(data.get("verified", True)),
            unknown_facts=tuple(str(f) for f in data.get("unknown_facts", ())),
            gpus=None if data.get("gpus") is None else tuple(int(i) for i in data["gpus"]),
        )
