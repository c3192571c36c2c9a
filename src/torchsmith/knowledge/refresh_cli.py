"""Glue for `torchsmith knowledge refresh`: the index client feeds `refresh` the backend pages' files."""

from __future__ import annotations

from typing import Any

from torchsmith.index.settings import IndexSettings
from torchsmith.index.simple import DistFile
from torchsmith.knowledge.refresh import RefreshResult, refresh
from torchsmith.report import NullReporter, Reporter

__all__ = ["RefreshSummary", "refresh_from_settings"]


class RefreshSummary:
    """What the CLI prints: the JSON document or a one-paragraph summary."""

    def __init__(self, result: RefreshResult) -> None:
        self.result = result

    def to_json(self) -> dict[str, Any]:
        return {"path": str(self.result.path), **self.result.to_json()}

    def summary(self) -> str:
        lines = [
            f"refreshed the torch, torchvision and torchaudio pages of {len(self.result.backends)} backend "
            f"indexes from {self.result.index_base}",
            f"written to {self.result.path}",
        ]
        lines.extend(f"warning: {why}" for why in self.result.errors.values())
        return "\n".join(lines)


def refresh_from_settings(settings: IndexSettings, reporter: Reporter | None = None) -> RefreshSummary:
    """Refresh every known backend's torch-family pages through the cached index client."""
    reporter = reporter or NullReporter()
    client = settings.client(reporter)

    def files(url: str) -> tuple[DistFile, ...] | None:
        index, _, project = url.rstrip("/").rpartition("/")
        page = client.project_pages_or_none([(index, project)])[0]
        return None if page is None else page.files

    reporter.step(f"reading the torch-family pages of every backend under {settings.index_base}")
    return RefreshSummary(refresh(settings.cache_dir, files, settings.index_base))
