"""Comparing occupations: ``/compare?a=…&b=…``.

- ``GET /compare`` — the picker (two occupation fields that search titles as you type); with
  ``a`` and ``b`` (each an O*NET-SOC code, an IRI, its path on this server, or an exact title),
  the comparison (:mod:`competency_kg.compare`): shared competencies first, then what B needs
  that A lacks ("to learn"), by importance, a chart of the level gaps, tools, certifications,
  work activities, the prioritized lists side by side, each occupation's nearest occupations,
  the source of every fact, and the SPARQL that produced it (with links into the editor).
  The same comparison as JSON, Turtle, JSON-LD, N-Triples, RDF/XML or CSV, by ``Accept`` or
  ``format=`` (``html``, ``json``, ``turtle``, ``jsonld``, ``ntriples``, ``rdfxml``, ``csv``).
  400 when ``a`` or ``b`` is missing or names several occupations, 404 when no occupation
  matches, 406 when no offered format is acceptable.
- ``GET /compare/occupations?q=…`` — the picker's search: occupations whose title or code
  contains the text, as ``{"query", "count", "results": [{"iri", "href", "label", "code"}]}``.
- ``GET /compare/gaps.svg?a=…&b=…`` — the level-gap chart alone.

Queries go through the application's query executor (worker processes that reopen the store
after a load); the profiles of all occupations behind the nearest lists are cached per process
while the store's state stays the same (:func:`competency_kg.compare.queries.store_state`),
and so is each comparison as sent (:data:`ANSWERS`, keyed by the store version).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, render_template, request

from competency_kg import versioned_cache
from competency_kg.compare.comparison import compare
from competency_kg.compare.formats import RDF_FORMATS, serialize, to_csv
from competency_kg.compare.index import local_path, occupation_index, occupation_list
from competency_kg.compare.model import STATUS_LABELS, Comparison
from competency_kg.compare.queries import ExecutorRunner, Runner, StoreRunner
from competency_kg.compare.resolution import Ambiguous, CompareError
from competency_kg.compare.scoring import FORMULA, LEVEL_RULE, REQUIRED_RULE, WEIGHTS
from competency_kg.query_pool import InlineExecutor, QueryPool
from competency_kg.web.negotiation import negotiate
from competency_kg.web.reading import LRUCache
from competency_kg.web.state import query_executor, state
from competency_kg.web.svg_compare import gap_chart, gap_figure

log = logging.getLogger(__name__)

bp = Blueprint("compare", __name__)

OFFERS = [
    "text/html",
    "application/json",
    "text/turtle",
    "application/ld+json",
    "application/n-triples",
    "application/rdf+xml",
    "text/csv",
]
FORMAT_NAMES = {
    "html": "text/html",
    "json": "application/json",
    "turtle": "text/turtle",
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "json-ld": "application/ld+json",
    "ntriples": "application/n-triples",
    "nt": "application/n-triples",
    "rdfxml": "application/rdf+xml",
    "rdf": "application/rdf+xml",
    "xml": "application/rdf+xml",
    "csv": "text/csv",
}
CONTENT_TYPES = {
    "text/html": "text/html; charset=utf-8",
    "application/json": "application/json",
    "text/turtle": "text/turtle; charset=utf-8",
    "application/ld+json": "application/ld+json",
    "application/n-triples": "application/n-triples",
    "application/rdf+xml": "application/rdf+xml",
    "text/csv": "text/csv; charset=utf-8",
}
SEARCH_LIMIT = 20
MAX_SEARCH = 200


class HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


_warming: set[str] = set()
_warming_lock = threading.Lock()


def warm_up() -> threading.Thread | None:
    """Read every occupation's profile in the background (one query at a time, so a query
    worker stays free), when the picker is shown: by the time a comparison is asked for, its
    nearest occupations are ready. Only with the worker pool (the real server)."""
    executor = query_executor()
    if not isinstance(executor, QueryPool):
        return None
    settings = state().settings
    with _warming_lock:
        if settings.store in _warming:
            return None
        _warming.add(settings.store)

    def run() -> None:
        try:
            r = ExecutorRunner(executor, identity=settings.store)
            occupation_index(r, settings.minter, parallel=False)
        except Exception:  # a failed warm-up only means the first comparison reads them
            log.warning("reading the occupations' profiles in advance failed", exc_info=True)
        finally:
            with _warming_lock:
                _warming.discard(settings.store)

    thread = threading.Thread(target=run, name="compare-warm-up", daemon=True)
    thread.start()
    return thread


#: Comparisons as sent, by store version, store, address, pair, format and whether they show
#: the nearest occupations (:func:`_nearest_ready`): the profiles
#: behind them are cached already, but scoring and writing one took ~350 ms on the whole
#: O*NET release; a load changes the version, and with it every key.
ANSWERS = LRUCache(max_bytes=32 * 1024 * 1024, max_items=512)


#: Said by a comparison answered while every occupation's profile is being read.
NEAREST_LATER = (
    "The nearest occupations are being worked out (every occupation's profile is read after "
    "a load, a minute on the whole O*NET release); reload this page to see them."
)


def _nearest_ready(version: str | None, mime: str) -> bool:
    """Whether a comparison shows the nearest occupations: when every occupation's profile
    is read already (the warmer's ``comparison`` step: 1-7 s on the whole O*NET release,
    which a browser's first comparison on a fresh server waited for, issue 23), or it may
    wait for them. A browser (HTML, over the worker pool) is answered without them
    meanwhile, said in a note, and the reading is started (:func:`warm_up`); other clients,
    in process (tests) and over a remote store, wait for them as before (as the validation
    report's)."""
    if version is None or mime != "text/html" or not isinstance(query_executor(), QueryPool):
        return True
    key = ("compare", runner().identity, "index")
    if versioned_cache.CACHE.find(key, version, count_miss=False) is not versioned_cache.MISSING:
        return True
    warm_up()
    return False


def runner() -> Runner:
    """Where the comparison's queries go: the query executor (the store itself when the
    application answers queries in the request thread: tests, a remote store)."""
    executor = query_executor()
    identity = state().settings.store
    if isinstance(executor, InlineExecutor):
        return StoreRunner(executor.store, identity=f"{identity}#{id(executor.store)}")
    return ExecutorRunner(executor, identity=identity)


def wanted(what: str = "the comparison") -> str:
    """The media type asked for: ``?format=`` (or a form's ``format``), else ``Accept``;
    ``what`` names the answer in a 406. Shared with :mod:`competency_kg.web.match`."""
    fmt = request.args.get("format") or (request.form.get("format") if request.form else None)
    if fmt:
        mime = FORMAT_NAMES.get(fmt.strip().lower())
        if mime is None:
            raise HttpError(400, f"unknown format {fmt!r}; use one of {', '.join(FORMAT_NAMES)}")
        return mime
    mime = negotiate(request.headers.get("Accept"), OFFERS)
    if mime is None:
        raise HttpError(406, f"{what} is available as {', '.join(OFFERS)}")
    return mime


def respond(body: bytes | str, mime: str, status: int = 200, **headers: str) -> Response:
    resp = Response(body, status=status, content_type=CONTENT_TYPES.get(mime, mime))
    resp.headers["Vary"] = "Accept"
    if not mime.startswith("text/html"):  # data for any site's scripts, as from /sparql
        resp.headers["Access-Control-Allow-Origin"] = "*"
    for k, v in headers.items():
        resp.headers[k.replace("_", "-")] = v
    return resp


def _error(status: int, message: str, mime: str, a: str = "", b: str = "") -> Response:
    if mime == "text/html":
        return respond(
            render_template("compare.html", error=message, a=a, b=b, c=None), mime, status
        )
    if mime == "application/json":
        return respond(json.dumps({"error": message}), mime, status)
    return respond(message + "\n", "text/plain; charset=utf-8", status)


def comparison_url(a: str, b: str, **extra: str) -> str:
    return "/compare?" + urlencode({"a": a, "b": b, **extra})


def editor_link(query: str) -> str:
    """The SPARQL editor with ``query`` filled in (the editor reads ``#query=``)."""
    return "/sparql#query=" + quote(query, safe="")


def _ident(side: dict[str, Any]) -> str:
    """How a page links an occupation in a new comparison: its code, else its IRI's path."""
    return side.get("code") or side.get("path") or side["iri"]


@bp.get("/compare")
def page() -> Response:
    try:
        mime = wanted()
    except HttpError as exc:
        return respond(exc.message + "\n", "text/plain; charset=utf-8", exc.status)
    a = (request.args.get("a") or "").strip()
    b = (request.args.get("b") or "").strip()
    if not a and not b and mime == "text/html":
        warm_up()
        return respond(render_template("compare.html", a="", b="", c=None, error=None), mime)
    if not a or not b:
        missing = " and ".join(k for k, v in (("a", a), ("b", b)) if not v)
        return _error(
            400,
            f"give two occupations to compare: ?a=…&b=… ({missing} missing); each an O*NET-SOC "
            "code, an IRI or an exact title",
            mime,
            a,
            b,
        )
    started = time.perf_counter()
    version = versioned_cache.store_version(state().settings.store)
    ready = _nearest_ready(version, mime)  # kept apart: asked again once they are read
    key = (version, state().settings.store, request.url_root, a, b, mime, ready)
    hit = ANSWERS.get(key) if version else None
    if hit is not None:
        return respond(hit, mime, Server_Timing="compare;desc=cached")
    try:
        c = compare(runner(), a, b, state().settings.minter, **({} if ready else {"nearest_k": 0}))
    except Ambiguous as exc:
        return _error(400, str(exc), mime, a, b)
    except CompareError as exc:
        return _error(exc.status, str(exc), mime, a, b)
    if not ready:
        c.notes.append(NEAREST_LATER)
    subject = request.url_root.rstrip("/") + comparison_url(a, b)
    body: str | bytes
    if mime == "application/json":
        doc = c.as_json()
        doc["url"] = subject
        body = json.dumps(doc, ensure_ascii=False)
    elif mime == "text/csv":
        body = to_csv(c)
    elif mime in RDF_FORMATS:
        body = serialize(c, subject, mime)
    else:
        body = render_template("compare.html", **page_context(c, a, b))
    if version:
        ANSWERS.put(key, body, len(body))
    elapsed = f"compare;dur={(time.perf_counter() - started) * 1000:.1f}"
    return respond(body, mime, Server_Timing=elapsed)


def page_context(c: Comparison, a: str, b: str) -> dict[str, Any]:
    data = c.as_json()
    source_numbers = {g: n for n, g in enumerate(c.sources, start=1)}
    formats = {
        label: comparison_url(a, b, format=fmt)
        for label, fmt in (
            ("JSON", "json"),
            ("Turtle", "turtle"),
            ("JSON-LD", "jsonld"),
            ("N-Triples", "ntriples"),
            ("CSV", "csv"),
        )
    }
    return {
        "lists": aligned_lists(c, data),
        "a": a,
        "b": b,
        "c": c,
        "data": data,
        "error": None,
        "chart": gap_figure(c),
        "sources": [
            {"n": n, "iri": g, "path": local_path(g, c.base), **c.sources[g]}
            for g, n in source_numbers.items()
        ],
        "source_numbers": source_numbers,
        "status_labels": STATUS_LABELS,
        "formula": FORMULA,
        "level_rule": LEVEL_RULE,
        "required_rule": REQUIRED_RULE,
        "weights": WEIGHTS,
        "formats": formats,
        "queries": [
            {"name": name, "text": text, "editor": editor_link(text)}
            for name, text in c.queries.items()
        ],
        "ident_a": _ident(data["a"]),
        "ident_b": _ident(data["b"]),
        "swap": comparison_url(_ident(data["b"]), _ident(data["a"])),
        "compare_url": comparison_url,
        "nearest_later": NEAREST_LATER in c.notes,
    }


def aligned_lists(c: Comparison, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The prioritized lists rank by rank (entries without a rank last), each entry marked
    with whether the other occupation requires its competency."""
    present: dict[str, dict[str, bool]] = {}
    for item in c.items.get("competency", []):
        for f in (item.a, item.b):
            if f is not None:
                for iri in f.iris | {item.key}:
                    present[iri] = {"a": item.present("a"), "b": item.present("b")}
    out = []
    for pl in data["prioritized_lists"]:
        ranks: dict[Any, dict[str, list[dict[str, Any]]]] = {}
        for side, other in (("a", "b"), ("b", "a")):
            for e in pl[side]:
                row = ranks.setdefault(e["rank"], {"a": [], "b": []})
                known = present.get(e["iri"])
                row[side].append({**e, "other": known[other] if known else None})
        order = sorted(ranks, key=lambda r: (r is None, r or 0))
        out.append({**pl, "rows": [{"rank": r, **ranks[r]} for r in order]})
    return out


@bp.get("/compare/occupations")
def occupations() -> Response:
    q = (request.args.get("q") or "").strip()[:MAX_SEARCH]
    try:
        limit = max(1, min(50, int(request.args.get("limit", SEARCH_LIMIT))))
    except ValueError:
        limit = SEARCH_LIMIT
    r = runner()
    index = occupation_list(r, state().settings.minter)
    base = state().settings.minter.base
    hits = index.search(q, limit + 1) if q else []
    results = [
        {
            "iri": c.iri,
            "href": local_path(c.iri, base),
            "label": c.title,
            "code": c.code,
            "value": c.code or local_path(c.iri, base) or c.iri,
        }
        for c in hits[:limit]
    ]
    body = {"query": q, "count": len(results), "more": len(hits) > limit, "results": results}
    return respond(json.dumps(body, ensure_ascii=False), "application/json")


@bp.get("/compare/gaps.svg")
def gaps_svg() -> Response:
    a = (request.args.get("a") or "").strip()
    b = (request.args.get("b") or "").strip()
    if not a or not b:
        return respond("give two occupations: ?a=…&b=…\n", "text/plain; charset=utf-8", 400)
    try:
        c = compare(runner(), a, b, state().settings.minter, nearest_k=0)
    except CompareError as exc:
        return respond(str(exc) + "\n", "text/plain; charset=utf-8", exc.status)
    svg = str(gap_chart(c)) or (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" role="img">'
        "<title>No competency has levels on both sides</title></svg>"
    )
    return respond('<?xml version="1.0" encoding="utf-8"?>\n' + svg, "image/svg+xml")
