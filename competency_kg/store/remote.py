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

import contextlib
import http.client
import io
import json
import os
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
import uuid
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node
from SPARQLWrapper import ASK, CONSTRUCT, DESCRIBE, INSERT, POST, SELECT, URLENCODED, SPARQLWrapper

from competency_kg.sparql.formats import (
    RDF_MIMES,
    RESULT_MIMES,
    RESULTS_JSON,
    rdf_format,
    results_format,
)
from competency_kg.sparql.results import RawResult
from competency_kg.sparql.terms import values_clause
from competency_kg.sparql.text import without_dataset_clauses
from competency_kg.store.base import (
    DescriptionReplacement,
    GraphReplacement,
    GraphStore,
    StoreError,
    StoreUnreachable,
)
from competency_kg.store.dataset import Dataset, UnsupportedDataset, query_dataset
from competency_kg.store.merge import (
    INTERNAL_PREFIX,
    MERGED_GRAPH,
    STATE_GRAPH,
    after_ops,
    before_ops,
    rebuild_ops,
)

ENV_UPDATE_URL = "COMPETENCY_KG_STORE_UPDATE_URL"
ENV_USER = "COMPETENCY_KG_STORE_USER"
ENV_PASSWORD = "COMPETENCY_KG_STORE_PASSWORD"

#: Prefix of the temporary graphs big replacements are staged in.
STAGING_PREFIX = "urn:x-competency-kg:staging:"
#: The property of the write stamp in :data:`STATE_GRAPH`.
STAMP = "urn:x-competency-kg:written"
#: Graphs Virtuoso creates for itself (``http://localhost:8890`` is its default URIQA host).
VIRTUOSO_SYSTEM_GRAPHS = (
    "http://www.openlinksw.com/schemas/virtrdf#",
    "http://www.w3.org/ns/ldp#",
    "http://localhost:8890/sparql",
    "http://localhost:8890/DAV/",
)

_XSD_STRING = str(XSD.string)
_XSD_BOOLEAN = str(XSD.boolean)
_BOOLEANS = {"1": "true", "0": "false"}
_QUERY_FORMS = (SELECT, ASK, CONSTRUCT, DESCRIBE)
_TABULAR = ("text/csv", "text/tab-separated-values")
_PAGE = 10000


@dataclass(frozen=True)
class Endpoints:
    """Where queries and updates go, and the credentials to give if asked."""

    query: str
    update: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)


def parse_store_url(location: str, environ: Mapping[str, str] | None = None) -> Endpoints:
    """Resolve ``--store URL`` into endpoints and credentials (see the module docstring)."""
    env = os.environ if environ is None else environ
    parts = urllib.parse.urlsplit(location)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise StoreError(f"not an http(s) SPARQL endpoint URL: {location}")
    user = urllib.parse.unquote(parts.username) if parts.username is not None else None
    password = urllib.parse.unquote(parts.password) if parts.password is not None else None
    netloc = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    if parts.port is not None:
        netloc += f":{parts.port}"
    path = parts.path
    if path in ("", "/"):
        query_path, update_path = "/query", "/update"
    elif path.rstrip("/").endswith("/query"):
        query_path, update_path = path, path.rstrip("/")[: -len("query")] + "update"
    else:
        query_path = update_path = path
    query_url = urllib.parse.urlunsplit((parts.scheme, netloc, query_path, parts.query, ""))
    update_url = env.get(ENV_UPDATE_URL) or urllib.parse.urlunsplit(
        (parts.scheme, netloc, update_path, "", "")
    )
    if user is None:
        user = env.get(ENV_USER) or None
        password = env.get(ENV_PASSWORD) if user else None
    return Endpoints(query_url, update_url, user, password)


@dataclass
class _Response:
    data: bytes
    mime: str
    truncated_at: int | None


class RemoteStore(GraphStore):
    """A :class:`GraphStore` over a SPARQL 1.1 Query/Update endpoint (see the module doc)."""

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
        self.location = _without_credentials(location)
        self.timeout = timeout
        self.max_request_bytes = max_request_bytes
        self.block_triples = block_triples
        self._server: str | None = None
        self._graphs: tuple[str, list[str]] | None = None  # (write stamp, every graph)
        handlers: list[urllib.request.BaseHandler] = []
        if self.endpoints.user is not None:
            passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            passwords.add_password(
                None,
                [self.endpoints.query, self.endpoints.update],
                self.endpoints.user,
                self.endpoints.password or "",
            )
            handlers += [
                urllib.request.HTTPDigestAuthHandler(passwords),
                urllib.request.HTTPBasicAuthHandler(passwords),
            ]
        self._opener = urllib.request.build_opener(*handlers)

    # ------------------------------------------------------------------ HTTP
    def _send(
        self,
        text: str,
        *,
        update: bool = False,
        accept: str = RESULTS_JSON,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
    ) -> _Response:
        """POST one query or update through SPARQLWrapper's request building."""
        sw = SPARQLWrapper(self.endpoints.query, updateEndpoint=self.endpoints.update)
        sw.setMethod(POST)
        sw.setRequestMethod(URLENCODED)
        sw.setOnlyConneg(True)
        with warnings.catch_warnings():  # it warns on query forms it cannot tell
            warnings.simplefilter("ignore")
            sw.setQuery(text)
        if update:
            sw.queryType = INSERT
        elif sw.queryType not in _QUERY_FORMS:
            sw.queryType = SELECT  # never route a query to the update endpoint
        for g in default_graphs or []:
            sw.addDefaultGraph(g)
        for g in named_graphs or []:
            sw.addNamedGraph(g)
        request = sw._createRequest()
        request.add_header("Accept", accept)
        url = self.endpoints.update if update else self.endpoints.query
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                data = response.read()
                mime = response.headers.get_content_type()
                cap = response.headers.get("X-SPARQL-MaxRows")
        except urllib.error.HTTPError as exc:
            raise self._http_error(exc, url, update) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, socket.timeout | TimeoutError):
                reason = f"no answer within {self.timeout:g} s"
            raise StoreUnreachable(
                f"cannot reach the SPARQL endpoint {_without_credentials(url)}: {reason}"
            ) from None
        truncated = int(cap) if cap and cap.strip().isdigit() else None
        return _Response(data, mime, truncated)

    def _http_error(self, exc: urllib.error.HTTPError, url: str, update: bool) -> Exception:
        try:
            body = exc.read().decode("utf-8", "replace")
        except OSError:
            body = ""
        message = _first_lines(body) or exc.reason or ""
        where = _without_credentials(url)
        if exc.code in (401, 403):
            return StoreError(
                f"the SPARQL endpoint {where} refused access (HTTP {exc.code}): give a user "
                f"with update rights in the URL or in {ENV_USER}/{ENV_PASSWORD}"
            )
        if exc.code == 404:
            return StoreError(f"no SPARQL endpoint at {where} (HTTP 404)")
        if exc.code == 400 and not update:
            return SyntaxError(message)
        verb = "update" if update else "query"
        return StoreError(
            f"the SPARQL endpoint {where} failed the {verb} (HTTP {exc.code}): {message}"
        )

    def server(self) -> str:
        """``virtuoso``, ``oxigraph`` or ``other``, from the server's ``Server`` header."""
        if self._server is None:
            sw = SPARQLWrapper(self.endpoints.query)
            sw.setMethod(POST)
            sw.setRequestMethod(URLENCODED)
            sw.setOnlyConneg(True)
            sw.setQuery("ASK {}")
            request = sw._createRequest()
            request.add_header("Accept", RESULTS_JSON)
            try:
                with self._opener.open(request, timeout=self.timeout) as response:
                    header = response.headers.get("Server", "")
            except urllib.error.HTTPError as exc:
                raise self._http_error(exc, self.endpoints.query, False) from None
            except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
                reason = getattr(exc, "reason", exc)
                raise StoreUnreachable(
                    f"cannot reach the SPARQL endpoint {self.location}: {reason}"
                ) from None
            low = header.lower()
            self._server = (
                "virtuoso" if "virtuoso" in low else "oxigraph" if "oxigraph" in low else "other"
            )
        return self._server

    def _ignored(self) -> tuple[str, ...]:
        return VIRTUOSO_SYSTEM_GRAPHS if self.server() == "virtuoso" else ()

    def _query(
        self,
        query: str,
        accept: str,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
    ) -> _Response:
        """Send a query with a dataset whose default graph is a set (see :meth:`_dataset`)."""
        default_graphs, named_graphs = self._dataset(query, default_graphs, named_graphs)
        if default_graphs is not None:
            # the protocol's dataset replaces FROM (Protocol §2.1.4); Virtuoso would add them
            query = without_dataset_clauses(query)
        return self._send(
            query, accept=accept, default_graphs=default_graphs, named_graphs=named_graphs
        )

    def _dataset(
        self, query: str, default_graphs: list[str] | None, named_graphs: list[str] | None
    ) -> tuple[list[str] | None, list[str] | None]:
        """The protocol dataset to send: the store's merge graph (:data:`MERGED_GRAPH`) as the
        default graph and the source graphs as the named graphs.

        Both servers would otherwise evaluate a default graph of several graphs as a bag, a
        triple once per graph (Oxigraph #1919, Virtuoso #1406); Virtuoso's would also reach its
        system graphs. A default graph of several graphs is sent as the merge when it names
        every source graph, and refused otherwise (:class:`UnsupportedDataset`). A query with
        its own ``FROM`` of one graph is sent as it is.
        """
        if default_graphs is None and named_graphs is None:
            wanted = query_dataset(query)
            if wanted.as_written:
                return None, None
            if wanted.default is None and wanted.named is None:
                graphs, merged = self._source_graphs()
                if not graphs:
                    graphs = [STAGING_PREFIX + "none"]
                return ([MERGED_GRAPH] if merged else graphs), graphs
        else:
            wanted = Dataset(tuple(default_graphs or ()), tuple(named_graphs or ()))
        default = wanted.default or ()
        if len(default) <= 1:
            return list(default), list(wanted.named or ())
        graphs, merged = self._source_graphs()
        if merged and set(graphs) <= set(default):
            return [MERGED_GRAPH], list(wanted.named or ())
        raise UnsupportedDataset(
            f"a default graph merged from {len(default)} of the store's graphs cannot be "
            "evaluated as a set by this SPARQL server: name one graph, or none (the default "
            "graph is then the merge of every graph)"
        )

    def _source_graphs(self) -> tuple[list[str], bool]:
        """The source graphs, and whether the merge graph exists.

        Listing the graphs scans every quad (3 s on Virtuoso with the seeds); every write
        leaves a new stamp in :data:`STATE_GRAPH`, one triple read in milliseconds, so the list
        is read again only after a write, by any process."""
        stamp = self._write_stamp()
        if self._graphs is None or self._graphs[0] != stamp or not stamp:
            self._graphs = (stamp, self._all_graphs())
        every = self._graphs[1]
        ignored = set(self._ignored())
        sources = [g for g in every if g not in ignored and not g.startswith(INTERNAL_PREFIX)]
        return sorted(sources), MERGED_GRAPH in every

    def _write_stamp(self) -> str:
        response = self._send(
            f"SELECT ?v WHERE {{ GRAPH <{STATE_GRAPH}> {{ <{STATE_GRAPH}> <{STAMP}> ?v }} }}",
            accept=RESULTS_JSON,
        )
        rows = json.loads(response.data)["results"]["bindings"]
        return rows[0]["v"]["value"] if rows else ""

    def _update(self, text: str) -> None:
        self._graphs = None
        if self.server() == "virtuoso":
            text = "DEFINE sql:big-data-const 1\n" + text
        self._send(text, update=True)

    # ------------------------------------------------------------------ writing
    def replace_graphs(
        self,
        replacements: list[GraphReplacement],
        descriptions: list[DescriptionReplacement] | None = None,
    ) -> None:
        targets = [
            (r.name, _blocks(r.graph, self.block_triples) if r.graph is not None else None)
            for r in replacements
        ]
        self._write(targets, descriptions or [])

    def bulk_replace(
        self,
        name: URIRef,
        ntriples: Path,
        descriptions: list[DescriptionReplacement] | None = None,
    ) -> None:
        """Replace one graph by a big N-Triples file, staged (see the module doc)."""
        blocks = _file_blocks(ntriples, self.block_triples)
        try:
            self._write([(name, blocks)], descriptions or [], force_staging=True)
        except (OSError, SyntaxError, ValueError) as exc:
            raise StoreError(f"bulk load into <{name}> failed, store unchanged: {exc}") from exc

    def _write(
        self,
        targets: list[tuple[URIRef, Iterable[str] | None]],
        descriptions: list[DescriptionReplacement],
        force_staging: bool = False,
    ) -> None:
        # Every graph that gets triples is a "slot": a replaced graph or a description graph.
        slots: list[tuple[URIRef, Iterable[str]]] = [
            (name, blocks) for name, blocks in targets if blocks is not None
        ]
        slots += [(d.name, _blocks(d.graph, self.block_triples)) for d in descriptions]
        self._ensure_merge()
        subjects = [(str(d.name), str(s)) for d in descriptions for s in d.subjects]
        before = before_ops([str(name) for name, _ in targets], subjects)
        written = {str(n) for n, b in targets if b is not None}
        after = after_ops(sorted(written | {str(d.name) for d in descriptions}), MERGED_GRAPH)
        after += _stamp_ops()
        head = [*before, *(f"DROP SILENT GRAPH <{name}>" for name, _ in targets)]
        for d in descriptions:
            head += [f"DELETE WHERE {{ GRAPH <{d.name}> {{ <{s}> ?p ?o }} }}" for s in d.subjects]

        staging: list[str] | None = None
        pending: list[tuple[int, str]] = []
        size = sum(len(op) + 3 for op in head)  # what the one request would weigh so far
        filled: set[int] = set()

        def flush() -> None:
            assert staging is not None
            if pending:
                self._update(" ;\n".join(_insert_ops((staging[i], b) for i, b in pending)))
                pending.clear()

        try:
            for index, (_, blocks) in enumerate(slots):
                for block in blocks:
                    weight = len(block.encode("utf-8")) + 20
                    if staging is None and (
                        force_staging or size + weight > self.max_request_bytes
                    ):
                        staging = self._begin_staging(len(slots))
                        size = sum(len(b.encode("utf-8")) + 20 for _, b in pending)
                    if staging is not None and pending and size + weight > self.max_request_bytes:
                        flush()
                        size = 0
                    pending.append((index, block))
                    filled.add(index)
                    size += weight
            if staging is None:
                names = [str(n) for n, _ in slots]
                ops = [*head]
                if pending:
                    ops += _insert_ops((names[i], b) for i, b in pending)
                self._update(" ;\n".join([*ops, *after]))
                return
            flush()
        except BaseException:
            if staging is not None:
                self._drop_staging(staging)
            raise

        # The switch: one small request (and the merge brought up to date in it).
        assert staging is not None
        ops = [*before]
        target_slots = [name for name, blocks in targets if blocks is not None]
        k = 0
        for name, blocks in targets:
            if blocks is not None and k in filled:
                ops.append(f"MOVE SILENT GRAPH <{staging[k]}> TO GRAPH <{name}>")
            else:
                ops.append(f"DROP SILENT GRAPH <{name}>")
            if blocks is not None:
                k += 1
        for d in descriptions:
            ops += [f"DELETE WHERE {{ GRAPH <{d.name}> {{ <{s}> ?p ?o }} }}" for s in d.subjects]
        for j, d in enumerate(descriptions, start=len(target_slots)):
            if j in filled:
                ops.append(f"ADD SILENT GRAPH <{staging[j]}> TO GRAPH <{d.name}>")
        ops += after
        try:
            self._update(" ;\n".join(ops))
        finally:
            self._drop_staging(staging)

    def _ensure_merge(self) -> None:
        """Compute the merge graph of a store written before it existed (once)."""
        graphs, merged = self._source_graphs()
        if graphs and not merged:
            self._update(" ;\n".join([*rebuild_ops(MERGED_GRAPH), *_stamp_ops()]))

    def _begin_staging(self, count: int) -> list[str]:
        self._drop_leftover_staging()
        token = uuid.uuid4().hex
        return [f"{STAGING_PREFIX}{token}:{i}" for i in range(count)]

    def _drop_staging(self, names: list[str]) -> None:
        with contextlib.suppress(StoreError):  # if not, the next write drops what is left
            self._update(" ;\n".join(f"DROP SILENT GRAPH <{n}>" for n in names))

    def _drop_leftover_staging(self) -> None:
        left = [g for g in self._all_graphs() if g.startswith(STAGING_PREFIX)]
        if left:
            self._update(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in left))

    # ------------------------------------------------------------------ reading
    def _json(
        self, query: str, bindings: Mapping[str, Node] | None = None, *, allow_cut: bool = False
    ) -> tuple[dict, int | None]:
        if bindings:
            query = _with_values(query, bindings, self.server() == "virtuoso")
        response = self._query(query, RESULTS_JSON)
        if response.truncated_at is not None and not allow_cut:
            raise _truncated(response.truncated_at)
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
        return [_row(b) for b in doc["results"]["bindings"]]

    def ask(self, query: str) -> bool:
        doc, _ = self._json(query)
        if "boolean" not in doc:
            raise ValueError("not an ASK query")
        return bool(doc["boolean"])

    def construct(self, query: str, bindings: Mapping[str, Node] | None = None) -> Graph:
        if bindings:
            query = _with_values(query, bindings, self.server() == "virtuoso")
        response = self._query(query, "application/n-triples")
        if response.truncated_at is not None:
            raise _truncated(response.truncated_at)
        if response.mime in RESULT_MIMES:
            raise ValueError("not a CONSTRUCT or DESCRIBE query")
        return _to_rdflib_graph(response.data, response.mime)

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
        form = _query_form(query)
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
            raise _truncated(response.truncated_at)
        is_graph = response.mime in RDF_MIMES
        if is_graph or (response.mime == "text/plain" and form in (CONSTRUCT, DESCRIBE)):
            return RawResult("graph", graph_mime, _convert_graph(response, graph_mime))
        boolean = form == ASK or (form is None and _is_boolean(response.data, response.mime))
        data = response.data
        if response.mime != results_mime:
            data = _convert_results(response, results_mime)
        kind = "ask" if boolean else "select"
        return RawResult(kind, results_mime, data)

    def _all_graphs(self) -> list[str]:
        response = self._send(
            "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", accept=RESULTS_JSON
        )
        doc = json.loads(response.data)
        return [b["g"]["value"] for b in doc["results"]["bindings"] if b["g"]["type"] == "uri"]

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
            g.add((_term(b["s"]), _term(b["p"]), _term(b["o"])))
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
                ox.Quad(_ox(b["s"]), _ox(b["p"]), _ox(b["o"]), _ox(b["g"])) for b in rows
            )
        else:
            rows = self._pages(  # the default graph is the merge: each triple once
                "SELECT ?s ?p ?o WHERE { ?s ?p ?o }",
                "?s ?p ?o",
            )
            items = (ox.Triple(_ox(b["s"]), _ox(b["p"]), _ox(b["o"])) for b in rows)
        ox.serialize(items, out, fmt)

    def close(self) -> None:
        self._opener.close()


# ---------------------------------------------------------------------- helpers
def _stamp_ops() -> list[str]:
    """A new write stamp: readers list the graphs again (:meth:`RemoteStore._source_graphs`)."""
    stamp = f'<{STATE_GRAPH}> <{STAMP}> "{uuid.uuid4().hex}"'
    return [
        f"DROP SILENT GRAPH <{STATE_GRAPH}>",
        f"INSERT DATA {{ GRAPH <{STATE_GRAPH}> {{ {stamp} }} }}",
    ]


def _without_credentials(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.username is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def _first_lines(body: str, limit: int = 3) -> str:
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith("SPARQL query:")]
    return " ".join(lines[:limit])[:500]


_TOKENS = re.compile(
    r""""{3}(?:[^"\\]|\\.|"(?!""))*"{3}|'{3}(?:[^'\\]|\\.|'(?!''))*'{3}"""
    r"""|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'"""
    r"""|<[^<>"{}|^`\\\s]*>|\#[^\n]*|[{}]"""
)


def _with_values(query: str, bindings: Mapping[str, Node], inside: bool) -> str:
    """The query with ``bindings`` as a VALUES block: trailing (as the embedded store does), or
    ``inside`` at the start of the WHERE group, which Virtuoso needs (its trailing VALUES only
    works in a SELECT that projects every bound variable)."""
    values = values_clause(bindings)
    if not inside:
        return query + "\n" + values
    depth, opens = 0, []
    for m in _TOKENS.finditer(query):
        if m.group() == "{":
            if depth == 0:
                opens.append(m.end())
            depth += 1
        elif m.group() == "}":
            depth -= 1
    if not opens:
        raise ValueError("cannot bind variables in a query without a WHERE clause")
    where = opens[0]
    if _query_form(query) == CONSTRUCT and len(opens) > 1:
        before = _TOKENS.sub(" ", query[: opens[0] - 1]).rstrip()
        if not before.upper().endswith("WHERE"):
            where = opens[1]
    return f"{query[:where]} {values} {query[where:]}"


def _truncated(cap: int) -> StoreError:
    return StoreError(
        f"the SPARQL endpoint cut the result at {cap} rows (Virtuoso's ResultSetMaxRows): "
        "narrow the query, page it with LIMIT/OFFSET, or raise the server's limit"
    )


def _query_form(query: str) -> str | None:
    sw = SPARQLWrapper("http://localhost/")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            sw.setQuery(query)
        except RuntimeWarning:
            return None
    return sw.queryType if sw.queryType in _QUERY_FORMS else None


def _is_boolean(data: bytes, mime: str) -> bool:
    if mime == RESULTS_JSON:
        try:
            return "boolean" in json.loads(data)
        except ValueError:
            return False
    return b"<boolean>" in data


def _bnode_label(value: str) -> str:
    """A blank node label any N-Triples writer accepts (Virtuoso's look like nodeID://b10)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", value.removeprefix("_:"))


def _term(b: dict) -> Node:
    """A SPARQL JSON results term as an rdflib term (like the embedded store's).

    Read here, not by ``pyoxigraph.parse_query_results``: that refuses Virtuoso's blank node
    labels (``nodeID://b10``) with a SyntaxError, and keeps its ``1``/``0`` booleans."""
    kind, value = b["type"], b["value"]
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(_bnode_label(value))
    lang = b.get("xml:lang")
    if lang:
        return Literal(value, lang=lang)
    dt = b.get("datatype")
    return Literal(value) if not dt or dt == _XSD_STRING else Literal(value, datatype=dt)


def _ox(b: dict) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    kind, value = b["type"], b["value"]
    if kind == "uri":
        return ox.NamedNode(value)
    if kind == "bnode":
        return ox.BlankNode(_bnode_label(value))
    lang = b.get("xml:lang")
    if lang:
        return ox.Literal(value, language=lang)
    dt = b.get("datatype")
    if dt == _XSD_BOOLEAN and value in _BOOLEANS:  # Virtuoso stores booleans as 1 and 0
        value = _BOOLEANS[value]
    return ox.Literal(value, datatype=ox.NamedNode(dt)) if dt else ox.Literal(value)


def _row(binding: dict) -> dict[str, Node]:
    return {name: _term(value) for name, value in binding.items()}


def _nt_lines(graph: Graph) -> Iterator[str]:
    try:
        text = graph.serialize(format="nt", encoding="utf-8").decode("utf-8")
    except Exception as exc:  # rdflib raises a bare Exception for unserializable IRIs
        raise StoreError(f"cannot write the graph: {exc}") from exc
    for line in text.splitlines():
        if line.strip():
            yield line


def _blocks(graph: Graph, size: int) -> Iterator[str]:
    """The graph as N-Triples blocks of about ``size`` triples; triples joined by blank nodes
    stay in one block (a blank node label means one node only within one request)."""
    yield from _pack(_nt_lines(graph), size)


_BNODE = re.compile(r"(?:^|\s)(_:[A-Za-z0-9_\-.]*[A-Za-z0-9_\-])")


def _pack(lines: Iterable[str], size: int) -> Iterator[str]:
    """Group N-Triples lines into blocks; lines with blank nodes are grouped by component."""
    plain: list[str] = []
    parent: dict[str, str] = {}
    linked: list[tuple[str, str]] = []

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for line in lines:
        labels = _BNODE.findall(line.split('"', 1)[0] + " " + line.rsplit('"', 1)[-1])
        if not labels:
            plain.append(line)
            if len(plain) >= size:
                yield "\n".join(plain)
                plain = []
            continue
        root = find(labels[0])
        for other in labels[1:]:
            parent[find(other)] = root
        linked.append((labels[0], line))
    if plain:
        yield "\n".join(plain)
    groups: dict[str, list[str]] = {}
    for label, line in linked:
        groups.setdefault(find(label), []).append(line)
    block: list[str] = []
    for group in groups.values():
        if block and len(block) + len(group) > size:
            yield _LinkedBlock("\n".join(block))
            block = []
        block += group
    if block:
        yield _LinkedBlock("\n".join(block))


def _file_blocks(path: Path, size: int) -> Iterator[str]:
    """An N-Triples file as checked blocks (parsed by Oxigraph, so bad input fails early)."""

    def lines() -> Iterator[str]:
        for triple in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES):
            yield f"{triple.subject} {triple.predicate} {triple.object} ."

    return _pack(lines(), size)


class _LinkedBlock(str):
    """A block of triples joined by blank nodes."""

    __slots__ = ()


def _insert_ops(blocks: Iterable[tuple[str, str]]) -> list[str]:
    """Update operations inserting N-Triples blocks into graphs.

    Blocks with blank nodes go in ``INSERT {…} WHERE {}``, one operation each: Virtuoso refuses
    blank nodes in ``INSERT DATA`` ("not allowed in a constant clause").
    """
    plain: list[str] = []
    ops: list[str] = []
    for name, block in blocks:
        text = f"GRAPH <{name}> {{\n{block}\n}}"
        if isinstance(block, _LinkedBlock):
            ops.append(f"INSERT {{ {text} }} WHERE {{}}")
        else:
            plain.append(text)
    if plain:
        ops.insert(0, "INSERT DATA {\n" + "\n".join(plain) + "\n}")
    return ops


def _to_rdflib_graph(data: bytes, mime: str) -> Graph:
    g = Graph()
    if data.strip():
        fmt = {"text/plain": "nt", "application/n-triples": "nt"}.get(mime, mime)
        g.parse(data=data, format=fmt)
    return g


def _convert_graph(response: _Response, mime: str) -> bytes:
    source = response.mime if response.mime in RDF_MIMES else "application/n-triples"
    if source == mime:
        return response.data
    out = io.BytesIO()
    ox.serialize(ox.parse(response.data, rdf_format(source)), out, rdf_format(mime))
    return out.getvalue()


def _convert_results(response: _Response, mime: str) -> bytes:
    fmt = results_format(response.mime) if response.mime in RESULT_MIMES else None
    if fmt is None or fmt == ox.QueryResultsFormat.CSV:
        raise StoreError(f"the SPARQL endpoint answered {response.mime}, not {mime}")
    out = io.BytesIO()
    ox.parse_query_results(response.data, fmt).serialize(out, results_format(mime))
    return out.getvalue()
