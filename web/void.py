"""The dataset described (VoID) and dumped whole.

- ``/.well-known/void``: the VoID description (Turtle by default; JSON-LD, RDF/XML, N-Triples
  by ``Accept`` or ``?format=``): the dataset ``{base}``, one subset per named graph (triples,
  classes, licence, attribution, source file), the SPARQL endpoint, the vocabularies, example
  resources, and the dumps with their size and SHA-256.
- ``/dumps/all.nq.gz`` (every quad, N-Quads: each fact in its source graph) and
  ``/dumps/all.ttl.gz`` (every triple, Turtle, the graphs merged), gzip-compressed files
  (``application/gzip``; not a ``Content-Encoding``, so the bytes saved are the bytes the
  checksum is of).

A dump is written once per store state, streamed from the store into a gzip file next to the
store (``{store}.dumps/{state}/``, or the temporary folder when that is not writable), and then
served from disk. It is written by a process of its own (:mod:`competency_kg.web.dump_writer`),
so request threads go on answering; one request at a time waits for it (up to 20 s), any
other gets 503 with ``Retry-After``. The state is a hash of the metadata graph and the graph
names, which every load rewrites (each source's checksum and load time), so a load means
fresh dumps; older ones are removed.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Response, send_file
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, PROV, RDF, RDFS, VOID, XSD

from competency_kg.child_python import import_environment
from competency_kg.namespaces import CC, CKG, ONTOLOGY_IRI, PREFIXES
from competency_kg.sparql.errors import QueryError
from competency_kg.stats import Statistics, statistics
from competency_kg.web.documents import RDF_FORMATS
from competency_kg.web.pages.site import Site
from competency_kg.web.reading import Reader, memo
from competency_kg.web.resources import (
    CONTENT_TYPES,
    HTML,
    OFFERS,
    SHORT,
    BadFormat,
    choose,
    finish,
    plain,
    site,
    store_version,
    with_document_headers,
)
from competency_kg.web.sources import Source, read_sources
from competency_kg.web.state import state
from competency_kg.web.terms import iri_term, iri_value, is_iri

log = logging.getLogger(__name__)

bp = Blueprint("void", __name__)

SPDX = Namespace("http://spdx.org/rdf/terms#")

#: Dump file name → (media type of the content, what the store writes).
DUMPS: dict[str, tuple[str, str]] = {
    "all.nq.gz": ("application/n-quads", "application/n-quads"),
    "all.ttl.gz": ("text/turtle", "text/turtle"),
}
#: How long the VoID answer waits for a dump being written (then it leaves size/sum out),
#: on a store of at most :data:`VOID_WAITS_UP_TO` quads; on a bigger one it waits not at all
#: (the warmer starts the dumps after each load: :mod:`competency_kg.web.warming`), since
#: writing them takes longer than a page may (the whole O*NET release: tens of seconds).
VOID_WAIT = 20.0
VOID_WAITS_UP_TO = 250_000
#: How long a dump request waits for its dump being written (then 503 + ``Retry-After``), on
#: a store of at most :data:`VOID_WAITS_UP_TO` quads; on a bigger one it answers 503 at once
#: (a dump of the whole O*NET release takes longer than the wait: a first fetch held 20 s
#: for a 503, issue 23).
DUMP_WAIT = 20.0

#: The VoID document is RDF only; a browser asking for HTML gets Turtle.
VOID_OFFERS = [m for m in OFFERS if m != HTML and not RDF_FORMATS[m][1]]


# --------------------------------------------------------------------------- the store state
def content_state(reader: Reader) -> str:
    """A hash of what the store holds, as every load records it (metadata graph, graph names)."""
    base = state().settings.minter.base
    meta = iri_term(base + "graph/metadata")
    rows = reader.select(f"SELECT ?s ?p ?o WHERE {{ GRAPH {meta} {{ ?s ?p ?o }} }}")
    lines = sorted(f"{r['s']} {r['p']} {r['o']}" for r in rows)
    names = sorted(r["g"] for r in reader.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }"))
    h = hashlib.sha256("\n".join([*lines, "--", *names]).encode("utf-8"))
    return h.hexdigest()[:24]


def dumps_root(store: str | None = None) -> Path:
    """Where dumps are kept: next to the store if possible, else in the temporary folder."""
    store = store or state().settings.store
    if not store.startswith(("http://", "https://")):
        p = Path(store)
        candidate = p.with_name(p.name + ".dumps")
        try:
            candidate.mkdir(exist_ok=True)
            probe = candidate / ".probe"
            probe.write_bytes(b"")
            probe.unlink()
            return candidate
        except OSError:
            pass
    key = hashlib.sha1(os.path.abspath(store).encode()).hexdigest()[:12]
    root = Path(tempfile.gettempdir()) / f"competency-kg-dumps-{key}"
    root.mkdir(exist_ok=True)
    return root


@dataclass
class Dump:
    name: str
    path: Path
    size: int
    sha256: str
    mime: str


_locks_guard = threading.Lock()
#: Dump writers running (``competency_kg.web.dump_writer`` processes), by ``state/name``.
_building: dict[str, subprocess.Popen[bytes]] = {}
#: The dumps a request thread is waiting for: one waits, others are told to come back.
_waiting: set[str] = set()


def current_state() -> str:
    reader = Reader()
    return memo("content-state", store_version(), None, lambda: content_state(reader))


def existing_dump(name: str, key: str, store: str | None = None) -> Dump | None:
    path = dumps_root(store) / key / name
    sums = path.with_name(path.name + ".sha256")
    if path.is_file() and sums.is_file():
        return Dump(name, path, path.stat().st_size, sums.read_text().split()[0], DUMPS[name][0])
    return None


def ensure_dump(name: str, key: str, wait: float | None = None) -> Dump | None:
    """The dump ``name`` for store state ``key``, or None while it is being written.

    A missing dump is written by a process of its own (:mod:`competency_kg.web.dump_writer`),
    so the server's request threads go on answering meanwhile. With ``wait``, one request
    thread at a time waits up to that many seconds for it; any other returns at once."""
    store = state().settings.store
    found = existing_dump(name, key, store)
    if found is not None:
        return found
    job = f"{key}/{name}"
    with _locks_guard:
        writer = _building.get(job)
        if writer is None or writer.poll() is not None:
            writer = _building[job] = _start_writer(name, key, store)
        waits = bool(wait) and job not in _waiting
        if waits:
            _waiting.add(job)
    if waits:
        try:
            writer.wait(wait)
        except subprocess.TimeoutExpired:
            pass
        finally:
            with _locks_guard:
                _waiting.discard(job)
    found = existing_dump(name, key, store)
    if found is not None:
        _remove_old(key, store)
    return found


def dump_failed(name: str, key: str) -> bool:
    """True when the last writer of this dump ended without writing it (see the log)."""
    with _locks_guard:
        writer = _building.get(f"{key}/{name}")
    return writer is not None and writer.poll() not in (None, 0)


def _start_writer(name: str, key: str, store: str) -> subprocess.Popen[bytes]:
    folder = dumps_root(store) / key
    args = [store, str(folder), name, DUMPS[name][1], str(os.getpid())]
    return subprocess.Popen(
        [sys.executable, "-m", "competency_kg.web.dump_writer", *args],
        env={**os.environ, **import_environment()},  # the server's code, not its folder's
        stdin=subprocess.DEVNULL,
        close_fds=True,
    )


def _remove_old(key: str, store: str) -> None:
    root = dumps_root(store)
    for child in root.iterdir():
        if child.is_dir() and child.name != key and not child.name.startswith("."):
            shutil.rmtree(child, ignore_errors=True)


# --------------------------------------------------------------------------- routes
@bp.route("/dumps/<name>", methods=["GET", "HEAD"])
def dump(name: str) -> Response:
    if name not in DUMPS:
        return plain(404, f"no dump {name!r}; the dumps are {', '.join(DUMPS)}")
    try:
        key = current_state()
    except QueryError as exc:
        return plain(503, f"the store cannot be read just now: {exc}", {"Retry-After": "5"})
    found = ensure_dump(name, key, wait=DUMP_WAIT if _waits_for_dumps() else 0.0)
    if found is None:
        if dump_failed(name, key):
            return plain(500, f"the dump {name} could not be written (see the server log)")
        return plain(
            503, f"the dump {name} is being written; try again shortly", {"Retry-After": "10"}
        )
    resp = send_file(
        found.path,
        mimetype="application/gzip",
        as_attachment=True,
        download_name=name,
        conditional=True,
        etag=found.sha256,
        max_age=60,
    )
    digest = base64.b64encode(bytes.fromhex(found.sha256)).decode()
    resp.headers["Content-Digest"] = f"sha-256=:{digest}:"
    resp.headers["Access-Control-Allow-Origin"] = "*"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


@bp.route("/.well-known/void", methods=["GET", "HEAD"])
def void() -> Response:
    try:
        mime = choose(VOID_OFFERS)
    except BadFormat as exc:
        return plain(400, str(exc))
    if mime is None:
        # A browser (text/html) still gets the description, as Turtle.
        mime = "text/turtle"
    s = site()

    def location(short: str) -> str:
        return s.url(f"/.well-known/void?format={short}")

    fmt = {
        "text/turtle": "turtle",
        "application/ld+json": "json-ld",
        "application/rdf+xml": "xml",
        "application/n-triples": "nt",
    }[mime]
    try:
        body = void_body(fmt)
    except QueryError as exc:
        return plain(503, f"the store cannot be read just now: {exc}", {"Retry-After": "5"})
    resp = Response(body, status=200, content_type=CONTENT_TYPES[mime])
    resp = with_document_headers(resp, mime, location, alternates=False)
    resp.headers["Link"] = ", ".join(
        f'<{location(SHORT[m])}>; rel="alternate"; type="{m}"' for m in VOID_OFFERS if m != mime
    )
    return finish(resp)


# --------------------------------------------------------------------------- the description
def void_body(fmt: str) -> bytes:
    """The VoID document in rdflib's format ``fmt``, built once per store version, server
    address and dumps written (building and serializing it takes 100-200 ms)."""
    s = site()
    key = current_state()
    written = tuple(existing_dump(name, key) is not None for name in DUMPS)

    def build() -> bytes:
        return void_graph(Reader()).serialize(format=fmt, encoding="utf-8")  # type: ignore[no-any-return]

    return memo("void", store_version(), (s.url("/"), fmt, written), build)  # type: ignore[no-any-return]


def store_figures(reader: Reader, base: str, version: str | None) -> Statistics:
    """The store's figures (:mod:`competency_kg.stats`: kept by the last load), once per
    store version: what VoID, the home page and the class listings show."""
    return memo("statistics", version, base, lambda: statistics(reader, base))


def void_graph(reader: Reader) -> Graph:
    """The VoID description of the whole dataset, as served at ``/.well-known/void``
    (`VoID <https://www.w3.org/TR/void/>`_ §3 subsets, §4 class partitions, §6 dumps)."""
    s = site()
    base = s.base
    version = store_version()
    sources: dict[str, Source] = memo("sources", version, base, lambda: read_sources(reader, base))
    figures = store_figures(reader, base, version)
    classes, quads = figures.graph_classes, figures.graph_quads
    examples = memo("examples", version, None, lambda: _examples(reader))
    key = current_state()

    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    g.bind("dcat", DCAT)
    g.bind("spdx", SPDX)
    g.bind("foaf", FOAF)
    ds = URIRef(base)
    _describe_dataset(g, ds, s, sources, classes, figures.statements, examples)
    for iri, src in sorted(sources.items()):
        _describe_subset(g, ds, iri, src, sources, quads.get(iri, 0), classes)
    for cls, n in sorted(figures.classes.items()):
        part = BNode()
        g.add((ds, VOID.classPartition, part))
        g.add((part, VOID["class"], URIRef(cls)))
        g.add((part, VOID.entities, Literal(n, datatype=XSD.integer)))
    _describe_dumps(g, ds, s, key, VOID_WAIT if _waits_for_dumps(quads) else 0.0)
    return g


def _waits_for_dumps(quads: Mapping[str, int] | None = None) -> bool:
    """Whether a request may wait for a dump being written: on a store of at most
    :data:`VOID_WAITS_UP_TO` quads (``quads``: per graph, the load's figures), where
    writing one takes a second or two."""
    if quads is None:
        quads = store_figures(Reader(), site().base, store_version()).graph_quads
    return sum(quads.values()) <= VOID_WAITS_UP_TO


def _describe_dataset(
    g: Graph,
    ds: URIRef,
    s: Site,
    sources: dict[str, Source],
    classes: dict[tuple[str, str], int],
    statements: int,
    examples: list[str],
) -> None:
    """The dataset as a whole: its description document, endpoint, vocabularies, examples,
    size, and the licence every source states."""
    doc = URIRef(s.url("/.well-known/void"))
    g.add((doc, RDF.type, VOID.DatasetDescription))
    g.add((doc, DCTERMS.title, Literal("VoID description of competency-kg", lang="en")))
    g.add((doc, FOAF.primaryTopic, ds))
    g.add((ds, RDF.type, VOID.Dataset))
    g.add((ds, DCTERMS.title, Literal("competency-kg", lang="en")))
    g.add(
        (
            ds,
            DCTERMS.description,
            Literal(
                "A linked-data knowledge graph of occupations and the competencies they "
                "demand: one named graph per source document, each with its licence and "
                "attribution, a graph of links across the sources, and a graph of what the "
                "ontology's alignments entail from them (not a source).",
                lang="en",
            ),
        )
    )
    g.add((ds, FOAF.homepage, URIRef(s.url("/"))))
    g.add((ds, VOID.sparqlEndpoint, URIRef(s.url("/sparql"))))
    g.add((ds, VOID.uriSpace, Literal(s.base)))
    for ns in ("ckg", "skos", "dcterms", "prov", "schema", "ceasn", "ceterms", "void", "cc"):
        g.add((ds, VOID.vocabulary, URIRef(PREFIXES[ns])))
    for ex in examples:
        g.add((ds, VOID.exampleResource, URIRef(ex)))
    # The dataset's triples are its distinct statements; a subset's are its graph's quads.
    g.add((ds, VOID.triples, Literal(statements, datatype=XSD.integer)))
    all_classes: dict[str, set[str]] = {}
    for graph_iri, cls in classes:
        all_classes.setdefault(cls, set()).add(graph_iri)
    g.add((ds, VOID.classes, Literal(len(all_classes), datatype=XSD.integer)))
    # The whole is under a licence only when every source states that one for itself.
    stated = [set(src.licences) for src in sources.values() if src.kind == "source"]
    for lic in sorted(set.intersection(*stated) if stated else set()):
        g.add((ds, DCTERMS.license, URIRef(lic)))


def _describe_subset(
    g: Graph,
    ds: URIRef,
    iri: str,
    src: Source,
    sources: dict[str, Source],
    triples: int,
    classes: dict[tuple[str, str], int],
) -> None:
    """One named graph as a subset (a linkset for the links): its metadata, where it came
    from, what it was derived from, and its class partitions."""
    sub = URIRef(iri)
    g.add((ds, VOID.subset, sub))
    g.add((sub, RDF.type, VOID.Linkset if src.kind == "links" else VOID.Dataset))
    if src.title:
        g.add((sub, DCTERMS.title, Literal(src.title)))
    if src.description:
        g.add((sub, DCTERMS.description, Literal(src.description)))
    g.add((sub, VOID.triples, Literal(triples, datatype=XSD.integer)))
    for lic in src.licences:
        g.add((sub, DCTERMS.license, URIRef(lic)))
    if src.attribution:
        g.add((sub, CC.attributionName, Literal(src.attribution)))
    if src.publisher:
        g.add((sub, DCTERMS.publisher, Literal(src.publisher)))
    if src.document:
        doc = URIRef(src.document)
        g.add((sub, DCTERMS.source, doc))
        if src.title:
            g.add((doc, DCTERMS.title, Literal(src.title)))
        if src.file:
            g.add((doc, CKG.fileName, Literal(src.file)))
        for cited in src.cites:  # what the document states of the sources it names
            node = URIRef(cited.iri)
            g.add((doc, DCTERMS.source, node))
            g.add((node, DCTERMS.title, Literal(cited.title)))
            for lic in cited.licences:
                g.add((node, DCTERMS.license, URIRef(lic)))
    if src.checksum:
        g.add((sub, CKG.checksum, Literal(src.checksum)))
    if src.generated:
        g.add((sub, PROV.generatedAtTime, Literal(src.generated, datatype=XSD.dateTime)))
    if src.kind == "entailed":  # derived from the sources by the ontology's axioms
        g.add((sub, PROV.wasDerivedFrom, URIRef(ONTOLOGY_IRI)))
        for other, o in sorted(sources.items()):
            if o.kind in ("source", "curation", "links"):
                g.add((sub, PROV.wasDerivedFrom, URIRef(other)))
    if src.kind == "links":
        g.add((sub, VOID.linkPredicate, URIRef(PREFIXES["skos"] + "exactMatch")))
        g.add((sub, VOID.linkPredicate, URIRef(PREFIXES["skos"] + "closeMatch")))
    for (graph_iri, cls), n in sorted(classes.items()):
        if graph_iri == iri:
            part = BNode()
            g.add((sub, VOID.classPartition, part))
            g.add((part, VOID["class"], URIRef(cls)))
            g.add((part, VOID.entities, Literal(n, datatype=XSD.integer)))


def _describe_dumps(g: Graph, ds: URIRef, s: Site, key: str, wait: float) -> None:
    """The dumps as DCAT distributions, with size and SHA-256 once written (waiting up to
    ``wait`` seconds for a dump being written)."""
    for name, (media, _) in DUMPS.items():
        url = URIRef(s.url(f"/dumps/{name}"))
        g.add((ds, VOID.dataDump, url))
        g.add((url, RDF.type, DCAT.Distribution))
        g.add((url, DCAT.downloadURL, url))
        g.add(
            (url, DCAT.mediaType, URIRef(f"https://www.iana.org/assignments/media-types/{media}"))
        )
        g.add(
            (
                url,
                DCAT.compressFormat,
                URIRef("http://www.iana.org/assignments/media-types/application/gzip"),
            )
        )
        g.add((url, DCTERMS.format, Literal(media)))
        found = ensure_dump(name, key, wait=wait)
        if found is None:
            g.add((url, RDFS.comment, Literal("being written; size and checksum follow soon")))
            continue
        g.add((url, DCAT.byteSize, Literal(found.size, datatype=XSD.nonNegativeInteger)))
        checksum = URIRef(s.url(f"/dumps/{name}#sha256"))
        g.add((url, SPDX.checksum, checksum))
        g.add((checksum, RDF.type, SPDX.Checksum))
        g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        g.add((checksum, SPDX.checksumValue, Literal(found.sha256, datatype=XSD.hexBinary)))


def _examples(reader: Reader) -> list[str]:
    out = []
    for cls in ("Occupation", "Competency", "ContentModelElement", "Tool"):
        rows = reader.select(f"SELECT ?s WHERE {{ ?s a <{CKG}{cls}> }} LIMIT 1")
        out += [iri_value(r["s"]) for r in rows if is_iri(r["s"])]
    return out


__all__ = ["DUMPS", "bp", "current_state", "ensure_dump", "store_figures", "void_graph"]
