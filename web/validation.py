"""Curators' SHACL reports: ``/validation``.

- ``GET /validation`` — the report of the whole store, or of one source graph (``source=``, a
  graph IRI or a source id), grouped by severity, then node shape and rule (the property shape
  and its constraint), then focus node; each result links the focus node's page and names the
  source document and the place in it. Filters: ``severity=``, ``shape=`` (a node shape or a
  rule, by IRI or prefixed name), ``focus=`` (one resource's results). The same report as
  Turtle, JSON-LD or N-Triples (a ``sh:ValidationReport``), JSON, CSV or text, by ``Accept``
  or by ``format=`` (``turtle``, ``jsonld``, ``ntriples``, ``json``, ``csv``, ``text``: then
  as a download). Reports come per graph from :mod:`competency_kg.reporting`'s cache,
  kept on disk per store version and computed once in the background
  (:mod:`competency_kg.reporting.kept`): while it runs, a browser gets, after
  :data:`REPORT_WAIT` seconds, a page saying so that reloads itself; other clients wait.
- ``POST /validation`` — check a file before loading it: ``multipart/form-data`` with the file
  in the field ``file``, or the file as the raw body with its name in ``?filename=`` (its
  extension or content says its format, as for ``competency-kg load``) or a ``Content-Type``
  naming its format (:data:`BODY_TYPES`). The answer is the report the file would have once
  loaded into this store (the store's corrections applied, its other sources as context),
  with its counts alone beside them; nothing is stored. Up to :data:`UPLOAD_LIMIT` bytes (413
  beyond); an unreadable file gets 422 with the loader's message (the file and the place in
  it). The file goes to a temporary folder removed before the answer; the loaders never fetch
  anything and never expand XML entities (``loaders/rdf_file.py``).
- ``GET /validation/focus?iri=…`` — a resource's own violations and warnings as JSON, for the
  badge on its page (:func:`badges_for`).

The routes are here; how the page groups and shows a report is in
:mod:`competency_kg.web.validation_view`.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from rdflib import Graph, URIRef

from competency_kg.curation import apply_corrections, curation_graph, stored_corrections
from competency_kg.iris import Minter, safe_segment
from competency_kg.loaders import SourceError, read_source
from competency_kg.namespaces import CKG, DCTERMS, SH
from competency_kg.reporting import (
    VALIDATION_LOCK,
    assemble,
    document_report,
    focus_badges,
    kept,
    report_graph,
)
from competency_kg.reporting.store_report import StoreReport
from competency_kg.safe_text import escape_controls
from competency_kg.store import GraphStore, StoreError
from competency_kg.validation import (
    Report,
    SourceSummary,
    compact,
    validate_graph,
)
from competency_kg.validation_places import add_places
from competency_kg.web.negotiation import negotiate
from competency_kg.web.state import SERVED, state
from competency_kg.web.validation_view import (
    PAGE_LIMIT,
    SEVERITIES,
    Scope,
    corrections_view,
    expand_name,
    focus_label,
    group_results,
    limit_per_rule,
    resource_href,
    rule_totals,
    shape_name,
    show_term,
)

bp = Blueprint("validation", __name__)

#: How long the HTML page waits for a report being computed before it says so
#: (``COMPETENCY_KG_REPORT_WAIT`` overrides): a first fetch stays under 1 s (issue 23); a
#: report done by then (a small store's) is shown at once.
REPORT_WAIT = 0.5
#: How often the page shown meanwhile reloads itself (the seeds' report takes about 2 s).
REPORT_REFRESH = 3

#: Largest file ``POST /validation`` checks (``COMPETENCY_KG_MAX_UPLOAD_BYTES`` overrides).
UPLOAD_LIMIT = 5 * 1024 * 1024

#: Media types offered, in order of preference for ties.
OFFERS = [
    "text/html",
    "application/json",
    "text/csv",
    "text/turtle",
    "application/ld+json",
    "application/n-triples",
    "text/plain",
]
#: ``format=`` values → media type.
FORMAT_NAMES = {
    "html": "text/html",
    "json": "application/json",
    "csv": "text/csv",
    "turtle": "text/turtle",
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "json-ld": "application/ld+json",
    "nt": "application/n-triples",
    "ntriples": "application/n-triples",
    "text": "text/plain",
    "txt": "text/plain",
}
EXTENSIONS = {
    "application/json": "json",
    "text/csv": "csv",
    "text/turtle": "ttl",
    "application/ld+json": "jsonld",
    "application/n-triples": "nt",
    "text/plain": "txt",
}
#: A raw body's ``Content-Type`` → the extension that tells the loaders its format, as a
#: file's name would (HTTP clients send a type, not a name).
BODY_TYPES = {
    "text/turtle": "ttl",
    "application/x-turtle": "ttl",
    "application/trig": "trig",
    "application/n-triples": "nt",
    "application/n-quads": "nq",
    "application/rdf+xml": "rdf",
    "application/ld+json": "jsonld",
    "application/json": "json",
    "text/plain": "txt",
}


class HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(message)


# --------------------------------------------------------------------------- the store
def report_store() -> GraphStore:
    """The store the reports read (see :func:`competency_kg.web.app.WebState.get_store`)."""
    return state().get_store()


def badges_for(iri: str) -> dict[str, Any]:
    """A resource's own results for a badge on its page (call it inside a request).

    ``{"iri", "violations", "warnings", "infos", "total", "checked", "link"}``: counts of its
    results in the store's report, whether a graph describing it was validated here (false
    when it is only in bulk-loaded sources), and the report page listing them
    (``/validation?focus=…``).
    """
    return focus_badges(report_store(), state().settings.minter, iri)


# --------------------------------------------------------------------------- the request
def _scope_from_request() -> Scope:
    args = request.args
    severity = (args.get("severity") or "").strip()
    if severity.lower() in ("", "all", "any"):
        severity_name = None
    else:
        severity_name = severity[:1].upper() + severity[1:].lower()
        severity_name = severity_name.removesuffix("s")
        if severity_name not in SEVERITIES:
            raise HttpError(400, f"unknown severity {severity!r}: use Violation, Warning or Info")
    shape = (args.get("shape") or "").strip() or None
    # limit_per_shape= as Stardog's --limit-per-shape and the command line's (one rule: one shape)
    name = "limit_per_shape" if "limit_per_shape" in args else "limit"
    raw_limit = (args.get(name) or "").strip()
    if raw_limit and not (raw_limit.isdigit() and int(raw_limit) > 0):
        raise HttpError(400, f"{name}={raw_limit!r}: give a whole number of results per rule")
    return Scope(
        limit=int(raw_limit) if raw_limit else None,
        source=(args.get("source") or "").strip() or None,
        severity=severity_name,
        shape=expand_name(shape) if shape else None,
        focus=(args.get("focus") or "").strip() or None,
    )


# --------------------------------------------------------------------------- answers
def _wanted() -> tuple[str, bool]:
    """The media type to answer with, and whether it is a download (``format=``)."""
    fmt = (request.args.get("format") or "").strip().lower()
    if fmt:
        mime = FORMAT_NAMES.get(fmt) or (fmt if fmt in OFFERS else None)
        if mime is None:
            names = ", ".join(sorted(FORMAT_NAMES))
            raise HttpError(400, f"unknown format {fmt!r}: use one of {names}")
        return mime, mime != "text/html"
    mime = negotiate(request.headers.get("Accept"), OFFERS)
    if mime is None:
        raise HttpError(406, "no acceptable format: offered " + ", ".join(OFFERS))
    return mime, False


#: The formats that need the report's RDF form.
RDF_TYPES = ("text/turtle", "application/ld+json", "application/n-triples")


def _serialize(report: Report, graph: Callable[[], Graph] | None, mime: str) -> bytes:
    """The report in ``mime``; ``graph`` makes its RDF form (for the RDF formats)."""
    if mime == "application/json":
        return (report.to_json() + "\n").encode("utf-8")
    if mime == "text/csv":
        return report.to_csv().encode("utf-8")
    if mime == "text/plain":
        return report.to_text().encode("utf-8")
    if graph is None:
        raise ValueError(f"{mime} needs the report's RDF form")
    g = graph()
    if mime == "application/ld+json":
        context = {"sh": str(SH), "ckg": str(CKG), "dcterms": str(DCTERMS)}
        return g.serialize(format="json-ld", context=context, auto_compact=True).encode()
    fmt = {"text/turtle": "turtle", "application/n-triples": "nt"}[mime]
    return g.serialize(format=fmt, encoding="utf-8")


def _respond(
    body: bytes | str, mime: str, status: int = 200, download: str | None = None
) -> Response:
    charset = "; charset=utf-8" if mime.startswith("text/") or mime.endswith("json") else ""
    resp = Response(body, status=status, content_type=mime + charset)
    if download:
        resp.headers["Content-Disposition"] = f'attachment; filename="{download}"'
    resp.headers["Vary"] = "Accept"
    if mime != "text/html":  # data for any site's scripts, as from /sparql
        resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp


def _error(exc: HttpError) -> Response:
    """One line of text; a browser that sent the page's form gets the page with the message."""
    accept = request.headers.get("Accept")
    if accept and negotiate(accept, ["text/html", "text/plain"]) == "text/html":
        page = render_template("validation.html", error=exc.message, **_page_context(None, Scope()))
        return _respond(page, "text/html", exc.status)
    return _respond(exc.message + "\n", "text/plain", exc.status)


def _page_context(
    report: Report | None,
    scope: Scope,
    whole: Report | None = None,
    upload: Upload | None = None,
) -> dict[str, Any]:
    """What the template needs; ``whole`` is the unfiltered store report (for the choices)."""
    overview = whole or report
    sources = {s.graph: s for s in overview.sources} if overview else {}
    every = overview.results if overview else []
    shape_options: dict[str, list[Any]] = {}
    for r in every:
        if scope.severity and r.severity != scope.severity:
            continue
        option = shape_options.setdefault(r.shape, [shape_name(r.shape) or compact(r.shape), 0])
        option[1] += 1
    sep = "&" if "?" in scope.link() else "?"
    return {
        "report": report,
        "groups": group_results(report.results, scope, sources, link=upload is None)
        if report
        else [],
        "scope": scope,
        "upload": upload,
        "sources": list(sources.values()) if upload is None else [],
        "titles": {g: s.title for g, s in sources.items() if s.title},
        "shape_options": sorted(shape_options.items(), key=lambda kv: kv[1][0]),
        "severity_counts": {s: sum(1 for r in every if r.severity == s) for s in SEVERITIES},
        "corrections": corrections_view(report) if report else [],
        "stale": report.stale if report else [],
        "upload_limit_mb": _upload_limit() / (1024 * 1024),
        "show_term": show_term,
        "resource_href": resource_href,
        "compact": compact,
        "focus_label": focus_label(every, scope.focus),
        "formats": [
            (label, scope.link() + sep + "format=" + fmt)
            for label, fmt in (
                ("Turtle", "turtle"),
                ("JSON-LD", "jsonld"),
                ("JSON", "json"),
                ("CSV", "csv"),
                ("Text", "text"),
            )
        ],
    }


def _in_server() -> bool:
    """Whether ``competency-kg serve`` runs this application: a test's own application waits
    for the report."""
    return bool(current_app.config.get(SERVED))


def _whole_report(
    store: GraphStore, minter: Minter, wait: float | None
) -> StoreReport | kept.Progress:
    """The whole report, waiting for a computation under way until it is ``wait`` seconds
    old at most: a report that takes longer (a minute on the whole O*NET release) makes each
    visit wait once, not every reload (each repeat took 0.5 s, issue 23)."""
    whole = kept.whole_report(store, minter, None if wait is None else 0.0)
    if wait and isinstance(whole, kept.Progress):
        left = wait - (time.time() - whole.started)
        if left > 0:
            whole = kept.whole_report(store, minter, left)
    return whole


def _report_wait() -> float:
    try:
        return max(0.0, float(os.environ.get("COMPETENCY_KG_REPORT_WAIT", REPORT_WAIT)))
    except ValueError:
        return REPORT_WAIT


def _computing(progress: kept.Progress) -> Response:
    """The page said while the store version's report is computed: at once, reloading itself
    (no script: the site's CSP), a link to reload, the progress in a status region."""
    started = datetime.fromtimestamp(progress.started, UTC)
    page = render_template(
        "validation_computing.html",
        progress=progress,
        started=started.strftime("%Y-%m-%d %H:%M:%S UTC"),
        refresh=REPORT_REFRESH,
        link=request.full_path.rstrip("?"),
    )
    resp = _respond(page, "text/html")
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/validation")
def report_page() -> Response:
    try:
        scope = _scope_from_request()
        mime, download = _wanted()
        store = report_store()
        minter = state().settings.minter
        # one computation per store version (kept on disk): a browser waits a moment for it,
        # then is told it is under way; other clients wait until it is done (see validation.md)
        wait = _report_wait() if mime == "text/html" and _in_server() else None
        whole = _whole_report(store, minter, wait)
        if isinstance(whole, kept.Progress):
            return _computing(whole)
        chosen = whole
        if scope.source:
            chosen = assemble(store, minter, scope.source)
            sources = chosen.report.sources
            scope.source = sources[0].graph if sources else scope.source
        chosen = chosen.select(scope.matches)
        totals = rule_totals(chosen.report.results)
        limit = scope.limit or (PAGE_LIMIT if mime == "text/html" else None)
        if limit and max(totals.values(), default=0) > limit:
            chosen = limit_per_rule(chosen, limit)
    except StoreError as exc:
        if str(exc).startswith("no source graph"):
            return _error(HttpError(404, str(exc)))
        raise  # a 503 with Retry-After (web/security.py); the details go to the log only
    except HttpError as exc:
        return _error(exc)
    if mime != "text/html":
        name = None
        if download:
            suffix = "-" + safe_segment(scope.source.rsplit("/", 1)[-1]) if scope.source else ""
            name = f"validation-report{suffix}.{EXTENSIONS[mime]}"
        body = _serialize(chosen.report, chosen.graph if mime in RDF_TYPES else None, mime)
        return _respond(body, mime, download=name)
    page = render_template(
        "validation.html", totals=totals, **_page_context(chosen.report, scope, whole.report)
    )
    return _respond(page, "text/html")


@bp.get("/validation/focus")
def focus_json() -> Response:
    iri = (request.args.get("iri") or "").strip()
    if not iri:
        return _respond("give the resource's IRI: /validation/focus?iri=…\n", "text/plain", 400)
    kept.whole_report(report_store(), state().settings.minter, wait=None)  # the one computation
    badges = badges_for(iri)  # a StoreError is a 503 with Retry-After (web/security.py)
    resp = jsonify(badges)
    resp.headers["Vary"] = "Accept"
    return resp


# --------------------------------------------------------------------------- checking a file
def _upload_limit() -> int:
    value = os.environ.get("COMPETENCY_KG_MAX_UPLOAD_BYTES")
    return int(value) if value else UPLOAD_LIMIT


@dataclass
class Upload:
    """A checked file, and the contexts its counts were computed in (see docs/curation.md)."""

    name: str
    size: int
    loader: str | None = None
    triples: int | None = None
    graph: str | None = None  # the graph a load would put it in
    in_store: bool = False  # the store holds that graph now (its report is a link away)
    with_store: bool = False  # checked with the store's other sources as context
    corrections: int = 0  # the store's corrections that apply to it
    alone: tuple[int, int] | None = None  # (violations, warnings) of the document alone
    note: str | None = None

    @property
    def stored_link(self) -> str | None:
        return "/validation?" + urlencode({"source": self.graph}) if self.in_store else None


def _safe_name(name: str) -> str:
    """The uploaded file's own name, without any folder, safe as a file name."""
    base = re.split(r"[\\/]", name)[-1].strip()
    stem, dot, ext = base.rpartition(".")
    if not dot:
        return safe_segment(base)[:100] or "upload"
    return (safe_segment(stem)[:100] or "upload") + "." + safe_segment(ext)[:20]


def check_file(name: str, data: bytes) -> tuple[Report, Graph, Upload]:
    """The report of one file as ``competency-kg load`` would store it; nothing stored.

    The store's corrections that apply to it are applied, and it is checked with the store's
    other sources as context, so the counts are the ones ``validate`` shows after the load
    (:func:`competency_kg.reporting.document_report`); its counts alone, the load's first
    check, come beside them. Raises :class:`HttpError` (422) for an unreadable file.
    """
    minter = state().settings.minter
    upload = Upload(name, len(data))
    with VALIDATION_LOCK, tempfile.TemporaryDirectory(prefix="competency-kg-check-") as tmp:
        path = Path(tmp) / _safe_name(name)
        path.write_bytes(data)
        try:
            src = read_source(path, minter)
        except SourceError as exc:
            place = f" ({exc.where})" if exc.where else ""
            message = exc.message.replace(str(path), name).replace(tmp, "")
            raise HttpError(422, escape_controls(f"{name}{place}: {message}")) from exc
        try:
            upload.loader = src.loader
            upload.graph = str(src.graph_iri)
            if src.bulk is not None:
                upload.triples = src.bulk.triples
                report = src.bulk.validate()
                graph = Graph()
                upload.note = "a bulk source: row checks over every row, SHACL over a sample"
            else:
                upload.triples = len(src.graph)
                report, graph = _check_in_store(src.graph, src.graph_iri, upload)
                add_places(report.results, data, path.suffix)
        finally:
            if src.bulk is not None:
                src.bulk.close()
    report.sources = [
        SourceSummary(
            graph=upload.graph or "",
            title=name,
            loader=upload.loader,
            triples=upload.triples,
            violations=report.violations,
            warnings=report.warnings,
        )
    ]
    report.titles = {**report.titles, **({upload.graph: name} if upload.graph else {})}
    return report, graph, upload


def _check_in_store(data: Graph, graph_iri: URIRef, upload: Upload) -> tuple[Report, Graph]:
    """The document's report as the load would store it in this store (else alone)."""
    try:
        store = report_store()
        fixes = stored_corrections(store)
    except StoreError as exc:  # no store yet: the document alone is all there is
        upload.note = f"checked alone: {exc}"
        return validate_graph(data, {})
    corrected, applied = apply_corrections(data + Graph(), graph_iri, fixes)
    curated = curation_graph(applied)
    alone, _ = validate_graph(corrected + curated, {})  # what the load's first check counts
    upload.alone = (alone.violations, alone.warnings)
    entry, st = document_report(store, state().settings.minter, str(graph_iri), corrected, curated)
    upload.with_store = True
    upload.corrections = len(applied.corrections)
    upload.in_store = str(graph_iri) in st.graphs
    report = Report(
        conforms=not any(r.severity == "Violation" for r in entry.results),
        results=entry.results,
        corrections=entry.corrections,
        resolved=entry.resolved,
        titles={g: info.label for g, info in st.graphs.items()},
        context=(
            f"as a load would store it in this store: the store's {len(applied.corrections)} "
            "correction(s) that apply to it applied, the other sources as context (the counts "
            "the store's report shows once it is loaded); the document alone with those "
            f"corrections (the load's first check): {alone.violations} violation(s), "
            f"{alone.warnings} warning(s)"
            + (f"; the version loaded now: {upload.stored_link}" if upload.in_store else "")
        ),
    )
    return report, report_graph(report, entry.rdf)


def _read_upload() -> tuple[str, bytes]:
    limit = _upload_limit()
    too_big = HttpError(
        413,
        f"the file is over the {limit // (1024 * 1024)} MB limit of a check; "
        "check it with 'competency-kg load' on a copy of the store instead",
    )
    if request.content_length is not None and request.content_length > limit + 64 * 1024:
        raise too_big
    if request.mimetype == "multipart/form-data":
        f = request.files.get("file")
        if f is None or not f.filename:
            raise HttpError(400, "no file: send it in the multipart/form-data field 'file'")
        name, data = f.filename, f.read(limit + 1)
    else:
        name = (request.args.get("filename") or "").strip()
        data = request.stream.read(limit + 1)
        if not name and not data:
            raise HttpError(
                400,
                "no file: send it in the multipart/form-data field 'file', "
                "or as the request body with ?filename=…",
            )
        if not name:
            ext = BODY_TYPES.get(request.mimetype)
            if ext is None:
                raise HttpError(
                    400,
                    "say the file's format: a Content-Type naming it (text/turtle, "
                    "application/ld+json, application/n-triples, application/n-quads, "
                    "application/trig, application/rdf+xml, application/json for a framework "
                    "export, text/plain for an overview), or its name as ?filename=…",
                )
            name = "upload." + ext
    if len(data) > limit:
        raise too_big
    return name, data


@bp.post("/validation")
def check_upload() -> Response:
    try:
        mime, _download = _wanted()
        name, data = _read_upload()
        report, graph, upload = check_file(name, data)
    except HttpError as exc:
        return _error(exc)
    if mime != "text/html":
        return _respond(_serialize(report, lambda: graph, mime), mime)
    page = render_template("validation.html", **_page_context(report, Scope(), upload=upload))
    return _respond(page, "text/html")
