"""The SPARQL 1.1 Protocol endpoint (https://www.w3.org/TR/sparql11-protocol/), read-only.

``/sparql`` answers

- ``GET ?query=…``, ``POST`` ``application/x-www-form-urlencoded`` (``query=…``) and ``POST``
  ``application/sparql-query`` (the query as the body, UTF-8);
- ``default-graph-uri`` / ``named-graph-uri`` (repeatable) set the dataset, replacing the
  query's own ``FROM``/``FROM NAMED`` (§2.1.4); without either, the default graph is the RDF
  merge of all named graphs, a set (SPARQL 1.1 Query §13.1; ``competency_kg.store.merge``);
- results in the format the ``Accept`` header prefers (q-values honoured; ties go to the order
  below), or the one a ``format=``/``output=`` parameter names (``json``, ``xml``, ``csv``,
  ``tsv``, ``turtle``, ``ntriples``, ``jsonld``, ``rdfxml`` or a media type):
  SELECT/ASK as SPARQL JSON (default), XML, CSV, TSV; CONSTRUCT/DESCRIBE as Turtle (default),
  N-Triples, JSON-LD, RDF/XML;
- without a query: the SPARQL 1.1 Service Description (Turtle, JSON-LD, RDF/XML, N-Triples),
  or, for a browser that prefers HTML, the query editor page (:func:`render_editor`).

Status codes: 400 malformed request, syntax error, a SPARQL Update sent as ``query``, or
``SERVICE``; 403 update requests (``update=``, ``application/sparql-update``); 405 other
methods; 406 no acceptable format; 413 request body or serialized result over its cap;
415 unsupported ``Content-Type`` or a charset other than UTF-8; 503 query timeout or memory
limit (its worker is killed), no free worker, or a remote store's SPARQL server that cannot be
reached (with ``Retry-After``); 500 evaluation failure; 502 a remote store's SPARQL server
failed. Error bodies are ``text/plain`` with one clear message, never a stack trace. Every
response allows any origin (CORS) and varies on ``Accept``.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, request, url_for
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from competency_kg.query_pool import WRITTEN, InlineExecutor, QueryPool
from competency_kg.sparql.checks import check_query
from competency_kg.sparql.errors import (
    BadRequest,
    ClientBusy,
    NotAcceptable,
    PoolBusy,
    QueryError,
    QueryFailed,
    QueryMemoryExceeded,
    QueryRefused,
    QuerySyntaxError,
    QueryTimeout,
    ResultTooLarge,
    StoreDamaged,
    StoreUnavailable,
    UpstreamError,
    human_bytes,
)
from competency_kg.sparql.results import RawResult, solution_rows
from competency_kg.web.editor import editor_page
from competency_kg.web.negotiation import negotiate, prefers
from competency_kg.web.security import (
    client_address,
    log_query_error,
    retryable,
)
from competency_kg.web.state import query_executor, state

log = logging.getLogger(__name__)

bp = Blueprint("sparql", __name__)

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
ENTAILMENT = Namespace("http://www.w3.org/ns/entailment/")

FORM_TYPE = "application/x-www-form-urlencoded"
QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"

#: Accepted media type -> the engine's media type, for SELECT/ASK, in order of preference.
RESULT_TYPES: dict[str, str] = {
    "application/sparql-results+json": "application/sparql-results+json",
    "application/sparql-results+xml": "application/sparql-results+xml",
    "text/csv": "text/csv",
    "text/tab-separated-values": "text/tab-separated-values",
    "application/json": "application/sparql-results+json",
    "application/xml": "application/sparql-results+xml",
    "text/xml": "application/sparql-results+xml",
}
#: Accepted media type -> the engine's media type, for CONSTRUCT/DESCRIBE.
GRAPH_TYPES: dict[str, str] = {
    "text/turtle": "text/turtle",
    "application/n-triples": "application/n-triples",
    "application/ld+json": "application/ld+json",
    "application/rdf+xml": "application/rdf+xml",
    "application/x-turtle": "text/turtle",
    "application/turtle": "text/turtle",
    "text/n3": "text/turtle",  # Turtle is N3
    "text/rdf+n3": "text/turtle",
    "application/json": "application/ld+json",
    "application/xml": "application/rdf+xml",
    "text/plain": "application/n-triples",
}
#: Accepted media type -> rdflib serializer, for the service description.
DESCRIPTION_TYPES: dict[str, tuple[str, str]] = {
    "text/turtle": ("text/turtle", "turtle"),
    "application/ld+json": ("application/ld+json", "json-ld"),
    "application/rdf+xml": ("application/rdf+xml", "xml"),
    "application/n-triples": ("application/n-triples", "nt"),
    "application/x-turtle": ("text/turtle", "turtle"),
    "application/json": ("application/ld+json", "json-ld"),
    "application/xml": ("application/rdf+xml", "xml"),
}
#: ``format=``/``output=`` values -> the Accept header they stand for.
FORMAT_NAMES: dict[str, str] = {
    "json": "application/sparql-results+json, application/ld+json",
    "xml": "application/sparql-results+xml, application/rdf+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "turtle": "text/turtle",
    "ttl": "text/turtle",
    "n3": "text/turtle",
    "nt": "application/n-triples",
    "ntriples": "application/n-triples",
    "n-triples": "application/n-triples",
    "jsonld": "application/ld+json",
    "json-ld": "application/ld+json",
    "rdf": "application/rdf+xml",
    "rdfxml": "application/rdf+xml",
    "rdf+xml": "application/rdf+xml",
    "html": "text/html",
}
#: Response Content-Type per engine type (CSV/TSV default to US-ASCII without a charset).
CONTENT_TYPES = {
    "text/csv": "text/csv; charset=utf-8",
    "text/tab-separated-values": "text/tab-separated-values; charset=utf-8",
}

STATUS: dict[type[QueryError], int] = {
    QuerySyntaxError: 400,
    QueryRefused: 400,
    BadRequest: 400,
    NotAcceptable: 406,
    ResultTooLarge: 413,
    QueryTimeout: 503,
    QueryMemoryExceeded: 503,
    PoolBusy: 503,
    ClientBusy: 429,
    StoreUnavailable: 503,
    StoreDamaged: 503,
    QueryFailed: 500,
    UpstreamError: 502,
}

READ_ONLY = (
    "this endpoint is read-only: SPARQL Update requests are refused; "
    "send queries (SELECT, ASK, CONSTRUCT, DESCRIBE) as query=… or application/sparql-query"
)
METHODS = "GET, HEAD, POST, OPTIONS"


class ProtocolError(Exception):
    """A request the protocol does not allow; answered with ``status`` and the message."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


@dataclass
class ProtocolRequest:
    query: str | None
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)
    format: str | None = None


# --------------------------------------------------------------------------- responses
def _plain(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    text = message.rstrip("\n") + "\n"
    resp = Response(text, status=status, content_type="text/plain; charset=utf-8")
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


@bp.after_request
def _common_headers(resp: Response) -> Response:
    resp.headers["Access-Control-Allow-Origin"] = "*"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.vary.add("Accept")
    return resp


@bp.errorhandler(Exception)
def _unexpected(exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        return _plain(exc.code or 500, exc.description or exc.name)
    log.exception("unexpected error in the SPARQL endpoint")
    return _plain(500, "internal error while answering the request (it has been logged)")


# --------------------------------------------------------------------------- the endpoint
@bp.route(
    "/sparql",
    methods=["GET", "POST", "OPTIONS", "PUT", "DELETE", "PATCH"],
    strict_slashes=False,
)
def endpoint() -> Response:
    if request.method == "OPTIONS":
        return _preflight()
    if request.method not in ("GET", "HEAD", "POST"):
        return _plain(
            405, f"{request.method} is not allowed here; use GET or POST", {"Allow": METHODS}
        )
    try:
        req = _read_request()
        if req.query is None:
            return _describe(req)
        return _answer(req)
    except (ProtocolError, QueryError) as exc:
        return _plain(*error_reply(exc))


def error_reply(exc: ProtocolError | QueryError) -> tuple[int, str, dict[str, str] | None]:
    """The status, message and extra headers answering a request refused or a query that
    failed (logged when the fault is the server's)."""
    if isinstance(exc, ProtocolError):
        return exc.status, str(exc), exc.headers
    if isinstance(exc, NotAcceptable):
        offered = GRAPH_TYPES if exc.kind == "graph" else RESULT_TYPES
        types = ", ".join(dict.fromkeys(offered.values()))
        return 406, f"{exc}; this endpoint offers {types}", None
    status = STATUS.get(type(exc), 500)
    if status >= 500:
        log_query_error(exc)
    headers = None
    if retryable(exc):
        headers = {"Retry-After": "2" if isinstance(exc, PoolBusy | ClientBusy) else "5"}
    return status, str(exc), headers


def _preflight() -> Response:
    resp = Response(status=204)
    resp.headers["Allow"] = METHODS
    resp.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    asked = request.headers.get("Access-Control-Request-Headers", "")
    allowed = ", ".join(h.strip() for h in asked.split(",") if h.strip().replace("-", "").isalnum())
    resp.headers["Access-Control-Allow-Headers"] = allowed or "Accept, Content-Type"
    resp.headers["Access-Control-Max-Age"] = "86400"
    return resp


def _read_request() -> ProtocolRequest:
    """The operation and its parameters, checked as the protocol says (§2.1, §2.2)."""
    args = request.args
    form: MultiDict[str, str] = MultiDict()
    direct: str | None = None
    if request.method == "POST":
        mime = request.mimetype
        if not mime:
            raise ProtocolError(
                415,
                f"a POST needs a Content-Type: {FORM_TYPE} (query=…) or {QUERY_TYPE} "
                "(the query as the body)",
            )
        if mime == UPDATE_TYPE:
            raise ProtocolError(403, READ_ONLY)
        if mime not in (FORM_TYPE, QUERY_TYPE):
            raise ProtocolError(
                415, f"unsupported Content-Type {mime}; use {FORM_TYPE} or {QUERY_TYPE}"
            )
        charset = request.mimetype_params.get("charset", "utf-8").lower()
        if charset not in ("utf-8", "utf8"):
            raise ProtocolError(415, f"the request body must be UTF-8, not {charset}")
        if mime == FORM_TYPE:
            form = request.form
        else:
            try:
                direct = request.get_data(cache=False).decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ProtocolError(400, f"the query is not valid UTF-8: {exc}") from exc
    queries = args.getlist("query") + form.getlist("query")
    if direct is not None:
        queries.append(direct)
    updates = args.getlist("update") + form.getlist("update")
    if queries and updates:
        raise ProtocolError(400, "a request carries either a query or an update, not both")
    if updates:
        raise ProtocolError(403, READ_ONLY)
    if len(queries) > 1:
        raise ProtocolError(400, f"a request carries one query; this one has {len(queries)}")
    if queries and not queries[0].strip():
        raise ProtocolError(400, "the query is empty")
    formats = [f for key in ("format", "output") for f in args.getlist(key) + form.getlist(key)]
    return ProtocolRequest(
        query=queries[0] if queries else None,
        default_graphs=args.getlist("default-graph-uri") + form.getlist("default-graph-uri"),
        named_graphs=args.getlist("named-graph-uri") + form.getlist("named-graph-uri"),
        format=formats[0] if formats else None,
    )


def _accept(fmt: str | None) -> str | None:
    """The Accept header to negotiate with: the request's, or the one ``format=`` stands for."""
    if fmt is None:
        return request.headers.get("Accept")
    key = fmt.strip().lower()
    if key in FORMAT_NAMES:
        return FORMAT_NAMES[key]
    if "/" in key and key.split(";")[0].strip() in {*RESULT_TYPES, *GRAPH_TYPES, "text/html"}:
        return key
    raise ProtocolError(
        400, f"unknown format {fmt!r}; use one of {', '.join(FORMAT_NAMES)} or a media type"
    )


def _answer(req: ProtocolRequest) -> Response:
    assert req.query is not None
    result = answer_query(
        query_executor(),
        req,
        _accept(req.format),
        url_for("sparql.endpoint", _external=True),
        client_address(),
    )
    return Response(result.data, status=200, content_type=content_type(result))


@functools.lru_cache(maxsize=256)
def negotiated(accept: str | None) -> tuple[str | None, str | None]:
    """The engine's media types for results and for graphs that ``accept`` asks for (None:
    none acceptable); remembered per header text, which clients repeat."""
    picked = negotiate(accept, list(RESULT_TYPES))
    results_mime = RESULT_TYPES[picked] if picked else None
    picked = negotiate(accept, list(GRAPH_TYPES))
    return results_mime, GRAPH_TYPES[picked] if picked else None


def content_type(result: RawResult) -> str:
    return CONTENT_TYPES.get(result.mime, result.mime)


def answer_query(
    executor: QueryPool | InlineExecutor,
    req: ProtocolRequest,
    accept: str | None,
    base_iri: str,
    client: str,
) -> RawResult:
    """The one way a protocol request's query is answered (the Flask view and
    :class:`LeanEndpoint`): negotiated and checked (:func:`prepared`), then run by the pool
    as a written query."""
    return executor.run(**prepared(req, accept, base_iri, client))


def prepared(req: ProtocolRequest, accept: str | None, base_iri: str, client: str) -> Any:
    """``executor.run``'s arguments for the request; raises what refuses it before it runs
    (:class:`NotAcceptable`, the query check's errors)."""
    assert req.query is not None
    results_mime, graph_mime = negotiated(accept)
    info = check_query(req.query)
    if info.form in ("select", "ask") and results_mime is None:
        raise NotAcceptable(info.form)
    if info.form in ("construct", "describe") and graph_mime is None:
        raise NotAcceptable("graph")
    protocol_dataset = bool(req.default_graphs or req.named_graphs)
    return {
        "query": req.query,
        "results_mime": results_mime,
        "graph_mime": graph_mime,
        "default_graphs": req.default_graphs if protocol_dataset else None,
        "named_graphs": req.named_graphs if protocol_dataset else None,
        "base_iri": base_iri,
        "info": info,
        "lane": WRITTEN,
        "client": client,
    }


# --------------------------------------------------------------------------- no query
def _describe(req: ProtocolRequest) -> Response:
    accept = _accept(req.format)
    if prefers(accept, "text/html", list(DESCRIPTION_TYPES)):
        return render_editor()
    picked = negotiate(accept, list(DESCRIPTION_TYPES))
    if picked is None:
        types = ", ".join(dict.fromkeys(m for m, _ in DESCRIPTION_TYPES.values()))
        return _plain(406, f"the service description is available as {types} or text/html")
    mime, rdflib_format = DESCRIPTION_TYPES[picked]
    graph = service_description(url_for("sparql.endpoint", _external=True))
    body = graph.serialize(format=rdflib_format, encoding="utf-8")
    return Response(body, status=200, content_type=mime)


def _named_graphs() -> list[str]:
    try:
        raw = query_executor().run("SELECT DISTINCT ?g WHERE { GRAPH ?g { } } ORDER BY ?g")
    except QueryError as exc:
        log.warning("service description without its graph list: %s", exc)
        return []
    _, rows = solution_rows(raw)
    return [r["g"].value for r in rows if isinstance(r.get("g"), ox.NamedNode)]


def service_description(endpoint_url: str) -> Graph:
    """The SPARQL 1.1 Service Description of this endpoint as an rdflib graph."""
    st = state()
    g = Graph()
    g.bind("sd", SD)
    g.bind("formats", FORMATS)
    g.bind("dcterms", DCTERMS)
    service = URIRef(endpoint_url + "#service")
    g.add((service, RDF.type, SD.Service))
    g.add((service, SD.endpoint, URIRef(endpoint_url)))
    g.add((service, DCTERMS.title, Literal("competency-kg SPARQL endpoint")))
    g.add(
        (
            service,
            RDFS.comment,
            Literal(
                "Read-only SPARQL 1.1 Query endpoint over a knowledge graph of occupations and "
                "the competencies they demand. SPARQL Update and SERVICE are refused; a query "
                f"is cancelled after {st.query_timeout:g} s and a result is capped at "
                f"{human_bytes(st.max_result_bytes)} of serialized output.",
                lang="en",
            ),
        )
    )
    g.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    g.add((service, SD.feature, SD.UnionDefaultGraph))
    g.add((service, SD.defaultEntailmentRegime, ENTAILMENT.Simple))
    for fmt in (
        "SPARQL_Results_JSON",
        "SPARQL_Results_XML",
        "SPARQL_Results_CSV",
        "SPARQL_Results_TSV",
        "Turtle",
        "N-Triples",
        "JSON-LD",
        "RDF_XML",
    ):
        g.add((service, SD.resultFormat, FORMATS[fmt]))
    dataset, default_graph = BNode(), BNode()
    g.add((service, SD.defaultDataset, dataset))
    g.add((dataset, RDF.type, SD.Dataset))
    g.add((dataset, SD.defaultGraph, default_graph))
    g.add((default_graph, RDF.type, SD.Graph))
    merge = "the RDF merge of all named graphs: each distinct triple once"
    g.add((default_graph, RDFS.comment, Literal(merge, lang="en")))
    for name in _named_graphs():
        ng = BNode()
        g.add((dataset, SD.namedGraph, ng))
        g.add((ng, RDF.type, SD.NamedGraph))
        g.add((ng, SD.name, URIRef(name)))
    return g


def render_editor() -> Response:
    """The page a browser gets at ``/sparql`` without a query: the query editor (YASGUI)."""
    return editor_page()
