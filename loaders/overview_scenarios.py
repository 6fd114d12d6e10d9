"""The overview's later sections: work scenarios and the deep dive (job titles, certifications,
tools, other relevant competencies).

``overview._Parser`` reads the document and takes these readers from ``LaterSections``; like
the rest of the parser they read the format's structure only (headings, bullets, blocks of
names, rank numbers) and note what they cannot tie, never guessing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import groupby

from competency_kg.loaders.documents import (
    NamedItem,
    RankedEntry,
    RankedList,
    Scenario,
    ScenarioCompetency,
)
from competency_kg.loaders.overview_text import (
    Bullet,
    Heading,
    Line,
    Region,
    Section,
    bullet_text,
    is_name,
    join_lines,
    kind_of,
    paragraphs,
    parse_bullets,
)

_RANKED_NAME_RE = re.compile(r"(?P<rank>\d{1,3})(?:\s+(?P<name>\S.*))?")


@dataclass
class _ScenarioDraft:
    heading: Heading
    narrative: list[str] = field(default_factory=list)
    list_heading: Heading | None = None
    bullets: list[Bullet] | None = None


class LaterSections:
    """Readers of the scenarios and the deep dive, for ``overview._Parser``."""

    note: Callable[[str, str], None]

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
                narrative=paragraphs(d.narrative) or "",
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
                bullets, plain = parse_bullets(block)
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

    def _scenario_bullets(self, draft: _ScenarioDraft | None, bullets: list[Bullet]) -> None:
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
        bullets: list[Bullet] = []
        name_lines: list[Line] = []
        for region in (r for s in sections for r in s.of(kind)):
            for block in region.blocks:
                found, plain = parse_bullets(block)
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


def _scenario_member(bullet: Bullet, names: Iterator[Line], position: int) -> ScenarioCompetency:
    if bullet.parts:
        return ScenarioCompetency(bullet.text, position, f"line {bullet.line}")
    line = next(names)
    return ScenarioCompetency(line.text, position, f"line {line.no}")


def _other_list(heading: Heading) -> RankedList:
    return RankedList(kind_of(heading), "other-relevant", heading.text, [], [], heading.where)
