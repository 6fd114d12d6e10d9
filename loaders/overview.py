"""Parse an occupation-overview text file: text extracted from a two-column PDF.

The PDF prints columns side by side; extraction emits them one after the other, and where
a page or a column is short it interleaves them. The parser reads only the format's
structure (headings, bullets, rank numbers, blank-line blocks), never one document's names
or counts, so any occupation's overview parses the same way. It records only what that
structure supports: when columns interleave too much to tell which list or rank an entry
belongs to, it says so (``unplaced``, ``notes``) instead of guessing.

The prioritized lists are read by ``overview_lists`` (the layout rules); the format's
vocabulary and text primitives are in ``overview_text``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import NoReturn

from competency_kg.loaders.documents import (
    Activity,
    CompetencyDefinition,
    Kind,
    NamedItem,
    OverviewDocument,
    RankedEntry,
    RankedList,
    Scenario,
    ScenarioCompetency,
    UnplacedEntry,
)
from competency_kg.loaders.errors import SourceError, read_text
from competency_kg.loaders.overview_lists import read_prioritized_section
from competency_kg.loaders.overview_text import (
    TOP_HEADINGS,
    Heading,
    Line,
    Region,
    Section,
    bullet_text,
    clean,
    ends_sentence,
    is_name,
    join_lines,
    kind_of,
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
_RANKED_NAME_RE = re.compile(r"(?P<rank>\d{1,3})(?:\s+(?P<name>\S.*))?")


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


@dataclass
class _Bullet:
    """A bullet and its wrapped lines; a bare ``•`` has no parts."""

    line: int
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return join_lines(self.parts)


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


@dataclass
class _ScenarioDraft:
    heading: Heading
    narrative: list[str] = field(default_factory=list)
    list_heading: Heading | None = None
    bullets: list[_Bullet] | None = None


class _Parser:
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
            job_description=_paragraphs(state.job_description),
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

    def _bullets_only(self, block: list[Line]) -> list[_Bullet]:
        bullets, plain = _parse_bullets(block)
        for lines in plain:
            self.note(f"line {lines[0].no}", f"text after a bare bullet ignored: {lines[0].text!r}")
        return bullets

    def _competency(self, bullet: _Bullet, kind: Kind) -> CompetencyDefinition:
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

    def _activities(self, bullets: list[_Bullet], state: _OverviewState) -> None:
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

    # ------------------------------------------------------------------ work scenarios
    def _scenarios(self, sections: list[Section]) -> list[Scenario]:
        drafts: list[_ScenarioDraft] = []
        name_blocks: list[list[Line]] = []
        for section in sections:
            for region in section.regions:
                self._scenario_region(region, drafts, name_blocks)
        if sections and not drafts:
            self.note(sections[0].top.heading.where, "no 'Scenario:' headings")
        members = self._pair_scenario_names(drafts, name_blocks)
        return [
            Scenario(
                title=d.heading.arg or "",
                narrative=_paragraphs(d.narrative) or "",
                position=position,
                competencies=members.get(id(d), []),
                where=d.heading.where,
            )
            for position, d in enumerate(drafts, start=1)
        ]

    def _scenario_region(
        self, region: Region, drafts: list[_ScenarioDraft], name_blocks: list[list[Line]]
    ) -> None:
        heading = region.heading
        if heading.kind == "scenario":
            drafts.append(_ScenarioDraft(heading))
        elif heading.kind == "scenario-list":
            if drafts:
                drafts[-1].list_heading = heading
            else:
                self.note(heading.where, "'List of Competencies' before any scenario")
        for index, block in enumerate(region.blocks):
            draft = drafts[-1] if drafts else None
            if bullet_text(block[0].text) is not None:
                bullets, plain = _parse_bullets(block)
                name_blocks.extend(plain)
                self._scenario_bullets(draft, bullets)
            elif heading.kind == "scenario" and index == 0 and draft is not None:
                draft.narrative.append(join_lines([line.text for line in block]))
            elif all(is_name(line.text) for line in block):
                name_blocks.append(block)
            elif draft is not None and draft.list_heading is None:
                draft.narrative.append(join_lines([line.text for line in block]))
            else:
                self.note(f"line {block[0].no}", f"text ignored: {block[0].text!r}")

    def _scenario_bullets(self, draft: _ScenarioDraft | None, bullets: list[_Bullet]) -> None:
        if draft is None or draft.list_heading is None or draft.bullets is not None:
            self.note(f"line {bullets[0].line}", "bullets not under a 'List of Competencies'")
            return
        draft.bullets = bullets

    def _pair_scenario_names(
        self, drafts: list[_ScenarioDraft], name_blocks: list[list[Line]]
    ) -> dict[int, list[ScenarioCompetency]]:
        """Tie the k-th block of names to the k-th scenario with bare bullets, if sizes agree."""
        members: dict[int, list[ScenarioCompetency]] = {}
        bare_drafts = [d for d in drafts if any(not b.parts for b in d.bullets or [])]
        needs_names = {id(d) for d in bare_drafts}
        sizes = [sum(1 for b in d.bullets or [] if not b.parts) for d in bare_drafts]
        fits = len(name_blocks) == len(bare_drafts) and sizes == [len(b) for b in name_blocks]
        if bare_drafts and not fits:
            self.note(
                bare_drafts[0].heading.where,
                f"{len(name_blocks)} blocks of competency names (sizes "
                f"{[len(b) for b in name_blocks]}) do not match {len(bare_drafts)} scenario lists "
                f"of bare bullets (sizes {sizes}); scenario competencies left empty",
            )
        elif not bare_drafts and name_blocks:
            self.note(f"line {name_blocks[0][0].no}", "names with no bare bullets to fill ignored")
        blocks = iter(name_blocks)
        for draft in drafts:
            if draft.bullets is None:
                self.note(draft.heading.where, "scenario prints no list of competencies")
                continue
            if id(draft) in needs_names and not fits:
                continue
            names = iter(next(blocks) if id(draft) in needs_names else ())
            members[id(draft)] = [
                _scenario_member(b, names, position)
                for position, b in enumerate(draft.bullets, start=1)
            ]
        return members

    # ------------------------------------------------------------------ deep dive
    def _named_items(self, sections: list[Section], kind: str) -> list[NamedItem]:
        """Bulleted names; bare bullets take their names from a later block of plain lines."""
        bullets: list[_Bullet] = []
        name_lines: list[Line] = []
        for region in (r for s in sections for r in s.of(kind)):
            for block in region.blocks:
                found, plain = _parse_bullets(block)
                bullets.extend(found)
                for lines in plain:
                    self._name_block(lines, name_lines)
        bare = [b for b in bullets if not b.parts]
        if len(bare) != len(name_lines):
            first = bare[0].line if bare else name_lines[0].no
            self.note(
                f"line {first}",
                f"{len(bare)} bare bullets but {len(name_lines)} names printed apart from "
                "bullets; neither recorded",
            )
            bullets = [b for b in bullets if b.parts]
        else:
            for bullet, line in zip(bare, name_lines, strict=True):
                bullet.line, bullet.parts = line.no, [line.text]
        return [
            NamedItem(b.text, position, f"line {b.line}")
            for position, b in enumerate(bullets, start=1)
        ]

    def _name_block(self, lines: list[Line], name_lines: list[Line]) -> None:
        if all(is_name(line.text) for line in lines):
            name_lines.extend(lines)
        else:
            self.note(f"line {lines[0].no}", f"text ignored: {lines[0].text!r}")

    def _other_relevant(self, sections: list[Section]) -> list[RankedList]:
        """The other-relevant lists; back-to-back headings share one run of rank/name pairs."""
        lists: list[RankedList] = []
        pending: list[Heading] = []
        regions = [r for s in sections for r in s.of("other")]
        if not regions:
            self.note("section 'Other Relevant Competencies'", "section missing")
        for region in regions:
            pending.append(region.heading)
            if any(line.text for line in region.lines):
                lists.extend(self._other_columns(pending, region))
                pending = []
        for heading in pending:
            self.note(heading.where, f"list {heading.text!r} has no entries")
            lists.append(_other_list(heading))
        return lists

    def _other_columns(self, headings: list[Heading], region: Region) -> list[RankedList]:
        """Each rank is printed once per column, left column first."""
        lists = [_other_list(h) for h in headings]
        pairs = self._rank_name_pairs(region)
        for rank, group in groupby(pairs, key=lambda p: p[0]):
            printed = list(group)
            if len(printed) != len(lists):
                self.note(
                    f"line {printed[0][2]}",
                    f"rank {rank} printed {len(printed)} times for {len(lists)} columns; "
                    "not assigned",
                )
                continue
            for ranked, (_, name, line) in zip(lists, printed, strict=True):
                if name:
                    ranked.entries.append(RankedEntry(name, None, rank, f"line {line}"))
                else:
                    ranked.empty_ranks.append(rank)
        return lists

    def _rank_name_pairs(self, region: Region) -> list[tuple[int, str | None, int]]:
        """(rank, name or None, line of the name): ``1`` then ``Name``, or ``1 Name``."""
        pairs: list[tuple[int, str | None, int]] = []
        pending: Line | None = None
        for block in region.blocks:
            for index, line in enumerate(block):
                m = _RANKED_NAME_RE.fullmatch(line.text)
                if m and pending:
                    pairs.append((int(pending.text), None, pending.no))
                if m and m["name"]:
                    pairs.append((int(m["rank"]), m["name"], line.no))
                    pending = None
                elif m:
                    pending = line
                elif pending:
                    pairs.append((int(pending.text), line.text, line.no))
                    pending = None
                elif index and pairs and pairs[-1][1]:  # a long name wrapped in its block
                    rank, name, where = pairs[-1]
                    pairs[-1] = (rank, join_lines([name or "", line.text]), where)
                else:
                    self.note(f"line {line.no}", f"name with no rank ignored: {line.text!r}")
        if pending:
            pairs.append((int(pending.text), None, pending.no))
        return pairs

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


def _parse_bullets(block: list[Line]) -> tuple[list[_Bullet], list[list[Line]]]:
    """Bullets of a block, and runs of plain lines that are not a bullet's wrapped text.

    A line after a bullet with text wraps that bullet; plain lines after a bare ``•`` (or
    before any bullet) are names printed apart from their bullets.
    """
    bullets: list[_Bullet] = []
    plain: list[list[Line]] = []
    run: list[Line] = []
    for line in block:
        text = bullet_text(line.text)
        if text is not None:
            if run:
                plain.append(run)
                run = []
            bullets.append(_Bullet(line.no, [text] if text else []))
        elif bullets and bullets[-1].parts and not run:
            bullets[-1].parts.append(line.text)
        else:
            run.append(line)
    if run:
        plain.append(run)
    return bullets, plain


def _scenario_member(bullet: _Bullet, names: Iterator[Line], position: int) -> ScenarioCompetency:
    if bullet.parts:
        return ScenarioCompetency(bullet.text, position, f"line {bullet.line}")
    line = next(names)
    return ScenarioCompetency(line.text, position, f"line {line.no}")


def _other_list(heading: Heading) -> RankedList:
    return RankedList(kind_of(heading), "other-relevant", heading.text, [], [], heading.where)


def _paragraphs(paragraphs: list[str]) -> str | None:
    return "\n\n".join(paragraphs) or None
