"""Links across sources: what two sources name alike, found by a documented method.

Recomputed from what the store holds after every load and written, replacing the old, to the
named graph ``{base}graph/links``. What is linked, by kind (one module each):

- **occupations** (:mod:`.occupations`): the same O*NET-SOC code (one resource), an O*NET
  title (exact), an alternate title or a near-miss title (close);
- **competencies** (:mod:`.competencies`): the normalised name of an O*NET Content Model element
  or CTDL-ASN competency (exact; shared by several, or a knowledge area named like a skill the
  source defines: close), near misses (close), the same name minted apart in another document
  (exact), a name that is an O*NET technology's or a UNSPSC category's (close; "X and their Y":
  broader), O*NET work activities stating every word of it (narrower), a knowledge area naming
  one of its words (broader); O*NET and CTDL-ASN elements with the same code (exact);
- **tools** (:mod:`.tools`): O*NET technology and tool examples by name, acronym, generic words
  and the trade's synonyms, and the UNSPSC commodities they are filed under (broader);
- **certifications** (:mod:`.certifications`): other documents' certifications and CTDL-ASN
  credentials naming the same credential (vendor and filler words aside, acronyms, levels);
- **activities** (:mod:`.activities`): O*NET task statements, word for word or nearly;
- **statements** (:mod:`.statements`): a framework statement ``ckg:about`` the competency, tool
  or commodity its topic or action text names.

The names are compared by :mod:`.text` (normalisation, abbreviations, token and character
similarity with stated thresholds). Every link carries an ``owl:Axiom`` with its rule
(``ckg:matchMethod``), evidence in words, the labels that matched, the measured score and the
rule's confidence. The report (``{base}graph/links/report``, a ``ckg:LinkReport``) has one part
per kind listing what matched and what stayed unmatched with its nearest candidates, which a
curator confirms or rejects in a correction (:mod:`.curators`). ``docs/links.md`` documents
the method, the thresholds and the precision measured.
"""

from __future__ import annotations

from collections.abc import Callable

from rdflib import Graph, Literal
from rdflib.namespace import RDF, RDFS, VOID, XSD

from competency_kg.iris import Minter
from competency_kg.linking.activities import link_activities
from competency_kg.linking.certifications import credential_key, link_certifications
from competency_kg.linking.competencies import link_competencies
from competency_kg.linking.curators import apply_decisions
from competency_kg.linking.model import Candidate, Link, LinkReport, Sources
from competency_kg.linking.occupations import link_occupations
from competency_kg.linking.rdf import links_graph
from competency_kg.linking.statements import link_statements
from competency_kg.linking.text import is_acronym_of, score
from competency_kg.linking.tools import link_tools
from competency_kg.store import DescriptionReplacement, GraphReplacement, GraphStore

__all__ = [
    "Candidate",
    "Link",
    "LinkReport",
    "compute_links",
    "credential_key",
    "is_acronym_of",
    "links_graph",
    "refresh_links",
    "score",
]

Progress = Callable[[str], None]


def compute_links(store: GraphStore, minter: Minter) -> LinkReport:
    """Find the links the store's current content supports (writes nothing)."""
    src = Sources.read(store, minter)
    report = LinkReport()
    if not src.seed:
        return report
    if src.onet or src.ctdl:
        link_occupations(src, report)  # first: activities prefer the linked occupation's tasks
        link_competencies(src, report)
        link_tools(src, report)
        link_activities(src, report)
    link_certifications(src, report)  # across documents too: no O*NET or CTDL-ASN needed
    link_statements(src, report)
    if not report.links and not (src.onet or src.ctdl):
        return LinkReport()  # documents alone and nothing shared: no links graph
    apply_decisions(src, report)
    return report


def refresh_links(
    store: GraphStore, minter: Minter, progress: Progress | None = None
) -> LinkReport:
    """Recompute the links graph from the store and replace it (one transaction)."""
    say = progress or (lambda _m: None)
    report = compute_links(store, minter)
    name = minter.links_graph()
    meta = minter.metadata_graph()
    description = Graph()
    graph: Graph | None = None
    if report.seen:
        graph = links_graph(report, minter)
        description.add((name, RDF.type, VOID.Linkset))
        description.add((name, RDFS.label, Literal("Links across sources", lang="en")))
        description.add((name, VOID.triples, Literal(len(graph), datatype=XSD.integer)))
        description.add((name, RDFS.comment, Literal(report.summary(), lang="en")))
    store.replace_graphs(
        [GraphReplacement(name, graph)], [DescriptionReplacement(meta, (name,), description)]
    )
    if report.seen:
        say(report.summary())
        for kind, items in report.unmatched.items():
            shown = ", ".join(n for _, n in items[:12]) + (" …" if len(items) > 12 else "")
            say(f"  unmatched {kind} ({len(items)}): {shown}")
    return report
