"""Settings, read when a command or the application starts (never at import time).

Each setting comes from a command-line option, else an environment variable, else a default:

=====================  ===========================  ======================================
setting                environment variable         default
=====================  ===========================  ======================================
store location         ``COMPETENCY_KG_STORE``      ``var/store`` (relative to the cwd)
base IRI of the data   ``COMPETENCY_KG_BASE_IRI``   ``https://w3id.org/competency-kg/``
=====================  ===========================  ======================================
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from competency_kg.iris import DEFAULT_BASE, Minter

DEFAULT_STORE = "var/store"


@dataclass(frozen=True)
class Settings:
    store: str
    base_iri: str

    @property
    def minter(self) -> Minter:
        return Minter(self.base_iri)


def settings(store: str | None = None, base_iri: str | None = None) -> Settings:
    """Resolve settings: explicit value, then environment, then default."""
    return Settings(
        store=store or os.environ.get("COMPETENCY_KG_STORE") or DEFAULT_STORE,
        base_iri=base_iri or os.environ.get("COMPETENCY_KG_BASE_IRI") or DEFAULT_BASE,
    )
