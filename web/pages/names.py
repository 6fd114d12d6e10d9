"""How pages read a description: the properties they look for, the readable name of any node,
its definition, and the order values are shown in."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rdflib.namespace import DCTERMS, RDFS, SKOS

from competency_kg.labels import RULES, rule_for, rule_label
from competency_kg.names import local_name
from competency_kg.namespaces import CEASN, CKG, SHAPES_IRI
from competency_kg.web.describe import Description, summarize
from competency_kg.web.reading import Reader, chunks, values
from competency_kg.web.sources import licence_name
from competency_kg.web.terms import (
    POSITION,
    TYPE,
    best_text,
    iri_value,
    is_iri,
    is_literal,
    literal,
    number,
    text,
)
from competency_kg.web.vocabulary import Vocabulary, vocabulary


def ckg(name: str) -> str:
    return f"<{CKG}{name}>"


def skos(name: str) -> str:
    return f"<{SKOS}{name}>"


MEASUREMENT = ckg("measurement")

DEFINITION_PROPS = (
    skos("definition"),
    f"<{DCTERMS.description}>",
    ckg("jobDescription"),
    f"<{CEASN.description}>",
    f"<{CEASN.competencyText}>",
    f"<{RDFS.comment}>",
    ckg("narrative"),
)

#: When a resource has several types, the one named first (the most specific of ours).
TYPE_PREFERENCE = [
    str(CKG) + name
    for name in (
        "Occupation",
        "Technology",
        "WorkActivity",
        "Task",
        "Competency",
        "ContentModelElement",
        "CompetencyStatement",
    )
]


def ordered_types(types: Iterable[str]) -> list[str]:
    """Type terms, ours first and the most specific of ours first."""

    def key(t: str) -> tuple[int, int, str]:
        iri = iri_value(t)
        pref = TYPE_PREFERENCE.index(iri) if iri in TYPE_PREFERENCE else len(TYPE_PREFERENCE)
        return (0 if iri.startswith(str(CKG)) else 1, pref, iri)

    return sorted(types, key=key)


def sort_key(d: Description, term: str) -> tuple[Any, ...]:
    pos = number(d.fact(POSITION, term)) if not is_literal(term) else None
    label = display_label(d, term, None).lower()
    return (pos if pos is not None else 1e9, label, term)


def display_label(d: Description, node: str, vocab: Vocabulary | None, depth: int = 2) -> str:
    """A readable name for any node: its label in the data, a vocabulary term's label, else
    the label rule of its class (:mod:`competency_kg.labels`), built from its data.

    Kept per description until it learns more (:meth:`Description.forget_names`): a page
    names a node several times (to sort, to link, in a table), and an occupation's 3,000
    names by rule were a fifth of its page's time."""
    if is_literal(node):
        return literal(node).value
    names = d.names
    key = (node, depth, id(vocab or vocabulary()))
    name = names.get(key)
    if name is None:
        name = names[key] = _display_label(d, node, vocab, depth)
    return name


def _display_label(d: Description, node: str, vocab: Vocabulary | None, depth: int) -> str:
    name = _known_name(d, node, vocab, depth)
    if name is not None:
        return name
    facts = d.facts(node)
    for prop in (ckg("competency"), ckg("element")):
        target = (facts.get(prop) or [None])[0]
        if target:
            name = _known_name(d, target, vocab, 0) or local_name(text(target))
            kind = (
                (vocab or vocabulary()).label(iri_value(d.types(node)[0])) if d.types(node) else ""
            )
            return f"{kind}: {name}" if kind else name
    for prop in (f"<{CEASN.competencyText}>", ckg("sourceWording"), ckg("evidence")):
        vals = facts.get(prop)
        if vals:
            t = best_text(vals)
            return t if len(t) < 90 else t[:87] + "…"
    if is_iri(node):
        # nothing in the data names it: the IRI itself, whole (a local name reads like a label)
        return iri_value(node)
    return "(blank node)"


class _Names:
    """The data of a description as the label rules read it (:class:`LabelSource`)."""

    def __init__(self, d: Description, vocab: Vocabulary | None, depth: int) -> None:
        self.d, self.vocab, self.depth = d, vocab, depth

    def objects(self, node: str, prop: str) -> list[str]:
        return self.d.facts(node).get(prop, [])

    def subjects(self, prop: str, node: str) -> list[str]:
        return self.d.referrers(prop, node)

    def name(self, node: str) -> str | None:
        if is_literal(node):
            return literal(node).value
        return _known_name(self.d, node, self.vocab, self.depth - 1)


def _known_name(d: Description, node: str, vocab: Vocabulary | None, depth: int) -> str | None:
    """A node's data label, vocabulary label or rule label; None when there is none."""
    if is_iri(node):
        v = vocab or vocabulary()
        t = v.term(iri_value(node))
        if t is not None:
            return t.label
        if node.startswith("<" + str(CKG)) or iri_value(node).startswith(SHAPES_IRI):
            return v.label(iri_value(node))
        lic = licence_name(iri_value(node))
        if lic != iri_value(node):
            return lic
    label = d.label(node)
    if label:
        return label
    if depth < 0:
        return None
    return rule_label(_Names(d, vocab, depth), node, d.types(node))


def definition(d: Description, node: str | None = None) -> str | None:
    facts = d.facts(node or d.term)
    for p in DEFINITION_PROPS:
        vals = facts.get(p)
        if vals:
            return best_text(vals)
    return None


def sorted_nodes(d: Description, prop: str, node: str | None = None) -> list[str]:
    return sorted(set(d.values(prop, node)), key=lambda n: sort_key(d, n))


def position_of(d: Description, node: str | None) -> float:
    if node is None:
        return 1e9
    p = number(d.fact(POSITION, node))
    return p if p is not None else 1e9


def first_text(d: Description, prop: str, node: str | None = None) -> str | None:
    vals = d.facts(node or d.term).get(prop)
    return best_text(vals) if vals else None


#: Past this many nodes left unexpanded (an occupation's measurements), none is named.
MAX_SKIPPED_NAMED = 150


def complete_labels(reader: Reader, d: Description, nodes: Iterable[str], rounds: int = 2) -> None:
    """Read what the label rules (:mod:`competency_kg.labels`) need about the unlabelled
    ``nodes`` known only by a summary (or not at all: nodes left unexpanded), and the names of
    what that points to, into ``d.extra``: enough for every node to be named from its data.
    ``rounds`` bounds the chain (a retracted statement about an unplaced entry takes two)."""
    wanted = list(dict.fromkeys(nodes))
    for _ in range(rounds):
        todo = [
            n
            for n in wanted
            if is_iri(n)
            and n not in d.extra
            and not d.props(n)
            and d.label(n) is None
            and (rule_for(d.types(n)) is not None or (n in d.skipped and not d.types(n)))
        ]
        if not todo:
            return
        rules = list(RULES.values())
        props = sorted({p for r in rules for p in r.props} | {TYPE})
        refs = sorted({p for r in rules for p in r.referrers})
        found: dict[str, list[tuple[str, str, str]]] = {n: [] for n in todo}
        for part in chunks(todo):
            for r in reader.select(
                f"SELECT DISTINCT ?x ?p ?v WHERE {{ {values('x', part)} ?x ?p ?v "
                f"FILTER(?p IN ({', '.join(props)})) }}"
            ):
                found[r["x"]].append((r["p"], r["v"], ""))
            for r in reader.select(
                f"SELECT DISTINCT ?x ?p ?v WHERE {{ {values('x', part)} ?v ?p ?x "
                f"FILTER(?p IN ({', '.join(refs)})) }}"
            ):
                found[r["x"]].append(("^" + r["p"], r["v"], ""))
        d.extra.update(found)
        linked = {v for facts in found.values() for p, v, _ in facts if is_iri(v) and p != TYPE}
        unknown = [v for v in linked if not d.facts(v) and not v.startswith("<" + str(CKG))]
        d.summary.update(summarize(reader, unknown))
        d.forget_names()
        wanted = list(linked)
