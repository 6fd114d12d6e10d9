"""The tokens of a prioritized list (rank numbers and entries) and what is read of each list.

The pieces the layout rules of ``overview_lists`` work on (see its R1-R10): a token per rank
number or ``Name: text`` item, in document order; the state of each list heading; an entry
still to be placed; the R1/R2 pairings of numbers with entries and R10's orientation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from competency_kg.loaders.documents import RankedEntry
from competency_kg.loaders.overview_text import (
    Heading,
    Region,
    ends_sentence,
    join_lines,
    split_item,
)
from competency_kg.names import competency_key, split_level

_EVOLUTION_RE = re.compile(r"evolution driven by\b", re.I)
_REPEAT_RE = re.compile(r"see previous\b", re.I)
MAX_READINGS = 50_000  # joint readings enumerated before R8 falls back to per-entry options

Slot = tuple[int, int]  # (list index in its section, rank)


@dataclass
class Token:
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
class ListState:
    """One list heading of a prioritized section and what has been read for it."""

    heading: Heading
    index: int
    tokens: list[Token]  # not read yet, in document order
    placed: dict[int, tuple[Token, list[str]]] = field(default_factory=dict)
    unranked: list[tuple[Token, list[str]]] = field(default_factory=list)
    empty: set[int] = field(default_factory=set)  # ranks printed with no entry, certainly
    open: set[int] = field(default_factory=set)  # ranks whose entry is still to be read
    mixed: bool = False
    # R10: how its certain rows print, "before" (number, then entry) or "after", and where
    orientation: tuple[str, list[Token]] | None = None

    @property
    def label(self) -> str:
        return f"{self.heading.text!r} ({self.heading.where})"

    def ranks(self) -> set[int]:
        return set(self.placed) | self.empty | self.open

    def mentions(self) -> list[Token]:
        return [t for t, _ in self.placed.values()] + [t for t, _ in self.unranked]

    def names(self) -> set[str]:
        return {t.key for t in self.mentions()}


@dataclass
class Loose:
    """An entry whose list or rank is still to be read (R8)."""

    item: Token
    home: int  # the list it prints under (R7)
    fixed: set[Slot] | None = None  # its only possible slots, when its list is known
    why: list[str] = field(default_factory=list)


def pairings(tokens: list[Token]) -> tuple[str, list[dict[int, int]]] | None:
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


def mark_ranks(stream: list[Token]) -> list[tuple[str, dict[int, Token]]]:
    """R3 with R1/R2: readings pairing the marked items of ``stream`` with its numbers."""
    items = [i for i, t in enumerate(stream) if not t.is_number]
    k = len(items)
    readings: list[tuple[str, dict[int, Token]]] = []
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


def one_way_readings(
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


def orientation_why(orientation: tuple[str, list[Token]], number: Token, item: Token) -> str:
    way, rows = orientation
    return (
        f"R10 one orientation: the list prints its rank numbers {way} their entries "
        f"({lines_of(*rows)}), so the entry at {lines_of(item)} takes rank {number.rank}, printed "
        f"{way} it at {lines_of(number)}"
    )


def lines_of(*tokens: Token) -> str:
    lines = sorted({t.line for t in tokens})
    return ("line " if len(lines) == 1 else "lines ") + ", ".join(map(str, lines))


_NUMBER_RE = re.compile(r"\d{1,3}")

Note = Callable[[str, str], None]  # (where, message): what the reader could not resolve


def list_tokens(region: Region, note: Note) -> list[Token]:
    """Rank numbers and ``Name: text`` items of a list region, in document order."""
    tokens: list[Token] = []
    item: Token | None = None
    for block in region.blocks:
        previous: str | None = None
        for line in block:
            if _NUMBER_RE.fullmatch(line.text):
                tokens.append(Token(line.no, rank=int(line.text)))
                previous = None
                continue
            # Mid-block, a new item starts only where the previous sentence ended.
            split = split_item(line.text)
            if split and (previous is None or ends_sentence(previous)):
                item = Token(line.no, name=split[0], parts=[split[1]])
                tokens.append(item)
            elif item is not None:
                item.parts.append(line.text)
            else:
                note(f"line {line.no}", f"text belongs to no entry: {line.text!r}")
            previous = line.text
    return tokens
