"""Checks across sources: conflicting single-valued facts about an occupation, and
framework levels or statements a new version drops (docs/curation.md)."""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS
from rdflib.term import Node

from competency_kg.namespaces import CEASN, CKG
from competency_kg.reporting.state import StoreState
from competency_kg.store import GraphStore
from competency_kg.validation import Result

#: Single-valued facts about an occupation that sources may disagree on: property → (rule,
#: name, severity, the key a framework export gives it). A code names the occupation (its IRI
#: is minted from it), so two codes break its identity: a violation, and a load stops. Two
#: job zones make queries by job zone find the occupation in both: a violation too, unless
#: the source says its own was inferred (``ckg:jobZoneInferred``), a guess the other source
#: settles: a warning. Titles legitimately vary between sources: a warning to review.
CONFLICTS: dict[URIRef, tuple[str, str, str, str]] = {
    SKOS.notation: ("Occupation-codeConflict", "O*NET-SOC code", "Violation", "soc"),
    CKG.jobZone: ("Occupation-jobZoneConflict", "job zone", "Violation", "jobZone"),
    SKOS.prefLabel: ("Occupation-titleConflict", "title", "Warning", "title"),
}
_SHAPES = "https://w3id.org/competency-kg/shapes#"


def _place(where: str | None, key: str) -> str | None:
    """The place of a fact: a JSON path gets the fact's key (``$.occupation.jobZone``)."""
    if where and where.startswith("$"):
        return f"{where}.{key}"
    return where


#: What each occupation's single-valued facts are, by source: (occupation, property) → the
#: value (case-folded) → its (graph, place) pairs.
Values = dict[tuple[str, URIRef], dict[str, set[tuple[str, str | None]]]]


def conflicts(store: GraphStore, state: StoreState, graph: str, own: Graph) -> list[Result]:
    """One result per single-valued fact of this graph's occupations that another source
    (or the graph itself) gives a different value, naming each value with its source and
    place (docs/curation.md, "Conflicts")."""
    occupations = sorted(
        str(s) for s in own.subjects(RDF.type, CKG.Occupation) if isinstance(s, URIRef)
    )
    if not occupations:
        return []
    values, inferred = _stated_values(store, state, graph, own, occupations)
    return [
        _conflict(state, graph, own, occ, p, found, inferred)
        for (occ, p), found in sorted(values.items())
        if len(found) >= 2
    ]


def _stated_values(
    store: GraphStore, state: StoreState, graph: str, own: Graph, occupations: list[str]
) -> tuple[Values, set[str]]:
    """The facts of :data:`CONFLICTS` about ``occupations`` in this graph and in every other
    source, and the occupations a source says it inferred the job zone of."""
    exclude = {graph, state.metadata, *state.derived, state.curation_of.get(graph, "")}
    values: Values = {}
    inferred: set[str] = set()  # occupations a source says it inferred the job zone of

    def note(s: str, p: URIRef, o: Node, source: str, where: str | None) -> None:
        if p == CKG.jobZoneInferred:
            if isinstance(o, Literal) and o.toPython() is True:
                inferred.add(s)
            return
        if p == SKOS.prefLabel and isinstance(o, Literal) and o.language not in (None, "en"):
            return  # a title in another language is a translation, not a conflict
        shown = str(o).strip()
        values.setdefault((s, p), {}).setdefault(shown.casefold(), set()).add(
            (source, _place(where, CONFLICTS[p][3]))
        )

    for occ in occupations:
        where = own.value(URIRef(occ), CKG.sourceLocation)
        for p in (*CONFLICTS, CKG.jobZoneInferred):
            for o in own.objects(URIRef(occ), p):
                note(occ, p, o, graph, str(where) if where is not None else None)
    props = " ".join(f"<{p}>" for p in (*CONFLICTS, CKG.jobZoneInferred))
    for i in range(0, len(occupations), 500):
        subjects = " ".join(f"<{o}>" for o in occupations[i : i + 500])
        rows = store.select(
            # VALUES inside GRAPH: outside it, Oxigraph scans every quad (16 s on O*NET)
            f"""SELECT ?g ?s ?p ?o ?where WHERE {{ GRAPH ?g {{
              VALUES ?s {{ {subjects} }} VALUES ?p {{ {props} }}
              ?s ?p ?o OPTIONAL {{ ?s <{CKG.sourceLocation}> ?where }} }} }}"""
        )
        for r in rows:
            if str(r["g"]) in exclude:
                continue
            where = r.get("where")
            note(str(r["s"]), r["p"], r["o"], str(r["g"]), str(where) if where else None)  # type: ignore[arg-type]
    return values, inferred


def _conflict(
    state: StoreState,
    graph: str,
    own: Graph,
    occ: str,
    p: URIRef,
    found: dict[str, set[tuple[str, str | None]]],
    inferred: set[str],
) -> Result:
    """The result for one fact the sources disagree on, each value named with its places."""
    rule, name, severity, _key = CONFLICTS[p]
    if p == CKG.jobZone and occ in inferred:
        severity = "Warning"
    # the same message whichever source's report finds it: one result in the store report
    parts = []
    for v, places in sorted(found.items()):
        original = next(
            (str(o) for o in own.objects(URIRef(occ), p) if str(o).strip().casefold() == v),
            v,
        )
        where = "; ".join(
            f"{state.graphs[g].label if g in state.graphs else 'this document'}"
            + (f" ({w})" if w else "")
            for g, w in sorted(places)
        )
        parts.append(f"{original!r} in {where}")
    message = (
        f"Sources disagree on this occupation's {name}: " + ", but ".join(parts) + ". "
        "Check which is right and correct the other with a correction "
        "(seeds/curation/), or confirm that both name one occupation."
    )
    own_where = own.value(URIRef(occ), CKG.sourceLocation)
    return Result(
        severity=severity,
        shape=_SHAPES + "OccupationShape",
        source_shape=_SHAPES + rule,
        constraint="Conflict",
        focus=occ,
        focus_label=next((str(o) for o in own.objects(URIRef(occ), SKOS.prefLabel)), None),
        path=str(p),
        value=None,
        message=message,
        graph=graph,
        location=_place(str(own_where) if own_where else None, _key),
    )


def version_drops(
    store: GraphStore, state: StoreState, graph: str, own: Graph, replacing: bool = False
) -> list[Result]:
    """Warnings for a framework that lacks levels, or statements at a level, that another
    version of it in the store has (another framework for the same occupation sharing a level
    key; with ``replacing``, also the version the document's own graph holds now)."""
    levels: dict[tuple[str, str], dict[str, int]] = {}  # (framework, occupation) → key → n
    for fw in own.subjects(RDF.type, CEASN.CompetencyFramework):
        occ = own.value(fw, CKG.forOccupation)
        scale = own.value(fw, CKG.proficiencyScale)
        if not isinstance(fw, URIRef) or occ is None or scale is None:
            continue
        counts = levels.setdefault((str(fw), str(occ)), {})
        for level in own.objects(scale, SKOS.hasTopConcept):
            key = str(own.value(level, SKOS.notation) or level)
            counts[key] = len(set(own.subjects(CKG.atLevel, level)))
    if not levels:
        return []
    skip = {state.metadata, *state.derived} | (set() if replacing else {graph})
    occupations = " ".join(sorted({f"<{occ}>" for _, occ in levels}))
    rows = store.select(
        f"""SELECT ?g ?occ ?fw ?key (COUNT(DISTINCT ?st) AS ?n) WHERE {{
          VALUES ?occ {{ {occupations} }}
          GRAPH ?g {{ ?fw <{CKG.forOccupation}> ?occ ; <{CKG.proficiencyScale}> ?scale .
                     ?scale <{SKOS.hasTopConcept}> ?level . ?level <{SKOS.notation}> ?key .
                     OPTIONAL {{ ?st <{CKG.atLevel}> ?level }} }} }}
        GROUP BY ?g ?occ ?fw ?key"""
    )
    others: dict[tuple[str, str, str], dict[str, int]] = {}
    for r in rows:
        if str(r["g"]) in skip:
            continue
        others.setdefault((str(r["g"]), str(r["occ"]), str(r["fw"])), {})[str(r["key"])] = int(
            r["n"]  # type: ignore[arg-type]
        )
    out: list[Result] = []
    for (fw, occ), mine in sorted(levels.items()):
        for (g, other_occ, other_fw), theirs in sorted(others.items()):
            if other_occ != occ or not set(mine) & set(theirs):
                continue
            where = state.graphs[g].label if g in state.graphs else g
            if g == graph:
                where = f"the version loaded now ({where})"
            for key, n in sorted(theirs.items()):
                if key not in mine:
                    message = (
                        f"This framework has no level '{key}', which the framework "
                        f"<{other_fw}> in {where} has ({n} statement(s)): a level dropped "
                        "from this version? Restore it, or confirm the new version drops it."
                    )
                elif mine[key] < n:
                    message = (
                        f"The level '{key}' has {mine[key]} statement(s), the framework "
                        f"<{other_fw}> in {where} has {n} there: statements dropped from "
                        "this version? Restore them, or confirm the new version drops them."
                    )
                else:
                    continue
                out.append(
                    Result(
                        severity="Warning",
                        shape=_SHAPES + "CompetencyFrameworkShape",
                        source_shape=_SHAPES + "CompetencyFramework-keepsLoadedLevels",
                        constraint="VersionComparison",
                        focus=fw,
                        focus_label=next(
                            (str(o) for o in own.objects(URIRef(fw), CEASN.name)), None
                        ),
                        path=str(CKG.proficiencyScale),
                        value=key,
                        message=message,
                        graph=graph,
                        location="$.framework.levels" + (f".{key}" if key in mine else ""),
                    )
                )
    return out


def with_conflicts(results: list[Result], found: list[Result]) -> list[Result]:
    """The results with each conflict in place of the count result it explains (two values
    in the merge break ``sh:maxCount``: "must be one whole number" is not the problem)."""
    explained = {(r.focus, r.path) for r in found}
    kept = [
        r
        for r in results
        if not (r.constraint == "MaxCountConstraintComponent" and (r.focus, r.path) in explained)
    ]
    return kept + found
