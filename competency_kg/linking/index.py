"""Targets of one kind, indexed by the keys of :mod:`competency_kg.linking.text`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rdflib import URIRef

from competency_kg.linking.text import char_ratio, content, content_key, key, score, stems

#: Two names whose normalised forms have a character similarity of at least this, and as many
#: content words, are a near miss ("Operation Monitoring"/"Operations Monitorring").
NEAR_MISS = 0.9


@dataclass(frozen=True)
class Target:
    iri: URIRef
    label: str
    description: str  # what it is, in words: "O*NET element 2.B.3.g 'Operations Monitoring'"


class Index:
    """One kind's targets by name key, content key and word stems."""

    def __init__(self, targets: Iterable[Target]) -> None:
        self.targets: list[Target] = []
        self.by_key: dict[str, list[Target]] = defaultdict(list)
        self.by_content: dict[str, list[Target]] = defaultdict(list)
        self.by_stem: dict[str, list[Target]] = defaultdict(list)
        seen: set[tuple[URIRef, str]] = set()
        for t in targets:
            if (t.iri, t.label) in seen:
                continue
            seen.add((t.iri, t.label))
            self.targets.append(t)
            self.by_key[key(t.label)].append(t)
            if content_key(t.label):
                self.by_content[content_key(t.label)].append(t)
            for s in stems(t.label):
                self.by_stem[s].append(t)

    def same_key(self, name: str) -> list[Target]:
        return _distinct(self.by_key.get(key(name), []))

    def same_content(self, name: str) -> list[Target]:
        ck = content_key(name)
        return _distinct(self.by_content.get(ck, [])) if ck else []

    def _sharing(self, name: str) -> list[Target]:
        return _distinct(t for s in stems(name) for t in self.by_stem.get(s, []))

    def near_misses(self, name: str) -> list[tuple[Target, float]]:
        """Targets whose name is a near miss of ``name`` (not the same key)."""
        n, k = len(content(name)), key(name)
        out = []
        for t in self._sharing(name):
            if key(t.label) != k and len(content(t.label)) == n:
                r = char_ratio(name, t.label)
                if r >= NEAR_MISS:
                    out.append((t, r))
        return out

    def nearest(
        self, name: str, skip: set[URIRef] | None = None, n: int = 3, least: float = 0.3
    ) -> list[tuple[Target, float]]:
        """The ``n`` targets nearest ``name`` by :func:`score` (sharing a word stem)."""
        scored: dict[URIRef, tuple[Target, float]] = {}
        for t in self._sharing(name):
            if skip and t.iri in skip:
                continue
            s = score(name, t.label)
            if s >= least and s > scored.get(t.iri, (t, -1.0))[1]:
                scored[t.iri] = (t, s)
        return sorted(scored.values(), key=lambda x: (-x[1], str(x[0].iri)))[:n]


def _distinct(targets: Iterable[Target]) -> list[Target]:
    out: dict[URIRef, Target] = {}
    for t in targets:
        out.setdefault(t.iri, t)
    return list(out.values())
