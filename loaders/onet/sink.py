"""Where the triples go: an N-Triples file, with the slices pySHACL checks kept aside."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

from rdflib import Graph

from competency_kg.loaders.onet.terms import RDF_TYPE

#: One in this many other reference resources (titles, tools, categories …) is checked too.
REFERENCE_SAMPLE_EVERY = 250


class Sink:
    """N-Triples lines to a file; copies of the lines pySHACL will check kept aside.

    Subjects under ``occupation/{code}`` belong to that occupation's slice; all other subjects
    are reference resources, kept per subject so the ones a slice uses can be added to it.
    """

    def __init__(self, path: Path, occupation_base: str, sample: set[str] | None) -> None:
        self.path = path
        self._f = path.open("w", encoding="utf-8")
        self._buf: list[str] = []
        self.triples = 0
        self._occ = "<" + occupation_base
        self._occ_len = len(self._occ)
        self.sample = sample  # occupation codes sampled; None = every line
        self.slice_lines: list[str] = []
        self.reference: dict[str, list[str]] = defaultdict(list)
        self.occupation_types: dict[str, list[str]] = defaultdict(list)

    def add(self, s: str, p: str, o: str) -> None:
        line = f"{s} {p} {o} .\n"
        self._buf.append(line)
        self.triples += 1
        if len(self._buf) >= 50_000:
            self._f.write("".join(self._buf))
            self._buf.clear()
        if s.startswith(self._occ):
            rest = s[self._occ_len :]
            if self.sample is None or rest[:10] in self.sample:
                self.slice_lines.append(line)
            if p == RDF_TYPE and len(rest) == 11:
                self.occupation_types[s].append(line)
        elif self.sample is None:
            self.slice_lines.append(line)
        else:
            self.reference[s].append(line)

    def close(self) -> None:
        if self._buf:
            self._f.write("".join(self._buf))
            self._buf.clear()
        self._f.close()

    def sample_graph(self) -> tuple[Graph, set[str], int]:
        """The slices as one graph, the stub subjects in it (type triples only, for
        ``sh:class`` checks; their own results are dropped) and the reference resources in it."""
        lines = list(self.slice_lines)
        included: set[str] = set()
        if self.sample is not None:
            frontier = [s for n, s in enumerate(self.reference) if n % REFERENCE_SAMPLE_EVERY == 0]
            frontier += [o for o in _objects(lines) if o in self.reference]
            while frontier:
                s = frontier.pop()
                if s in included:
                    continue
                included.add(s)
                own = self.reference[s]
                lines.extend(own)
                frontier.extend(o for o in _objects(own) if o in self.reference)
        subjects = {ln.split(" ", 1)[0] for ln in lines}
        stubs: set[str] = set()
        for o in set(_objects(lines)) - subjects:
            types = self.occupation_types.get(o) or [
                ln for ln in self.reference.get(o, ()) if ln.split(" ", 2)[1] == RDF_TYPE
            ]
            if types:
                stubs.add(o[1:-1])
                lines.extend(types)
        g = Graph()
        if lines:
            g.parse(data="".join(lines), format="nt")
        return g, stubs, len(included)


def _objects(lines: Iterable[str]) -> Iterator[str]:
    for ln in lines:
        o = ln.split(" ", 2)[2]
        if o.startswith("<"):
            yield o[: o.index(">") + 1]
