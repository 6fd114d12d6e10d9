"""The search's labels: every searched label of the store with its subject's types, read in
two scans (6-11 s on the whole O*NET release while a server starts, the first searches' wait),
and kept per published version as columns (:data:`KEPT`, :mod:`competency_kg.store.kept`).

The load reads them of the data it wrote and keeps them for the version it publishes
(:func:`keep_search_labels`), so a fresh server reads its search index back from disk rather
than building it; a server builds it (``competency_kg.web.search``, through the same
:func:`read_labels`) only when nothing is kept (a store written by other means). One reading,
one kept shape, for both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from competency_kg.metadata import store_terms
from competency_kg.sparql.results import Term
from competency_kg.store import GraphStore
from competency_kg.store.kept import Kept

SKOS = "http://www.w3.org/2004/02/skos/core#"
#: The properties searched, as N-Triples terms (the preferred label first).
SEARCHED = (
    f"<{SKOS}prefLabel>",
    "<http://www.w3.org/2000/01/rdf-schema#label>",
    f"<{SKOS}altLabel>",
    "<http://purl.org/dc/terms/title>",
    f"<{SKOS}notation>",
)
_PROPS = f"VALUES ?p {{ {' '.join(SEARCHED)} }}"
#: Every searched label, and the types of every subject that has one.
LABELS_QUERY = (
    "SELECT ?s ?p ?label WHERE { " + _PROPS + " ?s ?p ?label . "
    "FILTER(isIRI(?s) && isLiteral(?label)) }"
)
TYPES_QUERY = (
    f"SELECT DISTINCT ?s ?t WHERE {{ {_PROPS} ?s ?p ?label . ?s a ?t . "
    "FILTER(isIRI(?s) && isLiteral(?label)) }"
)
#: The index kept on disk per store version; its format changes when what is kept changes
#: shape (3: JSON columns, no longer a pickle).
KEPT = Kept("search", "search index", 3)

#: One label: its text casefolded, subject, property and literal (N-Triples terms).
Entry = tuple[str, str, str, str]
#: Each subject's types (N-Triples terms).
Types = Mapping[str, "set[str] | tuple[str, ...]"]


def read_labels(select: Callable[[str], list[dict[str, Term]]]) -> tuple[list[Entry], Types]:
    """Every searched label and the types of their subjects; ``select`` gives engine terms
    (a store's, :func:`~competency_kg.metadata.store_terms`, or the pages' reader)."""
    entries = [
        (r["label"].value.casefold(), str(r["s"]), str(r["p"]), str(r["label"]))
        for r in select(LABELS_QUERY)
    ]
    types: dict[str, set[str]] = {}
    for r in select(TYPES_QUERY):
        types.setdefault(str(r["s"]), set()).add(str(r["t"]))
    return entries, types


def columns(entries: list[Entry], types: Types) -> dict[str, Any]:
    """The labels as plain lists: strings once each, numbers where they repeat (subjects,
    properties, classes). On a 1 M-triple store (62,495 labels) 11 MB read back in about
    0.15 s, where the four string columns and the types' IRIs took 22 MB and 0.3 s, and
    their pickle 0.15-0.25 s (see docs/browsing.md)."""
    subjects = sorted({e[1] for e in entries} | set(types))
    properties = sorted({e[2] for e in entries})
    classes = sorted({c for ts in types.values() for c in ts})
    at_s = {s: i for i, s in enumerate(subjects)}
    at_p = {p: i for i, p in enumerate(properties)}
    at_c = {c: i for i, c in enumerate(classes)}
    return {
        "text": [e[0] for e in entries],
        "label": [e[3] for e in entries],
        "s": [at_s[e[1]] for e in entries],
        "p": [at_p[e[2]] for e in entries],
        "subjects": subjects,
        "properties": properties,
        "classes": classes,
        "types": [sorted(at_c[c] for c in types.get(s, ())) for s in subjects],
    }


def keep_search_labels(store: GraphStore) -> int:
    """Read the labels of the store's data as written and keep them for the version the
    store's writer session publishes; how many labels."""
    entries, types = read_labels(store_terms(store))
    store.keep(KEPT, columns(entries, types))
    return len(entries)
