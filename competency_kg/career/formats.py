"""Match and pathway answers as text, CSV, JSON and RDF (the CLI's outputs, the pages'
downloads)."""

from __future__ import annotations

import io
import json

import pyoxigraph as ox
from rdflib import URIRef
from rdflib.namespace import RDF

from competency_kg.career.data import CareerData
from competency_kg.career.matching import FIT_FORMULA, Line, Match
from competency_kg.career.pathways import COST_RULE, Destinations, Pathways, Step
from competency_kg.compare.formats import RDF_FORMATS as RDF_FORMATS  # the careers' offers too
from competency_kg.compare.formats import decimal, named_node, serialize_triples
from competency_kg.namespaces import CKG
from competency_kg.safe_text import csv_text


def _fmt(x: float | None, digits: int = 2) -> str:
    return "" if x is None else f"{x:.{digits}f}"


def match_text(m: Match) -> str:
    """The match for a terminal."""
    out = io.StringIO()
    w = out.write
    given = ", ".join(
        h.label + (f" (level {_fmt(h.level)})" if h.level is not None else "") for h in m.held
    )
    if m.origin is not None:
        w(f"From: {m.data.title(m.origin)} — its required competencies at its levels\n")
    w(f"Given: {given}\n")
    if m.ignored:
        w(f"Not in the store (left out): {', '.join(m.ignored)}\n")
    w(f"{FIT_FORMULA}\n\n")
    if not m.fits:
        w(f"No occupation requires any of these ({m.considered} considered).\n")
    for n, f in enumerate(m.fits, start=1):
        c = m.data.index.clusters[f.cluster]
        zone = f", job zone {m.data.job_zones[f.cluster]}" if m.data.job_zones[f.cluster] else ""
        code = f" ({c.code})" if c.code else ""
        w(
            f"{n:>3}. {c.title}{code}{zone}: fit {_fmt(f.score, 3)} "
            f"(coverage {_fmt(f.coverage, 3)}, use {_fmt(f.use, 3)})\n"
        )
        if f.covered or f.tools:
            w("     has: " + ", ".join(x.label for x in f.covered + f.tools) + "\n")
        if f.missing:
            w(
                "     needs: "
                + ", ".join(
                    f"{x.label} (importance {_fmt(x.importance, 1) or '-'}, level "
                    f"{_fmt(x.needed, 1) or '-'}, gap {_fmt(x.gap, 1) or '-'})"
                    for x in f.missing[:8]
                )
                + (f" and {len(f.missing) - 8} more" if len(f.missing) > 8 else "")
                + "\n"
            )
    return out.getvalue()


MATCH_CSV_COLUMNS = [
    "rank", "code", "title", "iri", "job_zone", "score", "coverage", "use", "status",
    "competency", "competency_iri", "importance", "needed_level", "held_level", "gap", "sources",
]  # fmt: skip


def match_csv(m: Match) -> str:
    """One row per occupation and competency (covered, missing); formula cells neutralised."""
    rows: list[list[object]] = [list(MATCH_CSV_COLUMNS)]
    for n, f in enumerate(m.fits, start=1):
        c = m.data.index.clusters[f.cluster]
        head = [n, c.code or "", c.title, c.iri, m.data.job_zones[f.cluster] or "",
                _fmt(f.score, 4), _fmt(f.coverage, 4), _fmt(f.use, 4)]  # fmt: skip
        lines = [("covered", x) for x in f.covered + f.tools] + [("missing", x) for x in f.missing]
        if not lines:
            rows.append([*head, "", "", "", "", "", "", "", ""])
        for status, x in lines:
            rows.append([*head, status, x.label, x.key, _fmt(x.importance), _fmt(x.needed),
                         _fmt(x.held), _fmt(x.gap), " ".join(x.graphs)])  # fmt: skip
    return csv_text(rows)


def match_json(m: Match) -> str:
    return json.dumps(m.as_json(), ensure_ascii=False, indent=2)


_XSD = "http://www.w3.org/2001/XMLSchema#"
_PROV_DERIVED = ox.NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom")
_TYPE = ox.NamedNode(str(RDF.type))
_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
_COMMENT = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
_POSITION = ox.NamedNode("https://schema.org/position")


def integer(x: int) -> ox.Literal:
    return ox.Literal(str(x), datatype=named_node(_XSD + "integer"))


def line_triples(node: ox.NamedNode, line: Line, status: URIRef) -> list[ox.Triple]:
    """A competency line as a ckg:ComparisonItem (the comparison's vocabulary)."""
    out = [
        ox.Triple(node, _TYPE, named_node(CKG.ComparisonItem)),
        ox.Triple(node, named_node(CKG.comparedResource), named_node(line.key)),
        ox.Triple(node, named_node(CKG.comparisonStatus), named_node(status)),
        ox.Triple(node, _LABEL, ox.Literal(line.label)),
    ]
    if line.importance is not None:
        out.append(ox.Triple(node, named_node(CKG.toImportance), decimal(line.importance, 2)))
    if line.needed is not None:
        out.append(ox.Triple(node, named_node(CKG.toLevel), decimal(line.needed, 2)))
    if line.held is not None:
        out.append(ox.Triple(node, named_node(CKG.fromLevel), decimal(line.held, 2)))
    if line.gap is not None:
        out.append(ox.Triple(node, named_node(CKG.levelGap), decimal(line.gap, 2)))
    out += [ox.Triple(node, _PROV_DERIVED, named_node(g)) for g in line.graphs]
    return out


def match_triples(m: Match, subject: str) -> list[ox.Triple]:
    """The match as RDF about ``subject`` (the match's own URL)."""
    s = named_node(subject)
    given = ", ".join(h.label for h in m.held)
    t: list[ox.Triple] = [
        ox.Triple(s, _TYPE, named_node(CKG.OccupationMatch)),
        ox.Triple(s, _LABEL, ox.Literal("Occupations matching " + given, language="en")),
        ox.Triple(s, _COMMENT, ox.Literal(FIT_FORMULA, language="en")),
    ]
    if m.origin is not None:
        t.append(
            ox.Triple(
                s, named_node(CKG.fromOccupation), named_node(m.data.index.clusters[m.origin].iri)
            )
        )
    for h in m.held:
        t.append(ox.Triple(s, named_node(CKG.givenResource), named_node(h.key)))
    graphs: set[str] = set()
    for rank, f in enumerate(m.fits, start=1):
        node = named_node(f"{subject}#result-{rank}")
        t += [
            ox.Triple(s, named_node(CKG.matchResult), node),
            ox.Triple(node, _TYPE, named_node(CKG.MatchResult)),
            ox.Triple(
                node, named_node(CKG.toOccupation), named_node(m.data.index.clusters[f.cluster].iri)
            ),
            ox.Triple(node, _POSITION, integer(rank)),
            ox.Triple(node, named_node(CKG.fitScore), decimal(f.score)),
            ox.Triple(node, named_node(CKG.matchCoverage), decimal(f.coverage)),
            ox.Triple(node, named_node(CKG.matchUse), decimal(f.use)),
        ]
        for g in f.sources():
            t.append(ox.Triple(node, _PROV_DERIVED, named_node(g)))
            graphs.add(g)
        for k, x in enumerate(f.covered, start=1):
            item = named_node(f"{subject}#result-{rank}-has-{k}")
            t.append(ox.Triple(node, named_node(CKG.item), item))
            t += line_triples(item, x, CKG.Shared)
        for k, x in enumerate(f.missing, start=1):
            item = named_node(f"{subject}#result-{rank}-needs-{k}")
            t.append(ox.Triple(node, named_node(CKG.item), item))
            t += line_triples(item, x, CKG.ToLearn)
    for g in sorted(graphs):
        t.append(ox.Triple(s, _PROV_DERIVED, named_node(g)))
    return t


def _f(x: float | None, digits: int = 2) -> str:
    return "" if x is None else f"{x:.{digits}f}"


def _name(d: CareerData, i: int) -> str:
    c = d.index.clusters[i]
    return f"{c.title} ({c.code})" if c.code else c.title


def _learn_text(learn: list[Line], most: int = 6) -> str:
    bits = [f"{x.label} {_f(x.held, 1) or '0'}→{_f(x.needed, 1) or '?'}" for x in learn[:most]]
    more = f" and {len(learn) - most} more" if len(learn) > most else ""
    return ", ".join(bits) + more


def pathways_text(p: Pathways) -> str:
    d = p.data
    out = io.StringIO()
    w = out.write
    w(f"From {_name(d, p.origin)} to {_name(d, p.target)}, at most {p.max_steps} steps\n")
    w(f"{COST_RULE}\n\n")
    if not p.paths:
        w((p.message() or "") + "\n")
        for r in p.nearest_reachable:
            w(
                f"  {_name(d, r.cluster)}: {r.steps} step(s), cost {_f(r.cost)}, similarity to "
                f"the target {_f(r.similarity, 3)}\n"
            )
    for k, path in enumerate(p.paths, start=1):
        names = " → ".join(d.title(i) for i in path.occupations())
        w(f"Path {k}: cost {_f(path.cost)}, {len(path.steps)} step(s): {names}\n")
        for s in path.steps:
            w(
                f"  → {_name(d, s.target)}: similarity {_f(s.similarity, 3)}, cost {_f(s.cost)}\n"
                f"    learn: {_learn_text(s.learn) or 'nothing'}\n"
            )
        w("\n")
    return out.getvalue()


def destinations_text(ds: Destinations) -> str:
    d = ds.graph.data
    out = io.StringIO()
    zone = f" (job zone {ds.job_zone})" if ds.job_zone else ""
    out.write(f"Where {_name(d, ds.origin)} can go{zone}, cheapest first\n{COST_RULE}\n\n")
    if not ds.steps:
        out.write("No transition (no occupation similar enough).\n")
    for k, s in enumerate(ds.steps, start=1):
        z = d.job_zones[s.target]
        out.write(
            f"{k:>3}. {_name(d, s.target)}{f', job zone {z}' if z else ''}: cost {_f(s.cost)}, "
            f"similarity {_f(s.similarity, 3)}\n     learn: {_learn_text(s.learn) or 'nothing'}\n"
        )
    return out.getvalue()


PATH_CSV_COLUMNS = [
    "path", "path_cost", "step", "from_code", "from_title", "to_code", "to_title",
    "similarity", "step_cost", "competency", "competency_iri", "importance", "needed_level",
    "held_level", "gap", "sources",
]  # fmt: skip


def _step_rows(label: object, total: str, k: int, s: Step, d: CareerData) -> list[list[object]]:
    a, b = d.index.clusters[s.origin], d.index.clusters[s.target]
    head = [label, total, k, a.code or a.iri, a.title, b.code or b.iri, b.title,
            _f(s.similarity, 4), _f(s.cost, 3)]  # fmt: skip
    if not s.learn:
        return [[*head, "", "", "", "", "", "", ""]]
    return [
        [
            *head,
            x.label,
            x.key,
            _f(x.importance),
            _f(x.needed),
            _f(x.held),
            _f(x.gap),
            " ".join(x.graphs),
        ]
        for x in s.learn
    ]


def pathways_csv(p: Pathways) -> str:
    """One row per path, step and competency to learn; formula cells neutralised."""
    rows: list[list[object]] = [list(PATH_CSV_COLUMNS)]
    for k, path in enumerate(p.paths, start=1):
        for n_, s in enumerate(path.steps, start=1):
            rows += _step_rows(k, _f(path.cost, 3), n_, s, p.data)
    return csv_text(rows)


def destinations_csv(ds: Destinations) -> str:
    rows: list[list[object]] = [list(PATH_CSV_COLUMNS)]
    for k, s in enumerate(ds.steps, start=1):
        rows += _step_rows(f"destination {k}", _f(s.cost, 3), 1, s, ds.graph.data)
    return csv_text(rows)


def to_json(doc: Pathways | Destinations) -> str:
    return json.dumps(doc.as_json(), ensure_ascii=False, indent=2)


def _step_triples(node: ox.NamedNode, s: Step, d: CareerData) -> list[ox.Triple]:
    t = [
        ox.Triple(node, _TYPE, named_node(CKG.PathwayStep)),
        ox.Triple(node, named_node(CKG.fromOccupation), named_node(d.index.clusters[s.origin].iri)),
        ox.Triple(node, named_node(CKG.toOccupation), named_node(d.index.clusters[s.target].iri)),
        ox.Triple(node, named_node(CKG.similarity), decimal(s.similarity)),
        ox.Triple(node, named_node(CKG.learningCost), decimal(s.cost, 3)),
    ]
    graphs = set()
    for k, x in enumerate(s.learn, start=1):
        item = named_node(f"{node.value}-learn-{k}")
        t.append(ox.Triple(node, named_node(CKG.item), item))
        t += line_triples(item, x, CKG.ToLearn)
        graphs.update(x.graphs)
    t += [ox.Triple(node, _PROV_DERIVED, named_node(g)) for g in sorted(graphs)]
    return t


def pathways_triples(p: Pathways, subject: str) -> list[ox.Triple]:
    """The pathways as RDF about ``subject`` (the answer's own URL)."""
    d = p.data
    s = named_node(subject)
    t = [
        ox.Triple(s, _TYPE, named_node(CKG.CareerPathways)),
        ox.Triple(
            s,
            _LABEL,
            ox.Literal(
                f"Career pathways from {d.title(p.origin)} to {d.title(p.target)}", language="en"
            ),
        ),
        ox.Triple(s, _COMMENT, ox.Literal(p.message() or COST_RULE, language="en")),
        ox.Triple(s, named_node(CKG.fromOccupation), named_node(d.index.clusters[p.origin].iri)),
        ox.Triple(s, named_node(CKG.toOccupation), named_node(d.index.clusters[p.target].iri)),
        ox.Triple(s, named_node(CKG.maxSteps), integer(p.max_steps)),
    ]
    for k, path in enumerate(p.paths, start=1):
        node = named_node(f"{subject}#path-{k}")
        t += [
            ox.Triple(s, named_node(CKG.careerPath), node),
            ox.Triple(node, _TYPE, named_node(CKG.CareerPath)),
            ox.Triple(node, _POSITION, integer(k)),
            ox.Triple(node, named_node(CKG.learningCost), decimal(path.cost, 3)),
        ]
        for m, step in enumerate(path.steps, start=1):
            sn = named_node(f"{subject}#path-{k}-step-{m}")
            t += [
                ox.Triple(node, named_node(CKG.hasStep), sn),
                ox.Triple(sn, _POSITION, integer(m)),
            ]
            t += _step_triples(sn, step, d)
    return t


def destinations_triples(ds: Destinations, subject: str) -> list[ox.Triple]:
    d = ds.graph.data
    s = named_node(subject)
    t = [
        ox.Triple(s, _TYPE, named_node(CKG.CareerPathways)),
        ox.Triple(s, _LABEL, ox.Literal(f"Where {d.title(ds.origin)} can go", language="en")),
        ox.Triple(s, _COMMENT, ox.Literal(COST_RULE, language="en")),
        ox.Triple(s, named_node(CKG.fromOccupation), named_node(d.index.clusters[ds.origin].iri)),
    ]
    for k, step in enumerate(ds.steps, start=1):
        sn = named_node(f"{subject}#destination-{k}")
        t += [ox.Triple(s, named_node(CKG.hasStep), sn), ox.Triple(sn, _POSITION, integer(k))]
        t += _step_triples(sn, step, d)
    return t


#: The careers' RDF is written as the comparison's is (one media type table, one writer).
serialize = serialize_triples
