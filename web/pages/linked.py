"""What a tool, certification, activity or framework statement is in the other sources: the
links the linker found (with its rule, evidence and confidence) and what each counterpart
brings — a technology's UNSPSC commodity and the O*NET occupations using it, the documents and
O*NET occupations naming a certification, the occupation an O*NET task belongs to."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from rdflib.namespace import SKOS

from competency_kg.iris import Minter
from competency_kg.namespaces import CKG
from competency_kg.web.describe import Description, summarize
from competency_kg.web.pages.builder import Builder
from competency_kg.web.pages.model import Value
from competency_kg.web.pages.names import ckg, skos
from competency_kg.web.reading import Reader, values
from competency_kg.web.terms import iri_value, is_iri, number, text

#: The kinds of resource whose page gets this part, and what the part calls their links.
LINKED_KINDS = {
    str(CKG.Tool): "tool",
    str(CKG.Certification): "certification",
    str(CKG.Activity): "activity",
    str(CKG.CompetencyStatement): "statement",
}

#: At most this many occupations are named per counterpart (the rest are counted).
OCCUPATIONS_SHOWN = 12

_OWL = "<http://www.w3.org/2002/07/owl#"
_USES = f"{ckg('usesTool')}|{ckg('usesTechnology')}|{ckg('usesEquipment')}"


def linked_kind(d: Description) -> str | None:
    """``tool``, ``certification``, ``activity`` or ``statement``, else None."""
    return next((k for t, k in LINKED_KINDS.items() if d.has_type(t)), None)


def linked_profile(reader: Reader, d: Description, b: Builder, kind: str) -> dict[str, Any]:
    """The links from and to the resource, each with what its counterpart brings; for a
    certification, every occupation naming it or a certification linked to it."""
    rows = _links(reader, d.term)
    others = [r["other"] for r in rows]
    context = _context(reader, kind, [d.term, *others])
    named = [t for vs in context.values() for _, t, _ in vs]
    extra = _with_summaries(reader, d, [*others, *named])
    links = []
    for r in rows:
        links.append(
            {
                "prop": b.vocab.label(iri_value(r["prop"]))
                if r["dir"] == "out"
                else b.vocab.inverse_label(iri_value(r["prop"])),
                "other": b.link(extra, r["other"]),
                "method": r.get("method"),
                "evidence": r.get("evidence"),
                "confidence": r.get("confidence"),
                "context": _context_values(extra, b, context.get(r["other"], [])),
            }
        )
    report = b.site.href(Minter(b.site.base).links_graph() + "/report")
    out: dict[str, Any] = {"kind": kind, "links": links, "report": report}
    if kind == "certification":  # what names it: one table for it and its counterparts
        out["own"] = []
        out["named_by"] = _named_by(extra, b, context, [d.term, *others])
    else:
        out["own"] = _context_values(extra, b, context.get(d.term, []))
    return out


def _links(reader: Reader, term: str) -> list[dict[str, Any]]:
    """The link annotations (owl:Axiom) from and to ``term``."""
    rows = reader.select(
        "SELECT ?dir ?other ?prop ?method ?evidence ?confidence WHERE { "
        f"{{ ?ax {_OWL}annotatedSource> {term} ; {_OWL}annotatedTarget> ?other . "
        "BIND('out' AS ?dir) } UNION "
        f"{{ ?ax {_OWL}annotatedTarget> {term} ; {_OWL}annotatedSource> ?other . "
        "BIND('in' AS ?dir) } "
        f"?ax {_OWL}annotatedProperty> ?prop . "
        f"OPTIONAL {{ ?ax {ckg('matchMethod')} ?method }} "
        f"OPTIONAL {{ ?ax {ckg('evidence')} ?evidence }} "
        f"OPTIONAL {{ ?ax {ckg('confidence')} ?confidence }} "
        "} ORDER BY ?dir ?prop ?other LIMIT 200"
    )
    out: list[dict[str, Any]] = []
    for r in rows:
        if not is_iri(r.get("other", "")):
            continue
        out.append(
            {
                "dir": text(r["dir"]),
                "other": r["other"],
                "prop": r["prop"],
                "method": text(r["method"]) if "method" in r else None,
                "evidence": text(r["evidence"]) if "evidence" in r else None,
                "confidence": number(r.get("confidence")),
            }
        )
    out.sort(key=lambda r: (r["dir"] != "out", _ORDER.get(iri_value(r["prop"]), 9)))
    return out


#: Links from the same to the merely related.
_ORDER = {
    str(SKOS.exactMatch): 0,
    str(SKOS.closeMatch): 1,
    str(SKOS.narrowMatch): 2,
    str(SKOS.broadMatch): 3,
    str(CKG.about): 4,
}

#: What each kind's counterparts bring: (role, query pattern binding ?x and ?y, ?g optional).
_CONTEXT = {
    "tool": [
        (
            "commodity",
            f"?x {skos('broader')} ?y . ?y a {ckg('ProductCategory')} . "
            f"FILTER NOT EXISTS {{ ?x a {ckg('ProductCategory')} }}",
        ),
        ("used by", f"GRAPH ?g {{ ?y {_USES} ?x }} ?y {skos('notation')} ?code ."),
    ],
    "certification": [
        ("named by", f"GRAPH ?g {{ ?y {ckg('preferredCertification')} ?x }}"),
    ],
    "activity": [
        ("task of", f"?y {ckg('task')} ?x ."),
    ],
    "statement": [],
}


def _context(reader: Reader, kind: str, terms: list[str]) -> dict[str, list[tuple[str, str, str]]]:
    """Each term → (role, related resource, graph) for the roles of ``kind``."""
    out: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    terms = [t for t in dict.fromkeys(terms) if is_iri(t)]
    if not terms:
        return out
    for role, pattern in _CONTEXT.get(kind, []):
        rows = reader.select(
            f"SELECT DISTINCT ?x ?y ?g WHERE {{ {values('x', terms)} {pattern} }} "
            f"ORDER BY ?x ?y LIMIT {OCCUPATIONS_SHOWN * 20}"
        )
        for r in rows:
            if is_iri(r.get("y", "")):
                out[r["x"]].append((role, r["y"], r.get("g", "")))
    if kind == "certification":  # the O*NET occupations the naming occupations are
        occupations = sorted({y for vs in out.values() for _, y, _ in vs})
        if occupations:
            rows = reader.select(
                f"SELECT DISTINCT ?x ?y WHERE {{ {values('x', occupations)} "
                f"?x {skos('exactMatch')}|^{skos('exactMatch')} ?y . "
                f"?y {skos('notation')} ?code }} ORDER BY ?x ?y"
            )
            for r in rows:
                out[r["x"]].append(("O*NET occupation", r["y"], ""))
    return out


def _with_summaries(reader: Reader, d: Description, terms: list[str]) -> Description:
    """A description holding ``d`` plus the labels and types of ``terms``."""
    wanted = [t for t in dict.fromkeys(terms) if is_iri(t) and not d.facts(t)]
    out = Description(iri=d.iri, term=d.term)
    out.triples = d.triples
    out.nodes = d.nodes
    out.summary = dict(d.summary)
    out.summary.update(summarize(reader, wanted))
    return out


def _context_values(
    d: Description, b: Builder, facts: list[tuple[str, str, str]]
) -> list[dict[str, Any]]:
    """Related resources grouped by role: at most :data:`OCCUPATIONS_SHOWN` each, counted."""
    by_role: dict[str, list[Value]] = defaultdict(list)
    seen: set[tuple[str, str]] = set()
    for role, y, g in facts:
        if (role, y) in seen:
            continue
        seen.add((role, y))
        by_role[role].append(b.link(d, y, [g] if g else []))
    return [
        {
            "role": role,
            "shown": vs[:OCCUPATIONS_SHOWN],
            "more": max(0, len(vs) - OCCUPATIONS_SHOWN),
        }
        for role, vs in by_role.items()
    ]


def _named_by(
    d: Description,
    b: Builder,
    context: dict[str, list[tuple[str, str, str]]],
    certifications: list[str],
) -> list[dict[str, Any]]:
    """Every occupation naming the certification or one linked to it, with its O*NET twins."""
    out = []
    seen: set[tuple[str, str]] = set()
    for cert in dict.fromkeys(certifications):
        for role, occ, g in context.get(cert, []):
            if role != "named by" or (cert, occ) in seen:
                continue
            seen.add((cert, occ))
            onet = [y for r, y, _ in context.get(occ, []) if r == "O*NET occupation"]
            out.append(
                {
                    "occupation": b.link(d, occ, [g] if g else []),
                    "as": b.link(d, cert),
                    "onet": [b.link(d, y) for y in onet],
                }
            )
    return out
