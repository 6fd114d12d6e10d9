"""What the ontology's alignments entail from the data, kept in a named graph of its own.

The ontology (``ontology/competency-kg.ttl``) says how its terms sit in the vocabularies we
reuse: ``ckg:Occupation rdfs:subClassOf schema:Occupation``, ``ckg:narrative
rdfs:subPropertyOf dcterms:description`` … The sources state only the ``ckg:`` terms, so a
query in those vocabularies (``?x a schema:Occupation``) would find nothing. After every load
the statements these axioms entail are recomputed from the store and written, replacing the
old, to ``{base}graph/entailed``: ``GRAPH ?g`` still tells what each source stated, and the
default graph (every named graph) answers in SKOS, CTDL, CTDL-ASN, schema.org, PROV and DCTERMS
terms as well.

The rules, and nothing else (no domains, ranges, inverses or other OWL reasoning):

- ``rdfs:subClassOf`` (rdfs9) and ``rdfs:subPropertyOf`` (rdfs7), closed transitively over the
  ontology's axioms (rdfs11, rdfs5);
- ``owl:equivalentClass`` and ``owl:equivalentProperty`` as subclass and subproperty both
  ways (OWL 2 RL cax-eqc1/2, prp-eqp1/2).

Entailed are the terms of those vocabularies only, never ``ckg:`` terms (the closure still runs
through them: ``ckg:Task`` ⊑ ``ckg:Activity`` ⊑ ``ceterms:Task`` makes every task a
``ceterms:Task``): a query in ``ckg:`` terms keeps answering what the sources state, as the
site's pages, comparisons and links expect (``ckg:usesTool`` stays apart from
``ckg:usesTechnology``). Only statements no graph states already are written. Statements
about blank nodes are left out: a blank node cannot be named outside the write that made it
(a bulk load or a SPARQL Update gives it a fresh identity), so its entailment would be about
another node.

The work is done by the store's SPARQL engine, one CONSTRUCT per entailed class or property,
written as N-Triples to a file and streamed in with :meth:`GraphStore.bulk_replace` (the path
the big sources take, journaled and all-or-nothing), so it scales to a whole O*NET release and
works the same on a remote store.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, VOID, XSD

from competency_kg.iris import Minter
from competency_kg.namespaces import ONTOLOGY_IRI
from competency_kg.store import DescriptionReplacement, GraphStore

CKG_NS = ONTOLOGY_IRI + "#"
Progress = Callable[[str], None]

RULES_COMMENT = (
    "rdfs:subClassOf and rdfs:subPropertyOf closed transitively (RDFS rules rdfs5, rdfs7, "
    "rdfs9, rdfs11), owl:equivalentClass and owl:equivalentProperty as both (OWL 2 RL "
    "cax-eqc1/2, prp-eqp1/2), from the ontology's axioms, applied to the statements of every "
    "source, curation and links graph; only statements in the vocabularies the ontology aligns "
    "to (not ckg: terms), none a graph states already, none about blank nodes."
)


@dataclass(frozen=True)
class Closure:
    """The ontology's hierarchy, closed: each entailed term → the terms that entail it."""

    classes: dict[URIRef, frozenset[URIRef]]
    properties: dict[URIRef, frozenset[URIRef]]

    @property
    def axioms(self) -> int:
        return sum(len(v) for v in (*self.classes.values(), *self.properties.values()))


def ontology() -> Graph:
    """The ontology as the package ships it."""
    data = files("competency_kg.ontology").joinpath("competency-kg.ttl").read_bytes()
    return Graph().parse(data=data, format="turtle", publicID=ONTOLOGY_IRI)


def _close(edges: Iterable[tuple[URIRef, URIRef]]) -> dict[URIRef, frozenset[URIRef]]:
    """super → every sub below it (transitively), from (sub, super) edges; no term is its own."""
    up: dict[URIRef, set[URIRef]] = {}
    for sub, sup in edges:
        up.setdefault(sub, set()).add(sup)
    down: dict[URIRef, set[URIRef]] = {}
    for start in up:
        seen: set[URIRef] = set()
        todo = list(up[start])
        while todo:
            sup = todo.pop()
            if sup in seen:
                continue
            seen.add(sup)
            todo.extend(up.get(sup, ()))
        for sup in seen - {start}:
            down.setdefault(sup, set()).add(start)
    return {sup: frozenset(subs) for sup, subs in down.items()}


def closure(onto: Graph) -> Closure:
    """The subclass and subproperty closure of the ontology's axioms, for the terms of the
    vocabularies it aligns to (not ``ckg:`` terms: see the module doc). IRIs only: a class
    expression such as an ``owl:Restriction`` is not a rule here."""

    def edges(sub_of: URIRef, equivalent: URIRef) -> list[tuple[URIRef, URIRef]]:
        out = [(s, o) for s, o in onto.subject_objects(sub_of)]
        for s, o in onto.subject_objects(equivalent):
            out += [(s, o), (o, s)]
        # rdf:type as a subproperty or superproperty would feed the class rules: not ours
        return [
            (s, o)
            for s, o in out
            if isinstance(s, URIRef) and isinstance(o, URIRef) and RDF.type not in (s, o)
        ]

    def aligned(down: dict[URIRef, frozenset[URIRef]]) -> dict[URIRef, frozenset[URIRef]]:
        return {t: subs for t, subs in down.items() if not str(t).startswith(CKG_NS)}

    return Closure(
        classes=aligned(_close(edges(RDFS.subClassOf, OWL.equivalentClass))),
        properties=aligned(_close(edges(RDFS.subPropertyOf, OWL.equivalentProperty))),
    )


def entailment_queries(rules: Closure, graphs: list[URIRef]) -> list[tuple[URIRef, str]]:
    """One CONSTRUCT per entailed class or property: (term, query).

    Each reads the statements of ``graphs`` and leaves out what any of them states already;
    ``DISTINCT`` makes every triple come once, and two queries never make the same triple (they
    differ in the class or the property), so the result lines are the graph's triples.

    Written for the engine's indexes: one pattern per subterm with the term as a constant (a
    ``VALUES`` list of terms made Oxigraph scan every quad: 28 s on the O*NET release where
    this takes 0.1 s), and ``MINUS`` for what is stated (a hash join, where ``FILTER NOT
    EXISTS`` probed row by row: 2–3× slower).
    """
    within = "FILTER(?g IN (" + ", ".join(f"<{g}>" for g in graphs) + "))"
    stated = within.replace("?g", "?h")
    out: list[tuple[URIRef, str]] = []
    for cls, subs in sorted(rules.classes.items()):
        union = " UNION ".join(f"{{ GRAPH ?g {{ ?s a <{c}> }} }}" for c in sorted(subs))
        out.append(
            (
                cls,
                f"CONSTRUCT {{ ?s a <{cls}> }} WHERE {{ {{ SELECT DISTINCT ?s WHERE {{ "
                f"{union} {within} FILTER(!isBlank(?s)) "
                f"MINUS {{ GRAPH ?h {{ ?s a <{cls}> }} {stated} }} }} }} }}",
            )
        )
    for prop, subs in sorted(rules.properties.items()):
        union = " UNION ".join(f"{{ GRAPH ?g {{ ?s <{p}> ?o }} }}" for p in sorted(subs))
        out.append(
            (
                prop,
                f"CONSTRUCT {{ ?s <{prop}> ?o }} WHERE {{ {{ SELECT DISTINCT ?s ?o WHERE {{ "
                f"{union} {within} FILTER(!isBlank(?s) && !isBlank(?o)) "
                f"MINUS {{ GRAPH ?h {{ ?s <{prop}> ?o }} {stated} }} }} }} }}",
            )
        )
    return out


@dataclass
class EntailmentReport:
    """What one recomputation did."""

    graph: URIRef
    triples: int
    seconds: float
    inputs: list[URIRef]
    per_term: dict[URIRef, int]

    def summary(self) -> str:
        return (
            f"entailed: {self.triples:,} triples from {len(self.inputs)} graph(s) in "
            f"<{self.graph}> ({self.seconds:.1f} s)"
        )


def input_graphs(store: GraphStore, minter: Minter) -> list[URIRef]:
    """The graphs entailment reads: every named graph but the metadata graph (which describes
    the graphs, this one included, and is rewritten after it) and the entailed graph itself."""
    skip = {minter.metadata_graph(), minter.entailed_graph()}
    return [g for g in store.graph_names() if g not in skip]


def describe(report: EntailmentReport, when: datetime) -> Graph:
    """The metadata graph's description of the entailed graph (VoID, PROV)."""
    name = report.graph
    activity, rules = URIRef(f"{name}/activity"), URIRef(f"{name}/rules")
    onto = URIRef(ONTOLOGY_IRI)
    g = Graph()
    g.add((name, RDF.type, VOID.Dataset))
    g.add((name, RDF.type, PROV.Entity))
    g.add((name, RDFS.label, Literal("Entailed from the ontology", lang="en")))
    g.add(
        (
            name,
            DCTERMS.description,
            Literal(
                "Statements the ontology's subclass, subproperty and equivalence axioms "
                "entail from the sources, in the vocabularies it aligns to (SKOS, CTDL, "
                "CTDL-ASN, schema.org, PROV, DCTERMS); not stated by any source.",
                lang="en",
            ),
        )
    )
    g.add((name, VOID.triples, Literal(report.triples, datatype=XSD.integer)))
    g.add((name, PROV.generatedAtTime, Literal(when.isoformat(), datatype=XSD.dateTime)))
    g.add((name, PROV.wasGeneratedBy, activity))
    g.add((name, PROV.wasDerivedFrom, onto))
    for source in report.inputs:
        g.add((name, PROV.wasDerivedFrom, source))
    g.add((activity, RDF.type, PROV.Activity))
    g.add((activity, RDFS.label, Literal("Entailment after the last load", lang="en")))
    g.add((activity, PROV.used, rules))
    g.add((activity, PROV.used, onto))
    for source in report.inputs:
        g.add((activity, PROV.used, source))
    g.add((rules, RDF.type, PROV.Plan))
    g.add((rules, RDFS.label, Literal("Subclass, subproperty and equivalence closure", lang="en")))
    g.add((rules, RDFS.comment, Literal(RULES_COMMENT, lang="en")))
    g.add((rules, DCTERMS.references, URIRef("https://www.w3.org/TR/rdf11-mt/#rdfs-entailment")))
    g.add((rules, DCTERMS.references, URIRef("https://www.w3.org/TR/owl2-profiles/#OWL_2_RL")))
    return g


def refresh_entailed(
    store: GraphStore,
    minter: Minter,
    progress: Progress | None = None,
    rules: Closure | None = None,
) -> EntailmentReport:
    """Recompute the entailed graph from the store and replace it, with its description."""
    say = progress or (lambda _m: None)
    rules = rules or closure(ontology())
    name = minter.entailed_graph()
    t0 = time.perf_counter()
    inputs = input_graphs(store, minter)
    per_term: dict[URIRef, int] = {}
    with tempfile.TemporaryDirectory(prefix="entailed-") as tmp:
        path = Path(tmp) / "entailed.nt"
        with path.open("wb") as out:
            for term, query in entailment_queries(rules, inputs) if inputs else []:
                data = store.query_raw(query, graph_mime="application/n-triples").data
                lines = [x for x in data.splitlines() if x.strip() and not x.startswith(b"#")]
                out.writelines(x + b"\n" for x in lines)
                per_term[term] = len(lines)
        report = EntailmentReport(name, sum(per_term.values()), 0.0, inputs, per_term)
        when = datetime.now(UTC).replace(microsecond=0)
        meta = minter.metadata_graph()
        subjects = (name, URIRef(f"{name}/activity"), URIRef(f"{name}/rules"))
        described = describe(report, when)
        store.bulk_replace(name, path, [DescriptionReplacement(meta, subjects, described)])
    report.seconds = time.perf_counter() - t0
    say(report.summary())
    return report
