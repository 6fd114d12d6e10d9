"""A comparison written out: text for a terminal, CSV, JSON and RDF."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

import pyoxigraph as ox
from rdflib import URIRef

from competency_kg.compare.model import SIDES, STATUS_LABELS, Comparison, Fact, Item, ListEntry
from competency_kg.compare.scoring import FORMULA, LEVEL_RULE, REQUIRED_RULE
from competency_kg.namespaces import CKG, PREFIXES
from competency_kg.safe_text import csv_text


def _fmt(x: float | None, digits: int = 2) -> str:
    return "" if x is None else f"{x:.{digits}f}".rstrip("0").rstrip(".")


def _side_line(c: Comparison, name: str) -> str:
    s = c.side(name)
    code = f" ({s.code})" if s.code else ""
    zone = f", job zone {s.job_zone}" if s.job_zone else ""
    twins = [m for m in s.members if m.iri != s.representative.iri]
    more = f"; merged with {', '.join('<' + m.iri + '>' for m in twins)}" if twins else ""
    return f"{name.upper()}: {s.title}{code}{zone} <{s.representative.iri}>{more}"


def to_text(c: Comparison) -> str:
    """The comparison for a terminal."""
    out = io.StringIO()
    w = out.write
    w(_side_line(c, "a") + "\n")
    w(_side_line(c, "b") + "\n")
    if c.same:
        w("A and B are the same occupation (linked by skos:exactMatch).\n")
    sim = c.similarity
    parts = ", ".join(f"{k.replace('_', ' ')} {_fmt(v, 3)}" for k, v in sim.parts.items())
    w(f"\nSimilarity {_fmt(sim.score, 3) or 'n/a'} ({parts or 'no data on both sides'})\n")
    w(f"  {FORMULA}\n")
    w(f"  {REQUIRED_RULE}\n  {LEVEL_RULE}\n")
    titles = {
        "competency": "competencies",
        "tool": "tools and technologies",
        "certification": "certifications",
        "work_activity": "work activities",
    }
    for kind, title in titles.items():
        for status, label in STATUS_LABELS.items():
            chosen = c.section(kind, status)
            if not chosen:
                continue
            w(f"\n{label} — {title} ({len(chosen)})\n")
            for i in chosen:
                w("  " + _item_line(i) + "\n")
    if c.lists:
        w("\nPrioritized lists (A | B)\n")
        for pl in c.lists:
            kind = f" ({pl.kind_label})" if pl.kind_label else ""
            w(f"  {pl.type_label}{kind}\n")
            for n in range(max(len(pl.a), len(pl.b))):
                left = _entry(pl.a[n]) if n < len(pl.a) else ""
                right = _entry(pl.b[n]) if n < len(pl.b) else ""
                w(f"    {left:<40} | {right}\n")
    for name in SIDES:
        if c.nearest.get(name):
            w(f"\nNearest occupations to {c.side(name).title}\n")
            for n in c.nearest[name]:
                code = f" ({n.code})" if n.code else ""
                w(f"  {_fmt(n.similarity.score, 3):>6}  {n.title}{code}\n")
    w("\nSources\n")
    for g, info in c.sources.items():
        w(f"  <{g}> {_source_name(info)}\n")
    return out.getvalue()


def _entry(e: ListEntry) -> str:
    return f"{e.rank if e.rank is not None else '-'}. {e.label}"


def _source_name(info: Mapping[str, str]) -> str:
    parts = [info.get("title") or info.get("label") or info.get("file") or ""]
    if info.get("file") and info.get("file") != parts[0]:
        parts.append(f"file {info['file']}")
    if info.get("licence"):
        parts.append(f"licence {info['licence']}")
    return "; ".join(p for p in parts if p)


def _item_line(i: Item) -> str:
    if i.kind == "competency":

        def side(f: Fact | None) -> str:
            if f is None:
                return "—"
            bits = []
            if f.importance is not None:
                bits.append(f"importance {_fmt(f.importance)}")
            if f.level is not None:
                bits.append(f"level {_fmt(f.level)}")
            if f.level_label:
                where = "framework" if f.level_kind == "framework" else "source"
                bits.append(f"{where}: {f.level_label}")
            elif f.required_by and f.importance is None:
                bits.append("required by a source")
            return ", ".join(bits) or "named"

        gap = f"  gap {i.gap:+.2f}" if i.gap is not None else ""
        return f"{i.label}: A {side(i.a)}; B {side(i.b)}{gap}"
    if i.kind == "tool":
        hot = " (hot)" if any(f is not None and f.hot for f in (i.a, i.b)) else ""
        return f"{i.label}{hot}"
    return i.label


CSV_COLUMNS = [
    "kind",
    "status",
    "label",
    "iri",
    "a_importance",
    "a_level",
    "b_importance",
    "b_level",
    "gap",
    "score",
    "sources",
]


def to_csv(c: Comparison) -> str:
    """One row per compared item (competency, tool, certification, work activity), then the
    similarity and the nearest occupations; formula cells neutralised (:func:`csv_text`)."""
    rows: list[list[object]] = [list(CSV_COLUMNS)]
    for kind in ("competency", "tool", "certification", "work_activity"):
        for status in STATUS_LABELS:
            for i in c.section(kind, status):
                rows.append(
                    [
                        kind,
                        status,
                        i.label,
                        i.key,
                        _fmt(i.a.importance) if i.a else "",
                        _fmt(i.a.level) if i.a else "",
                        _fmt(i.b.importance) if i.b else "",
                        _fmt(i.b.level) if i.b else "",
                        _fmt(i.gap) if kind == "competency" else "",
                        "",
                        " ".join(i.sources()),
                    ]
                )
    rows.append(
        [
            "similarity",
            "",
            f"{c.a.title} / {c.b.title}",
            "",
            "",
            "",
            "",
            "",
            "",
            _fmt(c.similarity.score, 4),
            "",
        ]
    )
    for side in SIDES:
        for n in c.nearest.get(side, []):
            rows.append(
                [
                    f"nearest_{side}",
                    "",
                    n.title,
                    n.iri,
                    "",
                    "",
                    "",
                    "",
                    "",
                    _fmt(n.similarity.score, 4),
                    "",
                ]
            )
    return csv_text(rows)


def to_json(c: Comparison) -> str:
    return json.dumps(c.as_json(), ensure_ascii=False, indent=2)


_XSD = "http://www.w3.org/2001/XMLSchema#"

_PROV = "http://www.w3.org/ns/prov#"

_DCT = "http://purl.org/dc/terms/"

_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")

_SCHEMA_POSITION = ox.NamedNode("https://schema.org/position")

_RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")

_RDFS_COMMENT = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")

STATUS_TERMS = {"shared": CKG.Shared, "to_learn": CKG.ToLearn, "not_needed": CKG.NotNeeded}

RDF_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}


def named_node(iri: str | URIRef) -> ox.NamedNode:
    """An IRI as a pyoxigraph term (rdflib's ``URIRef`` or a string)."""
    return ox.NamedNode(str(iri))


def decimal(x: float, digits: int = 4) -> ox.Literal:
    """``x`` as an ``xsd:decimal`` of at most ``digits`` decimals, without trailing zeros."""
    text = f"{round(x, digits):.{digits}f}".rstrip("0")
    return ox.Literal(
        text + "0" if text.endswith(".") else text, datatype=named_node(_XSD + "decimal")
    )


def to_triples(c: Comparison, subject: str) -> list[ox.Triple]:
    """The comparison as RDF about ``subject`` (the comparison's own URL)."""
    s = named_node(subject)
    head: list[ox.Triple] = []  # about the comparison, then about each node, for grouping
    body: list[ox.Triple] = []

    def add(a: ox.NamedNode, b: ox.NamedNode, o: Any) -> None:
        (head if a == s else body).append(ox.Triple(a, b, o))

    add(s, _RDF_TYPE, named_node(CKG.OccupationComparison))
    add(
        s,
        _RDFS_LABEL,
        ox.Literal(f"{c.a.title} compared with {c.b.title}", language="en"),
    )
    add(s, _RDFS_COMMENT, ox.Literal(f"{FORMULA} {REQUIRED_RULE} {LEVEL_RULE}", language="en"))
    add(s, named_node(CKG.fromOccupation), named_node(c.a.representative.iri))
    add(s, named_node(CKG.toOccupation), named_node(c.b.representative.iri))
    if c.similarity.score is not None:
        add(s, named_node(CKG.similarity), decimal(c.similarity.score))
    for part, prop in (
        ("competencies", CKG.competencySimilarity),
        ("tools", CKG.toolSimilarity),
        ("work_activities", CKG.workActivitySimilarity),
    ):
        if part in c.similarity.parts:
            add(s, named_node(prop), decimal(c.similarity.parts[part]))
    n = 0
    for kind in ("competency", "tool", "certification", "work_activity"):
        for status in STATUS_LABELS:
            for item in c.section(kind, status):
                n += 1
                node = named_node(f"{subject}#item-{n}")
                add(s, named_node(CKG.item), node)
                add(node, _RDF_TYPE, named_node(CKG.ComparisonItem))
                add(node, named_node(CKG.comparedResource), named_node(item.key))
                add(node, named_node(CKG.comparisonStatus), named_node(STATUS_TERMS[status]))
                add(node, _RDFS_LABEL, ox.Literal(item.label))
                for f, imp, lvl in (
                    (item.a, CKG.fromImportance, CKG.fromLevel),
                    (item.b, CKG.toImportance, CKG.toLevel),
                ):
                    if f is None or kind != "competency":
                        continue
                    if f.importance is not None:
                        add(node, named_node(imp), decimal(f.importance, 2))
                    if f.level is not None:
                        add(node, named_node(lvl), decimal(f.level, 2))
                if kind == "competency" and item.gap is not None:
                    add(node, named_node(CKG.levelGap), decimal(item.gap, 2))
                for g in item.sources():
                    add(node, named_node(_PROV + "wasDerivedFrom"), named_node(g))
    for side in SIDES:
        occ = c.side(side).representative.iri
        for rank, nb in enumerate(c.nearest.get(side, []), start=1):
            node = named_node(f"{subject}#nearest-{side}-{rank}")
            add(s, named_node(CKG.similarOccupation), node)
            add(node, _RDF_TYPE, named_node(CKG.SimilarOccupation))
            add(node, named_node(CKG.forOccupation), named_node(occ))
            add(node, named_node(CKG.relatedOccupation), named_node(nb.iri))
            if nb.similarity.score is not None:
                add(node, named_node(CKG.similarity), decimal(nb.similarity.score))
            add(
                node, _SCHEMA_POSITION, ox.Literal(str(rank), datatype=named_node(_XSD + "integer"))
            )
    for g, info in c.sources.items():
        add(s, named_node(_PROV + "wasDerivedFrom"), named_node(g))
        title = info.get("title") or info.get("label") or info.get("file")
        if title:
            add(named_node(g), named_node(_DCT + "title"), ox.Literal(title))
        if info.get("licence"):
            try:
                add(named_node(g), named_node(_DCT + "license"), named_node(info["licence"]))
            except ValueError:
                add(named_node(g), named_node(_DCT + "license"), ox.Literal(info["licence"]))
    return head + body


def serialize(c: Comparison, subject: str, mime: str) -> bytes:
    """The comparison's RDF in ``mime`` (one of :data:`RDF_FORMATS`)."""
    return serialize_triples(to_triples(c, subject), mime)


def serialize_triples(triples: list[ox.Triple], mime: str) -> bytes:
    """Triples in ``mime`` (one of :data:`RDF_FORMATS`), with the project's prefixes: the
    comparison's and the careers' (:mod:`competency_kg.career.formats`) RDF alike."""
    return ox.serialize(triples, format=RDF_FORMATS[mime], prefixes=PREFIXES)
