"""Links across sources: the seeds' occupations, competencies and tools to O*NET and CTDL-ASN.

Recomputed from what the store holds after every load and written, replacing the old, to the
named graph ``{base}graph/links``:

- a ``skos:exactMatch`` where the match is certain, a ``skos:closeMatch`` where it is likely
  but not certain (a name shared by several O*NET elements, a name inside a longer name);
- for every link an ``owl:Axiom`` annotating it with ``ckg:matchMethod`` (how it was found) and
  ``ckg:evidence`` (what matched, in words);
- a ``ckg:LinkReport`` (``{base}graph/links/report``) naming with ``ckg:unmatched`` every seed
  resource no counterpart was found for.

Methods, strongest first. Occupations: the same O*NET-SOC code (the IRIs are then one and the
same resource, nothing to link), the exact title of an O*NET occupation (exact), an O*NET
alternate title (close). Competencies: the normalised name (:func:`competency_key`) of one
O*NET Content Model element or CTDL-ASN competency (exact; several of them: close); O*NET
elements and CTDL-ASN competencies with the same code (``2.A.1.b``; exact). Tools: the
normalised name, plurals folded (exact); an acronym and its spelled-out O*NET name
("SQL" — "Structured query language SQL"; exact); the name inside at most three O*NET names, or
followed only by a generic word ("Oracle" — "Oracle software"; close).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS, VOID, XSD

from competency_kg.iris import Minter
from competency_kg.names import competency_key
from competency_kg.namespaces import CKG, sparql_prefixes
from competency_kg.store import DescriptionReplacement, GraphReplacement, GraphStore

ONET_LOADERS = {"onet-text", "onet-excel"}
CTDL_LOADERS = {"ctdl-asn"}
#: A name found inside more O*NET names than this is too vague for a close match.
MAX_CLOSE = 3
GENERIC_WORDS = {"software", "system", "tool", "application", "platform", "program", "suite"}


@dataclass(frozen=True)
class Link:
    subject: URIRef
    predicate: URIRef  # skos:exactMatch or skos:closeMatch
    target: URIRef
    method: str
    evidence: str


@dataclass
class LinkReport:
    """What the linker did: links made, resources matched by identity, and what stayed alone."""

    links: list[Link] = field(default_factory=list)
    same: dict[URIRef, str] = field(default_factory=dict)  # seed resource → why it is O*NET's
    unmatched: dict[str, list[tuple[URIRef, str]]] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)  # kind → seed resources looked at

    def matched(self, kind: str) -> int:
        return self.seen.get(kind, 0) - len(self.unmatched.get(kind, []))

    def summary(self) -> str:
        parts = [f"{kind} {self.matched(kind)}/{n} matched" for kind, n in self.seen.items()]
        exact = sum(1 for k in self.links if k.predicate == SKOS.exactMatch)
        return (
            f"links: {'; '.join(parts) or 'nothing to link'} "
            f"({exact} exact, {len(self.links) - exact} close)"
        )


Progress = Callable[[str], None]


def _graphs(store: GraphStore, minter: Minter) -> dict[str, list[URIRef]]:
    rows = store.select(
        f"SELECT ?g ?loader WHERE {{ GRAPH <{minter.metadata_graph()}> {{ "
        f"?g a <{CKG.SourceGraph}> ; <{CKG.loader}> ?loader }} }}"
    )
    out: dict[str, list[URIRef]] = {"onet": [], "ctdl": [], "seed": []}
    for r in rows:
        loader = str(r["loader"])
        kind = "onet" if loader in ONET_LOADERS else "ctdl" if loader in CTDL_LOADERS else "seed"
        out[kind].append(r["g"])  # type: ignore[arg-type]
    return out


def _values(graphs: Iterable[URIRef]) -> str:
    return "VALUES ?g { " + " ".join(f"<{g}>" for g in graphs) + " }"


def _rows(store: GraphStore, graphs: list[URIRef], pattern: str) -> list[dict]:
    if not graphs:
        return []
    return store.select(
        sparql_prefixes()
        + f"SELECT DISTINCT * WHERE {{ {_values(graphs)} GRAPH ?g {{ {pattern} }} }}"
    )


def _norm_title(text: str) -> str:
    return " ".join(text.casefold().split())


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def tool_words(name: str) -> list[str]:
    """A tool name's words, normalised (``competency_key``) and in the singular.

    >>> tool_words("Active Directories")
    ['active', 'directory']
    >>> tool_words("TCP/IP")
    ['tcp/ip']
    """
    return [_singular(w) for w in competency_key(name).split()]


def is_acronym_of(short: str, long: str) -> bool:
    """Whether ``long`` spells out ``short`` and then gives it, as O*NET writes names.

    >>> is_acronym_of("SQL", "Structured query language SQL")
    True
    >>> is_acronym_of("SQL", "Microsoft SQL Server")
    False
    """
    words = long.split()
    if len(short) < 2 or not short.isupper() or not words or words[-1] != short:
        return False
    initials = "".join(w[0] for w in words[:-1] if w[:1].isalnum()).upper()
    return initials == short.replace("/", "")


def compute_links(store: GraphStore, minter: Minter) -> LinkReport:
    """Find the links the store's current content supports (writes nothing)."""
    g = _graphs(store, minter)
    report = LinkReport()
    if not g["seed"] or not (g["onet"] or g["ctdl"]):
        return report
    _occupations(store, g, report)
    _competencies(store, g, report)
    _tools(store, g, report)
    return report


def _occupations(store: GraphStore, g: dict[str, list[URIRef]], report: LinkReport) -> None:
    if not g["onet"]:
        return
    seeds = _rows(
        store,
        g["seed"],
        "?o a ckg:Occupation . OPTIONAL { ?o skos:notation ?code } "
        "OPTIONAL { ?o skos:prefLabel ?title }",
    )
    onet = _rows(store, g["onet"], "?o a ckg:Occupation ; skos:notation ?code ; skos:prefLabel ?t")
    by_code = {str(r["code"]): r["o"] for r in onet}
    titled: dict[str, dict[URIRef, str]] = defaultdict(dict)  # one entry per occupation
    for r in onet:
        titled[_norm_title(str(r["t"]))][r["o"]] = str(r["code"])
    by_title = {k: list(v.items()) for k, v in titled.items()}
    done: set[URIRef] = set()
    report.seen["occupations"] = len({r["o"] for r in seeds})
    for r in seeds:
        o = r["o"]
        if o in done:
            continue
        done.add(o)
        code, title = str(r.get("code", "")), str(r.get("title", ""))
        if code and code in by_code:
            target = by_code[code]
            if target == o:
                report.same[o] = f"O*NET-SOC code {code}: the same resource in both sources"
            else:
                report.links.append(
                    Link(o, SKOS.exactMatch, target, "code", f"both have the O*NET-SOC code {code}")
                )
            continue
        exact = by_title.get(_norm_title(title), [])
        if len(exact) == 1:
            target, tcode = exact[0]
            report.links.append(
                Link(
                    o,
                    SKOS.exactMatch,
                    target,
                    "exact title",
                    f"the title '{title}' is the title of O*NET occupation {tcode}",
                )
            )
            continue
        alternates = (
            store.select(
                sparql_prefixes()
                + f"SELECT DISTINCT ?occ ?code WHERE {{ {_values(g['onet'])} GRAPH ?g {{ "
                "?occ ckg:alternateTitle ?jt ; skos:notation ?code . ?jt skos:prefLabel ?l . "
                "FILTER(LCASE(STR(?l)) = ?needle) } }",
                {"needle": Literal(title.lower())},
            )
            if title
            else []
        )
        if alternates:
            for a in alternates:
                report.links.append(
                    Link(
                        o,
                        SKOS.closeMatch,
                        a["occ"],  # type: ignore[arg-type]
                        "alternate title",
                        f"'{title}' is an alternate title of O*NET occupation {a['code']}",
                    )
                )
            continue
        report.unmatched.setdefault("occupations", []).append((o, title or str(o)))


def _competencies(store: GraphStore, g: dict[str, list[URIRef]], report: LinkReport) -> None:
    seeds = _rows(store, g["seed"], "?c a ckg:Competency ; skos:prefLabel|skos:altLabel ?l")
    targets: dict[str, dict[URIRef, str]] = defaultdict(dict)  # key → target → description
    elements: dict[str, URIRef] = {}
    for r in _rows(store, g["onet"], "?c a ckg:Competency ; skos:prefLabel ?l ; skos:notation ?n"):
        targets[competency_key(str(r["l"]))][r["c"]] = f"O*NET element {r['n']} '{r['l']}'"
        elements[str(r["n"])] = r["c"]
    ctdl = _rows(
        store,
        g["ctdl"],
        "?c a ceasn:Competency ; ceasn:competencyLabel ?l . OPTIONAL { ?c ceasn:codedNotation ?n }",
    )
    for r in ctdl:
        code = f" {r['n']}" if "n" in r else ""
        targets[competency_key(str(r["l"]))][r["c"]] = f"CTDL-ASN competency{code} '{r['l']}'"
    names: dict[URIRef, set[str]] = defaultdict(set)
    for r in seeds:
        names[r["c"]].add(str(r["l"]))
    report.seen["competencies"] = len(names)
    for c, labels in sorted(names.items()):
        found: dict[URIRef, str] = {}
        for label in sorted(labels):
            for t, desc in targets.get(competency_key(label), {}).items():
                found.setdefault(t, f"'{label}' is the name of {desc}")
        if not found:
            report.unmatched.setdefault("competencies", []).append((c, sorted(labels)[0]))
            continue
        onet = [t for t, d in found.items() if d.split(" is the name of ")[1].startswith("O*NET")]
        other = [t for t in found if t not in onet]
        for group in (onet, other):
            predicate = SKOS.exactMatch if len(group) == 1 else SKOS.closeMatch
            for t in group:
                evidence = found[t]
                if len(group) > 1:
                    evidence += f" (one of {len(group)} with this name)"
                report.links.append(Link(c, predicate, t, "normalized name", evidence))
    # the Content Model in O*NET's release and in CTDL-ASN: the same codes
    for r in ctdl:
        code = str(r.get("n", ""))
        if code in elements:
            report.links.append(
                Link(
                    elements[code],
                    SKOS.exactMatch,
                    r["c"],  # type: ignore[arg-type]
                    "coded notation",
                    f"the O*NET element and the CTDL-ASN competency '{r['l']}' "
                    f"have the code {code}",
                )
            )


def _tools(store: GraphStore, g: dict[str, list[URIRef]], report: LinkReport) -> None:
    if not g["onet"]:
        return
    seeds = _rows(store, g["seed"], "?t a ckg:Tool ; skos:prefLabel ?l")
    onet = _rows(store, g["onet"], "?t a ckg:Tool ; skos:prefLabel ?l")
    by_words: dict[tuple[str, ...], list[tuple[URIRef, str]]] = defaultdict(list)
    last_word: dict[str, list[tuple[URIRef, str]]] = defaultdict(list)
    for r in onet:
        label = str(r["l"])
        by_words[tuple(tool_words(label))].append((r["t"], label))
        words = label.split()
        if words:
            last_word[words[-1]].append((r["t"], label))
    names: dict[URIRef, str] = {}
    for r in seeds:
        names.setdefault(r["t"], str(r["l"]))
    report.seen["tools"] = len(names)
    for t, name in sorted(names.items()):
        words = tuple(tool_words(name))
        links: list[Link] = []
        for target, label in by_words.get(words, []):
            links.append(
                Link(
                    t, SKOS.exactMatch, target, "normalized name", f"'{name}' is '{label}' in O*NET"
                )
            )
        for target, label in last_word.get(name, []):
            if is_acronym_of(name, label):
                links.append(
                    Link(
                        t,
                        SKOS.exactMatch,
                        target,
                        "acronym",
                        f"'{name}' is the acronym O*NET spells out as '{label}'",
                    )
                )
        if not links and words:
            inside = [
                (target, label)
                for key, entries in by_words.items()
                if len(key) > len(words) and _contains(key, words)
                for target, label in entries
            ]
            if len(inside) > MAX_CLOSE:
                inside = [
                    (target, label)
                    for target, label in inside
                    if set(tool_words(label)) - set(words) <= GENERIC_WORDS
                ]
            for target, label in inside:
                links.append(
                    Link(
                        t,
                        SKOS.closeMatch,
                        target,
                        "name within name",
                        f"'{name}' is part of the O*NET name '{label}'",
                    )
                )
        if links:
            report.links.extend(links)
        else:
            report.unmatched.setdefault("tools", []).append((t, name))


def _contains(hay: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    n = len(needle)
    return any(hay[i : i + n] == needle for i in range(len(hay) - n + 1))


def links_graph(report: LinkReport, minter: Minter) -> Graph:
    """The links, their annotations and the report of what stayed unmatched, as RDF."""
    out = Graph()
    base = str(minter.links_graph())
    for k in report.links:
        out.add((k.subject, k.predicate, k.target))
        h = hashlib.sha1(f"{k.subject} {k.predicate} {k.target}".encode()).hexdigest()[:16]
        ax = URIRef(f"{base}/link/{h}")
        out.add((ax, RDF.type, OWL.Axiom))
        out.add((ax, OWL.annotatedSource, k.subject))
        out.add((ax, OWL.annotatedProperty, k.predicate))
        out.add((ax, OWL.annotatedTarget, k.target))
        out.add((ax, CKG.matchMethod, Literal(k.method)))
        out.add((ax, CKG.evidence, Literal(k.evidence, lang="en")))
    rep = URIRef(f"{base}/report")
    out.add((rep, RDF.type, CKG.LinkReport))
    out.add((rep, RDFS.label, Literal("Links across sources", lang="en")))
    out.add((rep, RDFS.comment, Literal(report.summary(), lang="en")))
    for items in report.unmatched.values():
        for resource, _name in items:
            out.add((rep, CKG.unmatched, resource))
    return out


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
