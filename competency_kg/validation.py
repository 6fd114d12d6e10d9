"""SHACL validation (https://www.w3.org/TR/shacl/) and reports a curator can read.

pySHACL produces a ``sh:ValidationReport``; :class:`Report` keeps every result with what a
person needs beside it (the focus node's label, the source graph it came from, the place in
the source) and groups them by severity, then shape, then focus node (SHACL section 3.6).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from importlib.resources import files
from typing import Any

import pyoxigraph as ox
from pyshacl import validate
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS
from rdflib.term import Node

from competency_kg.labels import graph_label
from competency_kg.namespaces import CEASN, CKG, PREFIXES, SH
from competency_kg.safe_text import csv_text
from competency_kg.shacl_sparql import (
    Found,
    SparqlCheck,
    add_to_report,
    run_checks,
    split_shapes,
    store_for,
)
from competency_kg.shacl_sparql.core import CoreCheck, run_core, split_core
from competency_kg.sparql.terms import to_rdflib

#: The context of a store report's counts, and where the other contexts' counts are.
STORE_CONTEXT = (
    "each source with its curators' corrections applied, checked with the other sources and "
    "the links as context (what a load prints 'in the store'); the results the corrections "
    "resolved are listed under RESOLVED BY CORRECTIONS; a document's own counts before it is "
    "loaded: the upload check, POST /validation"
)
SEVERITY_ORDER = {str(SH.Violation): 0, str(SH.Warning): 1, str(SH.Info): 2}
SEVERITY_NAMES = {str(SH.Violation): "Violation", str(SH.Warning): "Warning", str(SH.Info): "Info"}


@lru_cache(maxsize=1)
def shapes_graph() -> Graph:
    """All the project's shapes (every ``*.shacl.ttl`` in ``shapes/``), parsed once."""
    g = Graph()
    for f in sorted(files("competency_kg.shapes").iterdir(), key=lambda f: f.name):
        if f.name.endswith(".shacl.ttl"):
            g.parse(data=f.read_bytes(), format="turtle")
    return g


@dataclass(frozen=True)
class Engines:
    """How the shapes are run: each constraint as one SPARQL query on Oxigraph (``sparql``:
    the ``sh:sparql`` ones, ``core``: SHACL Core's), and what only pySHACL can run (``rest``,
    the shapes graph without what the queries do; ``left``, the node shapes it still has)."""

    rest: Graph
    sparql: list[SparqlCheck]
    core: list[CoreCheck]
    left: list[Node]


@lru_cache(maxsize=1)
def engines() -> Engines:
    """The project's shapes split between the queries and pySHACL, once."""
    rest, sparql = split_shapes(shapes_graph())
    rest, core, left = split_core(rest)
    return Engines(rest, sparql, core, left)


def validate_with_pyshacl_only(data: Graph) -> Graph:
    """The report of a plain pySHACL run: the baseline the fast path must equal."""
    _, report_graph, _ = validate(
        data, shacl_graph=shapes_graph(), inference="none", advanced=True, allow_warnings=True
    )
    return report_graph


@dataclass
class Result:
    """One validation result, with what a curator needs to act on it."""

    severity: str  # "Violation" | "Warning" | "Info"
    shape: str  # the node shape the result falls under (or the source shape)
    source_shape: str
    constraint: str  # the constraint component, local name ("MinCountConstraintComponent")
    focus: str
    focus_label: str | None
    path: str | None
    value: str | None
    message: str
    graph: str | None = None  # the source graph the focus node comes from
    location: str | None = None  # the place in the source: see :func:`place_of`
    value_label: str | None = None  # the value's label, when the value is a labelled resource


@dataclass
class SourceSummary:
    """One graph of a store report: how it was checked, and what that found."""

    graph: str
    title: str | None = None  # the source document's own title (else its file name)
    document: str | None = None
    loader: str | None = None
    triples: int | None = None
    loaded: str | None = None  # prov:generatedAtTime of its load
    mode: str = "validated"  # "validated" (SHACL here) | "summary" (the load-time summary)
    description: str | None = None  # for a summary: what the load-time checks covered
    violations: int | None = 0  # None: not known (a summary without counts)
    warnings: int | None = 0
    cached: bool = False  # the report came from the cache, not from a new validation
    seconds: float = 0.0  # how long its validation took when it was computed
    note: str | None = None


@dataclass
class CorrectionInfo:
    """A curator's correction, as the store records it (see ``competency_kg.curation``)."""

    iri: str
    creator: str | None = None
    created: str | None = None
    reason: str | None = None
    file: str | None = None
    applied_to: list[str] = field(default_factory=list)
    retracted: list[tuple[str, str, str]] = field(default_factory=list)  # N-Triples terms
    added: list[tuple[str, str, str]] = field(default_factory=list)
    stale: bool = False
    #: for a stale correction: what it retracts that no source stated at the last load
    missing: list[str] = field(default_factory=list)  # N-Triples lines


@dataclass
class ResolvedResult:
    """A result the source's own data would give, that a correction made go away."""

    result: Result
    corrections: list[str] = field(default_factory=list)


@dataclass
class Report:
    conforms: bool
    results: list[Result] = field(default_factory=list)
    # store reports only: what each graph's check was, corrections and their effect
    sources: list[SourceSummary] = field(default_factory=list)
    corrections: list[CorrectionInfo] = field(default_factory=list)
    resolved: list[ResolvedResult] = field(default_factory=list)
    stale: list[CorrectionInfo] = field(default_factory=list)
    # graph IRI → its title, for every graph a result may name (not only the ones checked)
    titles: dict[str, str] = field(default_factory=dict)
    # what the counts are of (docs/curation.md): corrections applied or not, alone or in the store
    context: str | None = None
    # with a per-rule limit: every rule's counts (per message) before the limit
    summary: list[dict[str, object]] | None = None

    def _count(self, severity: str) -> int:
        """Results of a severity; with a per-rule limit, all of them (the summary's totals)."""
        if self.summary is not None:
            return sum(
                int(str(row["total"])) for row in self.summary if row["severity"] == severity
            )
        return sum(1 for r in self.results if r.severity == severity)

    @property
    def violations(self) -> int:
        return self._count("Violation")

    @property
    def warnings(self) -> int:
        return self._count("Warning")

    def grouped(self) -> dict[str, dict[str, dict[str, list[Result]]]]:
        """severity → shape → focus node → results, each level in a stable order."""
        out: dict[str, dict[str, dict[str, list[Result]]]] = {}
        ordered = sorted(
            self.results,
            key=lambda r: (_sev_rank(r.severity), r.shape, r.focus_label or r.focus, r.message),
        )
        for r in ordered:
            out.setdefault(r.severity, {}).setdefault(r.shape, {}).setdefault(r.focus, []).append(r)
        return out

    # -- renderings
    def to_text(self) -> str:
        lines = [
            f"Conforms: {'yes' if self.conforms else 'no'} — "
            f"{self.violations} violation(s), {self.warnings} warning(s)"
        ]
        if self.context:
            lines.append(f"Context: {self.context}")
        titles = {**self.titles, **{s.graph: s.title for s in self.sources if s.title}}
        if self.sources:
            lines.append("")
            lines.append(f"SOURCES ({len(self.sources)})")
            for s in self.sources:
                found = (
                    f": {s.violations} violation(s), {s.warnings} warning(s)"
                    if s.violations is not None
                    else ": load-time summary"
                )
                lines.append(f"  {s.title or s.graph} <{s.graph}>{found}")
        summaries = [s for s in self.sources if s.mode != "validated"]
        if summaries:
            lines.append("")
            lines.append(f"NOT RE-VALIDATED ({len(summaries)})")
            for s in summaries:
                lines.append(f"  <{s.graph}>{_about(s)}")
                lines.append(f"    - {s.note or 'load-time summary only'}")
                if s.description:
                    lines.append(f"    - at load: {s.description}")
        whole: dict[tuple[str, str], int] = {}  # (severity, node shape) → all its results
        for row in self.summary or ():
            key = (str(row["severity"]), str(row.get("shape", "")))
            whole[key] = whole.get(key, 0) + int(str(row["total"]))
        for severity, shapes in self.grouped().items():
            count = sum(len(rs) for foci in shapes.values() for rs in foci.values())
            lines.append("")
            lines.append(f"{severity.upper()}S ({self._count(severity) or count})")
            for shape, foci in shapes.items():
                n = sum(len(rs) for rs in foci.values())
                total = whole.get((severity, shape), n)
                shown = f"{total}" if total == n else f"{total}; showing {n} of {total}"
                lines.append(f"  {compact(shape)} ({shown})")
                for rs in foci.values():
                    lines.append(f"    {_focus_line(rs[0], titles)}")
                    for r in rs:
                        lines.append(f"      -{_result_line(r)}")
        if self.resolved:
            lines.append("")
            lines.append(f"RESOLVED BY CORRECTIONS ({len(self.resolved)})")
            by_correction: dict[str, list[ResolvedResult]] = {}
            for rr in self.resolved:
                by_correction.setdefault(" ".join(rr.corrections), []).append(rr)
            known = {c.iri: c for c in self.corrections}
            for key, rrs in sorted(by_correction.items()):
                for iri in key.split():
                    c = known.get(iri)
                    lines.append(f"  <{iri}>{_correction_about(c) if c else ''}")
                    if c and c.reason:
                        lines.append(f"    why: {c.reason}")
                for rr in sorted(rrs, key=lambda x: (_sev_rank(x.result.severity), x.result.focus)):
                    r = rr.result
                    lines.append(f"    {r.severity}: {_focus_line(r, titles)}")
                    lines.append(f"      -{_result_line(r)}")
        if self.stale:
            lines.append("")
            lines.append(f"STALE CORRECTIONS ({len(self.stale)})")
            for c in self.stale:
                lines.append(f"  <{c.iri}>{_correction_about(c)}")
                if c.reason:
                    lines.append(f"    why: {c.reason}")
                lines.append(
                    "    - matches no source any more: the source changed, or the correction "
                    "is wrong; update or remove it"
                )
                for line in c.missing:
                    lines.append(f"    - no source states: {line}")
        return "\n".join(lines) + "\n"

    def to_json(self) -> str:
        return json.dumps(
            {
                "conforms": self.conforms,
                "context": self.context,
                "violations": self.violations,
                "warnings": self.warnings,
                "results": [asdict(r) for r in self.results],
                "sources": [asdict(s) for s in self.sources],
                "corrections": [asdict(c) for c in self.corrections],
                "resolved": [asdict(r) for r in self.resolved],
                "stale": [asdict(c) for c in self.stale],
                **({"summary": self.summary} if self.summary is not None else {}),
            },
            indent=2,
            ensure_ascii=False,
        )

    def to_csv(self) -> str:
        """One row per result; formula cells neutralised (:func:`csv_text`)."""
        names = list(Result.__dataclass_fields__)
        rows = ([getattr(r, n) for n in names] for r in self.results)
        return csv_text([names, *rows])


def rule_summary(results: list[Result]) -> list[dict[str, Any]]:
    """Counts per rule (source shape), with its node shape, and per message: what a big
    report is, on one screen."""
    by_rule: dict[tuple[str, str], dict[str, Any]] = {}
    for r in results:
        row = by_rule.setdefault(
            (r.severity, r.source_shape),
            {
                "severity": r.severity,
                "rule": r.source_shape,
                "shape": r.shape,
                "total": 0,
                "messages": {},
            },
        )
        row["total"] += 1
        row["messages"][r.message] = row["messages"].get(r.message, 0) + 1
    rank = ("Violation", "Warning", "Info")
    return sorted(
        by_rule.values(),
        key=lambda x: (rank.index(x["severity"]) if x["severity"] in rank else 3, -x["total"]),
    )


def limit_per_shape(report: Report, limit: int) -> Report:
    """The report with at most ``limit`` results listed per rule (source shape: Stardog's
    ``--limit-per-shape``), in the report's order; its counts (``summary``) still count them
    all, so the totals and the text's "showing N of M" stay whole."""
    seen: dict[str, int] = {}

    def keep(r: Result) -> bool:
        seen[r.source_shape] = seen.get(r.source_shape, 0) + 1
        return seen[r.source_shape] <= limit

    kept = [r for r in report.results if keep(r)]
    whole = report.summary if report.summary is not None else rule_summary(report.results)
    return replace(report, results=kept, summary=whole)


def _focus_line(r: Result, titles: dict[str, str] | None = None) -> str:
    """The focus node, with the sources (by title where known) and place it comes from."""
    label = r.focus_label
    graphs = "; ".join((titles or {}).get(g) or compact(g) for g in (r.graph or "").split())
    bits = [b for b in (graphs, r.location) if b]
    where = f" [{', '.join(bits)}]" if bits else ""
    return f"{label + ' ' if label else ''}<{r.focus}>{where}"


def shape_path(shape: str) -> str | None:
    """The path of a property shape of the project's shapes, as text."""
    return path_text(shapes_graph().value(URIRef(shape), SH.path))


def path_text(node: Node | None) -> str | None:
    """A SHACL property path as a person reads it: ``skos:exactMatch/skos:definition``."""
    g = shapes_graph()
    if node is None:
        return None
    if isinstance(node, URIRef):
        return compact(str(node))
    if (node, RDF.first, None) in g:
        return "/".join(path_text(n) or "?" for n in g.items(node))
    for p, fmt in (
        (SH.inversePath, "^{}"),
        (SH.zeroOrMorePath, "{}*"),
        (SH.oneOrMorePath, "{}+"),
        (SH.zeroOrOnePath, "{}?"),
    ):
        inner = g.value(node, p)
        if inner is not None:
            return fmt.format(path_text(inner))
    alternatives = g.value(node, SH.alternativePath)
    if alternatives is not None:
        return " | ".join(path_text(n) or "?" for n in g.items(alternatives))
    return None


def _result_line(r: Result) -> str:
    shown = shape_path(r.source_shape) if r.path == "(path)" else r.path
    path = f" {compact(shown)}:" if shown else ""
    shown_value = f"{r.value_label} <{r.value}>" if r.value_label else r.value
    value = f" (value: {shown_value})" if r.value else ""
    return f"{path} {r.message}{value}"


def _about(s: SourceSummary) -> str:
    bits = [b for b in (s.title, s.loader) if b]
    if s.triples is not None:
        bits.append(f"{s.triples:,} triples")
    if s.loaded:
        bits.append(f"loaded {s.loaded}")
    return f" ({', '.join(bits)})" if bits else ""


def _correction_about(c: CorrectionInfo) -> str:
    bits = [b for b in (c.file, c.creator and f"by {c.creator}", c.created) if b]
    return f" ({', '.join(bits)})" if bits else ""


def _sev_rank(severity: str) -> int:
    return {"Violation": 0, "Warning": 1, "Info": 2}.get(severity, 3)


def compact(iri: str) -> str:
    """A prefixed name for an IRI where a known prefix fits."""
    for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
        if iri.startswith(ns) and iri != ns:
            return f"{prefix}:{iri[len(ns) :]}"
    if iri.startswith("https://w3id.org/competency-kg/shapes#"):
        return "ckgsh:" + iri.split("#", 1)[1]
    return iri


_LABELS = (SKOS.prefLabel, RDFS.label, CEASN.competencyText, CEASN.name)


def _label(data: Graph, node: Node) -> str | None:
    """The focus node's label: from the data, else by its class's rule (corrections, ratings …)."""
    for p in _LABELS:
        for o in data.objects(node, p):
            return str(o)
    return graph_label(data, node)


def validate_graph(
    data: Graph,
    graph_of: dict[Node, str] | None = None,
    focus_nodes: Collection[URIRef] | None = None,
) -> tuple[Report, Graph]:
    """Validate ``data`` against the project's shapes; return the report and its RDF form.

    ``graph_of`` maps focus nodes to the source graph they came from, where known.
    ``focus_nodes``, when given, limits the check to those of the shapes' targets (IRIs): the
    rest of ``data`` is only context (what the focus nodes point to).
    """
    report_graph = validate_store(store_for(data), lambda: data, focus_nodes)
    return results_of(report_graph, data, graph_of), report_graph


def results_of(report_graph: Graph, data: Graph, graph_of: dict[Node, str] | None) -> Report:
    """The curator's report of a ``sh:ValidationReport`` graph: each result with its node
    shape, its focus node's and value's labels and its place, read from ``data`` (the data
    validated, or the part of it about the results' nodes)."""
    shapes = shapes_graph()
    results: list[Result] = []
    for node in report_graph.subjects(RDF.type, SH.ValidationResult):
        focus = report_graph.value(node, SH.focusNode)
        source_shape = report_graph.value(node, SH.sourceShape)
        severity = report_graph.value(node, SH.resultSeverity)
        path = report_graph.value(node, SH.resultPath)
        value = report_graph.value(node, SH.value)
        messages = [str(m) for m in report_graph.objects(node, SH.resultMessage)]
        component = report_graph.value(node, SH.sourceConstraintComponent)
        node_shape = _node_shape_of(shapes, source_shape)
        location = place_of(data, focus, value) if focus is not None else None
        results.append(
            Result(
                severity=SEVERITY_NAMES.get(str(severity), str(severity)),
                shape=str(node_shape),
                source_shape=str(source_shape),
                constraint=str(component).rsplit("#", 1)[-1] if component else "",
                focus=str(focus),
                focus_label=_label(data, focus) if focus is not None else None,
                path=str(path)
                if isinstance(path, URIRef)
                else (None if path is None else "(path)"),
                value=_show(value),
                message=messages[0] if messages else "",
                graph=(graph_of or {}).get(focus) if focus is not None else None,
                location=location,
                value_label=_label(data, value) if isinstance(value, URIRef) else None,
            )
        )
    return Report(conforms=not any(r.severity == "Violation" for r in results), results=results)


def validate_store(
    store: ox.Store,
    data: Callable[[], Graph],
    focus_nodes: Collection[URIRef] | None = None,
) -> Graph:
    """The ``sh:ValidationReport`` of the default graph of ``store``: every constraint the
    queries can run as one query on Oxigraph, pySHACL (over ``data()``, the same triples as an
    rdflib graph, asked for only then) for the shapes in :attr:`Engines.left`.

    ``focus_nodes`` limits the results to those focus nodes, as pySHACL's option does.
    """
    split = engines()
    if split.left:
        _, report_graph, _ = validate(
            data(),
            shacl_graph=split.rest,
            inference="none",
            advanced=True,
            allow_warnings=True,
            focus_nodes=sorted(focus_nodes) if focus_nodes else None,
        )
    else:
        report_graph = _empty_report()
    found: list[Found] = [*run_checks(split.sparql, store), *run_core(split.core, store, to_rdflib)]
    if focus_nodes:
        wanted = set(focus_nodes)
        found = [r for r in found if r.focus in wanted]
    add_to_report(report_graph, found)
    return report_graph


def validate_in_store(
    store: ox.Store, focus_in: str | None = None, graphs: list[str] | None = None
) -> tuple[Graph, list[Node]]:
    """The ``sh:ValidationReport`` of ``store`` read in place (a whole store on disk: nothing
    is copied) — its default graph, or the union of the named ``graphs`` — for the focus
    nodes the group pattern ``focus_in`` (about ``?this``) matches; and the node shapes only
    pySHACL can run, not checked here (:attr:`Engines.left`: it needs an rdflib graph)."""
    split = engines()
    report_graph = _empty_report()
    default = None if graphs is None else [ox.NamedNode(g) for g in graphs]
    found: list[Found] = [
        *run_checks(split.sparql, store, focus_in, default),
        *run_core(split.core, store, to_rdflib, focus_in, default),
    ]
    add_to_report(report_graph, found)
    return report_graph, split.left


def _empty_report() -> Graph:
    report_graph = Graph()
    root = BNode()
    report_graph.add((root, RDF.type, SH.ValidationReport))
    report_graph.add((root, SH.conforms, Literal(True)))
    return report_graph


def _line_of(place: str) -> tuple[int, str]:
    """A sort key putting ``line 9`` before ``line 10`` (other places by their text)."""
    head = place.split(",", 1)[0]
    return (
        (int(head[5:]), place)
        if head.startswith("line ") and head[5:].isdigit()
        else (1 << 30, place)
    )


def place_of(data: Graph, focus: Node, value: Node | None = None) -> str | None:
    """Where in its source a result comes from, so a curator can go to the line.

    The value's own place when the value is a part of the focus node (an entry of an
    occupation's lists: its IRI extends the focus's), not the whole occupation's; else the
    focus node's own ``ckg:sourceLocation``; else, for a resource a document only names (a
    competency), the first place that names it: the earliest place of a resource pointing at it.
    """
    if isinstance(value, URIRef) and str(value).startswith(str(focus).rstrip("/") + "/"):
        own = data.value(value, CKG.sourceLocation)
        if own is not None:
            return str(own)
    own = data.value(focus, CKG.sourceLocation)
    if own is not None:
        return str(own)
    if not isinstance(focus, URIRef):
        return None
    named = {
        str(place)
        for s in data.subjects(None, focus)
        for place in data.objects(s, CKG.sourceLocation)
    }
    return min(named, key=_line_of) if named else None


def _node_shape_of(shapes: Graph, shape: Node | None) -> Node | None:
    """The node shape a property shape belongs to, for grouping; the shape itself otherwise."""
    if shape is None:
        return None
    for parent in shapes.subjects(SH.property, shape):
        return parent
    return shape


def _show(value: Node | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, Literal):
        return str(value)
    return str(value)


def group_counts(report: Report) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for r in report.results:
        counts[r.severity] += 1
    return dict(counts)
