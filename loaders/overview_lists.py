"""Read the prioritized lists of an occupation overview from the page's layout.

A prioritized section prints five lists ("Most Common Required Competencies", …) whose rank
numbers, entries and even headings the PDF extraction can put out of order. This module reads
them with rules about the layout (R1-R9 below), never about one document's names, and keeps
for every entry the rules that placed it and the lines they read; what the layout leaves open
is an unplaced entry naming every reading the rules allow.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

from competency_kg.loaders.documents import Kind, RankedEntry, RankedList, UnplacedEntry
from competency_kg.loaders.overview_text import (
    Heading,
    Region,
    Section,
    ends_sentence,
    join_lines,
    list_type_of,
    split_item,
)
from competency_kg.names import competency_key, split_level

__all__ = ["read_prioritized_section"]

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
#                  the open ranks that R6, R7 and R9 allow is a reading; an entry every reading
#                  puts at one rank is placed, the others stay warnings naming every reading.
# R9 first mention an entry printed with its own definition is its competency's first mention
#                  in the section, a "See previous." entry a repeat; the page names them list
#                  after list, not rank after rank (Judgment and Decision Making: defined at
#                  125 as required rank 3, repeated at 136 as break-point rank 2), so every
#                  other mention of a defined competency is in a later list. An evolution
#                  text (R3) neither defines nor repeats (178 and 201). A reading that puts a
#                  mention before its competency's definition is no reading; when no reading
#                  is left, the section breaks the convention and R9 says nothing.

_EVOLUTION_RE = re.compile(r"evolution driven by\b", re.I)
_REPEAT_RE = re.compile(r"see previous\b", re.I)
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
        return not self.is_number and bool(_EVOLUTION_RE.match(join_lines(self.parts)))

    @property
    def defines(self) -> bool:
        """R9: the entry prints its own definition, so it is its competency's first mention."""
        text = join_lines(self.parts)
        return bool(text) and not self.marked and not _REPEAT_RE.match(text)

    @property
    def key(self) -> str:
        return competency_key(split_level(self.name or "")[1])

    def entry(self, rank: int | None, evidence: list[str]) -> RankedEntry:
        text = join_lines(self.parts) or None
        return RankedEntry(self.name or "", text, rank, f"line {self.line}", list(evidence))


@dataclass
class _List:
    """One list heading of a prioritized section and what has been read for it."""

    heading: Heading
    index: int
    tokens: list[_Token]  # not read yet, in document order
    placed: dict[int, tuple[_Token, list[str]]] = field(default_factory=dict)
    unranked: list[tuple[_Token, list[str]]] = field(default_factory=list)
    empty: set[int] = field(default_factory=set)  # ranks printed with no entry, certainly
    open: set[int] = field(default_factory=set)  # ranks whose entry is still to be read
    mixed: bool = False
    # R10: how its certain rows print, "before" (number, then entry) or "after", and where
    orientation: tuple[str, list[_Token]] | None = None

    @property
    def label(self) -> str:
        return f"{self.heading.text!r} ({self.heading.where})"

    def ranks(self) -> set[int]:
        return set(self.placed) | self.empty | self.open

    def mentions(self) -> list[_Token]:
        return [t for t, _ in self.placed.values()] + [t for t, _ in self.unranked]

    def names(self) -> set[str]:
        return {t.key for t in self.mentions()}


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


def _one_orientation(
    readings: list[dict[int, int]],
) -> tuple[list[dict[int, int]], str | None]:
    """R10: the R2 readings (item index -> number index) whose rows all print one way, and
    that way ("before": the number before its entry); every reading when none does."""
    ways = [{"before" if j < i else "after" for i, j in r.items()} for r in readings]
    kept = [r for r, w in zip(readings, ways, strict=True) if len(w) == 1]
    if not kept:
        return readings, None
    found = {w.pop() for r, w in zip(readings, ways, strict=True) if len(w) == 1}
    return kept, (found.pop() if len(found) == 1 else None)


def _orientation_why(orientation: tuple[str, list[_Token]], number: _Token, item: _Token) -> str:
    way, rows = orientation
    return (
        f"R10 one orientation: the list prints its rank numbers {way} their entries "
        f"({_where(*rows)}), so the entry at {_where(item)} takes rank {number.rank}, printed "
        f"{way} it at {_where(number)}"
    )


def _where(*tokens: _Token) -> str:
    lines = sorted({t.line for t in tokens})
    return ("line " if len(lines) == 1 else "lines ") + ", ".join(map(str, lines))


class _SectionReading:
    """The reading of one prioritized section's lists (rules R1-R9 above)."""

    def __init__(self, lists: list[_List], note: Callable[[str, str], None]) -> None:
        self.lists = lists
        self.note = note
        self.loose: list[_Loose] = []
        self.unplaced_slots: dict[int, set[Slot | None]] = {}  # by id of a _Loose
        self.interleaved: list[_List] = []  # lists whose columns mix with another's (R3, R4)
        # R10: each mixed list's tokens left after R5, with the slot of each rank number
        self.streams: list[list[tuple[_Token, Slot | None]]] = []
        self.printed_under: dict[int, _List] = {}  # R3: tokens read with an earlier list
        evolving = [x for x in lists if list_type_of(x.heading) == "most-evolving"]
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
            self.printed_under.update((id(t), ev) for t in spilled)
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
        could = {j for r in readings for j in r.values()}  # before R10: what stays open
        readings, one_way = _one_orientation(readings)
        if one_way is not None:  # R10: cite the rows every reading pairs alike
            sure = [i for i in readings[0] if len({r[i] for r in found[1]}) == 1] or list(
                readings[0]
            )
            lst.orientation = (one_way, [tokens[k] for i in sure for k in (i, readings[0][i])])
        for j in numbers:  # taken by every reading; open to another entry; certainly empty
            rank = cast(int, tokens[j].rank)
            if all(j in r.values() for r in readings):
                continue
            (lst.open if j in could else lst.empty).add(rank)
        for i, item in enumerate(tokens):
            if item.is_number:
                continue
            options = {r[i] for r in readings}
            if len(options) == 1:
                number = tokens[options.pop()]
                rank = cast(int, number.rank)
                why = [f"{rule}: rank {rank} printed at {_where(number)}, entry at {_where(item)}"]
                if len({r[i] for r in found[1]}) > 1 and lst.orientation:
                    why.append(_orientation_why(lst.orientation, number, item))
                lst.placed[rank] = (item, why)
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
        homes = self._number_homes(lst)
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
            column.orientation = ("before" if a.is_number else "after", [a, b])  # R10
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
                under = self.printed_under.get(id(t), lst)
                why = f"R7 heading order: printed under {under.heading.text!r} at {_where(t)}"
                if under is not lst:
                    why += " without the evolution mark (R3)"
                self.loose.append(_Loose(t, lst.index, why=[why + ": that list or an earlier one"]))
        self.streams.append([(t, homes.get(id(t))) for t in tokens])
        lst.tokens = []

    def _number_homes(self, lst: _List) -> dict[int, Slot]:
        """R4: the list each rank number of a mixed list belongs to (by id of the number).
        Of the same rank printed more than once, the first printed is the earliest list's:
        side-by-side columns print in column order (R5; 161/163, 248-254)."""
        by_rank: dict[int, list[_Token]] = {}
        for t in lst.tokens:
            if t.is_number:
                by_rank.setdefault(cast(int, t.rank), []).append(t)
        homes: dict[int, Slot] = {}
        for rank, printed in sorted(by_rank.items()):
            lists = [] if rank in lst.ranks() else [lst]
            lst.open |= {rank} if lists else set()
            for number in printed[len(lists) :]:
                home = self._continues(lst, rank)
                if home is None:
                    self.note(
                        f"line {number.line}", f"rank {rank} printed again; no list to take it"
                    )
                    continue
                home.open.add(rank)
                self.interleaved.append(home)
                lists.append(home)
            lists.sort(key=lambda x: x.index)
            homes.update((id(t), (x.index, rank)) for t, x in zip(printed, lists, strict=False))
        return homes

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
        if not self.loose:  # a rank left open with no entry to take it prints none
            for x in self.lists:
                x.empty |= x.open
                x.open = set()
            return
        slots = [(x.index, r) for x in self.lists for r in sorted(x.open)]
        options = [self._allowed(loose, slots) for loose in self.loose]
        readings = self._readings(options)
        seen: list[set[Slot | None]] = [set() for _ in self.loose]
        if readings is None:  # too many to enumerate: each entry's own options
            seen = [{*o, None} for o in options]
        else:
            readings = self._one_orientation(self._first_mentions(readings))
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

    # R9 --------------------------------------------------------------------------------
    def _first_mentions(self, readings: list[list[Slot | None]]) -> list[list[Slot | None]]:
        """R9: the readings in which every definition comes before its competency's other
        mentions; each entry those readings narrow says so in its evidence."""
        mentions = [t for x in self.lists for t in x.mentions()] + [x.item for x in self.loose]
        mentions = [t for t in mentions if not t.marked]
        tied = {t.key for t in mentions if t.defines} & {
            x.item.key for x in self.loose if not x.item.marked
        }
        tied = {k for k in tied if sum(t.key == k for t in mentions) > 1}
        if not tied:
            return readings  # no defined competency that a remaining entry also names
        fixed = [(t, x.index) for x in self.lists for t in x.mentions() if t.key in tied]
        fixed = [(t, i) for t, i in fixed if not t.marked]
        kept = [r for r in readings if self._keeps_first_mentions(r, fixed, tied)]
        if not kept:
            self.note(
                _where(self.loose[0].item),
                "R9 first mention: no reading puts every definition before the other mentions "
                "of its competency; the section is read without it",
            )
            return readings
        for n, loose in enumerate(self.loose):
            if {r[n] for r in kept} != {r[n] for r in readings}:
                loose.why.append(self._first_mention_why(loose, fixed, len(kept), len(readings)))
        return kept

    def _keeps_first_mentions(
        self, reading: list[Slot | None], fixed: list[tuple[_Token, int]], keys: set[str]
    ) -> bool:
        loose = {id(x.item) for x in self.loose}
        mentions = fixed + [
            (x.item, slot[0])
            for x, slot in zip(self.loose, reading, strict=True)
            if slot and x.item.key in keys and not x.item.marked
        ]
        return not any(
            other is not first and other.key == first.key and j <= i
            for first, i in mentions
            if first.defines
            for other, j in mentions
            if id(first) in loose or id(other) in loose
        )

    def _first_mention_why(
        self, loose: _Loose, fixed: list[tuple[_Token, int]], kept: int, total: int
    ) -> str:
        item = loose.item
        mentions = [t for t, _ in fixed] + [x.item for x in self.loose]
        same = [t for t in mentions if t is not item and t.key == item.key and not t.marked]
        defs = [t for t in same if t.defines]
        if item.defines and same:
            told = (
                f"it prints its own definition ({_where(item)}), so its list comes before "
                f"those of the other mentions ({_where(*same)})"
            )
        elif defs:
            told = (
                f"the competency's own definition prints at {_where(*defs)}, so this repeat "
                f"({_where(item)}) is in a later list"
            )
        else:  # narrowed only because the entries R9 ties take ranks it could have had
            told = "the entries whose definitions come before their repeats leave it fewer ranks"
        return f"R9 first mention: {told}; {kept} of {total} readings keep to that"

    # R10 -------------------------------------------------------------------------------
    def _orientation_pairs(self) -> list[tuple[int, Slot, _Token]]:
        """(loose entry, slot, number): each rank number of a mixed list whose list prints
        its numbers on one side of their entries, with the entry on that side of it (the
        tokens R3 and R5 took, and the headings between, set aside)."""
        loose_at = {id(x.item): n for n, x in enumerate(self.loose)}
        pairs = []
        for stream in self.streams:
            for k, (number, slot) in enumerate(stream):
                way = self.lists[slot[0]].orientation if slot else None
                if slot is None or way is None:
                    continue
                j = k + 1 if way[0] == "before" else k - 1
                if 0 <= j < len(stream) and id(stream[j][0]) in loose_at:
                    pairs.append((loose_at[id(stream[j][0])], slot, number))
        return pairs

    def _one_orientation(self, readings: list[list[Slot | None]]) -> list[list[Slot | None]]:
        """R10: the readings that give each entry printed beside a rank number, on the side its
        list prints them, that number's rank; each entry they narrow says so."""
        pairs = self._orientation_pairs()
        kept = [r for r in readings if all(r[n] == slot for n, slot, _ in pairs)]
        if not pairs or len(kept) == len(readings):
            return readings
        if not kept:
            self.note(
                _where(self.loose[0].item),
                "R10 one orientation: no reading gives every entry the rank number printed "
                "beside it on its list's side; the section is read without it",
            )
            return readings
        beside = {n: (slot, number) for n, slot, number in pairs}
        for n, loose in enumerate(self.loose):
            if {r[n] for r in kept} == {r[n] for r in readings}:
                continue
            if n in beside:
                (index, rank), number = beside[n]
                target = self.lists[index]
                way, rows = cast(tuple[str, list[_Token]], target.orientation)
                told = (
                    f"{target.label} prints its rank numbers {way} their entries "
                    f"({_where(*rows)}), and its rank {rank} ({_where(number)}) prints {way} "
                    f"this entry ({_where(loose.item)})"
                )
            else:
                told = "the entries printed beside their lists' rank numbers take those ranks (" + (
                    ", ".join(_where(self.loose[m].item) for m in sorted(beside)) + ")"
                )
            loose.why.append(
                f"R10 one orientation: {told}; {len(kept)} of {len(readings)} readings keep to that"
            )
        return kept

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


# --------------------------------------------------------------------------- one section
_NUMBER_RE = re.compile(r"\d{1,3}")

Note = Callable[[str, str], None]  # (where, message): what the reader could not resolve


def read_prioritized_section(
    section: Section, kind: Kind, note: Note
) -> tuple[list[RankedList], list[UnplacedEntry]]:
    """The ranked lists of one "Prioritized … Competencies" section, and what stays unplaced."""
    for line in section.top.lines:
        if line.text:
            note(f"line {line.no}", f"text before the first list ignored: {line.text!r}")
            break
    regions = section.of("list")
    if not regions:
        note(section.top.heading.where, "no 'Most …' list headings in this section")
    lists = [_List(r.heading, n, _tokens(r, note)) for n, r in enumerate(regions)]
    reading = _SectionReading(lists, note)
    reading.read()
    ranked = [_ranked_list(lst, kind, note) for lst in lists]
    unplaced: list[UnplacedEntry] = []
    for loose in reading.loose:
        found = reading.unplaced_slots.get(id(loose))
        if found is None:
            continue  # R8 placed it
        slots = sorted(s for s in found if s is not None)
        readings = [(list_type_of(lists[i].heading), r) for i, r in slots]
        candidates = list(dict.fromkeys(lt for lt, _ in readings))
        entry = loose.item.entry(None, loose.why)
        unplaced.append(UnplacedEntry(entry, kind, candidates, list(readings)))
    if reading.interleaved:
        first = min(reading.interleaved, key=lambda x: x.index)
        names = ", ".join(repr(x.heading.text) for x in lists if x in reading.interleaved)
        note(
            first.heading.where,
            f"the columns of {names} ({kind}) interleave: {len(unplaced)} entries left "
            "unplaced, each with the readings the layout allows",
        )
    return ranked, unplaced


def _ranked_list(lst: _List, kind: Kind, note: Note) -> RankedList:
    heading = lst.heading
    ranked = RankedList(
        kind, list_type_of(heading), heading.text, [], sorted(lst.empty), heading.where
    )
    ranked.entries = [item.entry(rank, why) for rank, (item, why) in sorted(lst.placed.items())]
    ranked.entries += [item.entry(None, why) for item, why in lst.unranked]
    if lst.unranked and not lst.placed:
        note(heading.where, f"list {heading.text!r} prints no rank numbers")
    if not ranked.entries and not lst.open:
        note(heading.where, f"list {heading.text!r} has no entries")
    return ranked


def _tokens(region: Region, note: Note) -> list[_Token]:
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
            split = split_item(line.text)
            if split and (previous is None or ends_sentence(previous)):
                item = _Token(line.no, name=split[0], parts=[split[1]])
                tokens.append(item)
            elif item is not None:
                item.parts.append(line.text)
            else:
                note(f"line {line.no}", f"text belongs to no entry: {line.text!r}")
            previous = line.text
    return tokens
