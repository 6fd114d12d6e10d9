"""SHACL report of an O*NET-scale slice: our path against plain pySHACL, same graph and shapes.

The slice: every triple of a few O*NET occupations (the occupation and everything minted under
its IRI: ratings, measurements, tasks, relations) and of every resource they link to, plus the
seeds' overview graphs and synthetic frameworks and overviews (the shapes with SPARQL
constraints). Ours is :func:`competency_kg.validation.validate_graph` (pySHACL for the core
constraints, Oxigraph for the SPARQL ones, and the curator's report built from it); the baseline
is :func:`competency_kg.validation.validate_with_pyshacl_only`. The two report graphs are
compared result by result (blank-node shapes named by their node shape and path).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.queries import BASE


@dataclass
class ShaclResult:
    triples: int
    occupations: list[str]
    ours: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)
    results: int = 0
    identical: bool = False
    only_ours: int = 0
    only_baseline: int = 0
    violations: int = 0


def slice_graph(store_path: Path, occupations: int, synthetic_triples: int):  # type: ignore[no-untyped-def]
    """The slice, as an rdflib graph, and the O*NET occupations it holds."""
    import io

    import pyoxigraph as ox
    from rdflib import Graph

    from bench.synthetic import generate_graph

    store = ox.Store.read_only(str(store_path))
    rows = store.query(
        "SELECT ?o WHERE { ?o a <https://w3id.org/competency-kg/ontology#Occupation> ; "
        "<https://w3id.org/competency-kg/ontology#rating> ?r } GROUP BY ?o ORDER BY ?o",
        use_default_graph_as_union=True,
    )
    rated = [r["o"].value for r in rows]  # type: ignore[union-attr]
    chosen = [BASE + "occupation/15-1232.00"] if BASE + "occupation/15-1232.00" in rated else []
    step = max(1, len(rated) // max(1, occupations))
    chosen += [o for o in rated[::step] if o not in chosen][: max(0, occupations - len(chosen))]
    buf = io.BytesIO()
    ox.serialize(_closure(store, chosen), buf, ox.RdfFormat.N_TRIPLES)
    seeds_q = (
        "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } "
        f'FILTER (STRSTARTS(STR(?g), "{BASE}graph/0")) }}'
    )
    ox.serialize(store.query(seeds_q), buf, ox.RdfFormat.N_TRIPLES)
    del store
    g = Graph()
    g.parse(data=buf.getvalue(), format="nt")
    if synthetic_triples:
        g += generate_graph(synthetic_triples, seed=7)
    return g, chosen


OCCUPATION = "https://w3id.org/competency-kg/ontology#Occupation"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
NAMING = {RDF_TYPE, "http://www.w3.org/2004/02/skos/core#prefLabel",
          "http://www.w3.org/2004/02/skos/core#notation"}  # fmt: skip


def _closure(store, chosen: list[str], depth: int = 4):  # type: ignore[no-untyped-def]
    """Every triple of the chosen occupations and of what they reach (up to ``depth`` links
    away), other occupations only by their type, label and code."""
    import pyoxigraph as ox

    occ_type = ox.NamedNode(OCCUPATION)
    seen: set[str] = set()
    frontier = list(chosen)
    own = tuple(c + "/" for c in chosen)
    triples = []
    for level in range(depth + 1):
        nxt = []
        for iri in frontier:
            if iri in seen:
                continue
            seen.add(iri)
            node = ox.NamedNode(iri)
            other_occ = (
                iri not in chosen
                and not iri.startswith(own)
                and any(
                    True for _ in store.quads_for_pattern(node, ox.NamedNode(RDF_TYPE), occ_type)
                )
            )
            for q in store.quads_for_pattern(node, None, None):
                if other_occ and q.predicate.value not in NAMING:
                    continue
                triples.append(q.triple)
                o = q.object
                if isinstance(o, ox.NamedNode) and q.predicate.value != RDF_TYPE and level < depth:
                    nxt.append(o.value)
        if level == 0:  # everything minted under the occupations' IRIs
            nxt += _under(store, own)
        frontier = nxt
    return triples


def _under(store, prefixes: tuple[str, ...]) -> list[str]:  # type: ignore[no-untyped-def]
    out = []
    for p in prefixes:
        rows = store.query(
            f'SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER STRSTARTS(STR(?s), "{p}") }}',
            use_default_graph_as_union=True,
        )
        out += [r["s"].value for r in rows]
    return out


def normalized(report) -> Counter[tuple[str, ...]]:  # type: ignore[no-untyped-def]
    """A report graph's results as comparable tuples."""
    from rdflib import BNode
    from rdflib.namespace import RDF

    from competency_kg.namespaces import SH
    from competency_kg.validation import _node_shape_of, shapes_graph

    shapes = shapes_graph()

    def shape_name(node) -> str:  # type: ignore[no-untyped-def]
        if isinstance(node, BNode):
            return f"{_node_shape_of(shapes, node)} path {shapes.value(node, SH.path)}"
        return str(node)

    out: Counter[tuple[str, ...]] = Counter()
    for r in report.subjects(RDF.type, SH.ValidationResult):
        path = report.value(r, SH.resultPath)
        value = report.value(r, SH.value)
        out[
            (
                str(report.value(r, SH.focusNode)),
                str(report.value(r, SH.resultSeverity)),
                shape_name(report.value(r, SH.sourceShape)),
                str(report.value(r, SH.sourceConstraintComponent)),
                "(path)" if isinstance(path, BNode) else str(path),
                "_:b" if isinstance(value, BNode) else str(value),
                " | ".join(sorted(str(m) for m in report.objects(r, SH.resultMessage))),
            )
        ] += 1
    return out


def compare(store_path: Path, occupations: int, synthetic: int, rounds: int, say) -> ShaclResult:  # type: ignore[no-untyped-def]
    from competency_kg.validation import validate_graph, validate_with_pyshacl_only

    g, chosen = slice_graph(store_path, occupations, synthetic)
    res = ShaclResult(len(g), chosen)
    say(f"shacl: slice of {len(g):,} triples ({len(chosen)} O*NET occupations)")
    ours_report = base_report = None
    for r in range(rounds):
        for which in ("ours", "baseline") if r % 2 == 0 else ("baseline", "ours"):
            t = time.perf_counter()
            if which == "ours":
                report, ours_report = validate_graph(g, {})
                res.violations = report.violations
                res.ours.append(time.perf_counter() - t)
            else:
                base_report = validate_with_pyshacl_only(g)
                res.baseline.append(time.perf_counter() - t)
            say(f"shacl: {which} round {r + 1}: {time.perf_counter() - t:.1f} s")
    a, b = normalized(ours_report), normalized(base_report)
    res.results = sum(a.values())
    res.identical = a == b
    res.only_ours = sum((a - b).values())
    res.only_baseline = sum((b - a).values())
    return res


def whole_store(store_path: Path, say) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """The queries' report over every source graph of a store at once (the whole O*NET
    release): the graphs copied into one in-memory store, then every core and sh:sparql
    constraint as one query each. pySHACL is not run: it takes hours at this size."""
    import pyoxigraph as ox

    from competency_kg.shacl_sparql import run_checks
    from competency_kg.shacl_sparql.core import run_core
    from competency_kg.sparql.terms import to_rdflib
    from competency_kg.validation import engines

    t = time.perf_counter()
    source = ox.Store.read_only(str(store_path))
    data = ox.Store()
    skip = (BASE + "graph/metadata", BASE + "graph/entailed")
    quads = (
        ox.Quad(q.subject, q.predicate, q.object)
        for q in source
        if not isinstance(q.graph_name, ox.DefaultGraph) and q.graph_name.value not in skip
    )
    data.bulk_extend(quads)
    copied = time.perf_counter() - t
    say(f"shacl: {len(data):,} triples copied in {copied:.1f} s")
    split = engines()
    t = time.perf_counter()
    core = run_core(split.core, data, to_rdflib)
    core_s = time.perf_counter() - t
    t = time.perf_counter()
    sparql = run_checks(split.sparql, data)
    sparql_s = time.perf_counter() - t
    say(
        f"shacl: {len(core):,} core results in {core_s:.1f} s, "
        f"{len(sparql):,} SPARQL in {sparql_s:.1f} s"
    )
    return {"triples": len(data), "copy": copied, "core": core_s, "sparql": sparql_s,
            "core_results": len(core), "sparql_results": len(sparql)}  # fmt: skip


def store_report(store_path: Path, say) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The whole store's report as ``competency-kg validate`` makes it (a fresh cache): a
    whole O*NET release is checked in place in the on-disk store, nothing copied. Wall and
    CPU time of this process, and the load average around it (the machine may be shared).
    Seeds + O*NET 27.0 + 29.2 Excel (3.47 M statements): 62 s wall, 61.5 s CPU, 44 results at
    load 2.9 (docs/validation.md)."""
    import os

    from competency_kg.iris import Minter
    from competency_kg.reporting import ReportCache, assemble
    from competency_kg.store import open_store

    before = os.getloadavg()
    wall, cpu = time.perf_counter(), time.process_time()
    with open_store(store_path, read_only=True) as store:
        assembled = assemble(store, Minter(BASE), cache=ReportCache())
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    after = os.getloadavg()
    per_graph = {g.graph.rsplit("/", 1)[-1]: round(g.seconds, 1) for g in assembled.graphs}
    say(
        f"shacl: the store's report in {wall:.1f} s ({cpu:.1f} s CPU), "
        f"{len(assembled.report.results):,} results, per graph {per_graph}; "
        f"load average {before[0]:.1f} before, {after[0]:.1f} after"
    )
    return {
        "wall": wall,
        "cpu": cpu,
        "results": len(assembled.report.results),
        "per_graph": per_graph,
        "load": (before[0], after[0]),
    }
