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
from collections.abc import Callable, Iterator
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


# --------------------------------------------------------------------------- list reading
# How a prioritized section is read. Each rule is about the layout, never about one document's
# names; the seed lines cited are those of ``seeds/004_151618e0f121074d.txt`` that show it
# (docs/overview-lists.md gives the same rules with more of the seed). Every placement records
# the rules that made it and the lines they read (``RankedEntry.evidence``).
#
# R1 rank column   k rank numbers printed in a run, then k entries: the i-th number is the
#                  i-th entry's rank (lines 109-129, 271-297).
# R2 beside        otherwise an entry's rank is a number printed right before or right after
#                  it ("before, between or after" its entries: 132-142 after, 210-226
#                  before); when more than one pairing fits, the ranks left open are
#                  candidates, not a guess (234-242: "1" "2" and "3" around two entries).
# R3 mark          an entry whose text says what its evolution is driven by ("Evolution
#                  driven by ...; changes make it important to ...") belongs to the Most
#                  Evolving list wherever it prints (171-188 print inside the Hard-to-Find
#                  block, before their heading at 199); its rank comes from R1/R2 among the
#                  marked entries and the numbers. When a section uses the mark, an entry
#                  without it is not an evolving entry: printed under the evolving heading it
#                  belongs to an earlier list (201, 277, 301, 306), and so do rank numbers
#                  printed there that no marked entry takes (299).
# R4 repeated rank a rank printed twice under one heading is a column of another list: the
#                  heading's own list takes each rank once, the repeats continue the nearest
#                  earlier list that lacks them (161/163 and 167/197 continue the Preferred
#                  list's rank 1 at 146; 250/254 open the Preferred list whose heading, 244,
#                  prints side by side with Hard-to-Find, 246).
# R5 first rank    a list begins under its heading with rank 1 beside its first entry; headings
#                  printed back to back are side-by-side columns whose first entries follow
#                  in column order (157-159; 244-254).
# R6 once a list   a list names a competency once (Service Orientation, 159 and 195, cannot
#                  both be Hard-to-Find entries).
# R7 heading order an entry without the mark belongs to the list it prints under or an
#                  earlier one (entries print under the next list's heading: 201, 256-306).
# R8 only reading  what is left is read jointly: every assignment of the remaining entries to
#                  the open ranks that R6 and R7 allow is a reading; an entry every reading
#                  puts at one rank is placed, the others stay warnings naming every reading.

_EVOLUTION_RE = re.compile(r"evolution driven by\b", re.I)
_MAX_READINGS = 50_000  # joint readings enumerated before R8 falls back to per-entry options

Slot = tuple[int, int]  # (list index in its section, rank)


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

    @property
    def marked(self) -> bool:
        """R3: the entry explains an evolution."""
        return not self.is_number and bool(_EVOLUTION_RE.match(_join(self.parts)))

    @property
    def key(self) -> str:
        return competency_key(split_level(self.name or "")[1])

    def entry(self, rank: int | None, evidence: list[str]) -> RankedEntry:
        text = _join(self.parts) or None
        return RankedEntry(self.name or "", text, rank, f"line {self.line}", list(evidence))


@dataclass
class _List:
    """One list heading of a prioritized section and what has been read for it."""

    heading: _Heading
    index: int
    tokens: list[_Token]  # not read yet, in document order
    placed: dict[int, tuple[_Token, list[str]]] = field(default_factory=dict)
    unranked: list[tuple[_Token, list[str]]] = field(default_factory=list)
    empty: set[int] = field(default_factory=set)  # ranks printed with no entry, certainly
    open: set[int] = field(default_factory=set)  # ranks whose entry is still to be read
    mixed: bool = False

    @property
    def label(self) -> str:
        return f"{self.heading.text!r} ({self.heading.where})"

    def ranks(self) -> set[int]:
        return set(self.placed) | self.empty | self.open

    def names(self) -> set[str]:
        return {t.key for t, _ in self.placed.values()} | {t.key for t, _ in self.unranked}


@dataclass
class _Loose:
    """An entry whose list or rank is still to be read (R8)."""

    item: _Token
    home: int  # the list it prints under (R7)
    fixed: set[Slot] | None = None  # its only possible slots, when its list is known
    why: list[str] = field(default_factory=list)


def _pairings(tokens: list[_Token]) -> tuple[str, list[dict[int, int]]] | None:
    """R1/R2 readings of one list's tokens: item index -> number index; None when mixed."""
    numbers = [i for i, t in enumerate(tokens) if t.is_number]
    items = [i for i, t in enumerate(tokens) if not t.is_number]
    if len({tokens[i].rank for i in numbers}) != len(numbers):
        return None  # R4: a repeated rank
    k = len(items)
    if k and items == list(range(len(numbers), len(numbers) + k)) and len(numbers) == k:
        return "R1 rank column", [dict(zip(items, numbers, strict=True))]
    found: list[dict[int, int]] = []

    def walk(pos: int, used: set[int], acc: dict[int, int]) -> None:
        if pos == k:
            found.append(dict(acc))
            return
        i = items[pos]
        for j in (i - 1, i + 1):
            if 0 <= j < len(tokens) and tokens[j].is_number and j not in used:
                acc[i] = j
                walk(pos + 1, used | {j}, acc)
                del acc[i]

    walk(0, set(), {})
    return ("R2 beside", found) if found else None


def _mark_ranks(stream: list[_Token]) -> list[tuple[str, dict[int, _Token]]]:
    """R3 with R1/R2: readings pairing the marked items of ``stream`` with its numbers."""
    items = [i for i, t in enumerate(stream) if not t.is_number]
    k = len(items)
    readings: list[tuple[str, dict[int, _Token]]] = []
    if items == list(range(items[0], items[0] + k)):  # R1: the numbers right before them
        run = 0
        while items[0] - run - 1 >= 0 and stream[items[0] - run - 1].is_number:
            run += 1
        if run == k:
            numbers = stream[items[0] - k : items[0]]
            readings.append(("R1 rank column", dict(zip(items, numbers, strict=True))))
    for step in (-1, 1):  # R2: the number right before, or right after, each one
        pairs = {i: stream[i + step] for i in items if 0 <= i + step < len(stream)}
        if len(pairs) == k and all(t.is_number for t in pairs.values()):
            readings.append(("R2 beside", pairs))
    wanted = set(range(1, k + 1))
    return [(rule, r) for rule, r in readings if {t.rank for t in r.values()} == wanted]


def _where(*tokens: _Token) -> str:
    lines = sorted({t.line for t in tokens})
    return ("line " if len(lines) == 1 else "lines ") + ", ".join(map(str, lines))


class _SectionReading:
    """The reading of one prioritized section's lists (rules R1-R8 above)."""

    def __init__(self, lists: list[_List], note: Callable[[str, str], None]) -> None:
        self.lists = lists
        self.note = note
        self.loose: list[_Loose] = []
        self.unplaced_slots: dict[int, set[Slot | None]] = {}  # by id of a _Loose
        self.interleaved: list[_List] = []  # lists whose columns mix with another's (R3, R4)
        evolving = [x for x in lists if _list_type(x.heading) == "most-evolving"]
        self.evolving = evolving[-1] if evolving else None
        self.uses_marks = self.evolving is not None and any(
            t.marked for x in lists for t in x.tokens
        )

    def read(self) -> None:
        if self.uses_marks and self._marks_needed():
            self._marks()
        for lst in self.lists:
            self._own(lst)
        for lst in self.lists:
            if lst.mixed:
                self._mixed(lst)
        self._joint()

    # R3 --------------------------------------------------------------------------------
    def _marks_needed(self) -> bool:
        """The mark decides only where the layout does not: a marked entry printed under
        another heading, or an evolving heading whose own tokens have no single reading."""
        ev = cast(_List, self.evolving)
        if any(t.marked for x in self.lists if x is not ev for t in x.tokens):
            return True
        if not any(t.is_number for t in ev.tokens):
            return False
        found = _pairings(ev.tokens)
        return found is None or len(found[1]) != 1

    def _marks(self) -> None:
        ev = cast(_List, self.evolving)
        with_marks = [x.index for x in self.lists if any(t.marked for t in x.tokens)]
        span = self.lists[min([*with_marks, ev.index]) : max([*with_marks, ev.index]) + 1]
        stream = [t for x in span for t in x.tokens if t.is_number or t.marked]
        marked = [t for t in stream if not t.is_number]
        readings = _mark_ranks(stream)
        ranks = {tuple(t.rank for t in r.values()) for _, r in readings}
        why = "R3 mark: its text says what its evolution is driven by"
        if len(ranks) == 1:
            rule, reading = readings[0]
            for i, number in reading.items():
                item = stream[i]
                rank = cast(int, number.rank)
                ev.placed[rank] = (
                    item,
                    [f"{why} ({_where(item)})", f"{rule}: rank {rank} printed at {_where(number)}"],
                )
            used = {id(t) for t in [*marked, *reading.values()]}
        elif not any(t.is_number for t in stream):
            ev.unranked.extend((t, [f"{why} ({_where(t)})", "no rank printed"]) for t in marked)
            used = {id(t) for t in marked}
        else:  # the list is certain, the ranks are not
            used = {id(t) for t in marked}
            ranks_there = {cast(int, t.rank) for t in ev.tokens if t.is_number}
            ev.open |= ranks_there
            for t in marked:
                slots = {(ev.index, r) for r in ranks_there}
                self.loose.append(_Loose(t, ev.index, slots, [f"{why} ({_where(t)})"]))
            ev.tokens = [t for t in ev.tokens if not t.is_number]
        for x in span:
            x.tokens = [t for t in x.tokens if id(t) not in used]
        # R3: what the evolving heading prints without the mark belongs to an earlier list
        if ev.tokens and ev.index > 0:
            spilled = ev.tokens
            ev.tokens = []
            before = self.lists[ev.index - 1]
            before.tokens.extend(spilled)
            before.mixed = True
            self.note(
                f"line {spilled[0].line}",
                f"{len(spilled)} entries or ranks under {ev.heading.text!r} lack the evolution "
                "mark: read with the lists before it",
            )

    # R1, R2 ----------------------------------------------------------------------------
    def _own(self, lst: _List) -> None:
        tokens = lst.tokens
        items = [t for t in tokens if not t.is_number]
        if not tokens or lst.mixed:
            return
        if not any(t.is_number for t in tokens):
            lst.unranked.extend((t, [f"printed under its heading ({_where(t)})"]) for t in items)
            return
        found = _pairings(tokens)
        if found is None:
            lst.mixed = True
            return
        rule, readings = found
        numbers = [i for i, t in enumerate(tokens) if t.is_number]
        taken = [{j for j in r.values()} for r in readings]
        for j in numbers:
            rank = cast(int, tokens[j].rank)
            if all(j in t for t in taken):
                continue
            (lst.open if any(j in t for t in taken) else lst.empty).add(rank)
        for i, item in enumerate(tokens):
            if item.is_number:
                continue
            options = {r[i] for r in readings}
            if len(options) == 1:
                number = tokens[options.pop()]
                rank = cast(int, number.rank)
                lst.placed[rank] = (
                    item,
                    [f"{rule}: rank {rank} printed at {_where(number)}, entry at {_where(item)}"],
                )
            else:
                ranks = sorted(cast(int, tokens[j].rank) for j in options)
                why = (
                    f"R2 beside: printed between rank numbers ({_where(item)}); "
                    f"ranks {ranks} each fit"
                )
                self.loose.append(_Loose(item, lst.index, {(lst.index, r) for r in ranks}, [why]))
        lst.tokens = []

    # R4, R5 ----------------------------------------------------------------------------
    def _mixed(self, lst: _List) -> None:
        self.interleaved.append(lst)
        group = [lst]  # R5: headings printed back to back, each with nothing under it
        while group[0].index > 0 and self._bare(self.lists[group[0].index - 1]):
            group.insert(0, self.lists[group[0].index - 1])
        numbers = [t for t in lst.tokens if t.is_number]
        own: set[int] = set()
        for number in numbers:
            rank = cast(int, number.rank)
            if rank not in own and rank not in lst.ranks():
                own.add(rank)
                continue
            home = self._continues(lst, rank)
            if home is None:
                self.note(f"line {number.line}", f"rank {rank} printed again; no list to take it")
            else:
                home.open.add(rank)
                self.interleaved.append(home)
        lst.open |= own
        tokens = list(lst.tokens)
        for column in group:  # R5: rank 1 beside the first entry, column by column
            if len(tokens) < 2 or 1 not in column.open:
                break
            a, b = tokens[0], tokens[1]
            if a.is_number == b.is_number:
                break
            number, item = (a, b) if a.is_number else (b, a)
            if number.rank != 1 or item.key in column.names():
                break
            column.open.discard(1)
            side = f"; side-by-side headings at {_where(*[_Token(g.heading.line) for g in group])}"
            column.placed[1] = (
                item,
                [
                    f"R5 first rank: rank 1 ({_where(number)}) beside the first entry under its "
                    f"heading ({_where(item)})" + (side if len(group) > 1 else "")
                ],
            )
            tokens = tokens[2:]
        for t in tokens:
            if not t.is_number:
                self.loose.append(_Loose(t, lst.index))
        lst.tokens = []

    @staticmethod
    def _bare(lst: _List) -> bool:
        return not (lst.tokens or lst.ranks() or lst.unranked)

    def _continues(self, lst: _List, rank: int) -> _List | None:
        """R4: the nearest earlier list a repeated rank continues (or opens, for rank 1)."""
        for earlier in reversed(self.lists[: lst.index]):
            if earlier is self.evolving and self.uses_marks:
                continue
            ranks = earlier.ranks()
            if rank not in ranks and (rank - 1 in ranks or (rank == 1 and not ranks)):
                return earlier
        return None

    # R6, R7, R8 ------------------------------------------------------------------------
    def _allowed(self, loose: _Loose, slots: list[Slot]) -> list[Slot]:
        if loose.fixed is not None:
            return [s for s in slots if s in loose.fixed]
        allowed = []
        for index, rank in slots:
            target = self.lists[index]
            if index > loose.home:
                continue  # R7
            if self.uses_marks and target is self.evolving:
                continue  # R3
            if loose.item.key in target.names():
                continue  # R6
            allowed.append((index, rank))
        return allowed

    def _joint(self) -> None:
        if not self.loose:
            return
        slots = [(x.index, r) for x in self.lists for r in sorted(x.open)]
        options = [self._allowed(loose, slots) for loose in self.loose]
        readings = self._readings(options)
        seen: list[set[Slot | None]] = [set() for _ in self.loose]
        if readings is None:  # too many to enumerate: each entry's own options
            seen = [{*o, None} for o in options]
        else:
            for reading in readings:
                for n, slot in enumerate(reading):
                    seen[n].add(slot)
        filled = {slot for options_seen in seen for slot in options_seen if slot}
        for x in self.lists:
            x.empty |= {r for r in x.open if (x.index, r) not in filled}
            x.open = {r for r in x.open if (x.index, r) in filled}
        count = len(readings) if readings is not None else 0
        for loose, found in zip(self.loose, seen, strict=True):
            if len(found) == 1 and None not in found:
                index, rank = cast(Slot, next(iter(found)))
                target = self.lists[index]
                target.placed[rank] = (
                    loose.item,
                    [
                        *loose.why,
                        (
                            f"R8 only reading: each of the {count} readings the rules allow puts "
                            f"{_where(loose.item)} at rank {rank} of {target.label}"
                        ),
                    ],
                )
                target.open.discard(rank)
            else:
                loose.why.append("R8 readings the layout allows: " + self._describe(found))
                self.unplaced_slots[id(loose)] = found

    def _readings(self, options: list[list[Slot]]) -> list[list[Slot | None]] | None:
        """Every assignment placing as many entries as possible (R6 within the assignment)."""
        found: list[list[Slot | None]] = []
        best = [0]
        budget = [_MAX_READINGS]
        order = sorted(range(len(options)), key=lambda n: len(options[n]))

        def walk(pos: int, used: set[Slot], acc: dict[int, Slot | None], placed: int) -> bool:
            budget[0] -= 1
            if budget[0] < 0:
                return False
            if placed + len(order) - pos < best[0]:
                return True
            if pos == len(order):
                if placed > best[0]:
                    best[0] = placed
                    found.clear()
                found.append([acc[n] for n in range(len(options))])
                return True
            n = order[pos]
            item = self.loose[n].item
            for slot in options[n]:
                if slot in used or any(
                    s is not None and s[0] == slot[0] and self.loose[m].item.key == item.key
                    for m, s in acc.items()
                ):
                    continue
                acc[n] = slot
                if not walk(pos + 1, used | {slot}, acc, placed + 1):
                    return False
                del acc[n]
            acc[n] = None
            ok = walk(pos + 1, used, acc, placed)
            del acc[n]
            return ok

        return found if walk(0, set(), {}, 0) else None

    def _describe(self, found: set[Slot | None]) -> str:
        by_list: dict[int, list[int]] = {}
        for slot in (s for s in found if s):
            by_list.setdefault(slot[0], []).append(slot[1])
        parts = [
            f"{self.lists[i].heading.text} rank {' or '.join(map(str, sorted(r)))}"
            for i, r in sorted(by_list.items())
        ]
        if None in found:
            parts.append("no rank left for it")
        return "; ".join(parts)


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
        regions = section.of("list")
        if not regions:
            self.note(section.top.heading.where, "no 'Most …' list headings in this section")
        lists = [_List(r.heading, n, self._tokens(r)) for n, r in enumerate(regions)]
        reading = _SectionReading(lists, self.note)
        reading.read()
        ranked = [self._ranked_list(lst, kind) for lst in lists]
        unplaced: list[UnplacedEntry] = []
        for loose in reading.loose:
            found = reading.unplaced_slots.get(id(loose))
            if found is None:
                continue  # R8 placed it
            slots = sorted(s for s in found if s is not None)
            readings = [(_list_type(lists[i].heading), r) for i, r in slots]
            candidates = list(dict.fromkeys(lt for lt, _ in readings))
            entry = loose.item.entry(None, loose.why)
            unplaced.append(UnplacedEntry(entry, kind, candidates, list(readings)))
        if reading.interleaved:
            first = min(reading.interleaved, key=lambda x: x.index)
            names = ", ".join(repr(x.heading.text) for x in lists if x in reading.interleaved)
            self.note(
                first.heading.where,
                f"the columns of {names} ({kind}) interleave: {len(unplaced)} entries left "
                "unplaced, each with the readings the layout allows",
            )
        return ranked, unplaced

    def _ranked_list(self, lst: _List, kind: Kind) -> RankedList:
        heading = lst.heading
        ranked = RankedList(
            kind, _list_type(heading), heading.text, [], sorted(lst.empty), heading.where
        )
        ranked.entries = [item.entry(rank, why) for rank, (item, why) in sorted(lst.placed.items())]
        ranked.entries += [item.entry(None, why) for item, why in lst.unranked]
        if lst.unranked and not lst.placed:
            self.note(heading.where, f"list {heading.text!r} prints no rank numbers")
        if not ranked.entries and not lst.open:
            self.note(heading.where, f"list {heading.text!r} has no entries")
        return ranked

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
