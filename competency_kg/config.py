"""Settings, read when a command or the application starts (never at import time).

Each setting comes from a command-line option, else an environment variable, else a default:

=====================  ===========================  ======================================
setting                environment variable         default
=====================  ===========================  ======================================
store location         ``COMPETENCY_KG_STORE``      ``var/store`` (relative to the cwd)
base IRI of the data   ``COMPETENCY_KG_BASE_IRI``   ``https://w3id.org/competency-kg/``
=====================  ===========================  ======================================

A relative store folder is made absolute here, against the working directory of the command,
once: everything downstream (the dumps, the published versions, the validation caches, the
server's worker processes, Flask's ``send_file``, which reads a relative path against the
application's package) then sees one absolute path and cannot resolve it another way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from competency_kg.iris import DEFAULT_BASE, Minter

DEFAULT_STORE = "var/store"


@dataclass(frozen=True)
class Settings:
    store: str  # an absolute folder, or an http(s):// SPARQL server's URL
    base_iri: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "store", absolute_store(self.store))

    @property
    def minter(self) -> Minter:
        return Minter(self.base_iri)


def absolute_store(store: str) -> str:
    """``store`` as an absolute path (against the working directory now); a URL unchanged."""
    if store.startswith(("http://", "https://")):
        return store
    return os.path.abspath(store)


def query_copy(value: str | None = None) -> str:
    """Whether the query workers answer from an in-memory copy of the store's published
    version (:mod:`competency_kg.store.memory_copy`): ``value``, else
    ``$COMPETENCY_KG_QUERY_COPY``, else ``off``; ``auto`` (when it fits a quarter of the
    memory); or the most quads to copy. Raises ValueError for anything else. Off unless asked:
    while a fresh server builds its copy (19 s at 1 M quads) the disk workers answer more
    slowly, and a fresh server met by 16 clients at once refused 108-230 queries as busy in
    its first two seconds (5-6 without the copy; docs/endpoint.md, "The in-memory copy").

    >>> query_copy("OFF"), query_copy("2000000"), query_copy(" auto ")
    ('off', '2000000', 'auto')
    """
    text = (value or os.environ.get("COMPETENCY_KG_QUERY_COPY") or "off").strip().lower()
    if text in ("auto", "off") or text.isdigit():
        return "off" if text == "0" else text
    raise ValueError(f"not auto, off or a number of quads: {text!r}")


def settings(store: str | None = None, base_iri: str | None = None) -> Settings:
    """Resolve settings: explicit value, then environment, then default."""
    return Settings(
        store=store or os.environ.get("COMPETENCY_KG_STORE") or DEFAULT_STORE,
        base_iri=base_iri or os.environ.get("COMPETENCY_KG_BASE_IRI") or DEFAULT_BASE,
    )
