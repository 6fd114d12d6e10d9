"""A source's curation graph: its corrections, what each changed, and which results each
resolves (the report of the source as written compared with the corrected one)."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS
from rdflib.term import Node

from competency_kg.namespaces import CKG
from competency_kg.reporting.checks import validate_subjects
from competency_kg.reporting.context import Context, iris_of
from competency_kg.reporting.results import ResultKey, Triple, result_key
from competency_kg.reporting.state import node_text
from competency_kg.validation import CorrectionInfo, ResolvedResult, Result


@dataclass
class Curation:
    """What a source's curation graph records: each correction and exactly what it changed."""

    infos: list[CorrectionInfo]
    retracted_by: dict[str, list[Triple]]
    added_by: dict[str, list[Triple]]
    additions: list[Triple]  # every statement the corrections added (the graph's data)

    @property
    def retracted(self) -> list[Triple]:
        return [t for ts in self.retracted_by.values() for t in ts]


def _reified(curation: Graph, c: Node, prop: URIRef, bookkeeping: set[Node]) -> list[Triple]:
    triples: list[Triple] = []
    for st in curation.objects(c, prop):
        bookkeeping.add(st)
        s = curation.value(st, RDF.subject)
        p = curation.value(st, RDF.predicate)
        o = curation.value(st, RDF.object)
        if s is not None and p is not None and o is not None:
            triples.append((s, p, o))
    return sorted(triples, key=lambda t: tuple(map(str, t)))


def split_curation(curation: Graph) -> Curation:
    """Corrections recorded in a curation graph, what each retracted and added, the additions.

    A store loaded before additions were reified (``ckg:added``) has them only as data: they
    are then attributed by :func:`_attribute_additions`.
    """
    infos: list[CorrectionInfo] = []
    retracted_by: dict[str, list[Triple]] = {}
    added_by: dict[str, list[Triple]] = {}
    bookkeeping: set[Node] = set()
    for c in sorted(set(curation.subjects(RDF.type, CKG.Correction)), key=str):
        bookkeeping.add(c)
        retracted_by[str(c)] = _reified(curation, c, CKG.retracted, bookkeeping)
        added_by[str(c)] = _reified(curation, c, CKG.added, bookkeeping)
        infos.append(
            CorrectionInfo(
                iri=str(c),
                creator=node_text(curation.value(c, DCTERMS.creator)),
                created=node_text(curation.value(c, DCTERMS.created)),
                reason=node_text(curation.value(c, RDFS.comment)),
                file=node_text(curation.value(c, DCTERMS.source)),
                applied_to=sorted(str(g) for g in curation.objects(c, CKG.appliedTo)),
                retracted=[_nt(t) for t in retracted_by[str(c)]],
                added=[_nt(t) for t in added_by[str(c)]],
            )
        )
    additions = [t for t in curation if t[0] not in bookkeeping]
    if infos and not any(added_by.values()) and additions:
        _attribute_additions(infos, retracted_by, additions, added_by)
    return Curation(infos, retracted_by, added_by, additions)


def _nt(t: Triple) -> tuple[str, str, str]:
    return (t[0].n3(), t[1].n3(), t[2].n3())  # type: ignore[union-attr]


def _attribute_additions(
    infos: list[CorrectionInfo],
    retracted_by: dict[str, list[Triple]],
    additions: list[Triple],
    added_by: dict[str, list[Triple]],
) -> None:
    """For a store from before ``ckg:added``: which additions each correction made.

    One correction gets them all; otherwise an addition goes to the corrections that retract
    something about its subject, else to the corrections that retract nothing.
    """
    touched = {c.iri: iris_of(retracted_by[c.iri]) for c in infos}
    add_only = [c.iri for c in infos if not retracted_by[c.iri]]
    for t in sorted(additions, key=lambda t: tuple(map(str, t))):
        claim = [c.iri for c in infos if str(t[0]) in touched[c.iri]] or add_only
        for iri in claim or [c.iri for c in infos]:
            added_by[iri].append(t)
    for c in infos:
        c.added = [_nt(t) for t in added_by[c.iri]]


def resolved_by_corrections(
    own: Graph, cur: Curation, results: list[Result], context: Context, graph: str
) -> list[ResolvedResult]:
    """The results the source as written gives and the corrected one does not, each credited
    to exactly the corrections that resolve it.

    A correction resolves a result when undoing it alone (its retractions put back, its own
    additions taken out) brings the result back. When no single undo does (two corrections
    each fix it), the corrections that would fix it on their own are credited. Each check
    validates only the focus nodes of the results in question.
    """
    now = {result_key(r) for r in results}

    def report_of(data: Graph, focus: set[str]) -> set[ResultKey]:
        found, _ = validate_subjects(data + context.graph, focus, context.graphs_of, graph)
        return {result_key(r) for r in found}

    written = own + Graph()
    for t in cur.retracted:
        written.add(t)
    was, _ = validate_subjects(
        written + context.graph, _subjects(written), context.graphs_of, graph
    )
    gone = [r for r in was if result_key(r) not in now]
    if not gone:
        return []
    focus = {r.focus for r in gone}
    corrected = own + Graph()
    for t in cur.additions:
        corrected.add(t)
    credit: dict[ResultKey, list[str]] = {result_key(r): [] for r in gone}
    for c in cur.infos:
        others = {t for o in cur.infos if o.iri != c.iri for t in cur.added_by[o.iri]}
        undone = corrected + Graph()
        for t in cur.added_by[c.iri]:
            if t not in others:
                undone.remove(t)
        for t in cur.retracted_by[c.iri]:
            undone.add(t)
        back = report_of(undone, focus)
        for key, by in credit.items():
            if key in back:
                by.append(c.iri)
    jointly = [key for key, by in credit.items() if not by]
    if jointly:
        for c in cur.infos:
            alone = written + Graph()
            for t in cur.retracted_by[c.iri]:
                alone.remove(t)
            for t in cur.added_by[c.iri]:
                alone.add(t)
            still = report_of(alone, {r.focus for r in gone if result_key(r) in jointly})
            for key in jointly:
                if key not in still:
                    credit[key].append(c.iri)
    every = [c.iri for c in cur.infos]  # no subset tells: the corrections together
    return [ResolvedResult(r, credit[result_key(r)] or every) for r in gone]


def _subjects(g: Graph) -> set[str]:
    return {str(s) for s in g.subjects()}
