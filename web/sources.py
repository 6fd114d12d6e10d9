"""Where a page's facts come from: every named graph with what the metadata graph says of it
(title, file, checksum, loader, licence, attribution), numbered as a page's footnotes."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from rdflib.namespace import DCTERMS, PROV, RDFS, VOID

from competency_kg.namespaces import CC, CKG, SCHEMA
from competency_kg.web.reading import Reader
from competency_kg.web.terms import TYPE, best_text, iri_term, iri_value, is_iri, local_name


@dataclass
class Cited:
    """A source a document names, with the licence the document states for it (not its own)."""

    iri: str
    title: str
    licences: list[str] = field(default_factory=list)
    url: str | None = None


@dataclass
class Source:
    """A named graph and where its facts came from (from the metadata graph)."""

    graph: str  # IRI
    title: str | None = None
    file: str | None = None
    checksum: str | None = None
    loader: str | None = None
    generated: str | None = None
    triples: int | None = None
    licences: list[str] = field(default_factory=list)
    attribution: str | None = None
    publisher: str | None = None
    version: str | None = None
    description: str | None = None
    kind: str = "source"  # "source", "links", "entailed", "metadata", "curation", "other"
    document: str | None = None  # the source document's IRI
    number: int = 0  # its footnote number on a page
    cites: list[Cited] = field(default_factory=list)  # the sources the document names

    @property
    def name(self) -> str:
        return self.title or self.file or self.graph.rsplit("/", 1)[-1]

    @property
    def names(self) -> list[str]:
        """Every name a page shows for it: title, file name, graph IRI, graph local name."""
        out = [self.title, self.file, self.graph, self.graph.rstrip("/").rsplit("/", 1)[-1]]
        return list(dict.fromkeys(n for n in out if n))


def licence_name(iri: str) -> str:
    """A short name for a licence IRI: ``CC BY 4.0`` for Creative Commons ones."""
    m = re.match(r"https?://creativecommons\.org/licenses/([a-z-]+)/(\d\.\d)/?$", iri)
    if m:
        return f"CC {m.group(1).upper().replace('-', ' ')} {m.group(2)}"
    if re.match(r"https?://creativecommons\.org/publicdomain/zero/1\.0/?$", iri):
        return "CC0 1.0"
    return iri


def read_sources(reader: Reader, base: str) -> dict[str, Source]:
    """Every named graph with what the metadata graph says about it, by graph IRI."""
    meta = base + "graph/metadata"
    rows = reader.select(f"SELECT ?s ?p ?o WHERE {{ GRAPH {iri_term(meta)} {{ ?s ?p ?o }} }}")
    facts: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        facts[r["s"]][r["p"]].append(r["o"])
    names = [r["g"] for r in reader.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")]
    out: dict[str, Source] = {}
    for g in sorted(set(names) | {s for s, f in facts.items() if _is_source_graph(f)}):
        if not is_iri(g):
            continue
        f = facts.get(g, {})
        src = Source(graph=iri_value(g))

        def one(prop: str, facts: dict[str, list[str]] = f) -> str | None:
            vals = facts.get(prop)
            return best_text(vals) if vals else None

        src.title = one(f"<{DCTERMS.title}>") or one(f"<{RDFS.label}>")
        src.loader = one(f"<{CKG.loader}>")
        src.generated = one(f"<{PROV.generatedAtTime}>")
        n = one(f"<{VOID.triples}>")
        src.triples = int(n) if n and n.isdigit() else None
        src.licences = sorted(
            {iri_value(v) for v in f.get(f"<{DCTERMS.license}>", []) if is_iri(v)}
        )
        src.attribution = one(f"<{CC.attributionName}>")
        src.publisher = one(f"<{DCTERMS.publisher}>")
        src.version = one(f"<{SCHEMA.version}>")
        src.description = one(f"<{DCTERMS.description}>") or one(f"<{RDFS.comment}>")
        doc = (f.get(f"<{DCTERMS.source}>") or [None])[0]
        if doc is not None and is_iri(doc):
            src.document = iri_value(doc)
        if doc is not None and doc in facts:
            df = facts[doc]
            # ckg:fileName; a store loaded before titles existed has the file name as title
            named = df.get(f"<{CKG.fileName}>") or df.get(f"<{DCTERMS.title}>")
            src.file = best_text(named) if named else None
            src.title = src.title or (
                best_text(df[f"<{DCTERMS.title}>"]) if df.get(f"<{DCTERMS.title}>") else None
            )
            cs = df.get(f"<{CKG.checksum}>")
            src.checksum = best_text(cs) if cs else None
            src.cites = [
                _cited(c, facts[c]) for c in sorted(df.get(f"<{DCTERMS.source}>", [])) if c in facts
            ]
        if g == iri_term(meta):
            src.kind, src.title = "metadata", src.title or "Metadata of the sources"
        elif g == iri_term(base + "graph/links"):
            src.kind = "links"
        elif g == iri_term(base + "graph/entailed"):
            src.kind = "entailed"  # competency_kg/entailment.py: derived, not a source
        elif iri_value(g).startswith(base + "graph/curation/"):
            src.kind = "curation"
        elif not f:
            src.kind = "other"
        out[iri_value(g)] = src
    for src in out.values():  # corrections are named after the source they correct
        if src.kind == "curation" and not src.title:
            corrected = out.get(base + "graph/" + src.graph.rsplit("/", 1)[-1])
            src.title = f"Corrections to {corrected.name if corrected else src.name}"
            if corrected is not None and not src.licences:
                src.licences = corrected.licences
                src.attribution = src.attribution or corrected.attribution
    return out


def _cited(node: str, f: dict[str, list[str]]) -> Cited:
    titles = f.get(f"<{DCTERMS.title}>")
    urls = f.get(f"<{SCHEMA.url}>")
    return Cited(
        iri_value(node) if is_iri(node) else node,
        best_text(titles) if titles else local_name(iri_value(node)),
        sorted({iri_value(v) for v in f.get(f"<{DCTERMS.license}>", []) if is_iri(v)}),
        best_text(urls) if urls else None,
    )


def _is_source_graph(f: dict[str, list[str]]) -> bool:
    return f"<{CKG.SourceGraph}>" in f.get(TYPE, [])
