"""The scale-out store: any SPARQL 1.1 Query/Update endpoint, reached over HTTP.

Tested against Virtuoso 7.2 (Debian's ``virtuoso-opensource``) and the Oxigraph server
(``oxigraph serve``); anything that speaks the SPARQL 1.1 Protocol should do.

Where the store is: ``--store URL`` / ``COMPETENCY_KG_STORE``
================================================================

The URL is the endpoint that answers **queries**. The endpoint for **updates** follows from it:

=====================================  ==========================  ===========================
``--store``                            queries go to               updates go to
=====================================  ==========================  ===========================
``http://host:7878`` (no path, ``/``)  ``http://host:7878/query``  ``http://host:7878/update``
``http://host:3030/ds/query``          that URL                    ``…/ds/update`` (last
                                                                   segment ``query`` → ``update``)
``http://host:8890/sparql``, any other that URL                    the same URL
=====================================  ==========================  ===========================

So ``http://127.0.0.1:7878`` reaches an Oxigraph server and ``http://127.0.0.1:8890/sparql``
a Virtuoso. ``COMPETENCY_KG_STORE_UPDATE_URL`` overrides the update URL. Credentials come from
the URL's user part (``http://user:password@host:8890/sparql-auth``, percent-encoded) or from
``COMPETENCY_KG_STORE_USER`` and ``COMPETENCY_KG_STORE_PASSWORD``; they are sent only when the
server asks (HTTP 401), by HTTP Digest or Basic authentication, whichever it asks for. They
never appear in messages. A query string on the URL is kept for queries (sent by POST).

What the servers must be set up to do
-------------------------------------

* **Oxigraph server**: ``oxigraph serve --location DIR --bind 127.0.0.1:7878``. (No need for
  ``--union-default-graph``: every query is sent with its dataset, below; with that flag the
  server also ignores a query's ``FROM``.)
* **Both**: a query without ``FROM`` is sent with the store's merge graph
  (``urn:x-competency-kg:merged``, the RDF merge of the source graphs, kept in step by every
  write: :mod:`competency_kg.store.merge`) as its ``default-graph-uri`` and the source graphs as
  its ``named-graph-uri``, so a triple two sources state matches once; both servers would
  otherwise match it once per graph (Oxigraph #1919, Virtuoso #1406). A ``FROM`` of several
  graphs is answered from the merge when it names every source graph and refused otherwise. The
  graph list is read again only after a write (every write leaves a stamp in
  ``urn:x-competency-kg:state``; reading it is one small extra request per query).
* **Virtuoso**: the default graph of a query without ``FROM`` is the union of all graphs,
  Virtuoso's own included (``virtrdf#``, ``ldp#``, ``http://localhost:8890/sparql``,
  ``…/DAV/``): the dataset sent with every query keeps those out too; it adds a query's own
  ``FROM`` to a protocol dataset instead of replacing it, so those are taken out of the text.
  Virtuoso's ``input:default-graph-exclude`` pragmas cannot do it (in 7.2 they make ``COUNT``
  over ``GRAPH <g>`` answer 1 and do not exclude from ``GRAPH ?g``). Its trailing ``VALUES``
  only works in a ``SELECT`` projecting every bound variable, so ``bindings`` go in a
  ``VALUES`` block at the start of the ``WHERE`` group instead. It refuses blank nodes in
  ``INSERT DATA``, so triples with blank nodes are written with ``INSERT {…} WHERE {}``. It
  stores ``xsd:boolean`` as ``1``/``0``: dumps write ``true``/``false`` again.
  Updates over ``/sparql`` need ``grant SPARQL_UPDATE to "SPARQL";`` (``isql-vt``), or use
  the authenticated endpoint ``/sparql-auth`` with a user that has ``SPARQL_UPDATE``.
  Virtuoso caps results at ``ResultSetMaxRows`` (``[SPARQL]`` section of ``virtuoso.ini``,
  10000 by default) and says so in an ``X-SPARQL-MaxRows`` header: :meth:`select`,
  :meth:`construct` and :meth:`query_raw` then raise :class:`StoreError` rather than return a
  silently cut answer; :meth:`graph` and :meth:`dump` page past the cap.

Writing, and how atomic it is
=============================

:meth:`RemoteStore.replace_graphs` sends **one SPARQL Update request** (``DROP SILENT GRAPH``,
``DELETE WHERE`` for descriptions, one ``INSERT DATA``) when its text fits in
``max_request_bytes`` (4 MB by default: Virtuoso refuses request bodies over 10 MB, and its
SPARQL parser overflows past about 4,990 triples in one ``GRAPH`` block, so graphs are written
in blocks of ``block_triples`` = 2,000; triples that share a blank node stay in one block). For
Virtuoso the request starts with ``DEFINE sql:big-data-const 1``: without it Virtuoso compiles
each constant into SQL text, takes seconds per thousand triples and fails beyond ~1,300 triples
("generated SQL text has exceeded 10000 lines"); with it 100,000 triples take ~3 s. (It is not
accepted with every operation, ``CREATE GRAPH`` for one, but is with all those used here.)
``sql:log-enable`` is *not* changed: its non-default values turn on row-by-row autocommit,
which would give up the transaction; a default transaction of 100,000 triples works.

Bigger replacements (and :meth:`bulk_replace`) are **staged**: the new triples are inserted
into temporary graphs ``urn:x-competency-kg:staging:…`` over as many requests as needed, then
one small request swaps them in (``MOVE`` staging → target, ``DELETE WHERE`` + ``ADD`` for the
descriptions) and a failure on the way drops the staging graphs, leaving the old data. On the
Oxigraph server staging graphs are visible in the union default graph while a load runs
(duplicated triples); on Virtuoso they are not (queries name the store's graphs, and
:meth:`graph_names` never lists staging graphs). Those left by a killed load are dropped by the
next write. One writer at a time, as with the embedded store.

What each server guarantees for one request (checked by the tests):

* **Oxigraph server** runs an update request in one transaction: readers see the old or the
  new data, and a request that fails changes nothing. It took a 16 MB request (200,000
  triples, ~19 s) in one piece; staging is only used past ``max_request_bytes``.
* **Virtuoso** parses the whole request before running any of it, so malformed data changes
  nothing, and runs it as one transaction committed at the end ("Commit -- done" in its
  answer). But when an operation fails *at run time*, the operations before it in the same
  request stay committed: ``DROP …; INSERT DATA …; CREATE GRAPH <existing>`` keeps the drop
  and the insert and answers HTTP 500. So a replacement that fails at run time can be left
  half done; rerun the load to repair it.

A dump or a paged graph read is not a snapshot: it is read in pages (Virtuoso) that a
concurrent write could change in between.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import BinaryIO

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.term import Node
from SPARQLWrapper import ASK, CONSTRUCT, DESCRIBE, SELECT

from competency_kg.sparql.formats import RDF_MIMES, RESULT_MIMES, RESULTS_JSON, rdf_format
from competency_kg.sparql.results import RawResult
from competency_kg.store.base import GraphStore, StoreError
from competency_kg.store.merge import INTERNAL_PREFIX
from competency_kg.store.remote_dataset import STAGING_PREFIX, STAMP
from competency_kg.store.remote_protocol import (
    ENV_PASSWORD,
    ENV_UPDATE_URL,
    ENV_USER,
    VIRTUOSO_SYSTEM_GRAPHS,
    Endpoints,
    build_opener,
    parse_store_url,
    without_credentials,
)
from competency_kg.store.remote_results import (
    convert_graph,
    convert_results,
    is_boolean,
    ox_term,
    query_form,
    row,
    term,
    to_rdflib_graph,
    truncated,
    with_values,
)
from competency_kg.store.remote_writes import RemoteWrites

__all__ = [
    "ENV_PASSWORD",
    "ENV_UPDATE_URL",
    "ENV_USER",
    "STAGING_PREFIX",
    "STAMP",
    "VIRTUOSO_SYSTEM_GRAPHS",
    "Endpoints",
    "RemoteStore",
    "parse_store_url",
]

_TABULAR = ("text/csv", "text/tab-separated-values")
_PAGE = 10000


class RemoteStore(RemoteWrites, GraphStore):
    """A :class:`GraphStore` over a SPARQL 1.1 Query/Update endpoint (see the module doc): the
    protocol client (:mod:`.remote_protocol`), its dataset (:mod:`.remote_dataset`) and writes
    (:mod:`.remote_writes`) below, the reads here."""

    def __init__(
        self,
        location: str,
        *,
        timeout: float = 300.0,
        max_request_bytes: int = 4_000_000,
        block_triples: int = 2000,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.endpoints = parse_store_url(location, environ)
        self.location = without_credentials(location)
        self.timeout = timeout
        self.max_request_bytes = max_request_bytes
        self.block_triples = block_triples
        self._server: str | None = None
        self._graphs: tuple[str, list[str]] | None = None  # (write stamp, every graph)
        self._opener = build_opener(self.endpoints)

    # ------------------------------------------------------------------ reading
    def _json(
        self, query: str, bindings: Mapping[str, Node] | None = None, *, allow_cut: bool = False
    ) -> tuple[dict, int | None]:
        if bindings:
            query = with_values(query, bindings, self.server() == "virtuoso")
        response = self._query(query, RESULTS_JSON)
        if response.truncated_at is not None and not allow_cut:
            raise truncated(response.truncated_at)
        try:
            doc = json.loads(response.data)
        except ValueError as exc:
            raise StoreError(
                f"the SPARQL endpoint {self.location} sent no SPARQL JSON results "
                f"({response.mime}): {exc}"
            ) from None
        return doc, response.truncated_at

    def select(
        self, query: str, bindings: Mapping[str, Node] | None = None
    ) -> list[dict[str, Node]]:
        doc, _ = self._json(query, bindings)
        if "results" not in doc:
            raise ValueError("not a SELECT query")
        return [row(b) for b in doc["results"]["bindings"]]

    def ask(self, query: str) -> bool:
        doc, _ = self._json(query)
        if "boolean" not in doc:
            raise ValueError("not an ASK query")
        return bool(doc["boolean"])

    def construct(self, query: str, bindings: Mapping[str, Node] | None = None) -> Graph:
        if bindings:
            query = with_values(query, bindings, self.server() == "virtuoso")
        response = self._query(query, "application/n-triples")
        if response.truncated_at is not None:
            raise truncated(response.truncated_at)
        if response.mime in RESULT_MIMES:
            raise ValueError("not a CONSTRUCT or DESCRIBE query")
        return to_rdflib_graph(response.data, response.mime)

    def query_raw(
        self,
        query: str,
        results_mime: str = RESULTS_JSON,
        graph_mime: str = "text/turtle",
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
    ) -> RawResult:
        if results_mime not in RESULT_MIMES:
            raise ValueError(f"cannot serialize query results as {results_mime}")
        if graph_mime not in RDF_MIMES:
            raise ValueError(f"cannot serialize a graph as {graph_mime}")
        form = query_form(query)
        wanted = results_mime
        if self.server() == "virtuoso" and results_mime in _TABULAR:
            # Virtuoso's CSV and TSV are its own (quoted header, no blank node labels, TSV
            # without N-Triples terms): take its JSON and write them as the embedded store does.
            wanted = RESULTS_JSON
        if form in (SELECT, ASK):
            accept = wanted
        elif form in (CONSTRUCT, DESCRIBE):
            accept = graph_mime
        else:
            accept = f"{wanted}, {graph_mime};q=0.9"
        try:
            response = self._query(query, accept, default_graphs, named_graphs)
        except StoreError as exc:
            if "HTTP 406" not in str(exc):
                raise
            # The server cannot write that format: take its own and convert.
            fallback = "application/n-triples" if accept == graph_mime else RESULTS_JSON
            response = self._query(query, fallback, default_graphs, named_graphs)
        if response.truncated_at is not None:
            raise truncated(response.truncated_at)
        is_graph = response.mime in RDF_MIMES
        if is_graph or (response.mime == "text/plain" and form in (CONSTRUCT, DESCRIBE)):
            return RawResult("graph", graph_mime, convert_graph(response, graph_mime))
        boolean = form == ASK or (form is None and is_boolean(response.data, response.mime))
        data = response.data
        if response.mime != results_mime:
            data = convert_results(response, results_mime)
        kind = "ask" if boolean else "select"
        return RawResult(kind, results_mime, data)

    def graph_names(self) -> list[URIRef]:
        ignored = set(self._ignored())
        return sorted(
            URIRef(g)
            for g in self._all_graphs()
            if g not in ignored and not g.startswith(INTERNAL_PREFIX)
        )

    def triple_count(self, name: URIRef | None = None) -> int:
        if name is not None:
            return super().triple_count(name)
        rows = self.select(
            "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
            f'FILTER(!STRSTARTS(STR(?g), "{INTERNAL_PREFIX}")) }}'
        )
        return int(rows[0]["n"]) if rows else 0

    def _pages(self, select: str, order: str) -> Iterator[dict]:
        """All solutions of ``select``: one request, or ordered pages if the server cuts it."""
        doc, cap = self._json(select, allow_cut=True)
        if cap is None:
            yield from doc["results"]["bindings"]
            return
        offset, page = 0, min(cap, _PAGE)
        while True:
            doc, cut = self._json(
                f"SELECT * WHERE {{ {{ {select} ORDER BY {order} }} }} "
                f"OFFSET {offset} LIMIT {page}",
                allow_cut=True,
            )
            rows = doc["results"]["bindings"]
            yield from rows
            offset += len(rows)
            if not rows or (len(rows) < page and cut is None):
                return
            if cut is not None:
                page = min(page, cut)

    def graph(self, name: URIRef) -> Graph:
        g = Graph()
        for b in self._pages(
            f"SELECT ?s ?p ?o WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} }}", "?s ?p ?o"
        ):
            g.add((term(b["s"]), term(b["p"]), term(b["o"])))
        return g

    def dump(self, out: BinaryIO, mime: str) -> None:
        if mime not in RDF_MIMES:
            raise ValueError(f"cannot dump as {mime}")
        fmt = rdf_format(mime)
        not_staging = f'FILTER(!STRSTARTS(STR(?g), "{INTERNAL_PREFIX}"))'
        if fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
            rows = self._pages(
                f"SELECT ?s ?p ?o ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {not_staging} }}",
                "?g ?s ?p ?o",
            )
            items: Iterable[ox.Quad | ox.Triple] = (
                ox.Quad(ox_term(b["s"]), ox_term(b["p"]), ox_term(b["o"]), ox_term(b["g"]))
                for b in rows
            )
        else:
            rows = self._pages(  # the default graph is the merge: each triple once
                "SELECT ?s ?p ?o WHERE { ?s ?p ?o }",
                "?s ?p ?o",
            )
            items = (ox.Triple(ox_term(b["s"]), ox_term(b["p"]), ox_term(b["o"])) for b in rows)
        ox.serialize(items, out, fmt)

    def close(self) -> None:
        self._opener.close()
