"""What the linker produces (links, candidates, the report) and how it reads the store."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rdflib import URIRef
from rdflib.namespace import SKOS

from competency_kg.iris import Minter
from competency_kg.metadata import read_metadata, store_terms
from competency_kg.namespaces import CKG, sparql_prefixes
from competency_kg.store import GraphStore

ONET_LOADERS = {"onet-text", "onet-excel"}
CTDL_LOADERS = {"ctdl-asn"}
#: The kinds of things linked, in report order.
KINDS: tuple[str, ...] = (
    "occupations",
    "competencies",
    "tools",
    "certifications",
    "activities",
    "statements",
)
#: How many nearest candidates the report keeps for a resource left unmatched, and the least
#: score (:func:`competency_kg.linking.text.score`) a candidate must reach.
CANDIDATES = 3
MIN_CANDIDATE_SCORE = 0.3


@dataclass(frozen=True)
class Link:
    """One link and why: the rule that found it, what matched, how sure the rule is."""

    subject: URIRef
    predicate: URIRef  # skos:exactMatch, closeMatch, broadMatch, narrowMatch or ckg:about
    target: URIRef
    method: str
    evidence: str
    confidence: float
    score: float | None = None  # the similarity the rule measured, when it measured one
    labels: tuple[str, ...] = ()  # the labels that matched: the subject's, the target's


@dataclass(frozen=True)
class Candidate:
    """A near miss a curator may confirm: below every rule's threshold, but the nearest."""

    subject: URIRef
    target: URIRef
    label: str  # the target's label
    score: float


@dataclass
class LinkReport:
    """What the linker did: links made, resources matched by identity, and what stayed alone."""

    links: list[Link] = field(default_factory=list)
    same: dict[URIRef, str] = field(default_factory=dict)  # seed resource → why it is O*NET's
    looked: dict[str, dict[URIRef, str]] = field(default_factory=dict)  # kind → resource → name
    candidates: dict[URIRef, list[Candidate]] = field(default_factory=dict)
    rejected: list[tuple[URIRef, URIRef]] = field(default_factory=list)  # by a curator

    def look(self, kind: str, resource: URIRef, name: str) -> None:
        """Record that ``resource`` (named ``name``) was looked at for links of ``kind``."""
        self.looked.setdefault(kind, {}).setdefault(resource, name)

    def propose(self, subject: URIRef, nearest: list[tuple[Any, float]]) -> None:
        """Keep the nearest candidates (``(Target, score)`` pairs) of a resource, for curators."""
        self.candidates[subject] = [
            Candidate(subject, t.iri, t.label, round(s, 3))
            for t, s in nearest[:CANDIDATES]
            if s >= MIN_CANDIDATE_SCORE
        ]

    @property
    def seen(self) -> dict[str, int]:
        return {k: len(v) for k, v in self.looked.items()}

    def linked(self) -> set[URIRef]:
        return {k.subject for k in self.links} | {k.target for k in self.links} | set(self.same)

    @property
    def unmatched(self) -> dict[str, list[tuple[URIRef, str]]]:
        done = self.linked()
        out: dict[str, list[tuple[URIRef, str]]] = {}
        for kind, items in self.looked.items():
            alone = sorted((r, n) for r, n in items.items() if r not in done)
            if alone:
                out[kind] = alone
        return out

    def matched(self, kind: str) -> int:
        done = self.linked()
        return sum(1 for r in self.looked.get(kind, {}) if r in done)

    def summary(self) -> str:
        parts = [f"{kind} {self.matched(kind)}/{n} matched" for kind, n in self.seen.items()]
        counts: dict[str, int] = {}
        for k in self.links:
            name = "about" if k.predicate == CKG.about else str(k.predicate).split("#")[1][:-5]
            counts[name] = counts.get(name, 0) + 1
        shown = ", ".join(
            f"{counts[n]} {n}"
            for n in ("exact", "close", "broad", "narrow", "about")
            if n in counts
        )
        return f"links: {'; '.join(parts) or 'nothing to link'} ({shown or 'no links'})"


MATCH_PROPERTIES = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, CKG.about)


@dataclass
class Sources:
    """The store's source graphs by what they are: O*NET releases, CTDL-ASN, documents."""

    store: GraphStore
    minter: Minter
    onet: list[URIRef] = field(default_factory=list)
    ctdl: list[URIRef] = field(default_factory=list)
    seed: list[URIRef] = field(default_factory=list)

    @classmethod
    def read(cls, store: GraphStore, minter: Minter) -> Sources:
        graphs = read_metadata(store_terms(store), minter.base)
        out = cls(store, minter)
        for g, source in graphs.items():
            if source.loader is None:
                continue
            loader = source.loader
            kind = (
                "onet" if loader in ONET_LOADERS else "ctdl" if loader in CTDL_LOADERS else "seed"
            )
            getattr(out, kind).append(URIRef(g))
        for part in (out.onet, out.ctdl, out.seed):
            part.sort()
        return out

    def rows(self, graphs: list[URIRef], pattern: str, bindings: dict | None = None) -> list[dict]:
        """``SELECT DISTINCT *`` of ``pattern`` inside any of ``graphs`` (bound to ``?g``)."""
        if not graphs:
            return []
        return in_order(
            self.store.select(
                sparql_prefixes()
                + f"SELECT DISTINCT * WHERE {{ {values(graphs)} GRAPH ?g {{ {pattern} }} }}",
                bindings or {},
            )
        )


def in_order(rows: list[dict]) -> list[dict]:
    """``rows`` in one order whatever the store: which name of a resource the report keeps and
    which label of a target wins a tie follow the order rows come in, and Oxigraph and a remote
    SPARQL server (Virtuoso) return them in different orders; the links must not differ.

    >>> [r["a"] for r in in_order([{"a": "b"}, {"a": "a", "z": "1"}, {"a": "a"}])]
    ['a', 'a', 'b']
    """
    return sorted(rows, key=lambda r: sorted((k, str(v)) for k, v in r.items()))


def values(graphs: Iterable[URIRef]) -> str:
    return "VALUES ?g { " + " ".join(f"<{g}>" for g in graphs) + " }"
