"""The user's path: the default setup, as ``scripts/run`` makes it.

In a fresh working directory, ``competency-kg load <the project's seeds>`` and then
``competency-kg serve``, as subprocesses, with no ``--store`` and no ``COMPETENCY_KG_STORE``:
the store is the default ``var/store``, a path relative to the working directory. Then every
link of the home page and every IRI of the VoID description on this server must answer, each
dump must be what VoID says it is, and the figures must agree: statements (distinct triples of
the merged graphs) on the home page, in VoID, in ``competency-kg stats`` and in the dumps;
quads per graph likewise.

How these tests were checked to fail: with the store path no longer made absolute in
``competency_kg.config`` the dumps answered 500 (Flask's ``send_file`` reads a relative path
against the web package), every test failed; with the home page's quads per graph off by one,
the quads test failed; with the Turtle dump written as every graph's triples one after the
other, the merged-dump test failed (457 triples twice). The statements test passes only once
the store makes the SPARQL default graph a set (the RDF merge of the named graphs): before
that, ``COUNT(*)`` over it counts a triple once per graph stating it (30,173 against 29,716
distinct triples of the seeds); with ``SELECT DISTINCT`` inside that count, it passed.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCAT, VOID
from sparql_support import Reply, fetch

from support import ROOT, SEEDS, serving

sys.path.insert(0, str(ROOT))  # the bench package lives at the project root, beside tests/

from bench.servers import free_port

SPDX = Namespace("http://spdx.org/rdf/terms#")
BASE = "https://w3id.org/competency-kg/"
EXE = str(Path(sys.executable).with_name("competency-kg"))


@dataclass
class Setup:
    url: str  # http://127.0.0.1:PORT
    workdir: Path
    env: dict[str, str]
    log: Path

    def get(self, path: str, accept: str | None = None) -> Reply:
        return fetch(self.url, path, headers={"Accept": accept} if accept else None, timeout=60)

    def kg(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``competency-kg ARGS`` in the working directory, as a user types it."""
        done = subprocess.run(
            [EXE, *args], cwd=self.workdir, env=self.env, capture_output=True, text=True,
            timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, f"competency-kg {' '.join(args)}:\n{done.stderr}"
        return done


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    workdir = tmp_path_factory.mktemp("default-setup")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPETENCY_KG_")}
    env["COMPETENCY_KG_WARM_PAGES"] = "0"  # no background page rendering on a shared machine
    # (the validation report is computed in the background, as for a user: see the last test)
    port = free_port()
    s = Setup(f"http://127.0.0.1:{port}", workdir, env, workdir / "serve.log")
    s.kg("load", str(SEEDS))
    assert (workdir / "var" / "store").is_dir(), "the default store is var/store, here"
    # scripts/run: `competency-kg serve` plus the options it is given
    serve = [EXE, "serve", "--port", str(port), "--query-workers", "2"]
    with serving(serve, cwd=workdir, env=env, log=s.log, url=s.url):
        yield s


# --------------------------------------------------------------------------- reading
class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)


def local_links(setup: Setup, html: str) -> set[str]:
    """Every link of a page that stays on this server, as a path (fragments dropped)."""
    parser = _Links()
    parser.feed(html)
    out = set()
    for link in parser.links:
        absolute = urllib.parse.urljoin(setup.url + "/", link)
        if absolute.startswith(setup.url + "/"):
            out.add(absolute[len(setup.url) :].split("#", 1)[0])
    return out


def void_graph(setup: Setup) -> Graph:
    r = setup.get("/.well-known/void", "text/turtle")
    assert r.status == 200, r.text
    return Graph().parse(data=r.body, format="turtle")


def dump_lines(setup: Setup, name: str) -> bytes:
    r = setup.get(f"/dumps/{name}")
    assert r.status == 200, r.body[:300]
    return gzip.decompress(r.body)


def distinct_triples(setup: Setup) -> set[str]:
    """The distinct triples of the merged graphs, computed here from the N-Quads dump."""
    quads = ox.parse(dump_lines(setup, "all.nq.gz"), ox.RdfFormat.N_QUADS)
    return {str(q.triple) for q in quads}


def home_figures(setup: Setup) -> tuple[int, dict[str, int]]:
    """The home page's statements and its quads per graph."""
    r = setup.get("/", "text/html")
    assert r.status == 200
    m = re.search(r'id="statements">([\d,]+) statements<', r.text)
    assert m, "the home page states no number of statements"
    quads = {
        g: int(n.replace(",", "")) for g, n in re.findall(r'data-graph="([^"]+)">([\d,]+)<', r.text)
    }
    assert '<th class="num">Quads</th>' in r.text  # per-graph figures are called quads
    return int(m.group(1).replace(",", "")), quads


def stats_figures(setup: Setup) -> tuple[int, dict[str, int]]:
    """``competency-kg stats``: its statements and its quads per graph."""
    out = setup.kg("stats").stdout
    m = re.search(r"^\s*(\d+)\s+statements\b", out, re.M)
    assert m, out
    quads_part = out.split("quads per graph:", 1)[1]
    quads = {g: int(n) for n, g in re.findall(r"^\s*(\d+)\s+<([^>]+)>", quads_part, re.M)}
    return int(m.group(1)), quads


# --------------------------------------------------------------------------- links
def test_every_link_of_the_home_page_answers(setup: Setup) -> None:
    home = setup.get("/", "text/html")
    assert home.status == 200
    links = local_links(setup, home.text)
    assert {"/dumps/all.nq.gz", "/dumps/all.ttl.gz", "/.well-known/void", "/sparql"} <= links
    failed = {}
    for path in sorted(links):
        r = setup.get(path, "text/html")
        if not 200 <= r.status < 300:
            failed[path] = f"{r.status} {r.body[:120]!r}"
    assert not failed, failed


def test_every_iri_of_void_on_this_server_answers(setup: Setup) -> None:
    # a browser following the home page's link gets the description as Turtle
    browsed = setup.get("/.well-known/void", "text/html")
    assert browsed.status == 200 and browsed.content_type == "text/turtle"
    g = Graph().parse(data=browsed.body, format="turtle")
    here = {
        str(t)[len(setup.url) :].split("#", 1)[0] or "/"
        for triple in g
        for t in triple
        if isinstance(t, URIRef) and str(t).startswith(setup.url + "/")
    }
    assert {"/", "/sparql", "/dumps/all.nq.gz", "/dumps/all.ttl.gz"} <= here
    # the data IRIs it names (the graphs, example resources) resolve here too
    data = {
        "/" + str(t)[len(BASE) :].split("#", 1)[0]
        for t in (
            *g.objects(URIRef(BASE), VOID.subset),
            *g.objects(URIRef(BASE), VOID.exampleResource),
        )
    }
    assert data
    failed = {}
    for path in sorted(here | data):
        r = setup.get(path, "text/turtle")
        if not 200 <= r.status < 300:
            failed[path] = f"{r.status} {r.body[:120]!r}"
    assert not failed, failed


def test_dumps_are_what_void_says(setup: Setup) -> None:
    g = void_graph(setup)
    dumps = sorted(g.objects(URIRef(BASE), VOID.dataDump))
    assert [str(d)[len(setup.url) :] for d in dumps] == ["/dumps/all.nq.gz", "/dumps/all.ttl.gz"]
    for d in dumps:
        size = int(g.value(d, DCAT.byteSize))
        checksum = str(g.value(g.value(d, SPDX.checksum), SPDX.checksumValue))
        r = setup.get(str(d)[len(setup.url) :])
        assert r.status == 200 and r.content_type == "application/gzip", (d, r.status)
        assert len(r.body) == size, d
        assert hashlib.sha256(r.body).hexdigest() == checksum, d
        assert r.headers["Content-Digest"] == (
            f"sha-256=:{base64.b64encode(hashlib.sha256(r.body).digest()).decode()}:"
        )
        # written next to the store, in the working directory
        on_disk = list(
            (setup.workdir / "var" / "store.dumps").glob(f"*/{str(d).rsplit('/', 1)[1]}")
        )
        assert [hashlib.sha256(p.read_bytes()).hexdigest() for p in on_disk] == [checksum]


# --------------------------------------------------------------------------- figures
def test_merged_dumps_hold_each_triple_once(setup: Setup) -> None:
    distinct = distinct_triples(setup)
    ttl = [str(t) for t in ox.parse(dump_lines(setup, "all.ttl.gz"), ox.RdfFormat.TURTLE)]
    twice = [t for t, n in Counter(ttl).items() if n > 1]
    assert not twice, f"{len(twice)} triples are in the Turtle dump more than once: {twice[:3]}"
    assert len(ttl) == len(distinct)
    nt = setup.kg("export", "--format", "ntriples").stdout.splitlines()
    assert len(nt) == len(set(nt)) == len(distinct)


def test_quads_per_graph_agree(setup: Setup) -> None:
    per_graph = Counter(
        str(q.graph_name)[1:-1]
        for q in ox.parse(dump_lines(setup, "all.nq.gz"), ox.RdfFormat.N_QUADS)
    )
    g = void_graph(setup)
    in_void = {str(s): int(g.value(s, VOID.triples)) for s in g.objects(URIRef(BASE), VOID.subset)}
    _, on_home = home_figures(setup)
    _, in_stats = stats_figures(setup)
    assert in_stats == dict(per_graph)
    assert in_void == dict(per_graph)
    assert on_home == dict(per_graph)


def test_statements_agree_with_the_distinct_triples(setup: Setup) -> None:
    """Passes once the store's default graph is a set (the merge of the named graphs)."""
    distinct = len(distinct_triples(setup))
    g = void_graph(setup)
    on_home, _ = home_figures(setup)
    in_stats, _ = stats_figures(setup)
    assert {
        "home page": on_home,
        "VoID": int(g.value(URIRef(BASE), VOID.triples)),
        "competency-kg stats": in_stats,
    } == dict.fromkeys(("home page", "VoID", "competency-kg stats"), distinct)


def test_the_validation_report_is_ready_before_a_curator_asks(setup: Setup) -> None:
    """The server computes the store's validation report in the background once it starts
    (and after every load), so the first visit of ``/validation`` is served from the cache.
    Checked by turning the report warming off (``warm_report`` not called in
    ``web/warming.py``): the log line never came and this failed."""
    deadline = time.monotonic() + 240
    while "validation report precomputed" not in setup.log.read_text(errors="replace"):
        assert time.monotonic() < deadline, setup.log.read_text(errors="replace")[-2000:]
        time.sleep(1)
    r = setup.get("/validation", "application/json")
    assert r.status == 200, r.text
    validated = [s for s in json.loads(r.body)["sources"] if s["mode"] == "validated"]
    assert validated and all(s["cached"] for s in validated), validated
