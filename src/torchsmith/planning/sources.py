"""Where the planner's files come from: the backend indexes online, or the knowledge catalog offline (shipped
tables plus the last `knowledge refresh` of the same indexes), and the warning that says which was used."""

from __future__ import annotations

from torchsmith.index.settings import IndexSettings
from torchsmith.machine.model import Machine
from torchsmith.planning.catalog import Catalog, IndexCatalog, KnowledgeCatalog
from torchsmith.planning.tags import machine_tags
from torchsmith.report import Reporter

__all__ = ["catalog_for", "knowledge_catalog", "offline_note"]


def knowledge_catalog(machine: Machine, settings: IndexSettings) -> KnowledgeCatalog:
    """The offline catalog: shipped tables plus the last `knowledge refresh` of these indexes, if any."""
    from torchsmith.knowledge.refresh import load_refreshed

    refreshed = load_refreshed(settings.cache_dir)
    base, jetson = settings.index_base, settings.jetson_index_base
    return KnowledgeCatalog(machine, base, jetson, refreshed=refreshed, tags=machine_tags(machine))


def offline_note(catalog: KnowledgeCatalog, why: str) -> str:
    seen = (
        f"; versions the indexes listed at `knowledge refresh` ({catalog.refreshed.generated}) included"
        if catalog.refreshed is not None
        else ""
    )
    return (
        f"{why}: planned from torchsmith's shipped knowledge only (versions and backends, no file names "
        f"or hashes){seen}"
    )


def catalog_for(machine: Machine, settings: IndexSettings, reporter: Reporter) -> tuple[Catalog, str | None]:
    """The index catalog, or the knowledge catalog offline (and the warning saying why)."""
    if settings.offline:
        catalog = knowledge_catalog(machine, settings)
        return catalog, offline_note(catalog, "offline (`TORCHSMITH_OFFLINE`)")
    client = settings.client(reporter)
    return IndexCatalog(
        client, machine, machine_tags(machine), settings.index_base, settings.jetson_index_base
    ), None
