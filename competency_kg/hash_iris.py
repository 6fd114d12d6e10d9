"""The hash IRIs of documents (``{base}curation/seeds#f-1`` by ``{base}curation/seeds``):
dereferencing a document describes them all (W3C "Cool URIs for the Semantic Web", §4.1,
https://www.w3.org/TR/cooluris/#hashuri), so every resource page needs the whole table.

Finding them is a scan of the small graphs (seconds on the whole O*NET release: 3.5 s was
the first page's wait on a fresh server), so the load computes the table once, of the data it
wrote, and keeps it for the version it publishes (:func:`keep_hash_documents`, through
:meth:`~competency_kg.store.base.GraphStore.keep`); a server reads it back
(:data:`HASH_DOCS`) and scans only when nothing is kept (a store written by other means, or
served under another base IRI).

The table is kept per base IRI (its digest is the file's key, :func:`base_key`): only IRIs
under the base are hash IRIs of its documents, and the base is a setting a server may be
given that the load was not; the load keeps the table of the base it minted under, the one
its servers use unless told otherwise.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

import pyoxigraph as ox

from competency_kg.iris import Minter
from competency_kg.metadata import Select, SourceGraph, read_metadata, store_terms
from competency_kg.store import GraphStore
from competency_kg.store.kept import Kept, KeptFileError

#: Graphs bigger than this (by the metadata's count) are not searched for hash IRIs.
HASH_SCAN_MAX = 200_000

#: The hash IRIs by document, kept per store version and base IRI (:func:`base_key`).
HASH_DOCS = Kept("hash-docs", "hash IRIs of documents", 2)

#: Hash IRIs by document: the document's IRI → its hash IRIs as N-Triples terms, sorted.
Documents = dict[str, list[str]]


def base_key(base: str) -> str:
    """The key of a base IRI's table among a version's kept files."""
    return hashlib.sha256(base.encode()).hexdigest()[:12]


def hash_documents(select: Select, base: str, sources: dict[str, SourceGraph]) -> Documents:
    """Hash IRIs under ``base`` by the document IRI they share. Only graphs that can hold them
    are searched: corrections and plain RDF files of at most :data:`HASH_SCAN_MAX` triples;
    the other loaders mint slash IRIs (scanning every source took 4 s at 1 M triples)."""
    small = [
        str(ox.NamedNode(g))
        for g, src in sources.items()
        if (src.triples or 0) <= HASH_SCAN_MAX
        and (src.kind == "curation" or src.loader in (None, "rdf"))
    ]
    if not small:
        return {}
    rows = select(
        f"SELECT DISTINCT ?s WHERE {{ VALUES ?g {{ {' '.join(small)} }} GRAPH ?g {{ ?s ?p ?o }} "
        f"FILTER(isIRI(?s) && STRSTARTS(STR(?s), {ox.Literal(base)}) "
        "&& CONTAINS(STR(?s), '#')) }"
    )
    out: Documents = defaultdict(list)
    for r in rows:
        s = r["s"]
        out[s.value.split("#", 1)[0]].append(str(s))
    return {doc: sorted(members) for doc, members in out.items()}


def decode_documents(value: object) -> Documents:
    """The table a kept file holds: an object of arrays of strings."""
    ok = isinstance(value, dict) and all(
        isinstance(v, list) and all(isinstance(i, str) for i in v) for v in value.values()
    )
    if not ok:
        raise KeptFileError("not hash IRIs by document")
    return value  # type: ignore[return-value]


def keep_hash_documents(store: GraphStore, minter: Minter) -> Documents:
    """Compute the table of the store's data as written, under the minter's base, and keep
    it for the version the store's writer session publishes."""
    select = store_terms(store)
    table = hash_documents(select, minter.base, read_metadata(select, minter.base))
    store.keep(HASH_DOCS, table, key=base_key(minter.base))
    return table
