"""One parsed config file, with positions, and the small types rules produce (hits and safe edits).

Every parser (`toml_files`, `yaml_files`, `requirements`, `pip_conf`) returns a `Document`: the raw text,
the parsed value, and a map from paths into that value to exact (line, column) positions. Rules only
ever point at paths; the document turns them into `Location`s with a breadcrumb
(`pyproject.toml › tool.uv.sources › torch`), falling back to the nearest enclosing path it knows.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from torchsmith.findings import Finding, Location
from torchsmith.lint.registry import rule
from torchsmith.lint.urls import IndexInfo, classify
from torchsmith.record import record

__all__ = ["Context", "Document", "Edit", "Hit", "KeyPath", "Kind", "Position"]

Kind = Literal["pyproject", "pixi", "uv", "conda", "condarc", "requirements", "pip-conf"]
KeyPath = tuple[str | int, ...]
Position = tuple[int, int]


@record
class Edit:
    """A safe change to a TOML file: set `key = value` in the table at `table`, or append to an array there.

    `fix.py` applies it with tomlkit so every other byte of the file stays as it was.
    """

    table: KeyPath
    key: str
    value: Any
    description: str
    append: bool = False
    safe: bool = True
    """False when the edit changes what gets installed (applied only with `--unsafe-fixes`)."""


@record
class Hit:
    """A finding, and the edit that fixes it when the fix is safe."""

    finding: Finding
    edit: Edit | None = None


@record
class Context:
    """What rules need beyond the file: the PyTorch index base (`TORCHSMITH_INDEX_URL` or the default)."""

    index_base: str | None = None
    torch_backend: str | None = None  # `UV_TORCH_BACKEND` / uv's `torch-backend`: where `uv pip` takes torch

    def pytorch_index(self, url: str) -> IndexInfo | None:
        return classify(url, self.index_base)


def _crumb(part: str | int) -> str:
    return f"[{part}]" if isinstance(part, int) else str(part)


class Document:
    """A config file: text, parsed data, and positions of the paths into the data (computed lazily)."""

    __slots__ = ("_positions", "_scan", "data", "display", "kind", "path", "text")

    def __init__(
        self,
        path: Path,
        display: str,
        kind: Kind,
        text: str,
        data: Any,
        positions: dict[KeyPath, Position] | Callable[[], dict[KeyPath, Position]],
    ) -> None:
        self.path = path
        self.display = display
        self.kind = kind
        self.text = text
        self.data = data
        if callable(positions):
            self._scan: Callable[[], dict[KeyPath, Position]] | None = positions
            self._positions: dict[KeyPath, Position] | None = None
        else:
            self._scan = None
            self._positions = positions

    @property
    def name(self) -> str:
        return self.path.name

    def positions(self) -> dict[KeyPath, Position]:
        if self._positions is None:
            assert self._scan is not None
            self._positions = self._scan()
        return self._positions

    def position(self, key: KeyPath) -> Position:
        """Where `key` starts; the nearest enclosing known path otherwise; (1, 1) for the whole file."""
        positions = self.positions()
        for depth in range(len(key), 0, -1):
            found = positions.get(key[:depth])
            if found is not None:
                return found
        return (1, 1)

    def breadcrumb(self, key: KeyPath) -> str:
        """`pyproject.toml › tool.uv.sources › torch`; `requirements.txt › line 3` for line-based files."""
        if len(key) in (2, 3) and key[0] == "line":
            name = str(key[2]).rsplit("/", 1)[-1] if len(key) == 3 else self.name
            return f"{name} › line {key[1]}"
        parts = [self.name]
        if len(key) > 1:
            head = "".join(
                (_crumb(p) if isinstance(p, int) or i == 0 else "." + p) for i, p in enumerate(key[:-1])
            )
            parts.append(head)
        if key:
            parts.append(_crumb(key[-1]))
        return " › ".join(parts)

    def location(self, key: KeyPath, breadcrumb: str | None = None) -> Location:
        line, column = self.position(key)
        path = str(key[2]) if len(key) == 3 and key[0] == "line" else self.display  # an included file
        return Location(path, line, column, breadcrumb if breadcrumb is not None else self.breadcrumb(key))

    def hit(
        self,
        rule_id: str,
        message: str,
        *,
        at: KeyPath,
        fix: str | None = None,
        evidence: tuple[str, ...] = (),
        edit: Edit | None = None,
        breadcrumb: str | None = None,
    ) -> Hit:
        """A finding of `rule_id` (severity from the registry) pointing at `at`."""
        finding = Finding(
            rule=rule_id,
            severity=rule(rule_id).severity,
            message=message,
            fix=fix,
            evidence=evidence,
            location=self.location(at, breadcrumb),
        )
        return Hit(finding, edit)
