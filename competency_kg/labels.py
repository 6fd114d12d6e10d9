"""Human labels for the nodes the loaders mint: one rule per class, in one registry.

Requirements, list entries, scenario competencies, ratings, measurements, occupation relations,
corrections and the statements they retract are nodes with IRIs of their own but no name in
their source. Pages, class listings, search and the validation report must never show their
IRIs' local names or hashes instead, so each class has a rule (:data:`RULES`) building its label
from its data: "Active Listening — rank 2 in Most Common Required Competencies (foundational)",
"Computer User Support Specialists → related occupation Network and Computer Systems
Administrators".

Where a loader can, it writes the label into the data (``loaders/mapping.py`` calls
:func:`requirement_label` …), so SPARQL users get it too; the rules then only serve nodes whose
data cannot carry a stable label: O*NET's ratings and measurements (millions of nodes in a full
release), unplaced list entries (a curator's correction may place them later), corrections.

Rules read the data through a :class:`LabelSource` (N-Triples terms), so the same rule runs
over a page's description, a SPARQL result or an rdflib graph. Each rule declares the
properties it reads (:attr:`Rule.props`, :attr:`Rule.referrers`): a caller that has only a
summary of a node fetches exactly those, then the names of what they point to.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from competency_kg.namespaces import ONTOLOGY_IRI

CKG = ONTOLOGY_IRI + "#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SCHEMA = "https://schema.org/"
SKOS = "http://www.w3.org/2004/02/skos/core#"

#: Longest label a rule writes from free text (a correction's reason, a category's description).
MAX_TEXT = 90


def _t(iri: str) -> str:
    return f"<{iri}>"


def ckg(name: str) -> str:
    """``<…ontology#name>`` (an N-Triples term)."""
    return _t(CKG + name)


POSITION = _t(SCHEMA + "position")
COMMENT = _t(RDFS + "comment")


class LabelSource(Protocol):
    """What a rule may ask about the data; nodes and values are N-Triples terms."""

    def objects(self, node: str, prop: str) -> Sequence[str]:
        """Values of ``prop`` on ``node``."""
        ...

    def subjects(self, prop: str, node: str) -> Sequence[str]:
        """Nodes linking to ``node`` by ``prop`` (may be empty when the caller cannot tell)."""
        ...

    def name(self, node: str) -> str | None:
        """The label of a node (its data label, a vocabulary term's label, or its rule's)."""
        ...


@dataclass(frozen=True)
class Rule:
    """How to name the nodes of one class."""

    build: Callable[[LabelSource, str], str | None]
    #: properties (terms) the rule reads from the node
    props: tuple[str, ...] = ()
    #: properties (terms) by which other nodes link to it, that the rule reads
    referrers: tuple[str, ...] = ()


def clip(text: str, n: int = MAX_TEXT) -> str:
    """``text`` on one line, cut at a word near ``n`` characters."""
    text = " ".join(text.split())
    if len(text) <= n:
        return text
    cut = text.rfind(" ", 0, n - 1)
    return text[: cut if cut > n // 2 else n - 1].rstrip(",;:") + "…"


def _value(term: str) -> str:
    """The lexical value of a literal term (other terms as they are)."""
    if not term.startswith('"'):
        return term
    end = term.rfind('"')
    return term[1:end].replace('\\"', '"').replace("\\\\", "\\")


def _first(src: LabelSource, node: str, prop: str) -> str | None:
    vals = src.objects(node, prop)
    return vals[0] if vals else None


def _name(src: LabelSource, node: str | None) -> str | None:
    return src.name(node) if node else None


def _rank(src: LabelSource, node: str) -> str | None:
    pos = _first(src, node, POSITION)
    return _value(pos) if pos else None


# --------------------------------------------------------------------------- label texts
def requirement_label(occupation: str, competency: str, level: str | None) -> str:
    """``Computer User Support Specialists requires Active Listening (Intermediate)``."""
    return f"{occupation} requires {competency}" + (f" ({level})" if level else "")


def entry_label(competency: str, rank: str | int | None, list_name: str | None) -> str:
    """``Active Listening — rank 2 in Most Common Required Competencies (foundational)``."""
    where = f"rank {rank}" if rank is not None else "unranked"
    return f"{competency} — {where}" + (f" in {list_name}" if list_name else "")


def unplaced_label(competency: str, kind: str | None, occupation: str | None) -> str:
    """``Systems Analysis — foundational entry of Computer User Support Specialists, placement
    unknown``."""
    of = f" {kind} entry" if kind else " entry"
    of += f" of {occupation}" if occupation else ""
    return f"{competency} —{of}, placement unknown"


def exercise_label(scenario: str | None, competency: str) -> str:
    """``System Upgrade exercises Active Listening``."""
    return f"{scenario} exercises {competency}" if scenario else f"Exercises {competency}"


# --------------------------------------------------------------------------- rules
def _requirement(src: LabelSource, n: str) -> str | None:
    comp = _name(src, _first(src, n, ckg("competency")))
    if comp is None:
        return None
    occ = _name(src, _first(src, n, ckg("forOccupation"))) or "An occupation"
    return requirement_label(occ, comp, _name(src, _first(src, n, ckg("requiredLevel"))))


def _entry(src: LabelSource, n: str) -> str | None:
    comp = _name(src, _first(src, n, ckg("competency")))
    text = _first(src, n, ckg("entryText"))
    if comp is None:
        if text is None:
            return None
        comp = clip(_value(text), 60)
    lists = src.subjects(ckg("entry"), n)
    rank = _rank(src, n)
    if lists or rank is not None:
        return entry_label(comp, rank, _name(src, lists[0]) if lists else None)
    occs = src.subjects(ckg("unplacedEntry"), n)
    kind = _name(src, _first(src, n, ckg("competencyKind")))
    return unplaced_label(
        comp, kind.lower() if kind else None, _name(src, occs[0]) if occs else None
    )


def _exercise(src: LabelSource, n: str) -> str | None:
    comp = _name(src, _first(src, n, ckg("competency")))
    if comp is None:
        return None
    scenarios = src.subjects(ckg("exercise"), n)
    return exercise_label(_name(src, scenarios[0]) if scenarios else None, comp)


def _for_occupation(
    src: LabelSource, n: str, prop: str, named: str, alone: str
) -> str | None:
    """``named``/``alone`` (formats with ``{x}``, and ``{occ}`` in ``named``) filled with the
    name of what ``prop`` points to, and of the occupation when the node names one."""
    x = _name(src, _first(src, n, ckg(prop)))
    if x is None:
        return None
    occ = _name(src, _first(src, n, ckg("forOccupation")))
    return named.format(x=x, occ=occ) if occ else alone.format(x=x)


def _relation(src: LabelSource, n: str) -> str | None:
    return _for_occupation(
        src, n, "relatedOccupation", "{occ} → related occupation {x}", "Related occupation {x}"
    )


def _rating(src: LabelSource, n: str) -> str | None:
    return _for_occupation(
        src, n, "element", "{x} — O*NET rating for {occ}", "{x} — O*NET rating"
    )


def _measurement(src: LabelSource, n: str) -> str | None:
    scale = _name(src, _first(src, n, ckg("ratingScale")))
    value = _first(src, n, ckg("dataValue"))
    if scale is None or value is None:
        return None
    out = f"{scale}: {_value(value)}"
    category = _name(src, _first(src, n, ckg("category")))
    if category:
        out += f" — {clip(category, 60)}"
    ratings = src.subjects(ckg("measurement"), n)
    rating = _name(src, ratings[0]) if ratings else None
    return f"{out} ({rating})" if rating else out


def _correction(src: LabelSource, n: str) -> str | None:
    reason = _first(src, n, COMMENT)
    if reason is None:
        return None
    first = re.split(r"(?<=[.!?])\s", _value(reason).strip(), maxsplit=1)[0]
    return "Correction: " + clip(first)


def _statement(src: LabelSource, n: str) -> str | None:
    parts = [_name(src, _first(src, n, _t(RDF + p))) for p in ("subject", "predicate", "object")]
    if any(p is None for p in parts):
        return None
    said = " ".join(p for p in parts if p)
    if src.subjects(ckg("added"), n):
        return f"Added by a correction: {said}"
    corrections = src.subjects(ckg("retracted"), n)
    return "Retracted" + (" by a correction" if corrections else "") + f": {said}"


def _source_graph(src: LabelSource, n: str) -> str | None:
    doc = _name(src, _first(src, n, _t("http://purl.org/dc/terms/source")))
    return f"Source graph of {doc}" if doc else None


#: Class IRI → its rule. Nodes with a data label keep it; a rule names the rest.
RULES: dict[str, Rule] = {
    CKG + "CompetencyRequirement": Rule(
        _requirement, (ckg("competency"), ckg("forOccupation"), ckg("requiredLevel"))
    ),
    CKG + "ListEntry": Rule(
        _entry,
        (ckg("competency"), ckg("entryText"), POSITION, ckg("competencyKind")),
        (ckg("entry"), ckg("unplacedEntry")),
    ),
    CKG + "ScenarioCompetency": Rule(_exercise, (ckg("competency"),), (ckg("exercise"),)),
    CKG + "OccupationRelation": Rule(_relation, (ckg("relatedOccupation"), ckg("forOccupation"))),
    CKG + "ElementRating": Rule(_rating, (ckg("element"), ckg("forOccupation"))),
    CKG + "Measurement": Rule(
        _measurement,
        (ckg("ratingScale"), ckg("dataValue"), ckg("category")),
        (ckg("measurement"),),
    ),
    CKG + "Correction": Rule(_correction, (COMMENT,)),
    CKG + "SourceGraph": Rule(_source_graph, (_t("http://purl.org/dc/terms/source"),)),
    RDF + "Statement": Rule(
        _statement,
        tuple(_t(RDF + p) for p in ("subject", "predicate", "object")),
        (ckg("retracted"), ckg("added")),
    ),
}


def rule_for(types: Sequence[str]) -> Rule | None:
    """The rule of the first of ``types`` (IRIs or ``<IRI>`` terms) that has one."""
    for t in types:
        rule = RULES.get(t[1:-1] if t.startswith("<") else t)
        if rule is not None:
            return rule
    return None


def rule_label(src: LabelSource, node: str, types: Sequence[str]) -> str | None:
    """The label the rules give ``node`` of these ``types``, or None (no rule, or no data)."""
    for t in types:
        rule = RULES.get(t[1:-1] if t.startswith("<") else t)
        if rule is not None:
            label = rule.build(src, node)
            if label:
                return label
    return None


#: Properties that name a node in the data, best first (the rules' own inputs aside).
LABEL_PROPS: tuple[str, ...] = (
    SKOS + "prefLabel",
    RDFS + "label",
    "http://purl.org/dc/terms/title",
    SCHEMA + "name",
    "https://purl.org/ctdlasn/terms/name",
    "https://purl.org/ctdlasn/terms/competencyLabel",
    "https://purl.org/ctdlasn/terms/competencyText",
)


class GraphSource:
    """An rdflib graph as the rules read it: for reports made over rdflib graphs."""

    def __init__(self, graph: Graph, depth: int = 2) -> None:
        self.g = graph
        self.depth = depth
        self._nodes: dict[str, Node] = {}

    def _term(self, node: Node) -> str:
        t = node.n3()
        self._nodes[t] = node
        return t

    def _node(self, term: str) -> Node:
        return self._nodes.get(term) or URIRef(term[1:-1])

    def objects(self, node: str, prop: str) -> list[str]:
        return [self._term(o) for o in self.g.objects(self._node(node), URIRef(prop[1:-1]))]

    def subjects(self, prop: str, node: str) -> list[str]:
        return [self._term(s) for s in self.g.subjects(URIRef(prop[1:-1]), self._node(node))]

    def name(self, node: str) -> str | None:
        n = self._node(node)
        if isinstance(n, Literal):
            return str(n)
        for p in LABEL_PROPS:
            for o in self.g.objects(n, URIRef(p)):
                return str(o)
        if self.depth <= 0:
            return None
        types = [str(t) for t in self.g.objects(n, URIRef(RDF + "type"))]
        return rule_label(GraphSource._deeper(self), node, types)

    @staticmethod
    def _deeper(src: GraphSource) -> GraphSource:
        out = GraphSource(src.g, src.depth - 1)
        out._nodes = src._nodes
        return out


def graph_label(graph: Graph, node: Node) -> str | None:
    """The label of ``node`` in an rdflib graph: its data label, else its class's rule."""
    src = GraphSource(graph)
    return src.name(src._term(node))


__all__ = [
    "LABEL_PROPS",
    "RULES",
    "GraphSource",
    "LabelSource",
    "Rule",
    "clip",
    "entry_label",
    "exercise_label",
    "graph_label",
    "requirement_label",
    "rule_for",
    "rule_label",
    "unplaced_label",
]
