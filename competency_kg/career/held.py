"""What a person has: competencies named (with levels), an occupation's, or those a
document names, as the comparison's competency keys."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SKOS

from competency_kg.career.data import CareerData, number, rounded
from competency_kg.compare.index import (
    Index,
    local_path,
)
from competency_kg.compare.queries import (
    Runner,
)
from competency_kg.compare.resolution import BadInput, NotFound, resolve
from competency_kg.compare.scoring import (
    LEVEL_MAX,
    common_level,
)
from competency_kg.iris import Minter
from competency_kg.namespaces import CEASN, CKG

#: Most competencies one match may name.
MAX_GIVEN = 200
_MAX_NAME = 300


class UnknownCompetencies(BadInput):
    """Names that no competency or tool of the store has (400), with the closest known names."""

    def __init__(self, unknown: dict[str, list[str]]) -> None:
        self.unknown = unknown
        parts = [
            f"{name!r}" + (f" (closest: {', '.join(close)})" if close else "")
            for name, close in unknown.items()
        ]
        super().__init__("unknown competency or tool: " + "; ".join(parts))


@dataclass
class Held:
    """One competency or tool a person has, at a level on the 0-7 scale (None: not said)."""

    key: str
    label: str
    kind: str
    level: float | None = None
    given: str = ""

    def as_json(self, base: str) -> dict[str, Any]:
        return {
            "iri": self.key,
            "path": local_path(self.key, base),
            "label": self.label,
            "kind": self.kind,
            "level": rounded(self.level),
            "given": self.given,
        }


def parse_level(data: CareerData, text: str | float | None) -> float | None:
    """A level on the 0-7 scale: a number 0-7 (O*NET's scale), a proficiency level's name
    ("Advanced": the middle of its band, as the comparison maps it) or ``p/n`` (level p of n).

    >>> parse_level(_EMPTY, "3.5"), parse_level(_EMPTY, "2/3"), parse_level(_EMPTY, "")
    (3.5, 3.5, None)
    """
    if text is None:
        return None
    if isinstance(text, int | float):
        value = float(text)
    else:
        t = " ".join(str(text).split())
        if t in ("", "-"):
            return None
        frac = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(?:/|of)\s*(\d+)", t)
        if frac:
            p, n = float(frac.group(1)), float(frac.group(2))
            if not 1 <= p <= n:
                raise BadInput(f"level {t!r}: position {p:g} is not on a scale of {n:g}")
            return common_level(p, n)
        if t.casefold() in data.level_names:
            return data.level_names[t.casefold()]
        try:
            value = float(t)
        except ValueError:
            known = sorted({k for k in data.level_names})
            raise BadInput(
                f"level {t!r}: give a number 0-7 (O*NET's level scale), p/n, or a level name"
                + (f" ({', '.join(known[:12])})" if known else "")
            ) from None
    if not 0 <= value <= LEVEL_MAX:
        raise BadInput(f"level {value:g} is not on O*NET's 0-7 level scale")
    return value


def _suggest(data: CareerData, name: str, n: int = 3) -> list[str]:
    folded = name.casefold()
    pool = list(data.names)
    close = difflib.get_close_matches(folded, pool, n=n, cutoff=0.6)
    contains = [k for k in pool if folded in k and k not in close][: n - len(close)]
    out = []
    for k in close + contains:
        key = min(data.names[k])
        label = data.label(key)
        if label not in out:
            out.append(label)
    return out[:n]


def resolve_names(
    data: CareerData, given: Sequence[tuple[str, str | float | None]], *, lenient: bool = False
) -> tuple[list[Held], list[str]]:
    """What a person names (competency or tool names, O*NET element codes or IRIs, each with
    an optional level) as :class:`Held` items. Unknown names raise :class:`UnknownCompetencies`
    naming the closest known names, unless ``lenient`` (a document: they are returned)."""
    if len(given) > MAX_GIVEN:
        raise BadInput(f"at most {MAX_GIVEN} competencies in one match")
    held: dict[str, Held] = {}
    unknown: dict[str, list[str]] = {}
    for name, level_text in given:
        text = " ".join((name or "").split())
        if not text:
            continue
        if len(text) > _MAX_NAME or any(ord(ch) < 32 for ch in text):
            raise BadInput("a competency name is too long or has control characters")
        keys = data.names.get(text.casefold())
        if keys is None and (text in data.labels or text in data.kinds):
            keys = {text}  # an IRI
        if keys is None and text.startswith("/") and data.base + text[1:] in data.kinds:
            keys = {data.base + text[1:]}
        if not keys:
            unknown[text] = [] if lenient else _suggest(data, text)
            continue
        level = parse_level(data, level_text)
        for key in sorted(keys):
            old = held.get(key)
            if old is None or (level is not None and (old.level is None or level > old.level)):
                held[key] = Held(
                    key, data.label(key), data.kinds.get(key, "competency"), level, text
                )
    if unknown and not lenient:
        raise UnknownCompetencies(unknown)
    return list(held.values()), list(unknown)


def held_from_occupation(
    data: CareerData, runner: Runner, minter: Minter, text: str
) -> tuple[list[Held], int]:
    """What a worker of an occupation has: the competencies it requires, at its levels."""
    iri = resolve(runner, text, minter)  # BadInput, NotFound, Ambiguous
    i = data.index.by_member.get(iri)
    if i is None:
        raise NotFound(f"<{iri}> has no competency data")
    held = [
        Held(k, data.label(k), "competency", n.level, data.index.clusters[i].code or iri)
        for k, n in sorted(data.required(i).items(), key=lambda kv: -kv[1].weight)
    ]
    if not held:
        raise NotFound(f"{data.title(i)} requires no competency the store knows of")
    return held, i


def names_in_document(graph: Graph) -> list[tuple[str, float | None]]:
    """The competencies a document names, with a level where it gives one: a framework
    export's statement topics (at the lowest level it states them) and competencies, a
    CTDL-ASN framework's competencies (label, else O*NET code)."""
    found: dict[str, float | None] = {}

    def offer(name: str, level: float | None) -> None:
        name = " ".join(name.split())
        if name and (name not in found or _lower(level, found[name])):
            found[name] = level

    for s in set(graph.subjects(CEASN.competencyLabel, None)):
        labels = [str(o) for o in graph.objects(s, CEASN.competencyLabel)]
        level = None
        for lvl in graph.objects(s, CKG.atLevel):
            pos = number(str(graph.value(lvl, URIRef("https://schema.org/position")) or ""))
            scale = graph.value(lvl, SKOS.inScheme)
            count = len(set(graph.objects(scale, SKOS.hasTopConcept))) if scale else 0
            level = common_level(pos, count) if count else None
        code = graph.value(s, CEASN.codedNotation)
        offer(str(code) if code is not None and not labels else labels[0], level)
    for s in set(graph.subjects(RDF.type, CKG.Competency)):
        label = graph.value(s, SKOS.prefLabel)
        if label is not None:
            offer(str(label), None)
    for s in set(graph.subjects(RDF.type, CEASN.Competency)):
        if (s, CEASN.competencyLabel, None) not in graph:
            code = graph.value(s, CEASN.codedNotation)
            if code is not None:
                offer(str(code), None)
    return sorted(found.items())


def _lower(level: float | None, than: float | None) -> bool:
    return level is not None and (than is None or level < than)


_EMPTY = CareerData(Index([], {}), [], [], {}, {}, {}, {}, {}, {}, "", "")
