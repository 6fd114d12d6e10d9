"""Curators' decisions on links, read from the curation graphs so they survive every reload.

A curator confirms a link by adding its mapping triple (``skos:exactMatch``, ``closeMatch``,
``broadMatch``, ``narrowMatch`` or ``ckg:about``) in a correction's additions, and rejects one
by adding ``<resource> ckg:rejectedMatch <target>`` (``seeds/curation/``, see
:mod:`competency_kg.curation`): the correction applies to the source describing the resource and
lands in its curation graph at every load. The linker then drops what a curator rejected (in
either direction), and replaces what it found for a confirmed pair by the curator's link.
"""

from __future__ import annotations

from rdflib import URIRef

from competency_kg.linking.model import MATCH_PROPERTIES, Link, LinkReport, Sources, in_order
from competency_kg.namespaces import CKG


def apply_decisions(src: Sources, report: LinkReport) -> None:
    prefix = str(src.minter.links_graph()).rsplit("/", 1)[0] + "/curation/"
    props = " ".join(f"<{p}>" for p in (*MATCH_PROPERTIES, CKG.rejectedMatch))
    rows = in_order(
        src.store.select(
            f"SELECT DISTINCT ?s ?p ?o ?g WHERE {{ VALUES ?p {{ {props} }} GRAPH ?g {{ ?s ?p ?o }} "
            f'FILTER(STRSTARTS(STR(?g), "{prefix}") && isIRI(?o)) }}'
        )
    )
    rejected = {(r["s"], r["o"]) for r in rows if r["p"] == CKG.rejectedMatch}
    confirmed = {(r["s"], r["p"], r["o"]): r["g"] for r in rows if r["p"] != CKG.rejectedMatch}
    pairs = {(s, o) for s, _p, o in confirmed}
    kept: list[Link] = []
    for k in report.links:
        if (k.subject, k.target) in rejected or (k.target, k.subject) in rejected:
            report.rejected.append((k.subject, k.target))
        elif (k.subject, k.target) not in pairs:
            kept.append(k)
    labels = _labels(report)
    for (s, p, o), g in sorted(confirmed.items()):
        if s not in labels and o not in labels:
            continue  # a mapping a curator states about something the linker does not look at
        kept.append(
            Link(
                s,
                p,
                o,
                "confirmed by a curator",  # type: ignore[arg-type]
                f"stated by a correction in <{g}>",
                1.0,
                labels=(labels.get(s, ""), labels.get(o, "")),
            )
        )
    for s, o in rejected:  # a rejected target is no candidate either
        if s in report.candidates:
            report.candidates[s] = [c for c in report.candidates[s] if c.target != o]
    report.links = kept


def _labels(report: LinkReport) -> dict[URIRef, str]:
    return {r: n for items in report.looked.values() for r, n in items.items()}
