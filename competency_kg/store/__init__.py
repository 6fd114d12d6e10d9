"""Stores behind one interface: embedded Oxigraph on disk, or a remote SPARQL endpoint.

The names of :mod:`competency_kg.store.base` are loaded on first use (PEP 562), so that the
query workers can import :mod:`competency_kg.store.journal` without importing rdflib.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from competency_kg.store.base import (
        DescriptionReplacement,
        GraphReplacement,
        GraphStore,
        StoreError,
    )

__all__ = ["DescriptionReplacement", "GraphReplacement", "GraphStore", "StoreError", "open_store"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        # on first use (PEP 562): the query workers import store.journal, never rdflib
        from competency_kg.store import base

        return getattr(base, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def open_store(
    location: str | Path | None, read_only: bool = False, previous: bool = False
) -> GraphStore:
    """Open the store at ``location``: a folder for the embedded store, ``None`` for memory,
    or an ``http(s)://`` SPARQL endpoint URL (see :mod:`competency_kg.store.remote`).

    ``previous`` (embedded, read-only): while a bulk load is unfinished, read the data as
    before it instead of refusing (what a server keeps serving during a reload)."""
    # here, not at the top: importing the package loads neither rdflib nor SPARQLWrapper
    from competency_kg.store.embedded import EmbeddedStore

    if isinstance(location, str) and location.startswith(("http://", "https://")):
        from competency_kg.store.remote import RemoteStore  # only for a SPARQL server

        return RemoteStore(location)
    return EmbeddedStore(location, read_only=read_only, previous=previous)
