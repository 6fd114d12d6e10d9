"""Answers people can trust: every resource a page shows is named from its data, and the
O*NET chart reads each measure on its own scale.

Runs the real server over the seeds (``browse_fixture``: the seeds plus a small RDF file).
"""

from __future__ import annotations

import json
import re
import urllib.parse
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser

import pytest
from browse_support import BASE, RDF_MIMES, TRICKY_GRAPH, get, parse
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, VOID
from sparql_support import Server

pytest_plugins = ["browse_fixture"]

#: The ``?format=`` name a document's Content-Location gives for each RDF media type.
SHORTS = {
    "text/turtle": "ttl",
    "application/n-triples": "nt",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "rdf",
    "application/trig": "trig",
    "application/n-quads": "nq",
}

#: Site pages that are not resource pages (their links are not followed).
NOT_RESOURCES = (
    "/sparql",
    "/validation",
    "/compare",
    "/search",
    "/static",
    "/assets",
    "/dumps",
    "/.well-known",
    "/ontology",
    "/shapes",
    "/describe",
    "/favicon.ico",
)
#: A hash: a run of 12 or more hex digits, with a letter and a digit, standing alone
#: ("f-writing-retracted-19fa8ba08bfcc4ae", "004_151618e0f121074d").
HEX_HASH = re.compile(
    r"(?<![0-9A-Za-z])(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{12,}(?![0-9A-Za-z])"
)
#: What a property's page says when nothing labels it (web/templates/property.html).
LOCAL = "it is shown by its local name"
LABEL_PROPS = (
    "skos:prefLabel",
    "rdfs:label",
    "dcterms:title",
    "schema:name",
    "ceasn:name",
    "ceasn:competencyLabel",
    "skos:altLabel",
)


class _Page(HTMLParser):
    """A page's ``<h1>`` text and its links (href, text)."""

    def __init__(self) -> None:
        super().__init__()
        self.h1: list[str] = []
        self.links: list[tuple[str, str, bool]] = []  # (href, text, shown as code)
        self._href: str | None = None
        self._code = False
        self._in_h1 = False
        self._text: list[str] = []
        self._h1_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a" and dict(attrs).get("href"):
            self._href, self._text, self._code = dict(attrs)["href"], [], False
        elif tag == "code" and self._href is not None:
            self._code = True
        elif tag == "h1":
            self._in_h1, self._h1_text = True, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, " ".join("".join(self._text).split()), self._code))
            self._href = None
        elif tag == "h1" and self._in_h1:
            self.h1.append(" ".join("".join(self._h1_text).split()))
            self._in_h1 = False

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)
        if self._in_h1:
            self._h1_text.append(data)


def resource_path(href: str) -> str | None:
    """The resource page a link leads to (with its fragment), or None for other pages."""
    parts = urllib.parse.urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    if parts.path == "/" or parts.path.startswith(NOT_RESOURCES):
        return None
    return parts.path + ("#" + parts.fragment if parts.fragment else "")


def looks_raw(text: str, path: str) -> bool:
    """Whether ``text`` shows the IRI at ``path`` by its local name or a hash: it holds a hex
    hash, or it is, or ends with (after a space), the IRI's last path segments — one or more,
    the fragment counting as a segment ("2-active-listening", "Scenario competency
    competency/1", "Occupation relation related/15-1232.00", "seeds#f-writing")."""
    if HEX_HASH.search(text):
        return True
    segments = [s for s in re.split(r"[/#]", urllib.parse.unquote(path)) if s]
    for k in range(1, len(segments) + 1):
        for sep in ("/", "#"):
            tail = sep.join(segments[-k:])
            if text == tail or text.endswith(" " + tail):
                return True
    return False


def data_labels(server: Server) -> dict[str, set[str]]:
    """Every label the data gives each IRI: text equal to one is the data's own name for it
    (the technology "netstat"), never a local name a page made up."""
    props = " ".join(LABEL_PROPS)
    query = (
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
        "PREFIX dcterms: <http://purl.org/dc/terms/> PREFIX schema: <https://schema.org/> "
        "PREFIX ceasn: <https://purl.org/ctdlasn/terms/> "
        f"SELECT ?s ?l WHERE {{ VALUES ?p {{ {props} }} ?s ?p ?l FILTER(isIRI(?s)) }}"
    )
    reply = server.get(
        params={"query": query}, headers={"Accept": "application/sparql-results+json"}
    )
    assert reply.status == 200, reply.text
    out: dict[str, set[str]] = {}
    for b in json.loads(reply.body)["results"]["bindings"]:
        out.setdefault(b["s"]["value"], set()).add(" ".join(b["l"]["value"].split()))
    return out


def subjects(server: Server) -> set[str]:
    """IRIs the store has data about: a page may show the IRI of anything else (there is
    nothing to name it by), never of these."""
    query = "SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER(isIRI(?s)) }"
    reply = server.get(params={"query": query}, headers={"Accept": "text/csv"})
    assert reply.status == 200, reply.text
    return set(reply.text.splitlines()[1:])


def predicates(server: Server) -> set[str]:
    """IRIs used as properties: the tricky file's ``ex:hasPart`` has no description of its
    own, only its property page (the walk reaches it since the figures kept at load link the
    classes of every graph)."""
    query = "SELECT DISTINCT ?p WHERE { ?s ?p ?o }"
    reply = server.get(params={"query": query}, headers={"Accept": "text/csv"})
    assert reply.status == 200, reply.text
    return set(reply.text.splitlines()[1:])


def test_looks_raw_is_precise() -> None:
    """The check itself: what it catches, and labels it lets through."""
    entry = "/occupation/x/list/foundational/unplaced/2-active-listening"
    assert looks_raw("2-active-listening", entry)
    assert looks_raw("List entry list/foundational/unplaced/2-active-listening", entry)
    assert looks_raw("Scenario competency competency/1", "/occupation/x/scenario/y/competency/1")
    assert looks_raw("seeds#f-writing", "/curation/seeds#f-writing")
    assert looks_raw("f-writing-retracted-19fa8ba08bfcc4ae", "/curation/seeds#f-w-retracted-1")
    assert not looks_raw("Active Listening — rank 2 in Most Hard-to-Find Competencies", entry)
    assert not looks_raw("Active Listening", "/competency/active-listening")
    assert not looks_raw("Importance: 3.12", "/occupation/15-1232.00/rating/2.B.1.f/IM")


def test_no_page_names_a_resource_by_its_local_name_or_a_hash(browse_server: Server) -> None:
    """Walk every resource page reachable from the home page and the class listings (every
    page of them), as HTML; no heading and no link to a resource may look like a local name
    or a hash (:func:`looks_raw`) unless the data labels the resource so, nor be the bare
    IRI of a resource the store has data about (a page shows IRIs as IRIs, in ``<code>``).

    Checked to fail: before the label rules, 776 distinct texts failed ("Element rating
    rating/2.D.1", "List entry list/foundational/unplaced/2-active-listening", "f-evolving-1-
    systems-analysis-retracted-…", "Occupation relation related/15-1232.00"); with the rules
    switched off (``competency_kg.labels.rule_label`` returning None) it fails on the
    ratings, measurements and corrections again (checked).
    """
    labels = data_labels(browse_server)
    described = subjects(browse_server)
    only_predicates = predicates(browse_server) - described
    home = get(browse_server, "/", "text/html")
    assert home.status == 200
    todo = ["/", *sorted({m for m in re.findall(r'href="(/class/[^"?#]+)"', home.text)})]
    assert len(todo) > 20, todo
    seen: set[str] = set()
    bad: dict[tuple[str, str], str] = {}

    def fetch(path: str) -> tuple[str, int, str]:
        r = get(browse_server, path, "text/html")
        return path, r.status, r.text if r.status == 200 else ""

    with ThreadPoolExecutor(4) as pool:
        while todo:
            batch = [p for p in dict.fromkeys(todo) if p not in seen]
            seen.update(batch)
            todo = []
            for path, status, body in pool.map(fetch, batch):
                # every page answers: a class outside every prefix has its listing, a
                # property the store only uses has its page (both were 404s: checked)
                assert status == 200, (path, status)
                page = _Page()
                page.feed(body)
                iri = BASE + urllib.parse.unquote(path.split("?", 1)[0][1:])
                # the label rule: an unlabelled property by its local name, its page saying so
                by_local_name = iri in only_predicates and iri not in labels and LOCAL in body
                for h in page.h1:
                    bare = h == iri and iri in described
                    raw = looks_raw(h, path.split("?", 1)[0]) and h not in labels.get(iri, ())
                    if bare or (raw and not by_local_name):
                        bad[("heading", h)] = path
                for href, text, code in page.links:
                    target = resource_path(href)
                    if target is None and href.startswith("/class/"):
                        todo.append(href.split("#", 1)[0])  # class listings, every page
                        continue
                    if target is None:
                        continue
                    linked = BASE + urllib.parse.unquote(target[1:])
                    doc = target.split("#", 1)[0]
                    if doc not in seen:
                        todo.append(doc)
                    if code and text == linked:  # the IRI shown as an IRI (the source list)
                        continue
                    if linked in only_predicates and linked not in labels:
                        continue  # an unlabelled property: its page says it is its local name
                    bare = text == linked and linked in described  # an IRI, not a label
                    raw = looks_raw(text, target) and text not in labels.get(linked, ())
                    if bare or raw:
                        bad[("link", text)] = path
    assert len(seen) > 1000  # the walk reached the whole graph, not just the home page
    assert not bad, "\n".join(f"{kind} {text!r} on {page}" for (kind, text), page in bad.items())


# --------------------------------------------------------------------------- every IRI answers
HAS_PART = BASE + "test/hasPart"


def test_a_property_the_store_only_uses_has_its_page_in_every_format(
    browse_server: Server,
) -> None:
    """``ex:hasPart`` (the tricky file's, never a subject) dereferences like any resource: a
    page saying how many statements use it, naming their ends, and each RDF format by
    content negotiation, with those statements (in their source graph where a format keeps
    graphs). A property nothing uses is still a 404. Checked to fail: without the hook in
    ``web/resources.py`` (``UNDESCRIBED`` left empty) every request here was a 404."""
    page = get(browse_server, "/test/hasPart", "text/html")
    assert page.status == 200, page.text
    assert 'Used as a property in <span class="count">2</span> statements' in page.text
    assert LOCAL in page.text  # nothing labels it: its local name, said as such
    assert "outer part" in page.text and "inner part" in page.text  # its ends, named
    prop = URIRef(HAS_PART)
    for mime in RDF_MIMES:
        reply = get(browse_server, "/test/hasPart", mime)
        assert reply.status == 200 and reply.content_type == mime, (mime, reply.status)
        assert reply.headers["Content-Location"].endswith("/test/hasPart?format=" + SHORTS[mime])
        g = parse(reply.body, mime)
        assert (prop, RDF.type, RDF.Property) in g, mime
        assert len(set(g.triples((None, prop, None)))) == 2, mime
        assert (None, VOID.triples, Literal(2)) in g, mime
    quads = get(browse_server, "/test/hasPart", "application/n-quads").text
    assert all(line.endswith(f"<{TRICKY_GRAPH}> .") for line in quads.splitlines()
               if f"<{HAS_PART}> _:" in line), quads  # fmt: skip
    assert get(browse_server, "/test/noSuchProperty", "text/html").status == 404


def test_a_class_outside_every_prefix_has_its_listing(browse_server: Server) -> None:
    """The tricky file's ``ex:Gadget`` (no prefix of the site names its namespace) is listed
    at ``/class/{its IRI}``, the link the home page gives. Checked to fail: before
    ``home.class_for_slug`` read a whole IRI, the listing was a 404."""
    home = get(browse_server, "/", "text/html")
    href = "/class/https://w3id.org/competency-kg/test/Gadget"
    assert f'href="{href}"' in home.text
    listing = get(browse_server, href, "text/html")
    assert listing.status == 200, listing.text
    assert 'href="/test/tricky"' in listing.text


# --------------------------------------------------------------------------- the O*NET chart
def _panels(svg: ET.Element) -> dict[str, ET.Element]:
    ns = "{http://www.w3.org/2000/svg}"
    return {g.get("data-measure", ""): g for g in svg.iter(ns + "g") if g.get("class") == "panel"}


def test_the_onet_chart_reads_each_measure_on_its_own_scale(browse_server: Server) -> None:
    """The skills chart of an O*NET occupation: importance (1–5) and level (0–7) each in a
    panel with its own axis; every bar ends at its value on its own panel's scale (from the
    panel's tick marks) and carries that value as text.

    Checked to fail: drawing the level bars on the importance panel's scale (one line in
    ``web/svg.py``) fails here ("4" ends at 666 px, its own scale puts it at 633)."""
    page = get(browse_server, "/occupation/15-1232.00", "text/html")
    assert page.status == 200
    m = re.search(r'<svg class="chart"[^>]*aria-labelledby="onet-0-t.*?</svg>', page.text, re.S)
    assert m, "no O*NET skills chart on the page"
    svg = ET.fromstring(m.group(0))
    ns = "{http://www.w3.org/2000/svg}"
    panels = _panels(svg)
    assert set(panels) == {"primary", "secondary"}
    titles = {
        k: "".join(t.itertext())
        for k, g in panels.items()
        for t in g.iter(ns + "text")
        if t.get("class") == "axis-title"
    }
    assert titles == {"primary": "Importance (1–5)", "secondary": "Level (0–7)"}
    bars = 0
    for name, g in panels.items():
        ticks = {
            float(line.get("data-value", "nan")): float(line.get("x1", "nan"))
            for line in g.iter(ns + "line")
            if line.get("class") == "grid"
        }
        lo, hi = min(ticks), max(ticks)
        assert (lo, hi) == ((1.0, 5.0) if name == "primary" else (0.0, 7.0))

        def x_of(v: float, lo: float = lo, hi: float = hi, t: dict = ticks) -> float:
            return t[lo] + (t[hi] - t[lo]) * (v - lo) / (hi - lo)

        values = {t.get("y"): t.text for t in g.iter(ns + "text") if t.get("class") == "value"}
        rects = [r for r in g.iter(ns + "rect") if r.get("class", "").startswith("bar")]
        assert len(rects) == 12
        for r in rects:
            y = str(float(r.get("y", "0")) + 11).rstrip("0").rstrip(".")
            text = values.get(y)
            assert text, f"bar at y={r.get('y')} in the {name} panel carries no value"
            value = float(text)
            end = float(r.get("x", "0")) + float(r.get("width", "0"))
            assert end == pytest.approx(x_of(value), abs=0.6), (name, text, end)
            bars += 1
    assert bars == 24
    # level 4 of Active Listening reads 4 on the level axis, not 3.3 on the importance one
    assert "Active Listening" in m.group(0)


def test_minted_nodes_carry_their_labels_in_sparql(browse_server: Server) -> None:
    """The labels written at mapping time are data: SPARQL users see them too."""
    entry = BASE + (
        "occupation/computer-user-support-specialists/list/foundational/"
        "most-common-required/active-listening"
    )
    req = BASE + "occupation/computer-user-support-specialists/requirement/active-listening"
    labels = data_labels(browse_server)
    assert labels[entry] == {
        "Active Listening — rank 1 in Most Common Required Competencies (foundational)"
    }
    assert any(
        x.startswith("Computer User Support Specialists requires Active Listening")
        for x in labels[req]
    )
    assert labels[BASE + "scheme/competencies"] == {"Competencies"}
