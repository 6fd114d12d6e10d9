"""How the validation page shows a report: results grouped by severity, node shape, rule and
focus node, the page's choices (:class:`Scope`), terms and links, per-rule counts and
limits; the routes are in :mod:`competency_kg.web.validation`."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from rdflib import URIRef
from rdflib.namespace import RDFS

from competency_kg.namespaces import PREFIXES, SH
from competency_kg.validation import (
    CorrectionInfo,
    Report,
    ResolvedResult,
    Result,
    SourceSummary,
    compact,
    path_text,
    shapes_graph,
)
from competency_kg.web.state import state

SEVERITIES = ("Violation", "Warning", "Info")


@dataclass
class FocusGroup:
    iri: str
    label: str | None
    href: str | None
    results: list[Result]
    sources: list[tuple[str, str, str]]  # (label, graph IRI, filter link)
    location: str | None
    anchor: str


@dataclass
class RuleGroup:
    iri: str
    name: str
    compact: str
    constraint: str
    path: str | None
    message: str | None  # when every result says the same
    foci: list[FocusGroup] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(f.results) for f in self.foci)

    @property
    def has_values(self) -> bool:
        return any(r.value for f in self.foci for r in f.results)


@dataclass
class ShapeGroup:
    iri: str
    label: str
    compact: str
    rules: list[RuleGroup] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(r.count for r in self.rules)


@dataclass
class SeverityGroup:
    name: str
    shapes: list[ShapeGroup] = field(default_factory=list)

    @property
    def css(self) -> str:
        return self.name.lower()

    @property
    def count(self) -> int:
        return sum(s.count for s in self.shapes)


def shape_name(iri: str) -> str | None:
    g = shapes_graph()
    node = URIRef(iri)
    for p in (SH.name, RDFS.label):
        v = g.value(node, p)
        if v is not None:
            return str(v)
    return None


def resource_href(iri: str | None) -> str | None:
    """Where this server shows a data resource: its IRI's path after the base."""
    if not iri:
        return None
    base = state().settings.minter.base
    if iri.startswith(base) and len(iri) > len(base):
        return "/" + iri[len(base) :]
    return None


def show_term(text: str) -> str:
    """An N-Triples term, short: prefixed names, data IRIs relative to the base, literals
    by their text."""
    if text.startswith("<") and text.endswith(">"):
        iri = text[1:-1]
        short = compact(iri)
        if short != iri:
            return short
        base = state().settings.minter.base
        return "<" + iri[len(base) :] + ">" if iri.startswith(base) else text
    m = re.match(r'^"(.*)"(?:@[\w-]+|\^\^<[^>]*>)?$', text, re.DOTALL)
    if m:
        return '"' + m.group(1).replace('\\"', '"').replace("\\n", " ") + '"'
    return text


@dataclass
class Scope:
    """The page's choices: which graph, which results."""

    source: str | None = None
    severity: str | None = None
    shape: str | None = None
    focus: str | None = None
    limit: int | None = None  # results shown per rule (Stardog's --limit-per-shape)

    def matches(self, r: Result) -> bool:
        if self.severity and r.severity != self.severity:
            return False
        if self.shape and self.shape not in (r.shape, r.source_shape):
            return False
        return not (self.focus and r.focus != self.focus)

    def link(self, **changes: str | None) -> str:
        values = {
            "source": self.source,
            "severity": self.severity,
            "shape": self.shape,
            "focus": self.focus,
            "limit": str(self.limit) if self.limit else None,
            **changes,
        }
        params = {k: v for k, v in values.items() if v}
        return "/validation" + ("?" + urlencode(params) if params else "")


def expand_name(name: str) -> str:
    """A prefixed name (``ckgsh:OccupationShape``, ``ckg:…``) as an IRI; an IRI as itself."""
    prefix, colon, local = name.partition(":")
    if colon and prefix == "ckgsh":
        return "https://w3id.org/competency-kg/shapes#" + local
    if colon and prefix in PREFIXES and not local.startswith("//"):
        return PREFIXES[prefix] + local
    return name


def group_results(
    results: list[Result], scope: Scope, sources: dict[str, SourceSummary], link: bool = True
) -> list[SeverityGroup]:
    """severity → node shape → rule → focus node, each level in a stable order."""
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    shapes = shapes_graph()
    ordered = sorted(
        results,
        key=lambda r: (
            rank.get(r.severity, 9),
            shape_name(r.shape) or r.shape,
            shape_name(r.source_shape) or r.source_shape,
            (r.focus_label or r.focus).lower(),
            r.focus,
            r.value or "",
        ),
    )
    groups: dict[str, SeverityGroup] = {}
    shape_groups: dict[tuple[str, str], ShapeGroup] = {}
    rule_groups: dict[tuple[str, str, str], RuleGroup] = {}
    focus_groups: dict[tuple[str, str, str, str], FocusGroup] = {}
    for r in ordered:
        sev = groups.setdefault(r.severity, SeverityGroup(r.severity))
        sk = (r.severity, r.shape)
        if sk not in shape_groups:
            shape_groups[sk] = ShapeGroup(
                r.shape, shape_name(r.shape) or compact(r.shape), compact(r.shape)
            )
            sev.shapes.append(shape_groups[sk])
        rk = (r.severity, r.shape, r.source_shape)
        if rk not in rule_groups:
            path = r.path if r.path and r.path != "(path)" else None
            shape_path = path_text(shapes.value(URIRef(r.source_shape), SH.path))
            rule_groups[rk] = RuleGroup(
                iri=r.source_shape,
                name=shape_name(r.source_shape) or compact(r.source_shape),
                compact=compact(r.source_shape),
                constraint=r.constraint.removesuffix("ConstraintComponent"),
                path=shape_path or (compact(path) if path else None),
                message=None,
            )
            shape_groups[sk].rules.append(rule_groups[rk])
        fk = (*rk, r.focus)
        if fk not in focus_groups:
            graphs = (r.graph or "").split()
            focus_groups[fk] = FocusGroup(
                iri=r.focus,
                label=r.focus_label,
                href=resource_href(r.focus) if link else None,
                results=[],
                sources=[
                    (
                        sources[g].title if g in sources and sources[g].title else compact(g),
                        g,
                        scope.link(source=g),
                    )
                    for g in graphs
                ],
                location=r.location,
                anchor="r-" + hashlib.sha1("|".join(fk).encode()).hexdigest()[:10],
            )
            rule_groups[rk].foci.append(focus_groups[fk])
        focus_groups[fk].results.append(r)
    for rule in rule_groups.values():
        messages = {r.message for f in rule.foci for r in f.results}
        if len(messages) == 1:
            rule.message = messages.pop()
    return [groups[s] for s in SEVERITIES if s in groups] + [
        g for k, g in groups.items() if k not in SEVERITIES
    ]


def focus_label(results: list[Result], focus: str | None) -> str | None:
    if not focus:
        return None
    for r in results:
        if r.focus == focus and r.focus_label:
            return r.focus_label
    return None


@dataclass
class CorrectionView:
    info: CorrectionInfo
    resolved: list[ResolvedResult]


def corrections_view(report: Report) -> list[CorrectionView]:
    return [
        CorrectionView(c, [rr for rr in report.resolved if c.iri in rr.corrections])
        for c in report.corrections
    ]


#: Results shown per rule on the page unless ``limit=`` says otherwise: the report of a big
#: store stays one readable screen; each cut rule says "N of M" and links all of them.
PAGE_LIMIT = 50


def rule_totals(results: list[Result]) -> dict[str, int]:
    """How many results each rule (source shape) has, before any limit."""
    totals: dict[str, int] = {}
    for r in results:
        totals[r.source_shape] = totals.get(r.source_shape, 0) + 1
    return totals


def limit_per_rule(chosen: Any, limit: int) -> Any:
    """The report with at most ``limit`` results per rule (:func:`limit_per_shape`)."""
    return chosen.limited(limit)
