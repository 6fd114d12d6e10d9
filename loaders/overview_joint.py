"""The joint reading of what the layout leaves open (rules R6-R10 of ``overview_lists``).

Entries still to be placed are read together: every assignment to the open ranks that the
rules allow is a reading; an entry every reading puts at one rank is placed, the others stay
warnings naming every reading. R9 (first mention) and R10 (one orientation) narrow the
readings and say so in each entry's evidence.
"""

from __future__ import annotations

from typing import cast

from competency_kg.loaders.overview_tokens import (
    MAX_READINGS,
    ListState,
    Loose,
    Note,
    Slot,
    Token,
    lines_of,
)


class JointReading:
    """R6-R10 over a section's lists; ``overview_lists._SectionReading`` holds the state."""

    lists: list[ListState]
    loose: list[Loose]
    evolving: ListState | None
    uses_marks: bool
    note: Note
    unplaced_slots: dict[int, set[Slot | None]]
    streams: list[list[tuple[Token, Slot | None]]]

    # R6, R7, R8 ------------------------------------------------------------------------
    def _allowed(self, loose: Loose, slots: list[Slot]) -> list[Slot]:
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
                            f"{lines_of(loose.item)} at rank {rank} of {target.label}"
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
        budget = [MAX_READINGS]
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
                lines_of(self.loose[0].item),
                "R9 first mention: no reading puts every definition before the other mentions "
                "of its competency; the section is read without it",
            )
            return readings
        for n, loose in enumerate(self.loose):
            if {r[n] for r in kept} != {r[n] for r in readings}:
                loose.why.append(self._first_mention_why(loose, fixed, len(kept), len(readings)))
        return kept

    def _keeps_first_mentions(
        self, reading: list[Slot | None], fixed: list[tuple[Token, int]], keys: set[str]
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
        self, loose: Loose, fixed: list[tuple[Token, int]], kept: int, total: int
    ) -> str:
        item = loose.item
        mentions = [t for t, _ in fixed] + [x.item for x in self.loose]
        same = [t for t in mentions if t is not item and t.key == item.key and not t.marked]
        defs = [t for t in same if t.defines]
        if item.defines and same:
            told = (
                f"it prints its own definition ({lines_of(item)}), so its list comes before "
                f"those of the other mentions ({lines_of(*same)})"
            )
        elif defs:
            told = (
                f"the competency's own definition prints at {lines_of(*defs)}, so this repeat "
                f"({lines_of(item)}) is in a later list"
            )
        else:  # narrowed only because the entries R9 ties take ranks it could have had
            told = "the entries whose definitions come before their repeats leave it fewer ranks"
        return f"R9 first mention: {told}; {kept} of {total} readings keep to that"

    # R10 -------------------------------------------------------------------------------
    def _orientation_pairs(self) -> list[tuple[int, Slot, Token]]:
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
                lines_of(self.loose[0].item),
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
                way, rows = cast(tuple[str, list[Token]], target.orientation)
                told = (
                    f"{target.label} prints its rank numbers {way} their entries "
                    f"({lines_of(*rows)}), and its rank {rank} ({lines_of(number)}) prints {way} "
                    f"this entry ({lines_of(loose.item)})"
                )
            else:
                told = "the entries printed beside their lists' rank numbers take those ranks (" + (
                    ", ".join(lines_of(self.loose[m].item) for m in sorted(beside)) + ")"
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
