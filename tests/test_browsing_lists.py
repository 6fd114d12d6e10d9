"""Long lists on resource pages, over HTTP against the real server (``browse_fixture``): a
list of many values shows its first ``FIRST_VALUES`` with their number and a link to all of
them (``?property=IRI``, ``?property=^IRI`` for the links to the resource), whose pages reach
every value the RDF holds; the RDF documents stay whole.

How each test was seen failing (then the code restored): the cut removed from
``onet_section`` (all 259 chips shown: the first test fails on the count of chips); the
values page sliced one short (``start + d.page_size - 1``: the values reached miss one per
page); ``_inverse_page`` paging all properties for one property's pages (its first page held 99
of its links: pages of 100 expected); ``inverse_first`` left unset for
pages (100 links shown, not 30); the 406 for RDF with ``?property=`` removed (Turtle of the
whole resource answered).
"""

from __future__ import annotations

import html as htmllib
import re
import urllib.parse

from browse_support import BASE, get, local_path, parse
from rdflib import Namespace, URIRef
from sparql_support import Server

pytest_plugins = ["browse_fixture"]

CKG = Namespace("https://w3id.org/competency-kg/ontology#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
PROV = "http://www.w3.org/ns/prov#wasDerivedFrom"
OCCUPATION = "/occupation/15-1232.00"  # O*NET: 259 technologies, 152 of them hot
SOURCE = "/source/onet-27.0"  # 1,776 resources derived from it
SHOWN = 30  # web/pages/model.py FIRST_VALUES
PAGE = 100  # web/describe.py INVERSE_PAGE_SIZE


def hrefs(block: str) -> list[str]:
    return [htmllib.unescape(h) for h in re.findall(r'<a href="([^"]+)"', block)]


def section(page: str, start: str, end: str) -> str:
    return page.split(start, 1)[1].split(end, 1)[0]


def follow_values(server: Server, first: str) -> tuple[int, list[str]]:
    """Every value's link on the pages of one property's values, from ``first`` on by the
    pages' "next" links; with the count the first page states."""
    out: list[str] = []
    sizes: list[int] = []
    path: str | None = first
    total = None
    while path:
        r = get(server, path, "text/html")
        assert r.status == 200, (path, r.text[:500])
        if total is None:
            m = re.search(r'<h1>.*?<span class="count">([\d,]+)</span></h1>', r.text, re.S)
            assert m, r.text[:2000]
            total = int(m.group(1).replace(",", ""))
        block = section(r.text, '<section id="values">', "</ul>")
        items = block.split("<li>")[1:]
        for item in items:  # each value's own link (not its owner's)
            out.append(hrefs(item)[0])
        sizes.append(len(items))
        nxt = re.search(r'<a rel="next" href="([^"]+)"', r.text)
        path = htmllib.unescape(nxt.group(1)) if nxt else None
    assert total is not None
    # pages of 100 (as the RDF's pages of links), the last one the rest
    assert all(n == PAGE for n in sizes[:-1]) and 0 < sizes[-1] <= PAGE, sizes
    return total, out


def test_a_long_list_shows_its_first_values_and_links_to_all(browse_server: Server) -> None:
    """The occupation's technologies: 30 chips, the count the RDF gives, and links whose
    pages reach every technology of the Turtle document (which holds them all)."""
    ttl = get(browse_server, OCCUPATION, "text/turtle")
    g = parse(ttl.body, "text/turtle")
    occ = URIRef(BASE + OCCUPATION[1:])
    uses = {str(o) for o in g.objects(occ, CKG.usesTechnology)}
    hot = {str(o) for o in g.objects(occ, CKG.hotTechnology)}
    assert len(uses | hot) > 2 * SHOWN  # the seeds' O*NET release: 259

    page = get(browse_server, OCCUPATION, "text/html").text
    techs = re.split(r"<h3>|</section>", page.split("<h3>Technologies", 1)[1], maxsplit=1)[0]
    chips = re.findall(r"<li[ >]", section(techs, '<ul class="chips">', "</ul>"))
    assert len(chips) == SHOWN
    count = re.search(r'<span class="count">([\d,]+)</span>', techs)
    assert count and int(count.group(1).replace(",", "")) == len(uses | hot)
    assert f"{SHOWN} of {len(uses | hot):,} shown" in techs
    links = {h for h in hrefs(techs) if "property=" in h}
    name = urllib.parse.quote(str(CKG.usesTechnology), safe="")
    assert f"{OCCUPATION}?property={name}" in links

    reached: dict[str, set[str]] = {}
    for link in sorted(links):
        total, values = follow_values(browse_server, link)
        assert len(values) == total, "each value once, over the pages"
        reached[link] = set(values)
    want = {local_path(t) for t in uses | hot}
    assert set().union(*reached.values()) == want
    assert reached[f"{OCCUPATION}?property={name}"] == {local_path(t) for t in uses}

    # the table of all statements cuts the same way, to the same pages
    table = section(page, '<section id="properties">', "</section>")
    assert f'href="{OCCUPATION}?property={name}"' in table


def test_links_to_a_resource_first_of_each_property_then_all(browse_server: Server) -> None:
    """The source's 1,776 links by prov:wasDerivedFrom: 30 on its page, the count the RDF's
    hydra collection gives, and a link whose pages reach every one of the RDF's links."""
    ttl = parse(get(browse_server, SOURCE, "text/turtle").body, "text/turtle")
    block = next(ttl.subjects(HYDRA.property, URIRef(PROV)))
    member = next(ttl.subjects(HYDRA.manages, block))
    total = int(ttl.value(member, HYDRA.totalItems))  # the count the RDF gives
    assert total > 1000

    page = get(browse_server, SOURCE, "text/html").text
    links_in = section(page, '<section id="links-in">', "</section>")
    assert f"{SHOWN} of {total:,};" in links_in
    assert 'class="pager"' not in links_in  # each property links to all of its links
    view = f"{SOURCE}?property={urllib.parse.quote('^' + PROV, safe='')}"
    assert f'href="{view}"' in links_in

    count, values = follow_values(browse_server, view)
    assert count == total and len(values) == total
    # the RDF pages of links (hydra), every link by the property
    rdf: set[str] = set()
    pages = -(-int(ttl.value(URIRef(browse_server.url + SOURCE + "#inverse-links"),
                             HYDRA.totalItems)) // 100)  # fmt: skip
    for n in range(1, pages + 1):
        g = parse(get(browse_server, f"{SOURCE}?page={n}", "text/turtle").body, "text/turtle")
        rdf |= {local_path(str(s)) for s in g.subjects(URIRef(PROV), URIRef(BASE + SOURCE[1:]))}
    assert set(values) == rdf and len(rdf) == total


def test_the_values_of_one_property_are_a_page(browse_server: Server) -> None:
    """``?property=`` is HTML: an RDF client is told the resource's RDF holds every value;
    a property it has no values of, a page past the last, or no IRI are errors."""
    name = urllib.parse.quote(str(CKG.usesTechnology), safe="")
    r = get(browse_server, f"{OCCUPATION}?property={name}", "text/turtle")
    assert r.status == 406 and OCCUPATION in r.text
    r = get(browse_server, f"{OCCUPATION}?property={name}&format=ttl")
    assert r.status == 400
    ok = get(browse_server, f"{OCCUPATION}?property={name}&page=3", "text/html")
    assert ok.status == 200 and f"property={name}&page=3" in ok.headers["Content-Location"]
    assert get(browse_server, f"{OCCUPATION}?property={name}&page=4", "text/html").status == 404
    other = urllib.parse.quote(str(CKG.nothingLikeThis), safe="")
    assert get(browse_server, f"{OCCUPATION}?property={other}", "text/html").status == 404
    assert get(browse_server, f"{OCCUPATION}?property=not%20an%20iri", "text/html").status == 400
    # the RDF documents are whole: every technology in the Turtle of the occupation
    g = parse(get(browse_server, OCCUPATION, "text/turtle").body, "text/turtle")
    assert len(set(g.objects(URIRef(BASE + OCCUPATION[1:]), CKG.usesTechnology))) == 259
