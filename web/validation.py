"""Curators' SHACL reports: ``/validation``.

- ``GET /validation`` — the report of the whole store, or of one source graph (``source=``, a
  graph IRI or a source id), grouped by severity, then node shape and rule (the property shape
  and its constraint), then focus node; each result links the focus node's page and names the
  source document and the place in it. Filters: ``severity=``, ``shape=`` (a node shape or a
  rule, by IRI or prefixed name), ``focus=`` (one resource's results). The same report as
  Turtle, JSON-LD or N-Triples (a ``sh:ValidationReport``), JSON, CSV or text, by ``Accept``
  or by ``format=`` (``turtle``, ``jsonld``, ``ntriples``, ``json``, ``csv``, ``text``: then
  as a download). Reports come per graph from :mod:`competency_kg.reporting`'s cache.
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
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, render_template, request
from rdflib import Graph, URIRef
from rdflib.namespace import RDFS

from competency_kg.curation import apply_corrections, curation_graph, stored_corrections
from competency_kg.iris import safe_segment
from competency_kg.loaders import SourceError, read_source
from competency_kg.namespaces import CKG, DCTERMS, PREFIXES, SH
from competency_kg.reporting import (
    VALIDATION_LOCK,
    assemble,
    document_report,
    focus_badges,
    report_graph,
)
from competency_kg.safe_text import escape_controls
from competency_kg.store import GraphStore, StoreError
from competency_kg.validation import (
    CorrectionInfo,
    Report,
    ResolvedResult,
    Result,
    SourceSummary,
    add_places,
    compact,
    path_text,
    shapes_graph,
    validate_graph,
)
from competency_kg.web.negotiation import negotiate
from competency_kg.web.state import state

bp = Blueprint("validation", __name__)

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
SEVERITIES = ("Violation", "Warning", "Info")
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


# --------------------------------------------------------------------------- presentation
@dataclass
class FocusGroup:
    iri: str
    label: str | None
    href: str | None
    results: list[Result]
    sources: list[tuple[str, str, str]]  # (label, graph IRI, filter link)
    location: str | None
    anchor: str


@dataclass
class RuleGroup:
    iri: str
    name: str
    compact: str
    constraint: str
    path: str | None
    message: str | None  # when every result says the same
    foci: list[FocusGroup] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(f.results) for f in self.foci)

    @property
    def has_values(self) -> bool:
        return any(r.value for f in self.foci for r in f.results)


@dataclass
class ShapeGroup:
    iri: str
    label: str
    compact: str
    rules: list[RuleGroup] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(r.count for r in self.rules)


@dataclass
class SeverityGroup:
    name: str
    shapes: list[ShapeGroup] = field(default_factory=list)

    @property
    def css(self) -> str:
        return self.name.lower()

    @property
    def count(self) -> int:
        return sum(s.count for s in self.shapes)


def _shape_name(iri: str) -> str | None:
    g = shapes_graph()
    node = URIRef(iri)
    for p in (SH.name, RDFS.label):
        v = g.value(node, p)
        if v is not None:
            return str(v)
    return None


def resource_href(iri: str | None) -> str | None:
    """Where this server shows a data resource: its IRI's path after the base."""
    if not iri:
        return None
    base = state().settings.minter.base
    if iri.startswith(base) and len(iri) > len(base):
        return "/" + iri[len(base) :]
    return None


def show_term(text: str) -> str:
    """An N-Triples term, short: prefixed names, data IRIs relative to the base, literals
    by their text."""
    if text.startswith("<") and text.endswith(">"):
        iri = text[1:-1]
        short = compact(iri)
        if short != iri:
            return short
        base = state().settings.minter.base
        return "<" + iri[len(base) :] + ">" if iri.startswith(base) else text
    m = re.match(r'^"(.*)"(?:@[\w-]+|\^\^<[^>]*>)?$', text, re.DOTALL)
    if m:
        return '"' + m.group(1).replace('\\"', '"').replace("\\n", " ") + '"'
    return text


@dataclass
class Scope:
    """The page's choices: which graph, which results."""

    source: str | None = None
    severity: str | None = None
    shape: str | None = None
    focus: str | None = None
    limit: int | None = None  # results shown per rule (Stardog's --limit-per-shape)

    def matches(self, r: Result) -> bool:
        if self.severity and r.severity != self.severity:
            return False
        if self.shape and self.shape not in (r.shape, r.source_shape):
            return False
        return not (self.focus and r.focus != self.focus)

    def link(self, **changes: str | None) -> str:
        values = {
            "source": self.source,
            "severity": self.severity,
            "shape": self.shape,
            "focus": self.focus,
            "limit": str(self.limit) if self.limit else None,
            **changes,
        }
        params = {k: v for k, v in values.items() if v}
        return "/validation" + ("?" + urlencode(params) if params else "")


def _expand(name: str) -> str:
    """A prefixed name (``ckgsh:OccupationShape``, ``ckg:…``) as an IRI; an IRI as itself."""
    prefix, colon, local = name.partition(":")
    if colon and prefix == "ckgsh":
        return "https://w3id.org/competency-kg/shapes#" + local
    if colon and prefix in PREFIXES and not local.startswith("//"):
        return PREFIXES[prefix] + local
    return name


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
    raw_limit = (args.get("limit") or "").strip()
    if raw_limit and not (raw_limit.isdigit() and int(raw_limit) > 0):
        raise HttpError(400, f"limit={raw_limit!r}: give a whole number of results per rule")
    return Scope(
        limit=int(raw_limit) if raw_limit else None,
        source=(args.get("source") or "").strip() or None,
        severity=severity_name,
        shape=_expand(shape) if shape else None,
        focus=(args.get("focus") or "").strip() or None,
    )


def group_results(
    results: list[Result], scope: Scope, sources: dict[str, SourceSummary], link: bool = True
) -> list[SeverityGroup]:
    """severity → node shape → rule → focus node, each level in a stable order."""
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    shapes = shapes_graph()
    ordered = sorted(
        results,
        key=lambda r: (
            rank.get(r.severity, 9),
            _shape_name(r.shape) or r.shape,
            _shape_name(r.source_shape) or r.source_shape,
            (r.focus_label or r.focus).lower(),
            r.focus,
            r.value or "",
        ),
    )
    groups: dict[str, SeverityGroup] = {}
    shape_groups: dict[tuple[str, str], ShapeGroup] = {}
    rule_groups: dict[tuple[str, str, str], RuleGroup] = {}
    focus_groups: dict[tuple[str, str, str, str], FocusGroup] = {}
    for r in ordered:
        sev = groups.setdefault(r.severity, SeverityGroup(r.severity))
        sk = (r.severity, r.shape)
        if sk not in shape_groups:
            shape_groups[sk] = ShapeGroup(
                r.shape, _shape_name(r.shape) or compact(r.shape), compact(r.shape)
            )
            sev.shapes.append(shape_groups[sk])
        rk = (r.severity, r.shape, r.source_shape)
        if rk not in rule_groups:
            path = r.path if r.path and r.path != "(path)" else None
            shape_path = path_text(shapes.value(URIRef(r.source_shape), SH.path))
            rule_groups[rk] = RuleGroup(
                iri=r.source_shape,
                name=_shape_name(r.source_shape) or compact(r.source_shape),
                compact=compact(r.source_shape),
                constraint=r.constraint.removesuffix("ConstraintComponent"),
                path=shape_path or (compact(path) if path else None),
                message=None,
            )
            shape_groups[sk].rules.append(rule_groups[rk])
        fk = (*rk, r.focus)
        if fk not in focus_groups:
            graphs = (r.graph or "").split()
            focus_groups[fk] = FocusGroup(
                iri=r.focus,
                label=r.focus_label,
                href=resource_href(r.focus) if link else None,
                results=[],
                sources=[
                    (
                        sources[g].title if g in sources and sources[g].title else compact(g),
                        g,
                        scope.link(source=g),
                    )
                    for g in graphs
                ],
                location=r.location,
                anchor="r-" + hashlib.sha1("|".join(fk).encode()).hexdigest()[:10],
            )
            rule_groups[rk].foci.append(focus_groups[fk])
        focus_groups[fk].results.append(r)
    for rule in rule_groups.values():
        messages = {r.message for f in rule.foci for r in f.results}
        if len(messages) == 1:
            rule.message = messages.pop()
    return [groups[s] for s in SEVERITIES if s in groups] + [
        g for k, g in groups.items() if k not in SEVERITIES
    ]


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
        option = shape_options.setdefault(r.shape, [_shape_name(r.shape) or compact(r.shape), 0])
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
        "corrections": _corrections_view(report) if report else [],
        "stale": report.stale if report else [],
        "upload_limit_mb": _upload_limit() / (1024 * 1024),
        "show_term": show_term,
        "resource_href": resource_href,
        "compact": compact,
        "focus_label": _focus_label(every, scope.focus),
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


def _focus_label(results: list[Result], focus: str | None) -> str | None:
    if not focus:
        return None
    for r in results:
        if r.focus == focus and r.focus_label:
            return r.focus_label
    return None


@dataclass
class CorrectionView:
    info: CorrectionInfo
    resolved: list[ResolvedResult]


def _corrections_view(report: Report) -> list[CorrectionView]:
    return [
        CorrectionView(c, [rr for rr in report.resolved if c.iri in rr.corrections])
        for c in report.corrections
    ]


#: Results shown per rule on the page unless ``limit=`` says otherwise: the report of a big
#: store stays one readable screen; each cut rule says "N of M" and links all of them.
PAGE_LIMIT = 50


def rule_totals(results: list[Result]) -> dict[str, int]:
    """How many results each rule (source shape) has, before any limit."""
    totals: dict[str, int] = {}
    for r in results:
        totals[r.source_shape] = totals.get(r.source_shape, 0) + 1
    return totals


def limit_per_rule(chosen: Any, limit: int) -> Any:
    """The report with at most ``limit`` results per rule, in the report's order; every
    count of the report (``summary``) still counts them all."""
    seen: dict[str, int] = {}

    def keep(r: Result) -> bool:
        seen[r.source_shape] = seen.get(r.source_shape, 0) + 1
        return seen[r.source_shape] <= limit

    kept = [r for r in chosen.report.results if keep(r)]
    report = replace(chosen.report, results=kept, summary=summary(chosen.report.results))
    return type(chosen)(report, chosen.rdf, chosen.graphs)


def summary(results: list[Result]) -> list[dict[str, Any]]:
    """Counts per rule and per message: what a big report is, on one screen."""
    by_rule: dict[tuple[str, str], dict[str, Any]] = {}
    for r in results:
        row = by_rule.setdefault(
            (r.severity, r.source_shape),
            {"severity": r.severity, "rule": r.source_shape, "total": 0, "messages": {}},
        )
        row["total"] += 1
        row["messages"][r.message] = row["messages"].get(r.message, 0) + 1
    return sorted(by_rule.values(), key=lambda x: (SEVERITIES.index(x["severity"]), -x["total"]))


@bp.get("/validation")
def report_page() -> Response:
    try:
        scope = _scope_from_request()
        mime, download = _wanted()
        store = report_store()
        minter = state().settings.minter
        whole = assemble(store, minter)
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
