"""Stores behind one interface: embedded Oxigraph on disk, or a remote SPARQL endpoint."""

from __future__ import annotations

from pathlib import Path

from competency_kg.store.base import (
    DescriptionReplacement,
    GraphReplacement,
    GraphStore,
    StoreError,
)

__all__ = ["DescriptionReplacement", "GraphReplacement", "GraphStore", "StoreError", "open_store"]


def open_store(location: str | Path | None, read_only: bool = False) -> GraphStore:
    """Open the store at ``location``: a folder for the embedded store, ``None`` for memory,
    or an ``http(s)://`` SPARQL endpoint URL (see :mod:`competency_kg.store.remote`)."""
    from competency_kg.store.embedded import EmbeddedStore

    if isinstance(location, str) and location.startswith(("http://", "https://")):
        from competency_kg.store.remote import RemoteStore

        return RemoteStore(location)
    return EmbeddedStore(location, read_only=read_only)
