"""What a comparison holds: the two sides with their twins, a fact per side and item, the
prioritized lists, and the JSON view of it all."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from competency_kg.compare.index import Neighbour, local_path
from competency_kg.compare.scoring import (
    IMPORTANCE_THRESHOLD,
    LEVEL_RULE,
    REQUIRED_RULE,
    REQUIREMENT_WEIGHT,
    Similarity,
    common_level,
    rating_weight,
    rounded,
)

SIDES = ("a", "b")


@dataclass
class Member:
    iri: str
    code: str | None = None
    title: str | None = None
    job_zone: str | None = None
    graphs: list[str] = field(default_factory=list)


@dataclass
class Side:
    """One compared occupation with its twins."""

    focus: str
    members: list[Member]
    links: list[dict[str, str]]

    @property
    def representative(self) -> Member:
        by_iri = {m.iri: m for m in self.members}
        if self.focus in by_iri and by_iri[self.focus].code:
            return by_iri[self.focus]
        coded = sorted((m for m in self.members if m.code), key=lambda m: m.iri)
        return coded[0] if coded else by_iri.get(self.focus, self.members[0])

    @property
    def title(self) -> str:
        focus = next((m for m in self.members if m.iri == self.focus), None)
        if focus is not None and focus.title:
            return focus.title
        return next((m.title for m in self.members if m.title), self.focus)

    @property
    def code(self) -> str | None:
        return self.representative.code or next((m.code for m in self.members if m.code), None)

    @property
    def job_zone(self) -> str | None:
        return next((m.job_zone for m in self.members if m.job_zone), None)

    def member_iris(self) -> set[str]:
        return {m.iri for m in self.members}


@dataclass
class Fact:
    """What one side says about one competency, tool, certification or work activity."""

    required: bool = False
    required_by: set[str] = field(default_factory=set)  # graphs whose documents require it
    importance: float | None = None
    onet_level: float | None = None
    rating_graph: str | None = None
    rating_version: tuple[int, ...] = ()
    level_label: str | None = None
    level_position: float | None = None
    level_count: float | None = None
    level_graph: str | None = None
    level_kind: str | None = None  # "requirement" or "framework"
    hot: bool = False
    tasks: int = 0
    iris: set[str] = field(default_factory=set)  # the source resources merged in it
    graphs: set[str] = field(default_factory=set)
    close: set[str] = field(default_factory=set)  # close matches (tools)

    @property
    def level(self) -> float | None:
        if self.onet_level is not None:
            return self.onet_level
        return common_level(self.level_position, self.level_count)

    @property
    def level_basis(self) -> str | None:
        if self.onet_level is not None:
            return "O*NET level"
        if self.level is not None:
            where = "framework" if self.level_kind == "framework" else "required level"
            return f"{self.level_label} ({self.level_position:g} of {self.level_count:g}, {where})"
        return None

    def offer_level(
        self, kind: str, label: str | None, position: float | None, count: float | None, g: str
    ) -> None:
        """A stated level: a requirement's wins over a framework's; of several requirements
        the highest, of several framework statements the lowest (where the framework first
        expects the competency)."""
        if position is None or not count:
            return
        if self.level_kind == "requirement" and kind == "framework":
            return
        if self.level_kind == kind and self.level_position is not None:
            higher = position > self.level_position
            if (kind == "requirement") != higher:
                return
        self.level_label, self.level_position, self.level_count = label, position, count
        self.level_graph, self.level_kind = g, kind

    @property
    def weight(self) -> float:
        w = rating_weight(self.importance)
        return max(w, REQUIREMENT_WEIGHT) if self.required_by else w

    def sources(self) -> list[str]:
        return sorted(self.graphs)

    def as_json(self, kind: str) -> dict[str, Any]:
        out: dict[str, Any] = {"sources": self.sources()}
        if kind == "competency":
            out.update(
                required=self.required,
                required_by_source=sorted(self.required_by),
                importance=self.importance,
                onet_level=self.onet_level,
                rating_source=self.rating_graph,
                proficiency_level=self.level_label,
                level=rounded(self.level, 2),
                level_basis=self.level_basis,
                weight=rounded(self.weight),
            )
        elif kind == "tool":
            out.update(hot=self.hot)
            if self.close:
                out["close_matches"] = sorted(self.close)
        elif kind == "work_activity":
            out.update(tasks=self.tasks)
        out["resources"] = sorted(self.iris)
        return out


STATUS_LABELS = {
    "shared": "Shared",
    "to_learn": "To learn (B needs it, A does not)",
    "not_needed": "Only A needs it",
}


@dataclass
class Item:
    kind: str  # competency | tool | certification | work_activity
    key: str
    label: str
    a: Fact | None
    b: Fact | None
    notation: str | None = None

    def present(self, side: str) -> bool:
        fact = self.a if side == "a" else self.b
        if fact is None:
            return False
        return fact.required if self.kind == "competency" else True

    @property
    def status(self) -> str | None:
        a, b = self.present("a"), self.present("b")
        if a and b:
            return "shared"
        if b:
            return "to_learn"
        if a:
            return "not_needed"
        return None

    @property
    def gap(self) -> float | None:
        if self.a is None or self.b is None:
            return None
        la, lb = self.a.level, self.b.level
        return None if la is None or lb is None else lb - la

    def sources(self) -> list[str]:
        return sorted({g for f in (self.a, self.b) if f is not None for g in f.graphs})

    def as_json(self, base: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "iri": self.key,
            "path": local_path(self.key, base),
            "label": self.label,
            "status": self.status,
        }
        if self.notation:
            out["notation"] = self.notation
        if self.kind == "competency":
            out["gap"] = rounded(self.gap, 2)
        out["a"] = self.a.as_json(self.kind) if self.a else None
        out["b"] = self.b.as_json(self.kind) if self.b else None
        return out


@dataclass
class ListEntry:
    rank: int | None
    competency: str
    label: str


@dataclass
class PrioritizedLists:
    list_type: str
    type_label: str
    kind: str | None
    kind_label: str | None
    position: int
    a: list[ListEntry] = field(default_factory=list)
    b: list[ListEntry] = field(default_factory=list)
    sources: set[str] = field(default_factory=set)


@dataclass
class Comparison:
    a: Side
    b: Side
    base: str
    items: dict[str, list[Item]]  # kind → items
    lists: list[PrioritizedLists]
    similarity: Similarity
    nearest: dict[str, list[Neighbour]]
    sources: dict[str, dict[str, str]]
    queries: dict[str, str]
    notes: list[str] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return bool(self.a.member_iris() & self.b.member_iris())

    def side(self, name: str) -> Side:
        return self.a if name == "a" else self.b

    def section(self, kind: str, status: str) -> list[Item]:
        """Items of ``kind`` with ``status``, most important (for the side that needs them)
        first."""
        chosen = [i for i in self.items.get(kind, []) if i.status == status]

        def importance(f: Fact | None) -> float:
            if f is None:
                return 0.0
            if f.importance is not None:
                return f.importance
            return IMPORTANCE_THRESHOLD if f.required_by else 0.0

        if kind == "competency":
            if status == "not_needed":
                chosen.sort(key=lambda i: (-importance(i.a), i.label.casefold()))
            else:
                chosen.sort(key=lambda i: (-importance(i.b), -importance(i.a), i.label.casefold()))
        elif kind == "tool":
            fact = "a" if status == "not_needed" else "b"
            chosen.sort(key=lambda i: (not getattr(i, fact).hot, i.label.casefold()))
        elif kind == "work_activity":
            fact = "a" if status == "not_needed" else "b"
            chosen.sort(key=lambda i: (-getattr(i, fact).tasks, i.label.casefold()))
        else:
            chosen.sort(key=lambda i: i.label.casefold())
        return chosen

    def gaps(self, limit: int | None = None) -> list[Item]:
        """Competencies one side requires and both give a level for, largest gap first."""
        out = [
            i
            for i in self.items.get("competency", [])
            if i.status is not None and i.gap is not None
        ]
        out.sort(key=lambda i: (-(i.gap or 0.0), i.label.casefold()))
        return out[:limit] if limit else out

    def counts(self) -> dict[str, dict[str, int]]:
        return {
            kind: {s: len(self.section(kind, s)) for s in STATUS_LABELS}
            for kind in ("competency", "tool", "certification", "work_activity")
        }

    def side_json(self, name: str) -> dict[str, Any]:
        s = self.side(name)
        rep = s.representative
        return {
            "iri": rep.iri,
            "path": local_path(rep.iri, self.base),
            "title": s.title,
            "code": s.code,
            "job_zone": s.job_zone,
            "members": [
                {
                    "iri": m.iri,
                    "path": local_path(m.iri, self.base),
                    "code": m.code,
                    "title": m.title,
                    "job_zone": m.job_zone,
                    "sources": sorted(m.graphs),
                }
                for m in s.members
            ],
            "links": s.links,
        }

    def _entry_json(self, e: ListEntry) -> dict[str, Any]:
        return {
            "rank": e.rank,
            "iri": e.competency,
            "path": local_path(e.competency, self.base),
            "label": e.label,
        }

    def as_json(self) -> dict[str, Any]:
        sections = {}
        for kind, plural in (
            ("competency", "competencies"),
            ("tool", "tools"),
            ("certification", "certifications"),
            ("work_activity", "work_activities"),
        ):
            sections[plural] = {
                s: [i.as_json(self.base) for i in self.section(kind, s)] for s in STATUS_LABELS
            }
        return {
            "a": self.side_json("a"),
            "b": self.side_json("b"),
            "same_occupation": self.same,
            "similarity": self.similarity.as_json(),
            "rules": {"required": REQUIRED_RULE, "levels": LEVEL_RULE},
            **sections,
            "prioritized_lists": [
                {
                    "list_type": pl.list_type,
                    "label": pl.type_label,
                    "kind": pl.kind,
                    "kind_label": pl.kind_label,
                    "a": [self._entry_json(e) for e in pl.a],
                    "b": [self._entry_json(e) for e in pl.b],
                    "sources": sorted(pl.sources),
                }
                for pl in self.lists
            ],
            "nearest": {k: [n.as_json(self.base) for n in v] for k, v in self.nearest.items()},
            "sources": self.sources,
            "queries": self.queries,
            "notes": self.notes,
        }
