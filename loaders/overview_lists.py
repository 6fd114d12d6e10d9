"""Read the prioritized lists of an occupation overview from the page's layout.

A prioritized section prints five lists ("Most Common Required Competencies", …) whose rank
numbers, entries and even headings the PDF extraction can put out of order. This module reads
them with rules about the layout (R1-R10 below), never about one document's names, and keeps
for every entry the rules that placed it and the lines they read; what the layout leaves open
is an unplaced entry naming every reading the rules allow.
"""

from __future__ import annotations

from typing import cast

from competency_kg.loaders.documents import Kind, RankedList, UnplacedEntry
from competency_kg.loaders.overview_joint import JointReading
from competency_kg.loaders.overview_text import Section, list_type_of
from competency_kg.loaders.overview_tokens import (
    ListState,
    Loose,
    Note,
    Slot,
    Token,
    lines_of,
    list_tokens,
    mark_ranks,
    one_way_readings,
    orientation_why,
    pairings,
)

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
#                  prints side by side with Hard-to-Find, 246). Side-by-side columns print in
#                  column order: of one rank printed more than once, the first printed is the
#                  earliest list's (248-254; 161/163, where R6 gives Service Orientation,
#                  Hard-to-Find 1, the 2 that no entry stands beside: the first, Preferred's).
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
# R10 one          a list prints every row the same way: its rank number before its entry, or
#     orientation  after it, as its rows the layout reads with certainty do (R2 with one
#                  pairing, R5): 132-142 all after, 169-188 and 210-226 all before. So where
#                  R2 allows two pairings, the one of the list's way holds (240 takes the 3
#                  after it, as 234 takes the 1 after it), and in interleaved columns an entry
#                  on its list's side of one of that list's numbers (R4 column order), the
#                  tokens R3 and R5 took set aside, is that number's entry: 163/165, 167/190,
#                  197/201 (both columns print rank 1 before: 146/148, 157/159); 256/258 and
#                  277/299 (both print it after: 248-254). Readings that break it are no
#                  readings; when none is left, R10 says nothing (a note says so).


class _SectionReading(JointReading):
    """The reading of one prioritized section's lists (rules R1-R10 above)."""

    def __init__(self, lists: list[ListState], note: Note) -> None:
        self.lists = lists
        self.note = note
        self.loose: list[Loose] = []
        self.unplaced_slots: dict[int, set[Slot | None]] = {}  # by id of a Loose
        self.interleaved: list[ListState] = []  # lists whose columns mix with another's (R3, R4)
        # R10: each mixed list's tokens left after R5, with the slot of each rank number
        self.streams: list[list[tuple[Token, Slot | None]]] = []
        self.printed_under: dict[int, ListState] = {}  # R3: tokens read with an earlier list
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
        ev = cast(ListState, self.evolving)
        if any(t.marked for x in self.lists if x is not ev for t in x.tokens):
            return True
        if not any(t.is_number for t in ev.tokens):
            return False
        found = pairings(ev.tokens)
        return found is None or len(found[1]) != 1

    def _marks(self) -> None:
        ev = cast(ListState, self.evolving)
        with_marks = [x.index for x in self.lists if any(t.marked for t in x.tokens)]
        span = self.lists[min([*with_marks, ev.index]) : max([*with_marks, ev.index]) + 1]
        stream = [t for x in span for t in x.tokens if t.is_number or t.marked]
        marked = [t for t in stream if not t.is_number]
        readings = mark_ranks(stream)
        ranks = {tuple(t.rank for t in r.values()) for _, r in readings}
        why = "R3 mark: its text says what its evolution is driven by"
        if len(ranks) == 1:
            rule, reading = readings[0]
            for i, number in reading.items():
                item = stream[i]
                rank = cast(int, number.rank)
                ev.placed[rank] = (
                    item,
                    [
                        f"{why} ({lines_of(item)})",
                        f"{rule}: rank {rank} printed at {lines_of(number)}",
                    ],
                )
            used = {id(t) for t in [*marked, *reading.values()]}
        elif not any(t.is_number for t in stream):
            ev.unranked.extend((t, [f"{why} ({lines_of(t)})", "no rank printed"]) for t in marked)
            used = {id(t) for t in marked}
        else:  # the list is certain, the ranks are not
            used = {id(t) for t in marked}
            ranks_there = {cast(int, t.rank) for t in ev.tokens if t.is_number}
            ev.open |= ranks_there
            for t in marked:
                slots = {(ev.index, r) for r in ranks_there}
                self.loose.append(Loose(t, ev.index, slots, [f"{why} ({lines_of(t)})"]))
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
    def _own(self, lst: ListState) -> None:
        tokens = lst.tokens
        items = [t for t in tokens if not t.is_number]
        if not tokens or lst.mixed:
            return
        if not any(t.is_number for t in tokens):
            lst.unranked.extend((t, [f"printed under its heading ({lines_of(t)})"]) for t in items)
            return
        found = pairings(tokens)
        if found is None:
            lst.mixed = True
            return
        rule, readings = found
        numbers = [i for i, t in enumerate(tokens) if t.is_number]
        could = {j for r in readings for j in r.values()}  # before R10: what stays open
        readings, one_way = one_way_readings(readings)
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
                why = [
                    f"{rule}: rank {rank} printed at {lines_of(number)}, entry at {lines_of(item)}"
                ]
                if len({r[i] for r in found[1]}) > 1 and lst.orientation:
                    why.append(orientation_why(lst.orientation, number, item))
                lst.placed[rank] = (item, why)
            else:
                ranks = sorted(cast(int, tokens[j].rank) for j in options)
                why = (
                    f"R2 beside: printed between rank numbers ({lines_of(item)}); "
                    f"ranks {ranks} each fit"
                )
                self.loose.append(Loose(item, lst.index, {(lst.index, r) for r in ranks}, [why]))
        lst.tokens = []

    # R4, R5 ----------------------------------------------------------------------------
    def _mixed(self, lst: ListState) -> None:
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
            side = f"; side-by-side headings at {lines_of(*[Token(g.heading.line) for g in group])}"
            column.placed[1] = (
                item,
                [
                    f"R5 first rank: rank 1 ({lines_of(number)}) beside the first entry under its "
                    f"heading ({lines_of(item)})" + (side if len(group) > 1 else "")
                ],
            )
            tokens = tokens[2:]
        for t in tokens:
            if not t.is_number:
                under = self.printed_under.get(id(t), lst)
                why = f"R7 heading order: printed under {under.heading.text!r} at {lines_of(t)}"
                if under is not lst:
                    why += " without the evolution mark (R3)"
                self.loose.append(Loose(t, lst.index, why=[why + ": that list or an earlier one"]))
        self.streams.append([(t, homes.get(id(t))) for t in tokens])
        lst.tokens = []

    def _number_homes(self, lst: ListState) -> dict[int, Slot]:
        """R4: the list each rank number of a mixed list belongs to (by id of the number).
        Of the same rank printed more than once, the first printed is the earliest list's:
        side-by-side columns print in column order (R5; 161/163, 248-254)."""
        by_rank: dict[int, list[Token]] = {}
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
    def _bare(lst: ListState) -> bool:
        return not (lst.tokens or lst.ranks() or lst.unranked)

    def _continues(self, lst: ListState, rank: int) -> ListState | None:
        """R4: the nearest earlier list a repeated rank continues (or opens, for rank 1)."""
        for earlier in reversed(self.lists[: lst.index]):
            if earlier is self.evolving and self.uses_marks:
                continue
            ranks = earlier.ranks()
            if rank not in ranks and (rank - 1 in ranks or (rank == 1 and not ranks)):
                return earlier
        return None


# --------------------------------------------------------------------------- one section


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
    lists = [ListState(r.heading, n, list_tokens(r, note)) for n, r in enumerate(regions)]
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


def _ranked_list(lst: ListState, kind: Kind, note: Note) -> RankedList:
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
