"""Dereferenceable IRIs: every IRI minted under the base resolves here, for browsers and RDF
clients alike (W3C "Cool URIs for the Semantic Web", "Best Practice Recipes").

- ``GET /{path}`` describes ``{base}{path}``: HTML for browsers; Turtle, JSON-LD, RDF/XML,
  N-Triples, and TriG/N-Quads (each fact in its source graph) by ``Accept`` with q-values
  honoured, or by ``?format=`` (``html``, ``ttl``, ``jsonld``, ``rdf``, ``nt``, ``trig``,
  ``nq`` or a media type), which overrides ``Accept``.
- **200 with Content-Location**, never a 303: the answer is the description itself, and
  ``Content-Location`` names the document it came from (``/{path}?format=ttl``, with
  ``&page=N`` past the first page); ``Link`` headers list the other formats. Every answer
  varies on ``Accept``; RDF answers allow any origin (CORS). ``HEAD`` answers like ``GET``
  without the body; an IRI the store knows nothing about is a 404.
- ``?page=N`` pages the inverse links (:data:`~competency_kg.web.describe.INVERSE_PAGE_SIZE`
  per page; the RDF says where the other pages are, with hydra).
- ``?property=IRI`` (HTML): every value of one of its properties, by the same pages
  (``?property=^IRI``: the links to it by that property, a page of them at a time). A page
  shows the first :data:`~competency_kg.web.pages.model.FIRST_VALUES` values of a long list
  and links here for the rest; the RDF documents hold every value as they are.
- ``GET /describe?iri=…`` does the same for IRIs outside the base that the store holds data
  about; an IRI under the base is redirected to its own path.
- ``/ontology`` (with its hash terms) and ``/shapes``: the ontology and the SHACL shapes, as a
  readable page or RDF by the same negotiation (:mod:`competency_kg.web.vocabulary_pages`).

The server's own address may differ from the base of the data IRIs: links in pages stay on
this server, while the RDF keeps the canonical IRIs.
"""

from __future__ import annotations

import hashlib
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from typing import TypeVar
from urllib.parse import quote

from flask import Blueprint, Response, redirect, render_template, request

from competency_kg import versioned_cache
from competency_kg.hash_iris import HASH_DOCS, base_key, decode_documents, hash_documents
from competency_kg.sparql.errors import QueryError
from competency_kg.store.kept import Kept, KeptFileError, published_at
from competency_kg.web.describe import (
    INVERSE_PAGE_SIZE,
    Description,
    NotFound,
    Summary,
    describe,
    hub_summaries,
    read_hub_summaries,
)
from competency_kg.web.documents import (
    CONTENT_TYPES,
    RDF_FORMATS,
    NotWritable,
    description_quads,
    serialize,
)
from competency_kg.web.negotiation import negotiate
from competency_kg.web.pages.model import FIRST_VALUES, cite_html
from competency_kg.web.pages.names import MEASUREMENT
from competency_kg.web.pages.page import page_for
from competency_kg.web.pages.site import Site, safe_href
from competency_kg.web.pages.values import values_view
from competency_kg.web.reading import LRUCache, Reader, memo
from competency_kg.web.security import RETRY, log_query_error, retryable
from competency_kg.web.sources import Source, licence_name, read_sources
from competency_kg.web.state import state
from competency_kg.web.terms import iri_term, iri_value

log = logging.getLogger(__name__)

bp = Blueprint("browse", __name__)

T = TypeVar("T")

HTML = "text/html"
#: Media types offered, in order of preference when the client has none (ties).
OFFERS: list[str] = [HTML, *RDF_FORMATS]
#: Other names clients use for the same formats.
ALIASES: dict[str, str] = {
    "application/xhtml+xml": HTML,
    "application/x-turtle": "text/turtle",
    "application/turtle": "text/turtle",
    "text/n3": "text/turtle",
    "text/rdf+n3": "text/turtle",
    "application/json": "application/ld+json",
    "application/xml": "application/rdf+xml",
    "text/xml": "application/rdf+xml",
    "text/plain": "application/n-triples",
    "application/x-trig": "application/trig",
}
#: ``?format=`` names → media type; the first name of each type is its short name.
FORMAT_NAMES: dict[str, str] = {
    "html": HTML,
    "ttl": "text/turtle",
    "turtle": "text/turtle",
    "jsonld": "application/ld+json",
    "json-ld": "application/ld+json",
    "json": "application/ld+json",
    "rdf": "application/rdf+xml",
    "rdfxml": "application/rdf+xml",
    "rdf+xml": "application/rdf+xml",
    "xml": "application/rdf+xml",
    "nt": "application/n-triples",
    "ntriples": "application/n-triples",
    "n-triples": "application/n-triples",
    "trig": "application/trig",
    "nq": "application/n-quads",
    "nquads": "application/n-quads",
    "n-quads": "application/n-quads",
}
SHORT: dict[str, str] = {}
for _name, _mime in FORMAT_NAMES.items():
    SHORT.setdefault(_mime, _name)
FORMAT_LABELS: dict[str, str] = {
    "text/turtle": "Turtle",
    "application/ld+json": "JSON-LD",
    "application/rdf+xml": "RDF/XML",
    "application/n-triples": "N-Triples",
    "application/trig": "TriG (with sources)",
    "application/n-quads": "N-Quads (with sources)",
}

#: Rendered responses, by store state and request: a load changes the state, and with it
#: every key, so nothing stale is ever served.
CACHE = LRUCache()

#: What an IRI the store describes nothing of may still be, tried in order before the 404:
#: each gives the document (in the negotiated format) or None. The property page of
#: :mod:`competency_kg.web.vocabulary_pages` (an IRI used only as a predicate) adds itself.
Undescribed = Callable[[Reader, str, str, "_Document"], "bytes | None"]
UNDESCRIBED: list[Undescribed] = []


class BadFormat(Exception):
    pass


def site() -> Site:
    return Site(base=state().settings.minter.base, server=request.host_url.rstrip("/"))


def render(template: str, **context: object) -> str:
    """A browsing template, with the helpers every one of them may use."""
    context.setdefault("site", site())
    return render_template(
        template, licence_name=licence_name, cite_html=cite_html, safe_href=safe_href, **context
    )


def store_version() -> str | None:
    return versioned_cache.store_version(state().settings.store)


def choose(offers: list[str] | None = None) -> str | None:
    """The media type to answer with: ``?format=`` if given, else by ``Accept``."""
    offers = offers or OFFERS
    fmt = request.args.get("format")
    if fmt:
        key = fmt.strip().lower()
        mime = FORMAT_NAMES.get(key) or ALIASES.get(key) or (key if key in offers else None)
        if mime is None or mime not in offers:
            names = ", ".join(n for n, m in FORMAT_NAMES.items() if m in offers)
            raise BadFormat(f"unknown format {fmt!r}; use one of {names} or a media type")
        return mime
    picked = negotiate(request.headers.get("Accept"), [*offers, *ALIASES])
    if picked is None:
        return None
    mime = ALIASES.get(picked, picked)
    return mime if mime in offers else None


def property_asked() -> str:
    """``?property=``: an IRI (``^IRI`` for the links to the resource by it), or ""."""
    raw = request.args.get("property", "")
    if raw:
        try:
            iri_term(raw.removeprefix("^"))
        except ValueError:
            raise BadFormat(
                f"property must be an IRI (^ first for links to it), not {raw!r}"
            ) from None
    return raw


def page_number() -> int:
    raw = request.args.get("page", "1")
    if not raw.isdigit() or int(raw) < 1 or len(raw) > 9:
        raise BadFormat(f"page must be a positive whole number, not {raw!r}")
    return int(raw)


# --------------------------------------------------------------------------- responses
def plain(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    resp = Response(message.rstrip("\n") + "\n", status=status, mimetype="text/plain")
    resp.headers.update(headers or {})
    return resp


def not_found(message: str, html: bool) -> Response:
    if html:
        body = render("not_found.html", message=message, q=_search_hint())
        return Response(body, status=404, mimetype="text/html")
    return plain(404, message)


def _search_hint() -> str:
    tail = request.path.rstrip("/").rsplit("/", 1)[-1]
    return tail.replace("-", " ")[:80]


def unavailable(exc: QueryError, html: bool) -> Response:
    """503 with ``Retry-After`` for a timeout, a busy pool or a store away; 500 otherwise."""
    log_query_error(exc, request.path)
    status, headers = (503, RETRY) if retryable(exc) else (500, {})
    message = f"the description could not be read just now: {exc}"
    if html:
        body = render("not_found.html", message=message, status=status, q="")
        return Response(body, status=status, mimetype="text/html", headers=headers)
    return plain(status, message, headers)


def with_document_headers(
    resp: Response, mime: str, location: Callable[[str], str], *, alternates: bool = True
) -> Response:
    """Content-Location of this representation, Link to the others, Vary, CORS."""
    resp.headers["Content-Location"] = location(SHORT[mime])
    if alternates:
        links = [
            f'<{location(SHORT[m])}>; rel="alternate"; type="{m}"' for m in OFFERS if m != mime
        ]
        resp.headers["Link"] = ", ".join(links)
    resp.vary.add("Accept")
    resp.headers["Access-Control-Allow-Origin"] = "*"
    resp.headers["Access-Control-Expose-Headers"] = "Content-Location, Link, ETag, Vary"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


def finish(resp: Response) -> Response:
    """ETag and conditional requests (If-None-Match → 304)."""
    resp.headers.setdefault("Cache-Control", "public, max-age=60")
    if resp.status_code == 200 and not resp.direct_passthrough:
        resp.set_etag(hashlib.sha1(resp.get_data()).hexdigest()[:20])
        resp.make_conditional(request)
    return resp


@bp.after_request
def _vary(resp: Response) -> Response:
    resp.vary.add("Accept")
    return resp


# --------------------------------------------------------------------------- resources
@bp.route("/<path:path>", methods=["GET", "HEAD", "OPTIONS"])
def resource(path: str) -> Response:
    if request.method == "OPTIONS":
        return _preflight()
    s = site()
    return answer(s.iri_for_path(path), "/" + quote(path, safe="/:@!$&'()*+,;=~-._"))


@bp.route("/favicon.ico", methods=["GET", "HEAD"])
def favicon() -> Response:
    """The site's icon (16×16, in ``static/``), so browsers find one where they look."""
    data = files("competency_kg.web").joinpath("static/favicon.ico").read_bytes()
    resp = Response(data, content_type="image/vnd.microsoft.icon")
    resp.headers["Cache-Control"] = "public, max-age=86400"
    return resp


@bp.route("/describe", methods=["GET", "HEAD", "OPTIONS"])
def describe_iri() -> Response:
    if request.method == "OPTIONS":
        return _preflight()
    iri = request.args.get("iri", "").strip()
    if not iri:
        return plain(400, "give the IRI to describe: /describe?iri=…")
    s = site()
    local = s.path_for(iri)
    if local is not None and local != "/" and "#" not in local:
        args = {k: v for k, v in request.args.items() if k != "iri"}
        query = "&".join(f"{quote(k)}={quote(v)}" for k, v in args.items())
        return redirect(local + ("?" + query if query else ""), code=301)
    return answer(iri, "/describe?iri=" + quote(iri, safe=""))


def _preflight() -> Response:
    resp = Response(status=204)
    resp.headers["Access-Control-Allow-Origin"] = "*"
    resp.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
    resp.headers["Access-Control-Allow-Headers"] = "Accept, If-None-Match"
    resp.headers["Access-Control-Max-Age"] = "86400"
    return resp


def answer(iri: str, doc_path: str) -> Response:
    """The description of ``iri`` in the negotiated format (``doc_path``: where it lives):
    negotiated, read from the cache or described and written, then sent."""
    try:
        prop = property_asked()
        mime = choose([HTML] if prop else None)  # one property's values: a page only
        page = page_number()
    except BadFormat as exc:
        return plain(400, str(exc))
    if mime is None:
        if prop:
            return plain(
                406,
                "one property's values are listed as a page (text/html); the resource's RDF "
                f"holds every value: {doc_path}",
            )
        return plain(
            406,
            "no format the Accept header allows; this resource is available as "
            + ", ".join(OFFERS),
        )
    s = site()
    doc = _Document(doc_path, page, s, prop)
    version = store_version()
    # Cached bodies do not depend on the address the server is reached by: pages link by
    # path, and RDF documents name this server by a token replaced as they are sent.
    key = (version, s.base, iri, page, mime, prop)
    hit = CACHE.get(key) if version else None
    if hit is not None:
        return _send(hit, mime, s, doc.location, alternates=not prop)
    written = _write(iri, mime, doc, version)
    if isinstance(written, Response):
        return written
    if version:
        CACHE.put(key, written, len(written))
    return _send(written, mime, s, doc.location, alternates=not prop)


@dataclass(frozen=True)
class _Document:
    """Where a description lives: its path, its page of inverse links, the site; ``prop``:
    the property whose values it lists (``?property=``, ``^`` first for links to it), if
    any."""

    path: str
    page: int
    site: Site
    prop: str = ""

    @property
    def sep(self) -> str:
        return "&" if "?" in self.path else "?"

    def relative(self, short: str) -> str:
        """This page of the description in the format named ``short``, by path."""
        prop = f"&property={quote(self.prop, safe='')}" if self.prop else ""
        page = f"&page={self.page}" if self.page > 1 else ""
        return self.path + f"{self.sep}format={short}" + prop + page

    def location(self, short: str) -> str:
        return self.site.url(self.relative(short))


def _write(iri: str, mime: str, doc: _Document, version: str | None) -> bytes | Response:
    """The description of ``iri`` written as ``mime``, or the error response to send."""
    html = mime == HTML
    s = doc.site
    reader = Reader(version=version)
    try:
        sources, docs = page_basics(reader, s.base, version, hubs=False)
        members = docs.get(iri, []) if "#" not in iri else []
        inverse, prop = doc.prop.startswith("^"), doc.prop.removeprefix("^")
        d = _describe(reader, iri, doc.page, html, members, prop and iri_term(prop), inverse)
    except NotFound:
        for other in UNDESCRIBED:
            try:
                body = other(reader, iri, mime, doc)
            except QueryError as exc:
                return unavailable(exc, html)
            if body is not None:
                return body
        resp = not_found(f"nothing is known about <{iri}> here", html)
        resp.headers["Access-Control-Allow-Origin"] = "*"
        return resp
    except ValueError:
        return not_found(f"not an IRI: {iri}", html)
    except QueryError as exc:
        return unavailable(exc, html)
    if doc.prop:
        found = property_pages(d, iri_term(prop), inverse)
        if not found:
            what = "links to it by" if inverse else "values of"
            return not_found(f"<{iri}> has no {what} <{prop}> here", html)
        if doc.page > found:
            return not_found(f"<{iri}> has {found} page(s) of these; no page {doc.page}", html)
    elif doc.page > d.pages:
        return not_found(
            f"<{iri}> has {d.pages} page(s) of links; there is no page {doc.page}", html
        )
    try:
        if doc.prop:
            return _values_page(reader, d, doc, sources, iri_term(prop), inverse)
        if html:
            return _html_page(reader, d, doc, sources)
        return _rdf_document(d, mime, doc, sources)
    except QueryError as exc:
        return unavailable(exc, html)
    except NotWritable as exc:
        return plain(406, str(exc), {"Vary": "Accept", "Access-Control-Allow-Origin": "*"})
    except (ValueError, OSError) as exc:
        log.warning("cannot write <%s> as %s: %s", iri, mime, exc)
        return plain(500, f"cannot write this description as {mime}: {exc}")


def page_basics(
    reader: Reader, base: str, version: str | None, *, hubs: bool = True
) -> tuple[dict[str, Source], dict[str, list[str]]]:
    """What every description reads once per store version: the sources (metadata graph),
    the hash IRIs by document (:mod:`competency_kg.hash_iris`: kept by the load; else a scan of
    the small graphs, seconds on the whole O*NET release) and the hubs' summaries
    (:func:`~competency_kg.web.describe.hub_summaries`: 0.6 s at 1 M triples), which the
    warmer reads first (a page, ``hubs=False``, does not wait for the hubs' summaries: it
    uses them once they are read, :func:`~competency_kg.web.describe.ready_hub_summaries`)."""
    sources = memo("sources", version, base, lambda: read_sources(reader, base))
    docs = memo(
        "hash-docs",
        version,
        base,
        lambda: _kept(
            version,
            HASH_DOCS,
            lambda: hash_documents(reader.terms, base, sources),
            decode_documents,
            key=base_key(base),
        ),
    )
    if hubs:
        hub_summaries(
            reader,
            lambda: _kept(version, HUB_SUMMARIES, lambda: read_hub_summaries(reader), _summaries),
        )
    return sources, docs


#: The hubs' summaries (:func:`~competency_kg.web.describe.read_hub_summaries`).
HUB_SUMMARIES = Kept("hub-summaries", "hubs' summaries", 1)


def _kept(
    version: str | None,
    kind: Kept,
    compute: Callable[[], T],
    decode: Callable[[object], T],
    encode: Callable[[T], object] = lambda value: value,
    key: str = "",
) -> T:
    """``compute()``, read back from disk when kept for this store version
    (:mod:`competency_kg.store.kept`: a restarted server does not compute it again), else
    computed and kept."""
    store = state().settings.store
    name = published_at(store, version)  # read before computing: kept only if still current
    found = kind.read(store, name, decode, key)
    if found is not None:
        return found
    value = compute()
    kind.write(store, name, value, encode, key=key)
    return value


def _summaries(value: object) -> Summary:
    """The hubs' summaries a kept file holds: an object of arrays of ``[property, value,
    graph]`` strings (properties and graphs interned, as read from the store)."""
    if not isinstance(value, dict):
        raise KeptFileError("not the hubs' summaries")
    out: Summary = {}
    for iri, facts in value.items():
        if not isinstance(facts, list):
            raise KeptFileError("not the hubs' summaries")
        row: list[tuple[str, str, str]] = []
        for fact in facts:
            if not (
                isinstance(fact, list) and len(fact) == 3 and all(isinstance(x, str) for x in fact)
            ):
                raise KeptFileError("not the hubs' summaries")
            row.append((sys.intern(fact[0]), fact[1], sys.intern(fact[2])))
        out[iri] = row
    return out


def _describe(
    reader: Reader,
    iri: str,
    page: int,
    html: bool,
    members: list[str],
    prop: str = "",
    inverse: bool = False,
) -> Description:
    """What the store says of ``iri`` (a page adds its owners and hides measurements;
    ``members``: its hash IRIs, when it is a document). For the values of one property
    (``prop``, a term) the page of links is that property's (``inverse``), or none."""
    return describe(
        reader,
        iri,
        page=page,
        skip_predicates=(MEASUREMENT,) if html else (),
        owners=html,
        members=members,
        inverse=inverse or not prop,
        inverse_property=prop if inverse else None,
        # a page's first page shows the first links of each property, linking to the rest
        inverse_first=FIRST_VALUES if html and page == 1 and not prop else None,
    )


def property_pages(d: Description, prop: str, inverse: bool) -> int:
    """How many pages list the values of ``prop`` (or the links to it by ``prop``): 0 when
    there are none. The values go :data:`INVERSE_PAGE_SIZE` a page, as the links."""
    n = d.inverse_counts.get(prop, 0) if inverse else len(set(d.values(prop)))
    return -(-n // d.page_size)


def _values_page(
    reader: Reader,
    d: Description,
    doc: _Document,
    sources: dict[str, Source],
    prop: str,
    inverse: bool,
) -> bytes:
    """Every value of one property of the resource, a page of them (see :func:`answer`)."""
    view = values_view(reader, d, doc.site, sources, prop, inverse=inverse)
    whole = _Document(doc.path, 1, doc.site)
    return render(
        "property_values.html",
        v=view,
        site=doc.site,
        formats=[(FORMAT_LABELS[m], whole.relative(SHORT[m]), m) for m in RDF_FORMATS],
        page_href=lambda n: doc.site.values_path(d.iri, iri_value(prop), inverse=inverse, page=n),
    ).encode("utf-8")


def _html_page(reader: Reader, d: Description, doc: _Document, sources: dict[str, Source]) -> bytes:
    p = page_for(reader, d, doc.site, sources)
    return render(
        "resource.html",
        page=p,
        site=doc.site,
        formats=[(FORMAT_LABELS[m], doc.relative(SHORT[m]), m) for m in RDF_FORMATS],
        page_href=lambda n: doc.path + (f"{doc.sep}page={n}" if n > 1 else ""),
    ).encode("utf-8")


def _rdf_document(d: Description, mime: str, doc: _Document, sources: dict[str, Source]) -> bytes:
    """The description as RDF, naming this server by :data:`SERVER_TOKEN` (see :func:`_send`)."""
    token = Site(base=doc.site.base, server=SERVER_TOKEN)
    quads = description_quads(
        d,
        doc_url=lambda n: token.url(doc.path + f"{doc.sep}page={n}"),
        collection=token.url(doc.path + "#inverse-links"),
        sources=sources,
        metadata_graph=doc.site.base + "graph/metadata",
    )
    return serialize(quads, mime)


#: Stands for this server's own address in cached RDF documents (``.invalid`` never resolves).
SERVER_TOKEN = "http://this-server.competency-kg.invalid"
_TOKEN = SERVER_TOKEN.encode()


def _send(
    body: bytes, mime: str, s: Site, location: Callable[[str], str], alternates: bool = True
) -> Response:
    if mime != HTML:
        body = body.replace(_TOKEN, s.server.encode())
    resp = Response(body, status=200, content_type=content_type(mime))
    return finish(with_document_headers(resp, mime, location, alternates=alternates))


def content_type(mime: str) -> str:
    return "text/html; charset=utf-8" if mime == HTML else CONTENT_TYPES[mime]


__all__ = ["INVERSE_PAGE_SIZE", "bp"]
