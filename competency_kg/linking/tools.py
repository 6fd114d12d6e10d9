"""Tools: O*NET's technology and tool examples and the UNSPSC commodities they are filed under.

Rules, strongest first (each documented in ``docs/links.md``):

- the same normalised name (exact), or an acronym O*NET spells out (exact); an example's
  commodity is then broader (``skos:broadMatch``);
- the same content words, generic words aside ("Oracle" — "Oracle software"; close);
- the same after the trade's synonyms (:data:`SYNONYMS`; close);
- a commodity's title, or one of the alternatives it lists with "or" ("Helpdesk or call center
  software": the commodity is broader);
- a vendor's name followed by a commodity's content ("Acme Spreadsheet Tools": the commodity
  is broader); vendors are the first words O*NET puts before several product names;
- each part of a name listing alternatives ("Backup/Archival Tools"; the part is narrower);
- the name inside at most three O*NET names, or followed only by generic words (close).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from rdflib import URIRef
from rdflib.namespace import SKOS

from competency_kg.linking.index import Index, Target
from competency_kg.linking.model import Link, LinkReport, Sources
from competency_kg.linking.text import (
    GENERIC,
    STOPWORDS,
    content,
    content_key,
    is_acronym_of,
    words,
)

#: A name found inside more O*NET names than this is too vague for a close match.
MAX_CLOSE = 3
#: A first word O*NET puts before this many product names (each followed by a capitalised
#: word: "Microsoft Windows", not "Network monitoring software") is a vendor's name.
VENDOR_NAMES = 3
#: Terms of the trade that name the same kind of tool, as content words (not tool names).
SYNONYMS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("ticketing",): ("helpdesk",),
    ("service", "desk"): ("helpdesk",),
    ("issue", "tracking"): ("helpdesk",),
    ("trouble", "ticket"): ("helpdesk",),
    ("remote", "management"): ("remote", "control"),
    ("remote", "administration"): ("remote", "control"),
    ("remote", "support"): ("remote", "control"),
    ("antivirus",): ("virus", "protection"),
}


def synonym_content(name: str) -> str:
    """The content words with the trade's synonyms replaced (:data:`SYNONYMS`).

    >>> synonym_content("Ticketing Systems"), synonym_content("Service Desk Tools")
    ('helpdesk', 'helpdesk')
    """
    ws = [w for w in words(name) if w not in STOPWORDS]  # "service desk": before generic words go
    out: list[str] = []
    i = 0
    while i < len(ws):
        for phrase, repl in SYNONYMS.items():
            if tuple(ws[i : i + len(phrase)]) == phrase:
                out.extend(repl)
                i += len(phrase)
                break
        else:
            out.append(ws[i])
            i += 1
    return " ".join(w for w in out if w not in GENERIC)


def vendors(names: list[str]) -> set[str]:
    """Vendor names: see :data:`VENDOR_NAMES`.

    >>> sorted(vendors(["Acme Sheets", "Acme Slides", "Acme Notes", "Network monitoring"]))
    ['acme']
    """
    counts: Counter[str] = Counter()
    for n in set(names):
        parts = n.split()
        if len(parts) > 1 and parts[0][:1].isupper() and parts[1][:1].isupper():
            counts[parts[0].lower()] += 1
    return {v for v, n in counts.items() if n >= VENDOR_NAMES and v not in GENERIC | STOPWORDS}


def alternatives(title: str) -> list[str]:
    """The alternatives a commodity title lists, its generic last word shared.

    >>> alternatives("Helpdesk or call center software")
    ['Helpdesk software', 'call center software']
    """
    parts = [p.strip() for p in re.split(r"\bor\b", title) if p.strip()]
    if len(parts) < 2:
        return []
    last = parts[-1].split()[-1]
    return [p if p.split()[-1] == last else f"{p} {last}" for p in parts]


def union_parts(name: str) -> list[str]:
    """The parts of a name listing alternatives with a slash and one last word.

    >>> union_parts("Backup/Archival Tools"), union_parts("TCP/IP")
    (['Backup Tools', 'Archival Tools'], [])
    """
    m = re.fullmatch(r"\s*([\w-]{3,})\s*/\s*([\w-]{3,})\s+(.+)", name)
    return [f"{m.group(1)} {m.group(3)}", f"{m.group(2)} {m.group(3)}"] if m else []


def link_tools(src: Sources, report: LinkReport) -> None:
    if not src.onet:
        return
    seeds = src.rows(src.seed, "?t a ckg:Tool ; skos:prefLabel ?l")
    rows = src.rows(
        src.onet,
        "?t a ckg:Tool ; skos:prefLabel ?l . "
        "OPTIONAL { ?t skos:broader ?c . ?c a ckg:ProductCategory ; skos:notation ?code }",
    )
    examples = Index(Target(r["t"], str(r["l"]), "O*NET example") for r in rows)
    commodity_of: dict[URIRef, tuple[URIRef, str]] = {
        r["t"]: (r["c"], str(r["code"])) for r in rows if "c" in r
    }
    commodities = _commodity_rows(src)
    by_content = commodity_titles(src, commodities)
    commodity_index = Index(
        Target(r["c"], str(r["l"]), f"UNSPSC commodity {r['code']}") for r in commodities
    )
    synonyms: dict[str, list[Target]] = defaultdict(list)
    for t in examples.targets:
        synonyms[synonym_content(t.label)].append(t)
    vendor_names = vendors([t.label for t in examples.targets])
    last_word: dict[str, list[Target]] = defaultdict(list)
    for t in examples.targets:
        if t.label.split():
            last_word[t.label.split()[-1]].append(t)
    names: dict[URIRef, str] = {}
    for r in seeds:
        names.setdefault(r["t"], str(r["l"]))
    for t, name in sorted(names.items()):
        report.look("tools", t, name)
        links = _by_name(t, name, examples, synonyms, last_word)
        for k in list(links):
            if k.predicate == SKOS.exactMatch and k.target in commodity_of:
                c, code = commodity_of[k.target]
                links.append(
                    Link(
                        t,
                        SKOS.broadMatch,
                        c,
                        "commodity of the example",
                        f"O*NET files '{k.labels[1]}' under the UNSPSC commodity {code}",
                        0.85,
                        labels=(name, k.labels[1]),
                    )
                )
        links += commodity_links(t, name, by_content, vendor_names)
        if not links:
            for part in union_parts(name):
                for k in _by_name(t, part, examples, synonyms, {}) + commodity_links(
                    t, part, by_content, set()
                ):
                    if k.predicate in (SKOS.exactMatch, SKOS.closeMatch):
                        links.append(
                            Link(
                                t,
                                SKOS.narrowMatch,
                                k.target,
                                "part of a listing name",
                                f"'{name}' lists '{part}', and {k.evidence}",
                                0.7,
                                k.score,
                                (name, k.labels[1]),
                            )
                        )
        if not links:
            links = _inside(t, name, examples)
        report.links.extend(_distinct(links))
        if not links:
            near = examples.nearest(name) + commodity_index.nearest(name)
            if synonym_content(name) != content_key(name):
                near += examples.nearest(synonym_content(name))
            report.propose(t, sorted(near, key=lambda x: (-x[1], str(x[0].iri))))


def _by_name(
    t: URIRef,
    name: str,
    examples: Index,
    synonyms: dict[str, list[Target]],
    last_word: dict[str, list[Target]],
) -> list[Link]:
    out = [
        Link(
            t,
            SKOS.exactMatch,
            x.iri,
            "normalized name",
            f"'{name}' is '{x.label}' in O*NET",
            0.95,
            1.0,
            (name, x.label),
        )
        for x in examples.same_key(name)
    ]
    out += [
        Link(
            t,
            SKOS.exactMatch,
            x.iri,
            "acronym",
            f"'{name}' is the acronym O*NET spells out as '{x.label}'",
            0.9,
            labels=(name, x.label),
        )
        for x in last_word.get(name, [])
        if is_acronym_of(name, x.label)
    ]
    if out:
        return out
    out = [
        Link(
            t,
            SKOS.closeMatch,
            x.iri,
            "name and a generic word",
            f"'{name}' and the O*NET name '{x.label}' differ only by generic words",
            0.85,
            1.0,
            (name, x.label),
        )
        for x in examples.same_content(name)
    ]
    if out:
        return out
    sc = synonym_content(name)
    if sc and sc != content_key(name):
        out = [
            Link(
                t,
                SKOS.closeMatch,
                x.iri,
                "trade synonym",
                f"'{name}' and the O*NET name '{x.label}' name the same kind of tool "
                f"(both read '{sc}' once the trade's synonyms are applied)",
                0.75,
                1.0,
                (name, x.label),
            )
            for x in synonyms.get(sc, [])
        ]
    return out


Commodities = dict[str, list[tuple[URIRef, str, str, bool]]]


def _commodity_rows(src: Sources) -> list[dict]:
    return src.rows(
        src.onet,
        "?c a ckg:ProductCategory ; skos:prefLabel ?l ; skos:notation ?code ; "
        'ckg:classificationLevel "commodity"',
    )


def commodity_titles(src: Sources, rows: list[dict] | None = None) -> Commodities:
    """UNSPSC commodities by the content key of their title and of each alternative it lists:
    ``(commodity, title, code, whether the whole title)``."""
    by_content: Commodities = defaultdict(list)
    for r in _commodity_rows(src) if rows is None else rows:
        title = str(r["l"])
        by_content[content_key(title)].append((r["c"], title, str(r["code"]), True))
        for alt in alternatives(title):
            by_content[content_key(alt)].append((r["c"], title, str(r["code"]), False))
    return by_content


def commodity_links(
    t: URIRef, name: str, by_content: Commodities, vendor_names: set[str]
) -> list[Link]:
    """A commodity's title or one of its alternatives (close; broader), or a vendor's share
    of a commodity (broader)."""
    out: list[Link] = []
    keys = {content_key(name), synonym_content(name)} - {""}
    for k in sorted(keys):
        for c, title, code, whole in by_content.get(k, []):
            if whole:
                out.append(
                    Link(
                        t,
                        SKOS.closeMatch,
                        c,
                        "commodity title",
                        f"'{name}' is the UNSPSC commodity {code} '{title}', generic words aside",
                        0.8,
                        1.0,
                        (name, title),
                    )
                )
            else:
                out.append(
                    Link(
                        t,
                        SKOS.broadMatch,
                        c,
                        "commodity alternative",
                        f"'{name}' is one of the alternatives the UNSPSC commodity {code} "
                        f"'{title}' lists",
                        0.75,
                        1.0,
                        (name, title),
                    )
                )
    words = name.split()
    if not out and len(words) > 1 and words[0].lower() in vendor_names:
        rest = " ".join(words[1:])
        for c, title, code, _whole in by_content.get(content_key(rest), []):
            out.append(
                Link(
                    t,
                    SKOS.broadMatch,
                    c,
                    "vendor and commodity",
                    f"'{name}' is {words[0]}'s share of the UNSPSC commodity {code} '{title}'",
                    0.7,
                    1.0,
                    (name, title),
                )
            )
    return out


def _inside(t: URIRef, name: str, examples: Index) -> list[Link]:
    """The name inside longer O*NET names ("Oracle" — "Oracle software"): close."""
    words = tuple(content(name))
    if not words:
        return []
    inside = [
        x
        for x in examples.targets
        if len(content(x.label)) > len(words) and _contains(tuple(content(x.label)), words)
    ]
    if len(inside) > MAX_CLOSE:
        return []
    return [
        Link(
            t,
            SKOS.closeMatch,
            x.iri,
            "name within name",
            f"'{name}' is part of the O*NET name '{x.label}'",
            0.6,
            labels=(name, x.label),
        )
        for x in inside
    ]


def _contains(hay: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    n = len(needle)
    return any(hay[i : i + n] == needle for i in range(len(hay) - n + 1))


def _distinct(links: list[Link]) -> list[Link]:
    out: dict[tuple[URIRef, URIRef], Link] = {}
    for k in links:
        out.setdefault((k.subject, k.target), k)
    return list(out.values())
