"""Glue for `torchsmith knowledge refresh`: the index client feeds `refresh` the backend pages' file names."""

from __future__ import annotations

from typing import Any

from torchsmith.index.settings import IndexSettings
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
            f"refreshed {len(self.result.wheels)} backend indexes from {self.result.index_base}",
            f"written to {self.result.path}",
        ]
        lines.extend(f"warning: {why}" for why in self.result.errors.values())
        return "\n".join(lines)


def refresh_from_settings(settings: IndexSettings, reporter: Reporter | None = None) -> RefreshSummary:
    """Refresh every known backend's torch page through the cached index client."""
    reporter = reporter or NullReporter()
    client = settings.client(reporter)

    def filenames(url: str) -> list[str]:
        index, _, project = url.rstrip("/").rpartition("/")
        return [f.filename for f in client.project_page(index, project).files]

    reporter.step(f"reading the torch page of every backend under {settings.index_base}")
    return RefreshSummary(refresh(settings.cache_dir, filenames, settings.index_base))
