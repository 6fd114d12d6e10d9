"""What a loader returns: a source read into a graph, with what its metadata records.

Apart from the loaders' entry point (:mod:`competency_kg.loaders`), which imports every loader:
a loader imports these from here, so no loader imports the package that dispatches to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import Graph, URIRef


@dataclass
class BulkGraph:
    """A source too big for one in-memory graph: its triples streamed to an N-Triples file.

    ``validate`` runs the checks that scale to it (see ``loaders/onet.py``) and returns a
    ``competency_kg.validation.Report``; ``close`` removes the file once it is stored.
    """

    ntriples: Path
    triples: int
    validate: Callable[[], Any]
    close: Callable[[], None]


@dataclass
class CitedSource:
    """A source the document says its content comes from, with what it states of that source.

    Kept apart from the document's own licence: a licence the document gives for one of its
    sources (``"onet": "v30.2 (CC BY 4.0)"``) is that source's, not the document's.
    """

    key: str  # the document's own name for it: "onet"
    title: str  # "onet v30.2"
    licences: list[URIRef] = field(default_factory=list)
    url: str | None = None


@dataclass
class LoadedSource:
    """A source read into a graph, with what the metadata graph records about it.

    ``title`` is the name the document gives itself (a title field, its first heading, a
    release name); ``licences`` and ``attribution`` are what it states for itself only, and
    ``cites`` the sources it names with what it states of each.
    """

    path: Path
    source_id: str
    loader: str  # "framework-json", "overview-text", "rdf"
    graph: Graph
    graph_iri: URIRef
    document_iri: URIRef
    checksum: str
    licences: list[URIRef] = field(default_factory=list)
    attribution: str | None = None
    bulk: BulkGraph | None = None  # set for big sources; ``graph`` is then empty
    metadata: Graph | None = None  # more about the source graph (release, version) to record
    title: str | None = None
    cites: list[CitedSource] = field(default_factory=list)

    @property
    def file_name(self) -> str:
        """The file (or release folder) name, as the user gave it to ``load``."""
        return self.path.name

    @property
    def display_title(self) -> str:
        """The document's own title, or its file name when it gives none."""
        return self.title or self.file_name


def source_id_for(path: Path) -> str:
    """A source's identity: its file name without extension."""
    return path.stem
