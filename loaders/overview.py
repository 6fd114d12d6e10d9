"""Parse an occupation-overview text file: text extracted from a two-column PDF.

The PDF prints columns side by side; extraction emits them one after the other, and where
a page or a column is short it interleaves them. The parser reads only the format's
structure (headings, bullets, rank numbers, blank-line blocks), never one document's names
or counts, so any occupation's overview parses the same way. It records only what that
structure supports: when columns interleave too much to tell which list or rank an entry
belongs to, it says so (``unplaced``, ``notes``) instead of guessing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import NoReturn, cast

from competency_kg.loaders.documents import (
    Activity,
    CompetencyDefinition,
    Kind,
    ListType,
    NamedItem,
    OverviewDocument,
    RankedEntry,
    RankedList,
    Scenario,
    ScenarioCompetency,
    UnplacedEntry,
)
from competency_kg.loaders.errors import SourceError, read_text
from competency_kg.names import competency_key, split_level

__all__ = ["looks_like_overview", "parse_overview"]

# --------------------------------------------------------------------------- layout vocabulary
_KIND = r"(?P<arg>foundational|occupation[- ]specific)"
_TITLED = r"(?:\s*:\s*(?P<title>.*))?"
_EXAMPLE = r"(?:\s*\(.*\))?"

# Top-level headings open a section; child headings only count inside their section, so
# a narrative sentence cannot be mistaken for a heading of another part of the document.
_TOP: dict[str, re.Pattern[str]] = {
    "overview": re.compile(r"occupation overview\s*:\s*(?P<title>.*)", re.I),
    "prioritized": re.compile(rf"prioritized {_KIND} competencies{_TITLED}", re.I),
    "scenarios": re.compile(rf"work scenarios{_TITLED}", re.I),
    "deep-dive": re.compile(rf"occupation deep dive{_TITLED}", re.I),
}
_CHILDREN: dict[str, dict[str, re.Pattern[str]]] = {
    "overview": {
        "competencies": re.compile(rf"{_KIND} competencies", re.I),
        "job-description": re.compile(rf"job description{_EXAMPLE}", re.I),
        "activities": re.compile(rf"activities{_EXAMPLE}", re.I),
    },
    "prioritized": {
        "list": re.compile(
            r"most (?P<arg>common required|common break[- ]point|preferred|"
            r"hard[- ]to[- ]find|evolving) competencies",
            re.I,
        ),
    },
    "scenarios": {
        "scenario": re.compile(r"scenario\s*:\s*(?P<arg>.+)", re.I),
        "scenario-list": re.compile(r"list of competencies", re.I),
    },
    "deep-dive": {
        "job-titles": re.compile(r"job titles(?: within this occupation)?", re.I),
        "certifications": re.compile(
            rf"certifications?(?: and education)?(?: preferences)?{_EXAMPLE}", re.I
        ),
        "tools": re.compile(rf"tools used{_EXAMPLE}", re.I),
        "other": re.compile(rf"other relevant {_KIND} competencies", re.I),
    },
}
_LIST_TYPES: dict[str, ListType] = {
    "common required": "most-common-required",
    "common break point": "most-common-break-point",
    "preferred": "most-preferred",
    "hard to find": "most-hard-to-find",
    "evolving": "most-evolving",
}
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

_BULLET_RE = re.compile(r"[•●▪◦]\s*(?P<text>.*)")
_NUMBER_RE = re.compile(r"\d{1,3}")
_RANKED_NAME_RE = re.compile(r"(?P<rank>\d{1,3})(?:\s+(?P<name>\S.*))?")
_ITEM_RE = re.compile(r"(?P<name>[^:]{1,100}?)\s*:\s*(?P<text>.*)")
_SENTENCE_END_RE = re.compile(r"[.!?][\"”’')\]]*$")
# Lower-case words a competency or job-title name may contain ("Judgment and Decision Making").
_CONNECTIVES = {"and", "or", "of", "the", "for", "in", "on", "to", "with", "a", "an", "at", "by"}


# --------------------------------------------------------------------------- public API
def looks_like_overview(text: str) -> bool:
    """Whether ``text`` is an occupation overview: its first non-blank line is the title line."""
    for raw in text.split("\n"):
        line = _clean(raw)
        if line:
            return bool(_TOP["overview"].fullmatch(line))
    return False


def parse_overview(path: str | Path) -> OverviewDocument:
    """Parse one occupation-overview text file; bad input raises ``SourceError``."""
    text = read_text(path)
    return _Parser(Path(path), _split_lines(text)).parse()


# --------------------------------------------------------------------------- text primitives
@dataclass(frozen=True)
class _Line:
    no: int  # 1-based, as an editor shows it
    text: str  # stripped, inner whitespace collapsed


@dataclass
class _Heading:
    kind: str  # a key of _TOP or of one of the _CHILDREN maps
    line: int
    text: str  # as printed
    arg: str | None = None  # Kind, ListType or scenario title, by heading kind
    title: str | None = None  # the occupation title a top-level heading repeats

    @property
    def where(self) -> str:
        return f"line {self.line}"


@dataclass
class _Region:
    """A heading and the lines up to the next heading."""

    heading: _Heading
    lines: list[_Line] = field(default_factory=list)

    @property
    def blocks(self) -> list[list[_Line]]:
        return _blocks(self.lines)


@dataclass
class _Section:
    """A top-level heading's region and its child regions, in document order."""

    top: _Region
    children: list[_Region] = field(default_factory=list)

    @property
    def regions(self) -> list[_Region]:
        return [self.top, *self.children]

    def of(self, kind: str) -> list[_Region]:
        return [r for r in self.children if r.heading.kind == kind]


@dataclass
class _Bullet:
    """A bullet and its wrapped lines; a bare ``•`` has no parts."""

    line: int
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return _join(self.parts)


def _clean(raw: str) -> str:
    return " ".join(raw.replace("\ufeff", "").split())


def _split_lines(text: str) -> list[_Line]:
    # split("\n") rather than splitlines(): form feeds must not shift line numbers.
    return [_Line(no, _clean(raw)) for no, raw in enumerate(text.split("\n"), start=1)]


def _blocks(lines: list[_Line]) -> list[list[_Line]]:
    """Blank-line-separated blocks: the unit in which PDF extraction keeps text together."""
    blocks: list[list[_Line]] = []
    current: list[_Line] = []
    for line in lines:
        if line.text:
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _join(parts: list[str]) -> str:
    """Join wrapped lines: a word hyphenated at a line end joins without a space."""
    out = ""
    for part in (p.strip() for p in parts):
        if not part:
            continue
        if not out:
            out = part
        elif re.search(r"\w-$", out):
            out += part
        else:
            out += " " + part
    return out


def _ends_sentence(text: str) -> bool:
    return bool(_SENTENCE_END_RE.search(text))


def _bullet(text: str) -> str | None:
    """The text after a bullet glyph ("" for a bare bullet), or None if not a bullet."""
    m = _BULLET_RE.fullmatch(text)
    return m["text"] if m else None


def _is_name(text: str) -> bool:
    """Whether text reads as a title-case name ("Basic IT / Hardware"), not prose."""
    words = text.split()
    if not 1 <= len(words) <= 10 or text.endswith(".") or _bullet(text) is not None:
        return False
    if not (words[0][0].isupper() or words[0][0].isdigit()):
        return False
    return all(_is_name_word(w) for w in words)


def _is_name_word(word: str) -> bool:
    if word.lower() in _CONNECTIVES or not any(c.isalnum() for c in word):
        return True
    core = word.lstrip("(“\"'")
    return bool(core) and (core[0].isupper() or core[0].isdigit() or core != core.lower())


def _split_item(text: str) -> tuple[str, str] | None:
    """Split ``Name: text`` when the part before the first colon is a name."""
    m = _ITEM_RE.fullmatch(text)
    if not m or not _is_name(m["name"]):
        return None
    return m["name"].strip(), m["text"].strip()


def _norm_kind(arg: str) -> Kind:
    return "foundational" if arg.lower() == "foundational" else "occupation-specific"


def _norm_list_type(arg: str) -> ListType:
    return _LIST_TYPES[re.sub(r"[- ]+", " ", arg.lower())]


def _list_type(heading: _Heading) -> ListType:
    return cast(ListType, heading.arg)


def _kind(heading: _Heading) -> Kind:
    return cast(Kind, heading.arg)


def _same_title(a: str, b: str) -> bool:
    return _clean(a).casefold() == _clean(b).casefold()


# --------------------------------------------------------------------------- heading scan
def _match_heading(line: _Line, top: str | None) -> _Heading | None:
    """The heading ``line`` prints, given the top-level section it sits in."""
    for kind, pattern in _TOP.items():
        m = pattern.fullmatch(line.text)
        if m:
            return _make_heading(kind, line, m)
    for kind, pattern in _CHILDREN.get(top or "", {}).items():
        m = pattern.fullmatch(line.text)
        if m:
            return _make_heading(kind, line, m)
    return None


def _make_heading(kind: str, line: _Line, m: re.Match[str]) -> _Heading:
    groups = m.groupdict()
    arg = groups.get("arg")
    if arg is not None and kind in ("prioritized", "competencies", "other"):
        arg = _norm_kind(arg)
    elif arg is not None and kind == "list":
        arg = _norm_list_type(arg)
    title = (groups.get("title") or "").strip() or None
    return _Heading(kind, line.no, line.text, arg, title)


def _scan(lines: list[_Line]) -> list[_Section]:
    """Cut the document into sections of heading regions (the first line is the title)."""
    sections: list[_Section] = []
    top: str | None = None
    for line in lines:
        heading = _match_heading(line, top) if line.text else None
        if heading is None:
            region = sections[-1].children[-1] if sections[-1].children else sections[-1].top
            region.lines.append(line)
        elif heading.kind in _TOP:
            top = heading.kind
            sections.append(_Section(_Region(heading)))
        else:
            sections[-1].children.append(_Region(heading))
    return sections


# --------------------------------------------------------------------------- rank placement
@dataclass
class _Token:
    """A rank number (``rank`` set) or an item (``name`` set) inside a prioritized list."""

    line: int
    rank: int | None = None
    name: str | None = None
    parts: list[str] = field(default_factory=list)

    @property
    def is_number(self) -> bool:
        return self.name is None

    def entry(self, rank: int | None) -> RankedEntry:
        return RankedEntry(self.name or "", _join(self.parts) or None, rank, f"line {self.line}")


@dataclass
class _Placement:
    pairs: list[tuple[_Token, int]]  # item, rank
    empty_ranks: list[int]


def _place(tokens: list[_Token]) -> _Placement | None:
    """Ranks for a list region's items, or None when the layout does not determine them."""
    numbers = [t for t in tokens if t.is_number]
    items = [t for t in tokens if not t.is_number]
    if len({t.rank for t in numbers}) != len(numbers):
        return None  # a repeated rank: several lists' columns are mixed here
    pattern = "".join("N" if t.is_number else "I" for t in tokens)
    k = len(items)
    if k and pattern == "N" * k + "I" * k:  # a column of numbers beside a column of items
        return _Placement([(i, n.rank or 0) for n, i in zip(numbers, items, strict=True)], [])
    after, before = _pair_adjacent(tokens, 1), _pair_adjacent(tokens, -1)
    best = max(after, before, key=lambda p: len(p.pairs))
    if len(best.pairs) != k:
        return None  # some item has no rank beside it
    if len(after.pairs) == len(before.pairs) and _ranks(after) != _ranks(before):
        return None  # both readings fit equally well, with different ranks
    return best


def _pair_adjacent(tokens: list[_Token], step: int) -> _Placement:
    """Pair each item with the number right after (step 1) or right before (step -1) it."""
    pairs: list[tuple[_Token, int]] = []
    used: set[int] = set()
    for index, token in enumerate(tokens):
        other = index + step
        if token.is_number or not 0 <= other < len(tokens) or other in used:
            continue
        if tokens[other].is_number:
            used.add(other)
            pairs.append((token, tokens[other].rank or 0))
    orphans = [t.rank or 0 for n, t in enumerate(tokens) if t.is_number and n not in used]
    return _Placement(pairs, sorted(orphans))


def _ranks(placement: _Placement) -> list[tuple[int, int]]:
    return [(item.line, rank) for item, rank in placement.pairs]


@dataclass
class _ListRegion:
    heading: _Heading
    tokens: list[_Token]
    status: str = ""  # "empty" | "clean" | "unranked" | "mixed"
    placement: _Placement | None = None
    ambiguous: bool = False

    @property
    def items(self) -> list[_Token]:
        return [t for t in self.tokens if not t.is_number]


def _classify(region: _ListRegion) -> None:
    if not region.tokens:
        region.status = "empty"
    elif not any(t.is_number for t in region.tokens):
        region.status = "unranked"
    else:
        region.placement = _place(region.tokens)
        region.status = "clean" if region.placement else "mixed"
    region.ambiguous = region.status == "mixed"


def _spread_ambiguity(regions: list[_ListRegion]) -> None:
    """An unranked region beside a mixed one, or after an empty heading, joins the mix."""
    changed = True
    while changed:
        changed = False
        for i, region in enumerate(regions):
            if region.status != "unranked" or region.ambiguous:
                continue
            prev = regions[i - 1] if i else None
            nxt = regions[i + 1] if i + 1 < len(regions) else None
            if (prev and (prev.ambiguous or prev.status == "empty")) or (nxt and nxt.ambiguous):
                region.ambiguous = changed = True


def _runs(regions: list[_ListRegion]) -> list[list[_ListRegion]]:
    """Maximal runs of ambiguous regions, each with the empty headings directly before it."""
    runs: list[list[_ListRegion]] = []
    i = 0
    while i < len(regions):
        if not regions[i].ambiguous:
            i += 1
            continue
        start = i
        while start > 0 and regions[start - 1].status == "empty":
            start -= 1
        end = i
        while end + 1 < len(regions) and regions[end + 1].ambiguous:
            end += 1
        runs.append(regions[start : end + 1])
        i = end + 1
    return runs


# --------------------------------------------------------------------------- the parser
@dataclass
class _OverviewState:
    """What the walk through the overview's two-column opening has seen so far."""

    columns: list[tuple[Kind, _Heading]] = field(default_factory=list)
    prev_was_column_heading: bool = False
    in_job_area: bool = False
    job_heading: _Heading | None = None
    activities_heading: _Heading | None = None
    job_description: list[str] = field(default_factory=list)
    activity_lists: list[list[Activity]] = field(default_factory=list)
    competencies: list[CompetencyDefinition] = field(default_factory=list)


@dataclass
class _ScenarioDraft:
    heading: _Heading
    narrative: list[str] = field(default_factory=list)
    list_heading: _Heading | None = None
    bullets: list[_Bullet] | None = None


class _Parser:
    """One parse of one file; collects ``notes`` as it goes."""

    def __init__(self, path: Path, lines: list[_Line]) -> None:
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
        sections = _scan(self.lines[title_line.no - 1 :])
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

    def _title_line(self) -> _Line:
        first = next(line for line in self.lines if line.text)  # read_text refused blank files
        m = _TOP["overview"].fullmatch(first.text)
        if not m:
            self.fail(
                f"line {first.no}",
                f"expected the title line 'Occupation Overview: <title>', found {first.text!r}",
            )
        self.title = m["title"].strip()
        if not self.title:
            self.fail(f"line {first.no}", "the title line names no occupation")
        return first

    def _group(self, sections: list[_Section]) -> dict[tuple[str, str | None], list[_Section]]:
        """Sections by (kind, foundational/occupation-specific); checks repeated titles."""
        grouped: dict[tuple[str, str | None], list[_Section]] = {}
        for section in sections:
            heading = section.top.heading
            key = (heading.kind, heading.arg if heading.kind == "prioritized" else None)
            if key in grouped:
                self.note(heading.where, f"heading {heading.text!r} repeats an earlier section")
            grouped.setdefault(key, []).append(section)
            if heading.title and not _same_title(heading.title, self.title):
                self.note(
                    heading.where,
                    f"heading names {heading.title!r}, the title line names {self.title!r}",
                )
        return grouped

    def _report_missing(
        self, by_top: dict[tuple[str, str | None], list[_Section]], children: list[_Region]
    ) -> None:
        kinds = {r.heading.kind for r in children}
        for (top, child), label in _OPTIONAL.items():
            present = (top, None) in by_top and (child is None or child in kinds)
            if not present:
                self.note(f"section {label!r}", "section missing; recorded as empty")

    # ------------------------------------------------------------------ overview opening
    def _overview(self, section: _Section) -> _OverviewState:
        state = _OverviewState()
        for region in section.regions:
            self._overview_heading(region.heading, state)
            for block in region.blocks:
                self._overview_block(block, state)
                state.prev_was_column_heading = False
        self._check_competencies(section, state)
        return state

    def _overview_heading(self, heading: _Heading, state: _OverviewState) -> None:
        if heading.kind == "competencies":
            column = (_kind(heading), heading)
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

    def _overview_block(self, block: list[_Line], state: _OverviewState) -> None:
        first = block[0]
        last = state.competencies[-1] if state.competencies else None
        cut = last is not None and not _ends_sentence(last.definition)
        if _bullet(first.text) is not None:
            self._overview_bullets(block, state)
        elif cut and (first.text[0].islower() or not self._expects_job_text(state)):
            self._continue_competency(block, state)
        elif state.in_job_area and self._expects_job_text(state):
            state.job_description.append(_join([line.text for line in block]))
        else:
            self.note(f"line {first.no}", f"text outside any known part ignored: {first.text!r}")

    def _expects_job_text(self, state: _OverviewState) -> bool:
        """The job description is the prose right after its heading, before activity lists."""
        return state.job_heading is not None and not state.activity_lists

    def _overview_bullets(self, block: list[_Line], state: _OverviewState) -> None:
        if not state.columns:
            self.note(f"line {block[0].no}", "bullets before any competency heading ignored")
            return
        bullets = self._bullets_only(block)
        if state.in_job_area and not all(_split_item(b.text) for b in bullets):
            self._activities(bullets, state)
            return
        kind = self._next_column(state)
        state.competencies.extend(self._competency(b, kind) for b in bullets)

    def _bullets_only(self, block: list[_Line]) -> list[_Bullet]:
        bullets, plain = _parse_bullets(block)
        for lines in plain:
            self.note(f"line {lines[0].no}", f"text after a bare bullet ignored: {lines[0].text!r}")
        return bullets

    def _competency(self, bullet: _Bullet, kind: Kind) -> CompetencyDefinition:
        split = _split_item(bullet.text)
        if split is None:
            self.fail(
                f"line {bullet.line}",
                f"a competency bullet must read '• Name: definition', found {bullet.text or '•'!r}",
            )
        name, definition = split
        if not definition:
            self.note(f"line {bullet.line}", f"competency {name!r} has no definition")
        return CompetencyDefinition(name, kind, definition, f"line {bullet.line}")

    def _continue_competency(self, block: list[_Line], state: _OverviewState) -> None:
        """A block resuming the last definition, cut off by a page or column break."""
        last = state.competencies[-1]
        lead = [line.text for line in _until_bullet(block)]
        last.definition = _join([last.definition, *lead])
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

    def _check_competencies(self, section: _Section, state: _OverviewState) -> None:
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
            if not any(c.kind == _kind(heading) for c in state.competencies):
                self.note(f"section {heading.text!r}", "no competency bullets under this heading")
        for kind in _KINDS:
            if not any(_kind(h) == kind for h in headings):
                self.note(f"section '{kind} competencies'", "heading missing")
        for c in state.competencies:
            if not _ends_sentence(c.definition):
                self.note(c.where, f"definition of {c.wording!r} seems cut off")
            level, _ = split_level(c.wording)
            if (level is None) == (c.kind == "occupation-specific"):
                expected = "no level prefix" if level else "a level prefix"
                self.note(c.where, f"{c.kind} competency {c.wording!r} printed with {expected}")

    # ------------------------------------------------------------------ prioritized lists
    def _prioritized(
        self, by_top: dict[tuple[str, str | None], list[_Section]]
    ) -> tuple[list[RankedList], list[UnplacedEntry]]:
        lists: list[RankedList] = []
        unplaced: list[UnplacedEntry] = []
        for kind in _KINDS:
            sections = by_top.get(("prioritized", kind), [])
            if not sections:
                label = "Foundational" if kind == "foundational" else "Occupation-Specific"
                self.note(f"section 'Prioritized {label} Competencies'", "section missing")
            for section in sections:
                found, loose = self._prioritized_section(section, kind)
                lists.extend(found)
                unplaced.extend(loose)
        return lists, unplaced

    def _prioritized_section(
        self, section: _Section, kind: Kind
    ) -> tuple[list[RankedList], list[UnplacedEntry]]:
        for line in section.top.lines:
            if line.text:
                self.note(f"line {line.no}", f"text before the first list ignored: {line.text!r}")
                break
        regions = [_ListRegion(r.heading, self._tokens(r)) for r in section.of("list")]
        if not regions:
            self.note(section.top.heading.where, "no 'Most …' list headings in this section")
        for region in regions:
            _classify(region)
        _spread_ambiguity(regions)
        lists = [self._ranked_list(r, kind) for r in regions]
        runs = _runs(regions)
        unplaced = [entry for run in runs for entry in self._unplace(run, kind)]
        in_runs = {id(region) for run in runs for region in run}
        for region in regions:
            if region.status == "empty" and id(region) not in in_runs:
                self.note(region.heading.where, f"list {region.heading.text!r} has no entries")
        return lists, unplaced

    def _tokens(self, region: _Region) -> list[_Token]:
        """Rank numbers and ``Name: text`` items of a list region, in document order."""
        tokens: list[_Token] = []
        item: _Token | None = None
        for block in region.blocks:
            previous: str | None = None
            for line in block:
                if _NUMBER_RE.fullmatch(line.text):
                    tokens.append(_Token(line.no, rank=int(line.text)))
                    previous = None
                    continue
                # Mid-block, a new item starts only where the previous sentence ended.
                split = _split_item(line.text)
                if split and (previous is None or _ends_sentence(previous)):
                    item = _Token(line.no, name=split[0], parts=[split[1]])
                    tokens.append(item)
                elif item is not None:
                    item.parts.append(line.text)
                else:
                    self.note(f"line {line.no}", f"text belongs to no entry: {line.text!r}")
                previous = line.text
        return tokens

    def _ranked_list(self, region: _ListRegion, kind: Kind) -> RankedList:
        heading = region.heading
        ranked = RankedList(kind, _list_type(heading), heading.text, [], [], heading.where)
        if region.ambiguous:
            return ranked
        if region.placement is not None:
            pairs = sorted(region.placement.pairs, key=lambda p: p[1])
            ranked.entries = [item.entry(rank) for item, rank in pairs]
            ranked.empty_ranks = region.placement.empty_ranks
        elif region.status == "unranked":
            ranked.entries = [item.entry(None) for item in region.items]
            self.note(heading.where, f"list {heading.text!r} prints no rank numbers")
        return ranked

    def _unplace(self, run: list[_ListRegion], kind: Kind) -> list[UnplacedEntry]:
        """Entries of interleaved columns: each may belong to any list of the run."""
        candidates = [_list_type(r.heading) for r in run]
        items = [item for region in run for item in region.items]
        numbers = sum(1 for region in run for t in region.tokens if t.is_number)
        names = ", ".join(repr(r.heading.text) for r in run)
        self.note(
            run[0].heading.where,
            f"the columns of {names} ({kind}) interleave: {len(items)} entries left unplaced, "
            f"{numbers} rank numbers not assigned",
        )
        return [UnplacedEntry(item.entry(None), kind, list(candidates)) for item in items]

    # ------------------------------------------------------------------ work scenarios
    def _scenarios(self, sections: list[_Section]) -> list[Scenario]:
        drafts: list[_ScenarioDraft] = []
        name_blocks: list[list[_Line]] = []
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
        self, region: _Region, drafts: list[_ScenarioDraft], name_blocks: list[list[_Line]]
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
            if _bullet(block[0].text) is not None:
                bullets, plain = _parse_bullets(block)
                name_blocks.extend(plain)
                self._scenario_bullets(draft, bullets)
            elif heading.kind == "scenario" and index == 0 and draft is not None:
                draft.narrative.append(_join([line.text for line in block]))
            elif all(_is_name(line.text) for line in block):
                name_blocks.append(block)
            elif draft is not None and draft.list_heading is None:
                draft.narrative.append(_join([line.text for line in block]))
            else:
                self.note(f"line {block[0].no}", f"text ignored: {block[0].text!r}")

    def _scenario_bullets(self, draft: _ScenarioDraft | None, bullets: list[_Bullet]) -> None:
        if draft is None or draft.list_heading is None or draft.bullets is not None:
            self.note(f"line {bullets[0].line}", "bullets not under a 'List of Competencies'")
            return
        draft.bullets = bullets

    def _pair_scenario_names(
        self, drafts: list[_ScenarioDraft], name_blocks: list[list[_Line]]
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
    def _named_items(self, sections: list[_Section], kind: str) -> list[NamedItem]:
        """Bulleted names; bare bullets take their names from a later block of plain lines."""
        bullets: list[_Bullet] = []
        name_lines: list[_Line] = []
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

    def _name_block(self, lines: list[_Line], name_lines: list[_Line]) -> None:
        if all(_is_name(line.text) for line in lines):
            name_lines.extend(lines)
        else:
            self.note(f"line {lines[0].no}", f"text ignored: {lines[0].text!r}")

    def _other_relevant(self, sections: list[_Section]) -> list[RankedList]:
        """The other-relevant lists; back-to-back headings share one run of rank/name pairs."""
        lists: list[RankedList] = []
        pending: list[_Heading] = []
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

    def _other_columns(self, headings: list[_Heading], region: _Region) -> list[RankedList]:
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

    def _rank_name_pairs(self, region: _Region) -> list[tuple[int, str | None, int]]:
        """(rank, name or None, line of the name): ``1`` then ``Name``, or ``1 Name``."""
        pairs: list[tuple[int, str | None, int]] = []
        pending: _Line | None = None
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
                    pairs[-1] = (rank, _join([name or "", line.text]), where)
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


def _until_bullet(block: list[_Line]) -> list[_Line]:
    lead: list[_Line] = []
    for line in block:
        if _bullet(line.text) is not None:
            break
        lead.append(line)
    return lead


def _parse_bullets(block: list[_Line]) -> tuple[list[_Bullet], list[list[_Line]]]:
    """Bullets of a block, and runs of plain lines that are not a bullet's wrapped text.

    A line after a bullet with text wraps that bullet; plain lines after a bare ``•`` (or
    before any bullet) are names printed apart from their bullets.
    """
    bullets: list[_Bullet] = []
    plain: list[list[_Line]] = []
    run: list[_Line] = []
    for line in block:
        text = _bullet(line.text)
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


def _scenario_member(bullet: _Bullet, names: Iterator[_Line], position: int) -> ScenarioCompetency:
    if bullet.parts:
        return ScenarioCompetency(bullet.text, position, f"line {bullet.line}")
    line = next(names)
    return ScenarioCompetency(line.text, position, f"line {line.no}")


def _other_list(heading: _Heading) -> RankedList:
    return RankedList(_kind(heading), "other-relevant", heading.text, [], [], heading.where)


def _paragraphs(paragraphs: list[str]) -> str | None:
    return "\n\n".join(paragraphs) or None
