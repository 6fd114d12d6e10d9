"""Parse an occupation-overview text file: text extracted from a two-column PDF.

The PDF prints columns side by side; extraction emits them one after the other, and where
a page or a column is short it interleaves them. The parser reads only the format's
structure (headings, bullets, rank numbers, blank-line blocks), never one document's names
or counts, so any occupation's overview parses the same way. It records only what that
structure supports: when columns interleave too much to tell which list or rank an entry
belongs to, it says so (``unplaced``, ``notes``) instead of guessing.

The prioritized lists are read by ``overview_lists`` (the layout rules, with
``overview_tokens`` and ``overview_joint``), the work scenarios and the deep dive by
``overview_scenarios``; the format's vocabulary and text primitives are in ``overview_text``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

from competency_kg.loaders.documents import (
    Activity,
    CompetencyDefinition,
    Kind,
    OverviewDocument,
    RankedList,
    UnplacedEntry,
)
from competency_kg.loaders.errors import SourceError, read_text
from competency_kg.loaders.overview_lists import read_prioritized_section
from competency_kg.loaders.overview_scenarios import LaterSections
from competency_kg.loaders.overview_text import (
    TOP_HEADINGS,
    Bullet,
    Heading,
    Line,
    Region,
    Section,
    bullet_text,
    clean,
    ends_sentence,
    join_lines,
    kind_of,
    paragraphs,
    parse_bullets,
    same_title,
    scan,
    split_item,
    split_lines,
)
from competency_kg.names import competency_key, split_level

__all__ = ["looks_like_overview", "parse_overview"]

# Optional sections: absent ones are reported in ``notes``, never an error.
_OPTIONAL = {
    ("overview", "job-description"): "Job Description",
    ("overview", "activities"): "Activities",
    ("scenarios", None): "Work Scenarios",
    ("deep-dive", "job-titles"): "Job Titles Within This Occupation",
    ("deep-dive", "certifications"): "Certification and Education Preferences",
    ("deep-dive", "tools"): "Tools Used",
}
_KINDS: tuple[Kind, ...] = ("foundational", "occupation-specific")


# --------------------------------------------------------------------------- public API
def looks_like_overview(text: str) -> bool:
    """Whether ``text`` is an occupation overview: its first non-blank line is the title line."""
    for raw in text.split("\n"):
        line = clean(raw)
        if line:
            return bool(TOP_HEADINGS["overview"].fullmatch(line))
    return False


def parse_overview(path: str | Path) -> OverviewDocument:
    """Parse one occupation-overview text file; bad input raises ``SourceError``."""
    text = read_text(path)
    return _Parser(Path(path), split_lines(text)).parse()


# --------------------------------------------------------------------------- the parser
@dataclass
class _OverviewState:
    """What the walk through the overview's two-column opening has seen so far."""

    columns: list[tuple[Kind, Heading]] = field(default_factory=list)
    prev_was_column_heading: bool = False
    in_job_area: bool = False
    job_heading: Heading | None = None
    activities_heading: Heading | None = None
    job_description: list[str] = field(default_factory=list)
    activity_lists: list[list[Activity]] = field(default_factory=list)
    competencies: list[CompetencyDefinition] = field(default_factory=list)


class _Parser(LaterSections):
    """One parse of one file; collects ``notes`` as it goes."""

    def __init__(self, path: Path, lines: list[Line]) -> None:
        self.path = path
        self.lines = lines
        self.notes: list[str] = []
        self.title = ""

    def note(self, where: str, message: str) -> None:
        self.notes.append(f"{where}: {message}")

    def fail(self, where: str | None, message: str) -> NoReturn:
        raise SourceError(self.path, where, message)

    # ------------------------------------------------------------------ document
    def parse(self) -> OverviewDocument:
        title_line = self._title_line()
        sections = scan(self.lines[title_line.no - 1 :])
        by_top = self._group(sections)
        overview = by_top[("overview", None)][0]
        state = self._overview(overview)
        ranked, unplaced = self._prioritized(by_top)
        scenarios = self._scenarios(by_top.get(("scenarios", None), []))
        deep = by_top.get(("deep-dive", None), [])
        self._report_missing(by_top, [*overview.children, *(r for s in deep for r in s.children)])
        doc = OverviewDocument(
            title=self.title,
            where=f"line {title_line.no}",
            competencies=state.competencies,
            job_description=paragraphs(state.job_description),
            activity_lists=state.activity_lists,
            ranked_lists=[*ranked, *self._other_relevant(deep)],
            unplaced=unplaced,
            scenarios=scenarios,
            job_titles=self._named_items(deep, "job-titles"),
            certifications=self._named_items(deep, "certifications"),
            tools=self._named_items(deep, "tools"),
            heading=" ".join(title_line.text.split()),
        )
        self._check_names(doc)
        doc.notes = self.notes
        return doc

    def _title_line(self) -> Line:
        first = next(line for line in self.lines if line.text)  # read_text refused blank files
        m = TOP_HEADINGS["overview"].fullmatch(first.text)
        if not m:
            self.fail(
                f"line {first.no}",
                f"expected the title line 'Occupation Overview: <title>', found {first.text!r}",
            )
        self.title = m["title"].strip()
        if not self.title:
            self.fail(f"line {first.no}", "the title line names no occupation")
        return first

    def _group(self, sections: list[Section]) -> dict[tuple[str, str | None], list[Section]]:
        """Sections by (kind, foundational/occupation-specific); checks repeated titles."""
        grouped: dict[tuple[str, str | None], list[Section]] = {}
        for section in sections:
            heading = section.top.heading
            key = (heading.kind, heading.arg if heading.kind == "prioritized" else None)
            if key in grouped:
                self.note(heading.where, f"heading {heading.text!r} repeats an earlier section")
            grouped.setdefault(key, []).append(section)
            if heading.title and not same_title(heading.title, self.title):
                self.note(
                    heading.where,
                    f"heading names {heading.title!r}, the title line names {self.title!r}",
                )
        return grouped

    def _report_missing(
        self, by_top: dict[tuple[str, str | None], list[Section]], children: list[Region]
    ) -> None:
        kinds = {r.heading.kind for r in children}
        for (top, child), label in _OPTIONAL.items():
            present = (top, None) in by_top and (child is None or child in kinds)
            if not present:
                self.note(f"section {label!r}", "section missing; recorded as empty")

    # ------------------------------------------------------------------ overview opening
    def _overview(self, section: Section) -> _OverviewState:
        state = _OverviewState()
        for region in section.regions:
            self._overview_heading(region.heading, state)
            for block in region.blocks:
                self._overview_block(block, state)
                state.prev_was_column_heading = False
        self._check_competencies(section, state)
        return state

    def _overview_heading(self, heading: Heading, state: _OverviewState) -> None:
        if heading.kind == "competencies":
            column = (kind_of(heading), heading)
            # Headings printed back to back head side-by-side columns.
            state.columns = [*state.columns, column] if state.prev_was_column_heading else [column]
            state.prev_was_column_heading = True
            state.in_job_area = False
            return
        state.prev_was_column_heading = False
        if heading.kind == "job-description":
            state.in_job_area, state.job_heading = True, heading
        elif heading.kind == "activities":
            state.in_job_area, state.activities_heading = True, heading

    def _next_column(self, state: _OverviewState) -> Kind:
        """The column a new block of competency bullets belongs to.

        Side-by-side columns come out one after the other: the first block is the left
        column's; every later block continues the right column.
        """
        kind = state.columns[0][0]
        if len(state.columns) > 1:
            state.columns.pop(0)
        return kind

    def _overview_block(self, block: list[Line], state: _OverviewState) -> None:
        first = block[0]
        last = state.competencies[-1] if state.competencies else None
        cut = last is not None and not ends_sentence(last.definition)
        if bullet_text(first.text) is not None:
            self._overview_bullets(block, state)
        elif cut and (first.text[0].islower() or not self._expects_job_text(state)):
            self._continue_competency(block, state)
        elif state.in_job_area and self._expects_job_text(state):
            state.job_description.append(join_lines([line.text for line in block]))
        else:
            self.note(f"line {first.no}", f"text outside any known part ignored: {first.text!r}")

    def _expects_job_text(self, state: _OverviewState) -> bool:
        """The job description is the prose right after its heading, before activity lists."""
        return state.job_heading is not None and not state.activity_lists

    def _overview_bullets(self, block: list[Line], state: _OverviewState) -> None:
        if not state.columns:
            self.note(f"line {block[0].no}", "bullets before any competency heading ignored")
            return
        bullets = self._bullets_only(block)
        if state.in_job_area and not all(split_item(b.text) for b in bullets):
            self._activities(bullets, state)
            return
        kind = self._next_column(state)
        state.competencies.extend(self._competency(b, kind) for b in bullets)

    def _bullets_only(self, block: list[Line]) -> list[Bullet]:
        bullets, plain = parse_bullets(block)
        for lines in plain:
            self.note(f"line {lines[0].no}", f"text after a bare bullet ignored: {lines[0].text!r}")
        return bullets

    def _competency(self, bullet: Bullet, kind: Kind) -> CompetencyDefinition:
        split = split_item(bullet.text)
        if split is None:
            self.fail(
                f"line {bullet.line}",
                f"a competency bullet must read '• Name: definition', found {bullet.text or '•'!r}",
            )
        name, definition = split
        if not definition:
            self.note(f"line {bullet.line}", f"competency {name!r} has no definition")
        return CompetencyDefinition(name, kind, definition, f"line {bullet.line}")

    def _continue_competency(self, block: list[Line], state: _OverviewState) -> None:
        """A block resuming the last definition, cut off by a page or column break."""
        last = state.competencies[-1]
        lead = [line.text for line in _until_bullet(block)]
        last.definition = join_lines([last.definition, *lead])
        rest = block[len(lead) :]
        if rest:
            state.competencies.extend(
                self._competency(b, last.kind) for b in self._bullets_only(rest)
            )

    def _activities(self, bullets: list[Bullet], state: _OverviewState) -> None:
        if state.activities_heading is None:
            self.note(f"line {bullets[0].line}", "bullets with no 'Activities' heading ignored")
            return
        for bare in (b for b in bullets if not b.parts):
            self.note(f"line {bare.line}", "activity bullet with no text ignored")
        named = [b for b in bullets if b.parts]
        state.activity_lists.append(
            [Activity(b.text, position, f"line {b.line}") for position, b in enumerate(named, 1)]
        )

    def _check_competencies(self, section: Section, state: _OverviewState) -> None:
        headings = [r.heading for r in section.of("competencies")]
        if not headings:
            self.fail(
                "section 'Foundational Competencies'",
                "required section missing: no 'Foundational Competencies' or "
                "'Occupation-Specific Competencies' heading",
            )
        if not state.competencies:
            self.fail(f"section {headings[0].text!r}", "no competency bullets ('• Name: text')")
        for heading in headings:
            if not any(c.kind == kind_of(heading) for c in state.competencies):
                self.note(f"section {heading.text!r}", "no competency bullets under this heading")
        for kind in _KINDS:
            if not any(kind_of(h) == kind for h in headings):
                self.note(f"section '{kind} competencies'", "heading missing")
        for c in state.competencies:
            if not ends_sentence(c.definition):
                self.note(c.where, f"definition of {c.wording!r} seems cut off")
            level, _ = split_level(c.wording)
            if (level is None) == (c.kind == "occupation-specific"):
                expected = "no level prefix" if level else "a level prefix"
                self.note(c.where, f"{c.kind} competency {c.wording!r} printed with {expected}")

    # ------------------------------------------------------------------ prioritized lists
    def _prioritized(
        self, by_top: dict[tuple[str, str | None], list[Section]]
    ) -> tuple[list[RankedList], list[UnplacedEntry]]:
        lists: list[RankedList] = []
        unplaced: list[UnplacedEntry] = []
        for kind in _KINDS:
            sections = by_top.get(("prioritized", kind), [])
            if not sections:
                label = "Foundational" if kind == "foundational" else "Occupation-Specific"
                self.note(f"section 'Prioritized {label} Competencies'", "section missing")
            for section in sections:
                found, loose = read_prioritized_section(section, kind, self.note)
                lists.extend(found)
                unplaced.extend(loose)
        return lists, unplaced

    # ------------------------------------------------------------------ cross-checks
    def _check_names(self, doc: OverviewDocument) -> None:
        """Note names that match no defined competency, or match one at another level."""
        defined = {competency_key(split_level(c.wording)[1]): c for c in doc.competencies}
        mentions = [
            (e.wording, e.where)
            for lst in doc.ranked_lists
            if lst.list_type != "other-relevant"
            for e in lst.entries
        ]
        mentions += [(u.entry.wording, u.entry.where) for u in doc.unplaced]
        mentions += [(c.wording, c.where) for s in doc.scenarios for c in s.competencies]
        for wording, where in mentions:
            level, base = split_level(wording)
            match = defined.get(competency_key(base))
            if match is None:
                self.note(where, f"{wording!r} matches no competency of the competency section")
            elif level != split_level(match.wording)[0]:
                self.note(
                    where,
                    f"{wording!r} is printed at another level than {match.wording!r} "
                    f"({match.where})",
                )


def _until_bullet(block: list[Line]) -> list[Line]:
    lead: list[Line] = []
    for line in block:
        if bullet_text(line.text) is not None:
            break
        lead.append(line)
    return lead
