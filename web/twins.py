"""One occupation, several sources: the occupations every listing shows as one row.

An occupation often comes from several sources under different IRIs: an overview's
"Computer User Support Specialists" (``occupation/computer-user-support-specialists``) and
O*NET's 15-1232.00. The linker (``competency_kg/linking.py``) relates them by
``skos:exactMatch``; taken transitively, those links make *twins*, which the home page, the
class listing, the search (HTML and JSON) and each occupation's page show as one occupation
with its sources named — never as two unrelated rows. A ``skos:closeMatch`` (a likely but
uncertain match, such as an alternate title) does not make twins.

:func:`occupation_groups` is the one place this is decided. It uses the comparison's own
clustering (:func:`competency_kg.compare.index.occupation_clusters`), so a comparison and a listing
never disagree on what is one occupation, and it is computed once per store version.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Protocol

from rdflib.namespace import SKOS

from competency_kg.compare.index import occupation_clusters
from competency_kg.namespaces import CKG
from competency_kg.web.reading import Reader, memo
from competency_kg.web.sources import Source, read_sources
from competency_kg.web.terms import iri_value, is_iri, literal


class Site(Protocol):
    """Where a row's links point (``competency_kg.web.pages.site.Site``, which imports this
    module: named here by what a row uses of it)."""

    def href(self, iri: str) -> str: ...


OCCUPATION = str(CKG.Occupation)

#: Short names of the sources by loader (O*NET's carry their release).
KIND_NAMES = {"overview-text": "overview", "framework-json": "framework", "ctdl-asn": "CTDL-ASN"}


@dataclass(frozen=True)
class Twin:
    """One source's record of an occupation: an IRI, its title and code, the sources stating it."""

    iri: str
    title: str
    code: str | None
    sources: tuple[str, ...]

    def view(self, site: Site) -> dict[str, Any]:
        return {
            "iri": self.iri,
            "href": site.href(self.iri),
            "label": self.title,
            "code": self.code,
            "sources": list(self.sources),
        }


@dataclass(frozen=True)
class OccupationGroup:
    """One occupation: its records in the sources (the representative first)."""

    iri: str  # the representative: the member with an O*NET-SOC code, if any
    title: str
    code: str | None
    members: tuple[Twin, ...]

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(sorted({s for m in self.members for s in m.sources}, key=_source_order))

    def others(self, iri: str) -> list[Twin]:
        return [m for m in self.members if m.iri != iri]

    def view(self, site: Site) -> dict[str, Any]:
        """What a row shows: the occupation, its sources, and (twins only) each record."""
        row = Twin(self.iri, self.title, self.code, self.sources).view(site)
        row["twins"] = [m.view(site) for m in self.members] if len(self.members) > 1 else []
        return row


@dataclass(frozen=True)
class OccupationGroups:
    """Every occupation of the store, twins grouped, in title order."""

    groups: tuple[OccupationGroup, ...]
    by_member: dict[str, OccupationGroup] = field(repr=False)
    sources: tuple[str, ...]  # the sources stating any occupation

    @property
    def records(self) -> int:
        """Occupation IRIs (what the class counts say)."""
        return len(self.by_member)

    @property
    def distinct(self) -> int:
        return len(self.groups)

    def summary(self) -> str:
        """What the counts count, the one wording every page uses."""
        n, s = self.records, len(self.sources)
        text = f"{n:,} occupation{'' if n == 1 else 's'} from {s} source{'' if s == 1 else 's'}"
        return text if self.distinct == n else f"{text}, {self.distinct:,} distinct"


def source_names(sources: dict[str, Source]) -> dict[str, str]:
    """A short name per source graph ("overview", "O*NET 29.2"): a file name is added where
    two graphs of one kind would otherwise read the same (two releases of O*NET differ by
    their versions; the text and Excel files of one release are one source)."""
    names: dict[str, str] = {}
    for g, src in sources.items():
        if src.kind != "source":
            continue
        loader = src.loader or ""
        if loader.startswith("onet"):
            names[g] = f"O*NET {src.version}" if src.version else "O*NET"
        else:
            names[g] = KIND_NAMES.get(loader, src.name)
    graphs_by_name: dict[str, list[str]] = defaultdict(list)
    for g, name in names.items():
        graphs_by_name[name].append(g)
    for name, graphs in graphs_by_name.items():
        if len(graphs) > 1 and not name.startswith("O*NET"):
            for g in graphs:
                names[g] = f"{name} {sources[g].file or g.rsplit('/', 1)[-1]}"
    return names


def occupation_groups(reader: Reader, base: str, version: str | None) -> OccupationGroups:
    """The store's occupations with their twins grouped (remembered per store ``version``)."""
    return memo("occupation-groups", version, base, lambda: _build(reader, base, version))


def _build(reader: Reader, base: str, version: str | None) -> OccupationGroups:
    sources = memo("sources", version, base, lambda: read_sources(reader, base))
    names = source_names(sources)
    stated = reader.select(
        f"SELECT DISTINCT ?o ?g ?title ?code WHERE {{ GRAPH ?g {{ ?o a <{OCCUPATION}> "
        f"OPTIONAL {{ ?o <{SKOS.prefLabel}> ?title }} "
        f"OPTIONAL {{ ?o <{SKOS.notation}> ?code }} }} FILTER(isIRI(?o)) }}"
    )
    twins = reader.select(
        f"SELECT DISTINCT ?o ?twin WHERE {{ ?o <{SKOS.exactMatch}> ?twin . "
        f"?o a <{OCCUPATION}> . ?twin a <{OCCUPATION}> FILTER(isIRI(?o) && isIRI(?twin)) }}"
    )
    graphs: dict[str, set[str]] = defaultdict(set)
    # a title's weight: how many graphs state it (the name most sources use wins)
    titles: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    codes: dict[str, str] = {}
    for r in stated:
        o, g = iri_value(r["o"]), iri_value(r["g"])
        graphs[o].add(g)
        if "title" in r:
            titles[o][literal(r["title"]).value].add(g)
        if "code" in r:
            codes.setdefault(o, literal(r["code"]).value)

    def title_of(o: str) -> str:
        named = titles.get(o)
        if not named:
            return o.rsplit("/", 1)[-1]
        return min(named, key=lambda t: (-len(named[t]), t))

    rows: list[dict[str, str]] = [{"occupation": o} for o in sorted(graphs)]
    rows += [
        {"occupation": iri_value(r["o"]), "twin": iri_value(r["twin"])}
        for r in twins
        if is_iri(r["o"]) and iri_value(r["o"]) in graphs and iri_value(r["twin"]) in graphs
    ]
    for o, code in codes.items():
        rows.append({"occupation": o, "code": code})
    clusters, _ = occupation_clusters(rows)

    def twin(o: str) -> Twin:
        named = tuple(dict.fromkeys(names[g] for g in sorted(graphs[o]) if g in names))
        return Twin(o, title_of(o), codes.get(o), tuple(sorted(named, key=_source_order)))

    groups = []
    for c in clusters:
        members = sorted(c.members, key=lambda m: (m != c.iri, title_of(m).casefold(), m))
        groups.append(OccupationGroup(c.iri, title_of(c.iri), c.code, tuple(map(twin, members))))
    groups.sort(key=lambda g: (g.title.casefold(), g.iri))
    by_member = {m.iri: g for g in groups for m in g.members}
    used = sorted({s for g in groups for s in g.sources}, key=_source_order)
    return OccupationGroups(tuple(groups), by_member, tuple(used))


def _source_order(name: str) -> tuple[bool, str]:
    """Documents first, then O*NET releases in version order."""
    return (name.startswith("O*NET"), name)


__all__ = ["OccupationGroup", "OccupationGroups", "Twin", "occupation_groups", "source_names"]
