"""Linked-data browsing over HTTP: every minted IRI dereferences, for browsers and RDF clients.

Runs the real server (``competency-kg serve``) over a store with the seeds and a tricky RDF
file (see ``browse_fixture``). Checks content negotiation and headers for a sample of IRIs of
every class, the same triples in every format, paged inverse links, 404s, a server whose
address is not the base, search (with injection attempts), VoID, the dumps, the ontology.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyoxigraph as ox
import pytest
from browse_support import (
    BASE,
    OTHER_BASE,
    RDF_MIMES,
    TRICKY_GRAPH,
    get,
    gunzip,
    local_path,
    parse,
)
from rdflib import BNode, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, RDFS, SKOS, VOID
from sparql_support import LoadedStore, Server, cli

pytest_plugins = ["browse_fixture"]

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
CKG = Namespace("https://w3id.org/competency-kg/ontology#")
PROV = Namespace("http://www.w3.org/ns/prov#")
SOURCE_ONET = URIRef(BASE + "source/onet-27.0")
TRICKY = BASE + "test/tricky"


def sparql(server: Server, query: str) -> list[dict[str, str]]:
    reply = server.get(
        params={"query": query}, headers={"Accept": "application/sparql-results+json"}
    )
    assert reply.status == 200, reply.text
    return [
        {k: v["value"] for k, v in b.items()} for b in json.loads(reply.body)["results"]["bindings"]
    ]


@pytest.fixture(scope="module")
def samples(browse_server: Server) -> tuple[list[str], list[str]]:
    """IRIs under the base for every class in the store (two each: the first in every format,
    the second as a page and Turtle), and IRIs that are never a typed subject."""
    rows = sparql(
        browse_server,
        f"""SELECT ?c (MIN(STR(?s)) AS ?first) (MAX(STR(?s)) AS ?last) WHERE {{
              ?s a ?c FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{BASE}")) }} GROUP BY ?c""",
    )
    assert len(rows) >= 30, rows  # the seeds have some 35 classes
    first = {r["first"] for r in rows} | {
        BASE + "scheme/competencies",  # only ever an object
        BASE + "graph/metadata",  # a graph name, never a subject
        BASE + "graph/onet-27.0",
        BASE + "test/only-an-object",
    }
    second = {r["last"] for r in rows} - first
    return sorted(first), sorted(second)


# --------------------------------------------------------------------------- negotiation
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def fetch_all(server: Server, iri: str, mimes: list[str]) -> dict[str, object]:
    """The HTML page, RDF formats and a HEAD of one IRI (fetched in a worker thread)."""
    path = local_path(iri)
    out: dict[str, object] = {"text/html": get(server, path, BROWSER_ACCEPT)}
    for mime in mimes:
        out[mime] = get(server, path, mime)
    out["HEAD"] = get(server, path, "text/turtle", method="HEAD")
    return out


def check_resource(server: Server, iri: str, replies: dict) -> None:
    """Parsed in the main thread (rdflib's JSON-LD parser warns, and warning filters are
    process-wide)."""
    path = local_path(iri)
    html = replies["text/html"]
    assert html.status == 200, (iri, html.status, html.text[:300])
    assert html.content_type == "text/html"
    assert "Accept" in html.headers.get("Vary", ""), iri
    assert html.headers["Content-Location"] == server.url + _with(path, "format=html")
    assert 'id="sources"' in html.text, iri
    graphs = {}
    mimes = [m for m in RDF_MIMES if m in replies]
    big = max(len(replies[m].body) for m in mimes) > 60_000
    for mime in mimes:
        r = replies[mime]
        if mime == "application/rdf+xml" and iri == TRICKY:
            # a property IRI that ends in no XML name: RDF/XML cannot write it, and says so
            assert r.status == 406 and "RDF/XML cannot write the property" in r.text
            continue
        assert r.status == 200, (iri, mime, r.status, r.text[:300])
        assert r.content_type == mime, (iri, mime, r.content_type)
        assert "Accept" in r.headers.get("Vary", "")
        assert r.headers.get("Access-Control-Allow-Origin") == "*"
        short = {"text/turtle": "ttl", "application/ld+json": "jsonld"}.get(mime)
        if short:
            assert r.headers["Content-Location"] == server.url + _with(path, f"format={short}")
        graphs[mime] = ox_triples(r.body, mime) if big else parse(r.body, mime)
    turtle = graphs["text/turtle"]
    if big:  # big documents (no blank nodes): Oxigraph's parsers, sorted N-Triples
        assert any(f"<{iri}>" in t for t in turtle), iri
        for mime, triples in graphs.items():
            assert triples == turtle, f"{iri}: {mime} holds other triples than Turtle"
        return
    node = URIRef(iri)
    assert (node, None, None) in turtle or (None, None, node) in turtle, iri
    ground = not any(isinstance(t, BNode) for triple in turtle for t in triple)
    for mime, g in graphs.items():
        same = set(g) == set(turtle) if ground else isomorphic(g, turtle)
        assert same, f"{iri}: {mime} holds other triples than Turtle"
    head = replies["HEAD"]
    assert head.status == 200 and head.body == b""
    assert head.headers["Content-Location"] == server.url + _with(path, "format=ttl")


OX_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/trig": ox.RdfFormat.TRIG,
    "application/n-quads": ox.RdfFormat.N_QUADS,
}


def ox_triples(body: bytes, mime: str) -> set[str]:
    """The triples of a big document as N-Triples lines (every graph merged)."""
    out = set()
    for t in ox.parse(body, OX_FORMATS[mime], base_iri="http://x.test/"):
        t = t.triple if isinstance(t, ox.Quad) else t
        assert "_:" not in str(t), "blank nodes: compare with rdflib instead"
        out.add(str(t))
    return out


def _with(path: str, query: str) -> str:
    return path + ("&" if "?" in path else "?") + query


def test_every_class_dereferences_in_every_format(
    browse_server: Server, samples: tuple[list[str], list[str]]
):
    first, second = samples
    jobs = [(iri, RDF_MIMES) for iri in first] + [(iri, ["text/turtle"]) for iri in second]
    with ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(lambda job: fetch_all(browse_server, *job), jobs))
    for (iri, _), reply in zip(jobs, replies, strict=True):
        check_resource(browse_server, iri, reply)


def test_accept_q_values_and_format_override(browse_server: Server):
    path = "/competency/active-listening"
    cases = {
        "text/turtle;q=0.5, application/ld+json": "application/ld+json",
        "application/rdf+xml;q=0.9, text/html;q=0.8": "application/rdf+xml",
        "text/html;q=0.1, text/turtle;q=0.2": "text/turtle",
        "application/n-triples, text/turtle;q=0": "application/n-triples",
        "*/*": "text/html",
        "application/json": "application/ld+json",
        "text/*;q=0.9, text/html;q=0.1": "text/turtle",
    }
    for accept, expected in cases.items():
        r = get(browse_server, path, accept)
        assert (r.status, r.content_type) == (200, expected), accept
    r = get(browse_server, path + "?format=ttl", "text/html")
    assert r.content_type == "text/turtle"
    r = get(browse_server, path + "?format=application/n-quads", "text/html")
    assert r.content_type == "application/n-quads"
    assert get(browse_server, path + "?format=pdf").status == 400
    r = get(browse_server, path, "image/png")
    assert r.status == 406 and "text/turtle" in r.text
    r = get(browse_server, path, None)  # no Accept at all: the page
    assert r.content_type == "text/html"


def test_cors_preflight_and_conditional_requests(browse_server: Server):
    path = "/competency/active-listening"
    r = get(browse_server, path, method="OPTIONS")
    assert r.status == 204 and r.headers["Access-Control-Allow-Origin"] == "*"
    first = get(browse_server, path, "text/turtle")
    etag = first.headers["ETag"]
    again = get(browse_server, path, "text/turtle", headers={"If-None-Match": etag})
    assert again.status == 304
    assert "Link" in first.headers and 'rel="alternate"' in first.headers["Link"]


def test_unknown_iris_are_404(browse_server: Server):
    for path in ("/occupation/no-such-occupation", "/nothing/here/at/all", "/competency/"):
        html = get(browse_server, path, "text/html")
        assert html.status == 404 and html.content_type == "text/html", path
        assert "Not found" in html.text
        rdf = get(browse_server, path, "text/turtle")
        assert rdf.status == 404 and rdf.content_type == "text/plain", path
        assert get(browse_server, path, "text/turtle", method="HEAD").status == 404
    assert get(browse_server, "/competency/active-listening?page=99", "text/turtle").status == 404
    assert get(browse_server, "/competency/active-listening?page=x", "text/turtle").status == 400
    assert get(browse_server, "/class/no-such-class").status == 404


# --------------------------------------------------------------------------- what the RDF holds
def test_description_holds_closure_labels_and_inverse_links(browse_server: Server):
    occ = URIRef(BASE + "occupation/computer-user-support-specialists")
    g = parse(get(browse_server, local_path(occ), "text/turtle").body, "text/turtle")
    # requirement nodes minted under the occupation, with their own triples
    reqs = list(g.objects(occ, CKG.requires))
    assert len(reqs) == 20
    assert all((r, CKG.competency, None) in g for r in reqs)
    # entries of the lists, two levels down
    lists = list(g.objects(occ, CKG.prioritizedList))
    entries = [e for lst in lists for e in g.objects(lst, CKG.entry)]
    assert entries and all((e, CKG.competency, None) in g for e in entries)
    # labels of what it links to
    comp = g.value(reqs[0], CKG.competency)
    assert g.value(comp, SKOS.prefLabel) is not None
    # inverse links: the competency's page lists the requirement that names it
    c = URIRef(BASE + "competency/active-listening")
    cg = parse(
        get(browse_server, local_path(c), "application/n-triples").body, "application/n-triples"
    )
    assert (occ + "/requirement/active-listening", CKG.competency, c) in {
        (str(s), p, o) for s, p, o in cg
    } or (URIRef(occ + "/requirement/active-listening"), CKG.competency, c) in cg
    # and where its facts come from, with licence and attribution
    onet = URIRef(BASE + "graph/onet-27.0")
    og = parse(get(browse_server, "/occupation/15-1232.00", "text/turtle").body, "text/turtle")
    assert (onet, URIRef("http://purl.org/dc/terms/license"), None) in og
    assert (onet, URIRef("http://creativecommons.org/ns#attributionName"), None) in og


def test_quads_say_which_source_each_fact_came_from(browse_server: Server):
    r = get(browse_server, "/occupation/15-1299.00", "application/n-quads")
    graphs = {
        q.graph_name.value
        for q in ox.parse(r.body, ox.RdfFormat.N_QUADS)
        if not isinstance(q.graph_name, ox.DefaultGraph)
    }
    assert {BASE + "graph/000_78da1468efeafd76", BASE + "graph/onet-27.0"} <= graphs


def test_blank_nodes_come_with_their_resource(browse_server: Server):
    g = parse(get(browse_server, "/test/tricky", "text/turtle").body, "text/turtle")
    ex = Namespace(BASE + "test/")
    outer = g.value(URIRef(ex.tricky), ex.hasPart)
    assert outer is not None and g.value(outer, RDFS.label) == Literal("outer part")
    inner = g.value(outer, ex.hasPart)
    assert inner is not None and g.value(inner, RDFS.label) == Literal("inner part")
    # the IRI outside the base that the store describes: /describe, labelled
    assert g.value(URIRef("http://example.org/elsewhere/thing"), RDFS.label) is not None
    r = get(
        browse_server,
        "/describe?iri=" + urllib.parse.quote("http://example.org/elsewhere/thing"),
        "text/turtle",
    )
    assert r.status == 200 and b"Described here" in r.body


def test_high_degree_resource_is_paged(browse_server: Server):
    """1,777 resources are derived from the O*NET 27.0 file: pages of 100, counted, linked."""
    path = local_path(SOURCE_ONET)
    first = get(browse_server, path, "text/turtle")
    assert first.status == 200
    g = parse(first.body, "text/turtle")
    totals = {int(t) for t in g.objects(None, HYDRA.totalItems)}
    coll = URIRef(browse_server.url + path + "#inverse-links")
    total = int(g.value(coll, HYDRA.totalItems))
    assert total > 1000 and total in totals
    page1 = URIRef(browse_server.url + path + "?page=1")
    nxt = g.value(page1, HYDRA.next)
    last = g.value(page1, HYDRA.last)
    assert nxt == URIRef(browse_server.url + path + "?page=2")
    pages = int(str(last).rsplit("=", 1)[1])
    assert pages == -(-total // 100)
    seen: set[tuple[str, str]] = set()
    for n in range(1, pages + 1):
        r = get(browse_server, f"{path}?page={n}", "application/n-triples")
        assert r.status == 200, n  # speed is the benchmark's (scripts/bench), not a test's
        links = {
            (str(s), str(p))
            for s, p, o in parse(r.body, "application/n-triples")
            if o == SOURCE_ONET and not str(s).startswith(browse_server.url)  # not hydra's
        }
        assert len(links) == (100 if n < pages else total - 100 * (pages - 1)), n
        assert not links & seen, f"page {n} repeats links"
        seen |= links
    assert len(seen) == total
    html = get(browse_server, path + "?page=2", "text/html")
    assert html.status == 200 and 'rel="next"' in html.text and 'rel="prev"' in html.text


def test_onet_element_lists_its_occupations(browse_server: Server):
    r = get(browse_server, "/onet/element/2.A.1.a", "text/html")
    assert r.status == 200
    assert re.search(r"rated for\s*<span class=\"count\">\s*\d+", r.text), r.text[:2000]
    assert 'href="/occupation/15-1232.00"' in r.text


# --------------------------------------------------------------------------- pages
def test_occupation_page_reads_like_a_profile(browse_server: Server):
    r = get(browse_server, "/occupation/computer-user-support-specialists", "text/html")
    page = r.text
    for section in (
        'id="competencies"',
        'id="lists"',
        'id="unplaced"',
        'id="scenarios"',
        'id="onet"',
        'id="sources"',
        "<svg",
        "application/ld+json",
    ):
        assert section in page, section
    assert "placement unknown — candidate lists" in page
    assert "CC BY 4.0" in page and "O*NET® is a trademark" in page
    ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    doc = json.loads(ld.group(1))
    assert doc["@type"] == "Occupation" and doc["name"] == "Computer User Support Specialists"
    assert "Active Listening" in doc["skills"]
    # links stay on this server, the canonical IRI is shown as text
    assert 'href="https://w3id.org/competency-kg/' not in page
    assert "https://w3id.org/competency-kg/occupation/computer-user-support-specialists" in page


def test_markup_in_labels_is_escaped(browse_server: Server):
    page = get(browse_server, "/test/tricky", "text/html").text
    assert "<script>alert" not in page and "<b>bold</b>" not in page
    assert "&lt;script&gt;alert(" in page
    # IRIs with other schemes than http(s) are never links: their descriptions here are
    hrefs = [h.lower() for h in re.findall(r'href="([^"]*)"', page)]
    assert not [h for h in hrefs if h.startswith(("javascript:", "data:", "vbscript:"))]
    assert "/describe?iri=javascript" in page
    ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
    assert "</" not in ld  # the JSON-LD block cannot be closed early by a label
    assert json.loads(ld)["name"].startswith("<script>")


def test_ontology_and_shapes_at_their_iris(browse_server: Server):
    html = get(browse_server, "/ontology", "text/html")
    assert html.status == 200 and 'id="Occupation"' in html.text and 'id="requires"' in html.text
    ttl = get(browse_server, "/ontology", "text/turtle")
    g = parse(ttl.body, "text/turtle")
    assert (URIRef(str(CKG) + "Occupation"), RDFS.label, None) in g
    for mime in ("application/ld+json", "application/rdf+xml", "application/n-triples"):
        assert isomorphic(parse(get(browse_server, "/ontology", mime).body, mime), g), mime
    shapes = get(browse_server, "/shapes", "text/turtle")
    assert shapes.status == 200 and b"sh:NodeShape" in shapes.body
    assert 'id="OccupationShape"' in get(browse_server, "/shapes", "text/html").text
    # a property's label on a page links to its term in the ontology page
    page = get(browse_server, "/competency/active-listening", "text/html").text
    assert 'href="/ontology#competencyKind"' in page


def test_home_and_class_listings(browse_server: Server):
    home = get(browse_server, "/", "text/html").text
    assert 'href="/class/occupation"' in home and 'href="/class/competency"' in home
    assert "CC BY 4.0" in home and "USDOL/ETA" in home
    assert 'href="/search?q=' in home
    listing = get(browse_server, "/class/occupation", "text/html").text
    assert listing.count('href="/occupation/') >= 6
    comps = get(browse_server, "/class/competency?page=2", "text/html")
    assert comps.status == 200 and 'rel="prev"' in comps.text
    assert get(browse_server, "/class/skos:Concept", "text/html").status == 200
    void = get(browse_server, "/", "text/turtle")  # the dataset itself: its VoID
    assert void.status == 200 and (URIRef(BASE), RDF.type, VOID.Dataset) in parse(
        void.body, "text/turtle"
    )


def rows_of(html: str, start: str) -> list[str]:
    """The ``<li>`` rows of the list that opens with ``start`` (a listing, the home cards)."""
    block = html.split(start, 1)[1].split("</ol>", 1)[0].split("</ul>", 1)[0]
    return re.split(r"<li>", block)[1:]


USER_SUPPORT = ("/occupation/15-1232.00", "/occupation/computer-user-support-specialists")


def test_twins_are_one_row_naming_their_sources(browse_server: Server):
    """The overview's occupation and O*NET's 15-1232.00 (linked by skos:exactMatch) are one
    row of the listing and one card of the home page, naming both sources and linking both
    records; every count says the same. Checked by grouping nothing in web/twins.py (each
    occupation its own group): both rows came back and this failed."""
    listing = get(browse_server, "/class/occupation", "text/html").text
    home = get(browse_server, "/", "text/html").text
    for html, start in ((listing, '<ol class="members"'), (home, '<ul class="cards">')):
        rows = rows_of(html, start)
        assert len(rows) == 5, rows  # six occupation IRIs, five occupations
        twins = [r for r in rows if any(f'href="{h}"' in r for h in USER_SUPPORT)]
        assert len(twins) == 1, twins
        row = twins[0]
        assert all(f'href="{h}"' in row for h in USER_SUPPORT)
        assert "overview" in row and "O*NET 27.0" in row
        assert row.count("Computer User Support Specialists") >= 2  # each record named
        # an occupation from one source is not grouped with anything
        network = next(r for r in rows if 'href="/occupation/15-1231.00"' in r)
        assert "records:" not in network and "overview" not in network
        # the counts say what they count, the same on both pages
        assert "6 occupations from 4 sources, 5 distinct" in html
    assert '<span class="count">5</span>' in listing


def test_a_twin_page_names_the_other(browse_server: Server):
    """Each twin's page says it is the same occupation as the other, linking it and naming
    its source. Checked by leaving page.twins empty in pages.page.page_for: this failed."""
    for here, there, source in (
        (USER_SUPPORT[1], USER_SUPPORT[0], "O*NET 27.0, O*NET 29.2"),
        (USER_SUPPORT[0], USER_SUPPORT[1], "overview"),
    ):
        page = get(browse_server, here, "text/html").text
        note = page.split('class="twins"', 1)[1].split("</p>", 1)[0]
        assert "The same occupation as" in note
        assert f'href="{there}"' in note and f"(source {source})" in note
    alone = get(browse_server, "/occupation/15-1231.00", "text/html").text
    assert 'class="twins"' not in alone


def test_search_gives_one_result_for_twins(browse_server: Server):
    """A search for "user support" matches both records of Computer User Support Specialists:
    one result, naming its sources and linking each record (JSON and HTML). Checked by
    returning the results unmerged from search.search: two occupation results came back and
    this failed."""
    doc = search_json(browse_server, "user support")
    occupations = [x for x in doc["results"] if x["type"] == str(CKG) + "Occupation"]
    assert len(occupations) == 1, occupations
    (hit,) = occupations
    assert hit["label"] == "Computer User Support Specialists"
    assert {"overview", "O*NET 27.0"} <= set(hit["sources"])
    assert {t["href"] for t in hit["twins"]} == set(USER_SUPPORT)
    only = search_json(browse_server, "user support", **{"class": "occupation"})
    assert only["count"] == 1
    single = search_json(browse_server, "network support", **{"class": "occupation"})["results"]
    assert single[0]["twins"] == [] and "overview" not in single[0]["sources"]
    html = get(browse_server, "/search", "text/html", params={"q": "user support"}).text
    results = rows_of(html, '<ol class="results">')
    assert len([r for r in results if any(f'href="{h}"' in r for h in USER_SUPPORT)]) == 1


# --------------------------------------------------------------------------- search
def search_json(server: Server, q: str, **params: str) -> dict:
    r = get(server, "/search", params={"q": q, "format": "json", **params})
    assert r.status == 200, (q, r.status, r.text[:300])
    assert r.content_type == "application/json"
    return json.loads(r.body)


def test_search_json_and_html(browse_server: Server):
    doc = search_json(browse_server, "network support")
    labels = [x["label"] for x in doc["results"]]
    assert "Computer Network Support Specialists" in labels
    top = doc["results"][0]
    assert top["href"].startswith("/") and top["typeLabel"]
    exact = search_json(browse_server, "active listening")["results"][0]
    assert exact["label"] == "Active Listening"
    code = search_json(browse_server, "15-1232.00")["results"]
    assert any(x["href"] == "/occupation/15-1232.00" for x in code)
    only = search_json(browse_server, "support", **{"class": "occupation"})["results"]
    assert only and all(x["type"] == str(CKG) + "Occupation" for x in only)
    html = get(browse_server, "/search", "text/html", params={"q": "network"})
    assert html.status == 200 and 'href="/occupation/15-1231.00"' in html.text
    by_accept = get(browse_server, "/search", "application/json", params={"q": "network"})
    assert by_accept.content_type == "application/json"


@pytest.mark.parametrize(
    "q",
    [
        '") } } ; DROP ALL ; #',
        "x' } UNION { ?s ?p ?o } #",
        '\\"',
        "\\",
        '"""',
        "} LIMIT 1",
        "<https://w3id.org/competency-kg/> ?p ?o",
        "customer service SERVICE <http://127.0.0.1:9/>",
        "é ü 中文 \U0001f600",
        "a" * 500,
        "\x00\x01",
    ],
)
def test_search_text_is_data(browse_server: Server, q: str):
    doc = search_json(browse_server, q)
    assert isinstance(doc["results"], list)
    for x in doc["results"]:  # whatever matched, matched as text
        words = q.casefold().split()
        assert all(
            w
            in (
                x["label"] + " " + (x.get("matched") or "") + " " + (x.get("code") or "")
            ).casefold()
            or len(q) > 200
            for w in words
        )
    html = get(browse_server, "/search", "text/html", params={"q": q})
    assert html.status == 200
    assert "<script>" not in html.text.split("<main>", 1)[1]


# --------------------------------------------------------------------------- VoID and dumps
FRAMEWORK_TITLE = "Competency framework 15-1299.00 v.26.05 (LER.me export)"
OVERVIEW_TITLE = "Occupation Overview: Computer User Support Specialists"
DCT = Namespace("http://purl.org/dc/terms/")


def _row(html: str, marker: str) -> str:
    """The table row (or list item) of the home page / source list that holds ``marker``."""
    at = html.index(marker)
    row, item = html.rfind("<tr", 0, at), html.rfind('<li id="source-', 0, at)
    if row > item:
        return html[row : html.index("</tr>", at)]
    ends = [x for x in (html.find('<li id="source-', at), html.find("</ol>", at)) if x > 0]
    return html[item : min(ends)]


def test_pages_name_sources_by_title_and_credit_what_each_states(browse_server: Server):
    """Home page, a resource page and VoID: each source by the title its document gives, its
    file beside it; the framework export has no licence of its own ("no licence stated by the
    document"), the CC BY 4.0 it states for its O*NET source is shown as that source's.

    Checked by breaking it: with the export given its sources' licences again (``read_source``),
    its row showed CC BY 4.0 as its own and this failed.
    """
    home = get(browse_server, "/", "text/html").text
    for title in (FRAMEWORK_TITLE, OVERVIEW_TITLE, "O*NET 27.0 Database — August 2022 Release"):
        assert title in home
    framework = _row(home, FRAMEWORK_TITLE)
    assert "<code>000_78da1468efeafd76.txt</code>" in framework
    assert "no licence stated by the document" in framework and "© EBSCOed" in framework
    cited = framework[framework.index('class="cited-sources"') :]
    assert "onet v30.2" in cited and "CC BY 4.0" in cited and "for that source only" in cited
    assert "CC BY 4.0" not in framework[: framework.index('class="cited-sources"')]
    overview = _row(home, OVERVIEW_TITLE)
    assert "no licence stated by the document" in overview and "CC BY" not in overview
    assert "no licence stated" not in _row(home, "O*NET 27.0 Database")

    page = get(browse_server, "/occupation/15-1299.00", "text/html").text
    sources = page[page.index('<ol class="sources">') :]
    assert "<strong>" + FRAMEWORK_TITLE + "</strong>" in sources
    assert "no licence stated by the document" in _row(sources, FRAMEWORK_TITLE)

    g = parse(get(browse_server, "/.well-known/void", "text/turtle").body, "text/turtle")
    fw_graph = URIRef(BASE + "graph/000_78da1468efeafd76")
    assert str(g.value(fw_graph, DCT.title)) == FRAMEWORK_TITLE
    assert g.value(fw_graph, DCT.license) is None
    doc = g.value(fw_graph, DCT.source)
    assert str(g.value(doc, CKG.fileName)) == "000_78da1468efeafd76.txt"
    onet = next(c for c in g.objects(doc, DCT.source) if str(g.value(c, DCT.title)) == "onet v30.2")
    assert str(g.value(onet, DCT.license)) == "https://creativecommons.org/licenses/by/4.0/"
    # the whole is under no one licence: not every source states one
    assert g.value(URIRef(BASE), DCT.license) is None


def test_void_and_home_name_the_entailed_graph_as_derived(browse_server: Server) -> None:
    """Checked: with the "entailed" kind left out of web/sources.py, VoID shows it as a plain
    subset (no prov:wasDerivedFrom) and the home page as a source, and this fails."""
    entailed = URIRef(BASE + "graph/entailed")
    g = parse(get(browse_server, "/.well-known/void", "text/turtle").body, "text/turtle")
    assert entailed in set(g.objects(URIRef(BASE), VOID.subset))
    derived = set(g.objects(entailed, PROV.wasDerivedFrom))
    assert URIRef("https://w3id.org/competency-kg/ontology") in derived
    assert URIRef(BASE + "graph/onet-27.0") in derived
    assert int(g.value(entailed, VOID.triples)) > 0
    home = get(browse_server, "/", "text/html").text
    row = home.split('href="/graph/entailed"', 1)[1].split("</tr>", 1)[0]
    assert "not a source" in row


def test_void_describes_dataset_and_dumps(browse_server: Server, browse_store):
    r = get(browse_server, "/.well-known/void", None)
    assert r.status == 200 and r.content_type == "text/turtle"
    g = parse(r.body, "text/turtle")
    ds = URIRef(BASE)
    assert (ds, RDF.type, VOID.Dataset) in g
    assert g.value(ds, VOID.sparqlEndpoint) == URIRef(browse_server.url + "/sparql")
    subsets = set(g.objects(ds, VOID.subset))
    assert URIRef(BASE + "graph/onet-27.0") in subsets and URIRef(TRICKY_GRAPH) in subsets
    onet = URIRef(BASE + "graph/onet-27.0")
    assert g.value(onet, URIRef("http://purl.org/dc/terms/license")) is not None
    assert int(g.value(onet, VOID.triples)) > 10000
    assert any(True for _ in g.objects(onet, VOID.classPartition))
    for mime in ("application/ld+json", "application/rdf+xml", "application/n-triples"):
        other = get(browse_server, "/.well-known/void", mime)
        assert other.content_type == mime
        assert len(parse(other.body, mime)) == len(g)
    dumps = {str(d): d for d in g.objects(ds, VOID.dataDump)}
    nq = dumps[browse_server.url + "/dumps/all.nq.gz"]
    size = int(g.value(nq, DCAT.byteSize))
    checksum = g.value(g.value(nq, SPDX.checksum), SPDX.checksumValue)
    download = get(browse_server, "/dumps/all.nq.gz")
    assert download.status == 200 and download.content_type == "application/gzip"
    assert len(download.body) == size
    assert hashlib.sha256(download.body).hexdigest() == str(checksum)
    ttl = dumps[browse_server.url + "/dumps/all.ttl.gz"]
    ttl_body = get(browse_server, "/dumps/all.ttl.gz").body
    assert hashlib.sha256(ttl_body).hexdigest() == str(
        g.value(g.value(ttl, SPDX.checksum), SPDX.checksumValue)
    )


def test_void_figures_are_the_dumps(browse_server: Server) -> None:
    """VoID's figures (counted by the load and kept: competency_kg/stats.py) are the dump's:
    the dataset's ``void:triples`` its distinct triples, each subset's the lines of its graph,
    each class partition the distinct subjects typed with the class.

    Checked by breaking it: with the metadata graph's quads not counting the figures' own
    triples (``record_statistics``), this failed on the metadata subset."""
    g = parse(get(browse_server, "/.well-known/void", None).body, "text/turtle")
    ds = URIRef(BASE)
    body = gunzip(get(browse_server, "/dumps/all.nq.gz").body)
    quads = list(ox.parse(body, ox.RdfFormat.N_QUADS))
    assert int(g.value(ds, VOID.triples)) == len({q.triple for q in quads})
    lines: dict[str, int] = {}
    typed: dict[str, set[object]] = {}
    for q in quads:
        lines[q.graph_name.value] = lines.get(q.graph_name.value, 0) + 1
        if q.predicate.value == str(RDF.type) and isinstance(q.object, ox.NamedNode):
            typed.setdefault(q.object.value, set()).add(q.subject)
    subsets = {str(sub): int(g.value(sub, VOID.triples)) for sub in g.objects(ds, VOID.subset)}
    assert subsets == lines
    partitions = {
        str(g.value(p, VOID["class"])): int(g.value(p, VOID.entities))
        for p in g.objects(ds, VOID.classPartition)
    }
    assert partitions == {c: len(s) for c, s in typed.items()}


def test_dump_reloads_to_the_same_quads(browse_server: Server, browse_store, tmp_path):
    body = gunzip(get(browse_server, "/dumps/all.nq.gz").body)
    target = tmp_path / "export.nq"
    code, log = cli("export", "--format", "nquads", "-o", str(target), store=browse_store.path)
    assert code == 0, log
    # the same quads as the export, blank node labels included (both write the store's own)
    dumped = set(body.decode("utf-8").splitlines())
    assert dumped == set(target.read_text(encoding="utf-8").splitlines())
    assert len(dumped) > 25000
    # and it loads into an empty store: the same quads, up to blank node labels
    reloaded = ox.Store()
    reloaded.load(io.BytesIO(body), ox.RdfFormat.N_QUADS)
    assert len(reloaded) == len(dumped)
    again = ox.serialize(reloaded, format=ox.RdfFormat.N_QUADS).decode("utf-8").splitlines()
    assert {q for q in again if "_:" not in q} == {q for q in dumped if "_:" not in q}
    # the Turtle dump holds every triple, the graphs merged
    ttl = gunzip(get(browse_server, "/dumps/all.ttl.gz").body)
    triples = {str(t) for t in ox.parse(ttl, ox.RdfFormat.TURTLE) if "_:" not in str(t)}
    assert triples == {str(q.triple) for q in reloaded if "_:" not in str(q)}


# --------------------------------------------------------------------------- another base
def test_server_address_is_not_the_base(other_base_server: Server):
    occ = OTHER_BASE + "occupation/computer-user-support-specialists"
    path = local_path(occ, OTHER_BASE)
    html = get(other_base_server, path, "text/html")
    assert html.status == 200
    hrefs = re.findall(r'href="([^"]+)"', html.text)
    assert not [h for h in hrefs if h.startswith(OTHER_BASE)], "a link left the server"
    assert any(h.startswith("/competency/") for h in hrefs)
    assert occ in html.text  # the canonical IRI, shown
    g = parse(get(other_base_server, path, "text/turtle").body, "text/turtle")
    assert (URIRef(occ), RDF.type, CKG.Occupation) in g
    subjects = {str(s) for s in g.subjects() if isinstance(s, URIRef)}
    assert all(s.startswith((OTHER_BASE, other_base_server.url)) for s in subjects), subjects
    # a page of the description is a document on this server
    assert URIRef(other_base_server.url + path + "?page=1") in set(g.subjects())
    moved = get(other_base_server, "/describe", params={"iri": occ})
    assert moved.status == 301 and moved.headers["Location"].endswith(path)
    assert get(other_base_server, "/occupation/nope", "text/turtle").status == 404


def test_a_load_while_serving_is_seen(other_base_server: Server, tmp_path):
    """New data: its IRIs resolve, and VoID names new dumps that hold it."""

    def dump_sum() -> str:
        g = parse(get(other_base_server, "/.well-known/void", "text/turtle").body, "text/turtle")
        nq = URIRef(other_base_server.url + "/dumps/all.nq.gz")
        return str(g.value(g.value(nq, SPDX.checksum), SPDX.checksumValue))

    before = dump_sum()
    extra = tmp_path / "extra.ttl"
    extra.write_text(
        f'<{OTHER_BASE}tool/late-arrival> <{SKOS.prefLabel}> "Late"@en .\n',
        encoding="utf-8",
    )
    code, log = cli(
        "--base-iri", OTHER_BASE, "load", "--graph", OTHER_BASE + "graph/extra", str(extra),
        store=other_base_server.store.path,
    )  # fmt: skip
    assert code == 0, log
    deadline = time.monotonic() + 15
    while get(other_base_server, "/tool/late-arrival", "text/turtle").status != 200:
        assert time.monotonic() < deadline, "the new resource never resolved"
        time.sleep(0.2)
    after = dump_sum()
    assert after != before
    body = gunzip(get(other_base_server, "/dumps/all.nq.gz").body)
    assert f"<{OTHER_BASE}tool/late-arrival>".encode() in body
    assert hashlib.sha256(get(other_base_server, "/dumps/all.nq.gz").body).hexdigest() == after


@pytest.mark.parametrize(
    ("q", "cls"),
    [
        ("network support", None),
        ("support", "Occupation"),
        ("15-1232.00", None),
        ("listening", None),
        ("data", None),
        ("customer service", "Competency"),
        ("no such words anywhere", None),
    ],
)
def test_label_index_answers_as_the_sparql_search(
    browse_store: LoadedStore, q: str, cls: str | None
) -> None:
    """The in-memory index and the SPARQL search find the same resources, ranked the same."""
    from competency_kg.config import Settings
    from competency_kg.store import open_store
    from competency_kg.web.app import create_app
    from competency_kg.web.reading import Reader
    from competency_kg.web.search import LabelIndex, search

    store = open_store(browse_store.path, read_only=True)
    app = create_app(Settings(store=str(browse_store.path), base_iri=BASE), store=store)
    try:
        with app.test_request_context("/search"):
            reader = Reader()
            index = LabelIndex.read(reader)
            assert len(index.entries) > 100
            klass = str(CKG) + cls if cls else None
            by_index, _ = search(reader, q, klass, index)
            by_sparql, more = search(reader, q, klass)
    finally:
        store.close()
    assert not more
    key = [(r["iri"], r["label"], r["type"]) for r in by_index]
    assert sorted(key) == sorted((r["iri"], r["label"], r["type"]) for r in by_sparql)
    if by_sparql:
        assert by_index[0]["label"] == by_sparql[0]["label"]  # the same best match
    if q.startswith("no such"):
        assert by_index == []
    else:
        assert by_index


KEPT_TTL = """\
@prefix ckg: <https://w3id.org/competency-kg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<https://w3id.org/competency-kg/occupation/test-welder> a ckg:Occupation ;
    skos:prefLabel "Test welder" .
"""


def test_label_index_kept_on_disk_per_store_version(tmp_path) -> None:
    """A server started again over the same store reads the search's index back from beside
    the store instead of building it; after a load (another published version) the kept
    file is never read (the version checks themselves: tests/test_kept_files.py). Checked by
    breaking it: with ``_load_kept`` not reading the disk the planted label was not found;
    with the cleanup (``store/kept.py``) keeping every temporary file, the one left by a
    stopped writer stayed."""
    from competency_kg.config import Settings
    from competency_kg.search_labels import KEPT
    from competency_kg.store import open_store
    from competency_kg.store.kept import published
    from competency_kg.web import search as search_module
    from competency_kg.web.app import create_app
    from competency_kg.web.resources import store_version

    path = tmp_path / "store"
    source = tmp_path / "welder.ttl"
    source.write_text(KEPT_TTL, encoding="utf-8")
    code, log = cli("load", str(source), store=path)
    assert code == 0, log

    def searched(q: str) -> list[str]:
        """Labels the search page finds, on a server process that has no index in memory."""
        search_module._INDEXES.clear()
        store = open_store(path, read_only=True)
        app = create_app(Settings(store=str(path), base_iri=BASE), store=store)
        try:
            with app.test_request_context("/search"):
                search_module.build_label_index(store_version(), str(path))
            reply = app.test_client().get(
                "/search", query_string={"q": q, "class": "occupation", "format": "json"}
            )
        finally:
            store.close()
        assert reply.status_code == 200, reply.text
        assert "partial" not in reply.json
        return [r["label"] for r in reply.json["results"]]

    assert searched("welder") == ["Test welder"]
    folder = tmp_path / "store.kept"
    kept = list(folder.glob("search-*"))
    assert len(kept) == 1
    # a label planted in the kept file only: found once the index is read back from it
    whole = json.loads(kept[0].read_bytes())
    doc = whole["value"]
    welder = doc["text"].index("test welder")
    doc["subjects"].append(f"<{BASE}occupation/planted>")
    doc["types"].append(doc["types"][doc["s"][welder]])
    for key, value in zip(
        ("text", "label", "s", "p"),
        ("planted welder", '"Planted welder"', len(doc["subjects"]) - 1, doc["p"][welder]),
        strict=True,
    ):
        doc[key].append(value)
    kept[0].write_text(json.dumps(whole), encoding="utf-8")
    assert sorted(searched("welder")) == ["Planted welder", "Test welder"]
    # a load publishes another version: the kept file is not read for it, and is replaced
    # (with what a server stopped while writing left: no process has that id)
    stale = folder / f".{kept[0].name}.999999999.tmp"
    stale.write_bytes(b"cut short")
    code, log = cli("load", "--force", str(source), store=path)
    assert code == 0, log
    assert searched("welder") == ["Test welder"]
    # the load kept the new version's index, and left the one of the version servers read
    # until it published (removed by the next load, as the versions are)
    left = [f.name for f in folder.iterdir() if f.name.lstrip(".").startswith("search-")]
    assert sorted(left) == sorted([kept[0].name, KEPT.file(path, published(path)).name])


def test_a_dump_request_waits_for_its_writer_on_a_small_store_only(
    browse_store: LoadedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dump being written: a request for it waits for its writer (up to ``DUMP_WAIT``) on a
    store of at most ``VOID_WAITS_UP_TO`` quads, where writing takes a second or two; on a
    bigger one it answers 503 with ``Retry-After`` at once (the whole O*NET release's first
    dump fetch held 20 s for a 503). The waits asked are recorded, not timed. Checked by
    breaking it: with the request waiting ``DUMP_WAIT`` on any store (as before), the big
    store's asked for 20 s."""
    from competency_kg.config import Settings
    from competency_kg.store import open_store
    from competency_kg.web import void
    from competency_kg.web.app import create_app

    asked: list[float | None] = []

    def being_written(name: str, key: str, wait: float | None = None) -> None:
        asked.append(wait)  # the writer is not started: the dump stays "being written"

    monkeypatch.setattr(void, "ensure_dump", being_written)
    monkeypatch.setattr(void, "dump_failed", lambda name, key: False)
    store = open_store(browse_store.path, read_only=True)
    app = create_app(Settings(store=str(browse_store.path), base_iri=BASE), store=store)
    try:
        client = app.test_client()
        for limit, wait in ((void.VOID_WAITS_UP_TO, void.DUMP_WAIT), (0, 0.0)):
            monkeypatch.setattr(void, "VOID_WAITS_UP_TO", limit)  # 0: every store is big
            asked.clear()
            reply = client.get("/dumps/all.nq.gz")
            assert reply.status_code == 503 and reply.headers["Retry-After"]
            assert asked == [wait]
    finally:
        store.close()


def test_templates_compiled_before_serving(browse_store: LoadedStore) -> None:
    """A server's worker compiles every template before it serves (through Jinja's bytecode
    cache), so the first page of each kind does not wait for its templates. Checked by
    breaking it: with ``compile_templates`` returning at once, this test failed."""
    from competency_kg.config import Settings
    from competency_kg.store import open_store
    from competency_kg.web.app import create_app
    from competency_kg.web.warming import compile_templates

    store = open_store(browse_store.path, read_only=True)
    app = create_app(Settings(store=str(browse_store.path), base_iri=BASE), store=store)
    store.close()
    env = app.jinja_env
    names = [n for n in env.list_templates() if n.endswith(".html")]
    assert "resource.html" in names and "search.html" in names
    assert compile_templates(app) == len(names)
    compiled = {key[1] for key in env.cache}
    assert set(names) <= compiled
    assert env.bytecode_cache is not None


def test_only_a_served_application_warms(
    browse_store: LoadedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The warmer and the templates' precompile start in an application ``competency-kg
    serve`` runs (``create_app(served=True)``: ``app.config[SERVED]``, the mark the report
    page reads), never in a test's own one, even in a process that imported gunicorn's
    workers (as this one does: ``web/front.py``). Checked by breaking it: with the warmer
    deciding by gunicorn's modules in ``sys.modules`` (as before), or ignoring the mark, the
    test's application warmed. A served one has, as it starts, the search's index the load
    kept in memory (checked by breaking it: without ``read_kept`` it had not)."""
    import competency_kg.web.front  # noqa: F401  (gunicorn's workers imported, as in a server)
    from competency_kg import versioned_cache
    from competency_kg.config import Settings
    from competency_kg.web import search, warming
    from competency_kg.web.app import create_app
    from competency_kg.web.state import SERVED, state

    started: list[object] = []
    compiled: list[object] = []
    # the warmer's thread and the precompile are recorded, not run: no query worker starts
    monkeypatch.setattr(warming, "_warmer", lambda app, steps: started.append(app))
    monkeypatch.setattr(warming, "compile_templates", lambda app: compiled.append(app))
    for name in ("_INDEXES", "_BUILDING", "_FAILED"):
        monkeypatch.setattr(search, name, type(getattr(search, name))())
    settings = Settings(store=str(browse_store.path), base_iri=BASE)
    version = versioned_cache.store_version(str(browse_store.path))
    for served in (False, True):
        app = create_app(settings, query_workers=1, served=served)
        try:
            assert app.config[SERVED] is served
            assert (version in search._INDEXES) is served  # read as a served one starts
            expected = [app] if served else []
            deadline = time.monotonic() + 10
            while started != expected and time.monotonic() < deadline:
                time.sleep(0.01)  # the warmer's thread records itself when it starts
            assert started == expected and compiled == expected, served
        finally:
            state(app).executor.close()


def test_the_warmer_waits_for_a_quiet_moment_between_visitors(
    browse_store: LoadedStore,
) -> None:
    """Before each step the warmer waits while a visitor's page is being answered (its steps
    take the cores the page needs), and goes on once it is answered. Checked by breaking it:
    with ``quiet`` returning at once, it did not wait for the page in flight."""
    import threading

    from competency_kg.config import Settings
    from competency_kg.store import open_store
    from competency_kg.web import warming
    from competency_kg.web.app import create_app

    store = open_store(browse_store.path, read_only=True)
    app = create_app(Settings(store=str(browse_store.path), base_iri=BASE), store=store)
    entered, answer = threading.Event(), threading.Event()

    def slow() -> str:
        entered.set()
        answer.wait(30)
        return "answered"

    app.add_url_rule("/test-slow-page", "test_slow_page", slow)
    visitor = threading.Thread(target=lambda: app.test_client().get("/test-slow-page"))
    waiter = threading.Thread(target=warming.quiet, args=(object(), 0.0, 30.0))
    try:
        visitor.start()
        assert entered.wait(30)
        waiter.start()
        waiter.join(0.5)
        assert waiter.is_alive()  # a page in flight: the warmer's next step waits
        answer.set()
        visitor.join(30)
        waiter.join(30)
        assert not waiter.is_alive()  # answered: it goes on
    finally:
        answer.set()
        store.close()


def test_search_answers_while_the_index_is_built(
    browse_store: LoadedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the label index is being built (seconds on a big store after a start), a search
    scans the store, bounded: when the scan finishes, its answer is the whole one (every
    class, not partial: tools and technologies among them); when it does not, the
    first-ranked classes' labels answer at once, saying so, and a search of another class
    answers 503. Checked by breaking it: answering from the first index without trying the
    scan gave no tool (and 0 results for "welding" in the installed wheel's test, which
    caught it first); without the first index the timed-out scan answered 503 for every
    search."""
    from competency_kg.config import Settings
    from competency_kg.sparql.errors import QueryError
    from competency_kg.store import open_store
    from competency_kg.web import search as search_module
    from competency_kg.web.app import create_app
    from competency_kg.web.resources import store_version

    store = open_store(browse_store.path, read_only=True)
    app = create_app(Settings(store=str(browse_store.path), base_iri=BASE), store=store)
    client = app.test_client()
    try:
        with app.test_request_context("/search"):
            version = store_version()
        with search_module._INDEX_LOCK:
            search_module._INDEXES.clear()
            search_module._BUILDING.add(version)  # as while a build runs
        whole = client.get("/search", query_string={"q": "software", "format": "json"}).json
        assert "partial" not in whole and whole["count"] > 0
        assert {r["type"] for r in whole["results"]} - set(search_module.FIRST_CLASSES)

        def scan_too_slow(*_args: object) -> None:
            raise QueryError("the query took longer than 0.8 s")

        monkeypatch.setattr(search_module, "_matching_rows", scan_too_slow)
        doc = client.get("/search", query_string={"q": "support", "format": "json"}).json
        assert doc["partial"] is True and doc["more"] is True
        assert doc["results"] and {r["type"] for r in doc["results"]} <= set(
            search_module.FIRST_CLASSES
        )
        assert "Computer User Support Specialists" in [r["label"] for r in doc["results"]]
        html = client.get("/search", query_string={"q": "support"}).text
        assert "is being prepared" in html and "Computer User Support Specialists" in html
        other = client.get(
            "/search", query_string={"q": "software", "class": "technology", "format": "json"}
        )
        assert other.status_code == 503 and other.headers["Retry-After"]
    finally:
        with search_module._INDEX_LOCK:
            search_module._BUILDING.discard(version)
        store.close()


def test_the_warmer_reads_listings_and_page_basics_ahead(
    browse_store: LoadedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the warmer's ``basics``, ``hubs`` and ``classes`` steps, a class listing and a resource
    page are answered without reading a class's members or the hash IRIs of documents again
    (the seconds a first visitor waited for on the whole O*NET release).

    The summaries (labels, types) of the hubs (occupations, competencies, O*NET elements)
    are read by ``hubs``, and pages name them from there.

    Checked by taking ``warm_classes`` out of the test (the listing then read its members,
    which raise here) and, apart, ``warm_basics`` (the page then scanned for hash IRIs);
    with ``summarize`` not consulting the hubs' summaries, the competency's page asked for
    the occupation's labels and the last assertion failed."""
    from competency_kg import versioned_cache
    from competency_kg.config import Settings
    from competency_kg.store import open_store
    from competency_kg.web import describe, home, resources, warming
    from competency_kg.web.app import create_app
    from competency_kg.web.reading import Reader

    monkeypatch.setattr(versioned_cache, "CACHE", versioned_cache.VersionedCache())
    monkeypatch.setattr(resources, "CACHE", resources.LRUCache())
    store = open_store(browse_store.path, read_only=True)
    app = create_app(Settings(store=str(browse_store.path), base_iri=BASE), store=store)
    try:
        assert versioned_cache.store_version(str(browse_store.path)) is not None
        warming.warm_basics(app)
        warming.warm_hubs(app)
        warming.warm_classes(app)

        def read_again(*args: object) -> None:
            raise AssertionError("read again after warming")

        monkeypatch.setattr(home, "_members", read_again)
        monkeypatch.setattr(resources, "hash_documents", read_again)
        monkeypatch.setattr(describe, "read_hub_summaries", read_again)
        # the class listings' summaries, read by ``warm_classes``, are not the hubs'
        monkeypatch.setattr(describe, "_SUMMARY_CACHE", describe.LRUCache())
        asked: list[str] = []
        select = Reader.select
        monkeypatch.setattr(Reader, "select", lambda r, q: asked.append(q) or select(r, q))
        client = app.test_client()
        listing = client.get("/class/competency?page=2", headers={"Accept": "text/html"})
        assert listing.status_code == 200, listing.get_data(as_text=True)[:2000]
        assert 'href="/competency/' in listing.get_data(as_text=True)
        # A competency's page names the occupations requiring it from the hubs' summaries
        # read by the warmer: no query of its own asks for an occupation's labels.
        page = client.get("/competency/active-listening", headers={"Accept": "text/html"})
        assert page.status_code == 200, page.get_data(as_text=True)[:2000]
        assert 'href="/occupation/computer-user-support-specialists"' in page.get_data(as_text=True)
        occupation = f"<{BASE}occupation/computer-user-support-specialists>"
        summaries = [q for q in asked if "VALUES ?x" in q and str(SKOS.prefLabel) in q]
        assert not [q for q in summaries if occupation in q]
        page = client.get("/occupation/computer-user-support-specialists")
        assert page.status_code == 200, page.get_data(as_text=True)[:2000]
    finally:
        store.close()


def test_a_page_does_not_wait_for_the_hubs_summaries(
    browse_store: LoadedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before the warmer has read the hubs' summaries (seconds on a big store), a page reads
    the summaries it needs itself and names the occupations as it does after: it never reads
    (nor waits for) the hubs' summaries. Checked by breaking it: with a page's
    ``page_basics`` reading the hubs (``hubs=True``), the patched reader raised (500)."""
    from competency_kg import versioned_cache
    from competency_kg.config import Settings
    from competency_kg.store import open_store
    from competency_kg.web import describe, resources
    from competency_kg.web.app import create_app

    monkeypatch.setattr(versioned_cache, "CACHE", versioned_cache.VersionedCache())
    monkeypatch.setattr(resources, "CACHE", resources.LRUCache())
    monkeypatch.setattr(describe, "_SUMMARY_CACHE", describe.LRUCache())

    def not_now(*args: object) -> None:
        raise AssertionError("a page read the hubs' summaries")

    monkeypatch.setattr(describe, "read_hub_summaries", not_now)
    monkeypatch.setattr(resources, "read_hub_summaries", not_now)
    store = open_store(browse_store.path, read_only=True)
    app = create_app(Settings(store=str(browse_store.path), base_iri=BASE), store=store)
    try:
        page = app.test_client().get(
            "/competency/active-listening", headers={"Accept": "text/html"}
        )
        assert page.status_code == 200, page.get_data(as_text=True)[:2000]
        assert 'href="/occupation/computer-user-support-specialists"' in page.get_data(as_text=True)
    finally:
        store.close()


def test_page_basics_read_back_from_disk_by_a_restarted_server(
    browse_store: LoadedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hash IRIs of documents and the hubs' summaries, computed once per store version,
    are kept beside the store (``STORE.kept/``): a restarted server (nothing in memory) reads
    them back instead of scanning again, and serves the same pages. Checked by breaking it:
    with ``HASH_DOCS.read`` not called the second server scanned again (the patched scan
    raised); the same with ``kept.load`` returning None before the kept files were one
    mechanism."""
    from competency_kg import versioned_cache
    from competency_kg.config import Settings
    from competency_kg.store import open_store
    from competency_kg.web import resources, warming
    from competency_kg.web.app import create_app

    paths = ("/occupation/computer-user-support-specialists", "/curation/seeds")

    def serve() -> list[tuple[int, bytes]]:
        """A fresh process's caches, its warmer's ``basics`` step, then the pages."""
        monkeypatch.setattr(versioned_cache, "CACHE", versioned_cache.VersionedCache())
        monkeypatch.setattr(resources, "CACHE", resources.LRUCache())
        store = open_store(browse_store.path, read_only=True)
        app = create_app(Settings(store=str(browse_store.path), base_iri=BASE), store=store)
        try:
            warming.warm_basics(app)
            warming.warm_hubs(app)
            client = app.test_client()
            replies = [client.get(p, headers={"Accept": "text/html"}) for p in paths]
            return [(r.status_code, r.get_data()) for r in replies]
        finally:
            store.close()

    first = serve()
    assert first[0][0] == 200
    kept = browse_store.path.parent.joinpath("store.kept")
    assert list(kept.glob("hash-docs-*")) and list(kept.glob("hub-summaries-*"))

    def read_again(*args: object) -> None:
        raise AssertionError("scanned again by a restarted server")

    monkeypatch.setattr(resources, "hash_documents", read_again)
    monkeypatch.setattr(resources, "read_hub_summaries", read_again)
    assert serve() == first


PREFIXED = (str(SKOS) + "prefLabel", str(CKG) + "requires")


def test_json_ld_is_compact_with_an_inline_context(browse_server: Server) -> None:
    """Readable JSON-LD: prefixed names through an inline @context, the triples of Turtle."""
    path = "/occupation/computer-user-support-specialists"
    ld = get(browse_server, path, "application/ld+json")
    assert ld.status == 200
    doc = json.loads(ld.body)
    assert doc["@context"]["skos"] == str(SKOS) and doc["@context"]["ckg"] == str(CKG)
    nodes = {n["@id"]: n for n in doc["@graph"]}
    occupation = nodes[BASE + path[1:]]  # data IRIs stay whole
    assert "ckg:Occupation" in occupation["@type"]
    assert "skos:prefLabel" in occupation and "ckg:requires" in occupation
    assert not any(k.startswith("http") for n in doc["@graph"] for k in n if k in PREFIXED)
    ttl = get(browse_server, path, "text/turtle")
    assert isomorphic(parse(ld.body, "application/ld+json"), parse(ttl.body, "text/turtle"))


def test_values_render_as_markup_once(browse_server: Server) -> None:
    """Links, literals and citations are HTML on the page, escaped once: never shown as text."""
    page = get(browse_server, "/occupation/computer-user-support-specialists", "text/html").text
    assert "&lt;a href=" not in page and "&lt;span" not in page and "&lt;sup" not in page
    assert '<td><a href="/competency/active-listening"' in page
    assert '<sup class="cite"><a href="#source-' in page


# ---------------------------------------------------------- counterparts in other sources
@pytest.fixture(scope="module")
def links_server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The real server over documents and an O*NET release of the project's own making
    (tests/fixtures/links; --force: the documents are partial on purpose)."""
    from sparql_support import start_server, stop_server

    from support import FIXTURES

    own = FIXTURES / "links"
    root = tmp_path_factory.mktemp("links-pages")
    code, log = cli(
        "load", "--force", "--corrections", str(own / "curation"),
        str(own / "dispatch-handbook.ttl"), str(own / "fleet-notes.ttl"),
        str(own / "onet-mini"), store=root / "store",
    )  # fmt: skip
    assert code == 0, log
    server = start_server(LoadedStore(root / "store"), root, timeout=20)
    yield server
    stop_server(server)


def linked_section(server: Server, path: str) -> tuple[str, set[str]]:
    """The page's "In other sources" part: its text and the paths it links to."""
    reply = get(server, path, "text/html")
    assert reply.status == 200, path
    page = reply.body.decode()
    m = re.search(r'<section id="linked".*?(?=<section id="properties")', page, re.S)
    assert m, f"{path} has no 'In other sources' part"
    words = " ".join(re.sub(r"<[^>]+>", " ", m.group(0)).split())
    return words, set(re.findall(r'href="(/[^"#]*)"', m.group(0)))


def test_pages_show_counterparts_in_other_sources(links_server: Server) -> None:
    """A certification: the other document's certification and the occupations naming either,
    with their O*NET occupation; a tool: its O*NET technology, that technology's commodity and
    the O*NET occupations using it; an activity: its O*NET task and the task's occupation; a
    framework statement: what it is about. (Broken once: page_for no longer called
    linked_profile — every page lost the part and this failed.)"""
    words, hrefs = linked_section(links_server, "/certification/comptia-drone-plus")
    assert {"/certification/drone-plus-certified", "/occupation/fleet-coordinators",
            "/occupation/drone-fleet-dispatchers", "/occupation/53-9999.01"} <= hrefs  # fmt: skip
    assert "credential name" in words and "Named by 2 occupations" in words
    words, hrefs = linked_section(links_server, "/tool/service-desk-tools")
    assert {"/onet/technology/help-desk-software", "/unspsc/43299901",
            "/occupation/53-9999.01"} <= hrefs  # fmt: skip
    assert "trade synonym (confidence 0.75)" in words
    words, hrefs = linked_section(
        links_server, "/occupation/drone-fleet-dispatchers/activities/1/1"
    )
    assert {"/occupation/53-9999.01/task/90001", "/occupation/53-9999.01"} <= hrefs
    assert "word for word" in words
    st = "/occupation/drone-fleet-dispatchers/framework/v1/emerging/1"
    words, hrefs = linked_section(links_server, st)
    assert {"/competency/beacon-calibration", "/tool/rotor-balancing"} <= hrefs
    words, _ = linked_section(links_server, "/certification/cisco-certified-pilot")
    assert "found no counterpart" in words and "the report on links across sources" in words


def test_the_load_keeps_what_pages_need_for_the_version_it_publishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The load computes, of the data it wrote, the hash IRIs of documents and the search's
    labels, and keeps them for the version it publishes (``STORE.kept/``), so a fresh
    server's first page never scans for the hash IRIs (3.5 s on the whole O*NET release) nor
    its first searches wait for the index being built (6-11 s there). A store loaded and never
    served: the files are there, the labels as a server reads them; a server with both
    readings broken serves the document with its hash IRIs and has its index at once.
    Checked by breaking it: without ``keep_hash_documents`` in ``load_paths`` no file was
    kept; with the page looking under another key, it scanned (the patched scan raised:
    500); without ``keep_search_labels``, no index file, and the server had none."""
    from competency_kg import versioned_cache
    from competency_kg.config import Settings
    from competency_kg.hash_iris import base_key
    from competency_kg.store import open_store
    from competency_kg.web import resources, search
    from competency_kg.web.app import create_app
    from competency_kg.web.reading import Reader

    root = tmp_path
    path = root / "store"
    notes = root / "notes.ttl"
    notes.write_text(
        f'<{BASE}notes#a> <{RDFS.label}> "alpha note" .\n'
        f'<{BASE}notes#b> <{RDFS.label}> "beta note"@en .\n',
        encoding="utf-8",
    )
    code, log = cli("load", "--force", "--graph", f"{BASE}graph/notes", str(notes), store=path)
    assert code == 0, log
    version = (root / "store.versions" / "CURRENT").read_text(encoding="utf-8").strip()
    kept = root / "store.kept" / f"hash-docs-{version}-2-{base_key(BASE)}.json"
    assert json.loads(kept.read_bytes())["value"] == {
        f"{BASE}notes": [f"<{BASE}notes#a>", f"<{BASE}notes#b>"]
    }
    labels = json.loads((root / "store.kept" / f"search-{version}-3.json").read_bytes())["value"]

    def scan(*args: object) -> None:
        raise AssertionError("computed again what the load kept")

    monkeypatch.setattr(versioned_cache, "CACHE", versioned_cache.VersionedCache())
    monkeypatch.setattr(resources, "CACHE", resources.LRUCache())
    for name in ("_INDEXES", "_BUILDING", "_FAILED"):
        monkeypatch.setattr(search, name, type(getattr(search, name))())
    store = open_store(path, read_only=True)
    app = create_app(Settings(store=str(path), base_iri=BASE), store=store)
    try:
        with app.test_request_context("/search"):
            assert labels == search._columns(search.LabelIndex.read(Reader()))
            assert "alpha note" in labels["text"]
        monkeypatch.setattr(resources, "hash_documents", scan)
        monkeypatch.setattr(search.LabelIndex, "read", scan)
        page = app.test_client().get("/notes", headers={"Accept": "application/n-triples"})
        assert page.status_code == 200, page.get_data(as_text=True)[:2000]
        assert f"<{BASE}notes#b>" in page.get_data(as_text=True)
        index = search.label_index(versioned_cache.store_version(str(path)), str(path))
        assert index is not None and "beta note" in index.text
    finally:
        store.close()
