"""The occupation-overview format's vocabulary and text primitives.

Shared by the document reader (``overview``) and the list reader (``overview_lists``): the
headings the format prints, how extracted lines are cleaned, joined and cut into blocks, and
how a document is cut into heading regions. Nothing here knows one document's names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import cast

from competency_kg.loaders.documents import Kind, ListType

# --------------------------------------------------------------------------- layout vocabulary
_KIND = r"(?P<arg>foundational|occupation[- ]specific)"
_TITLED = r"(?:\s*:\s*(?P<title>.*))?"
_EXAMPLE = r"(?:\s*\(.*\))?"

# Top-level headings open a section; child headings only count inside their section, so
# a narrative sentence cannot be mistaken for a heading of another part of the document.
TOP_HEADINGS: dict[str, re.Pattern[str]] = {
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
_BULLET_RE = re.compile(r"[•●▪◦]\s*(?P<text>.*)")
_ITEM_RE = re.compile(r"(?P<name>[^:]{1,100}?)\s*:\s*(?P<text>.*)")
_SENTENCE_END_RE = re.compile(r"[.!?][\"”’')\]]*$")
# Lower-case words a competency or job-title name may contain ("Judgment and Decision Making").
_CONNECTIVES = {"and", "or", "of", "the", "for", "in", "on", "to", "with", "a", "an", "at", "by"}


# --------------------------------------------------------------------------- text primitives
@dataclass(frozen=True)
class Line:
    no: int  # 1-based, as an editor shows it
    text: str  # stripped, inner whitespace collapsed


@dataclass
class Heading:
    kind: str  # a key of TOP_HEADINGS or of one of the _CHILDREN maps
    line: int
    text: str  # as printed
    arg: str | None = None  # Kind, ListType or scenario title, by heading kind
    title: str | None = None  # the occupation title a top-level heading repeats

    @property
    def where(self) -> str:
        return f"line {self.line}"


@dataclass
class Region:
    """A heading and the lines up to the next heading."""

    heading: Heading
    lines: list[Line] = field(default_factory=list)

    @property
    def blocks(self) -> list[list[Line]]:
        return text_blocks(self.lines)


@dataclass
class Section:
    """A top-level heading's region and its child regions, in document order."""

    top: Region
    children: list[Region] = field(default_factory=list)

    @property
    def regions(self) -> list[Region]:
        return [self.top, *self.children]

    def of(self, kind: str) -> list[Region]:
        return [r for r in self.children if r.heading.kind == kind]


def clean(raw: str) -> str:
    return " ".join(raw.replace("\ufeff", "").split())


def split_lines(text: str) -> list[Line]:
    # split("\n") rather than splitlines(): form feeds must not shift line numbers.
    return [Line(no, clean(raw)) for no, raw in enumerate(text.split("\n"), start=1)]


def text_blocks(lines: list[Line]) -> list[list[Line]]:
    """Blank-line-separated blocks: the unit in which PDF extraction keeps text together."""
    blocks: list[list[Line]] = []
    current: list[Line] = []
    for line in lines:
        if line.text:
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def join_lines(parts: list[str]) -> str:
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


def ends_sentence(text: str) -> bool:
    return bool(_SENTENCE_END_RE.search(text))


def bullet_text(text: str) -> str | None:
    """The text after a bullet glyph ("" for a bare bullet), or None if not a bullet."""
    m = _BULLET_RE.fullmatch(text)
    return m["text"] if m else None


def is_name(text: str) -> bool:
    """Whether text reads as a title-case name ("Basic IT / Hardware"), not prose."""
    words = text.split()
    if not 1 <= len(words) <= 10 or text.endswith(".") or bullet_text(text) is not None:
        return False
    if not (words[0][0].isupper() or words[0][0].isdigit()):
        return False
    return all(_is_name_word(w) for w in words)


def _is_name_word(word: str) -> bool:
    if word.lower() in _CONNECTIVES or not any(c.isalnum() for c in word):
        return True
    core = word.lstrip("(“\"'")
    return bool(core) and (core[0].isupper() or core[0].isdigit() or core != core.lower())


def split_item(text: str) -> tuple[str, str] | None:
    """Split ``Name: text`` when the part before the first colon is a name."""
    m = _ITEM_RE.fullmatch(text)
    if not m or not is_name(m["name"]):
        return None
    return m["name"].strip(), m["text"].strip()


def _norm_kind(arg: str) -> Kind:
    return "foundational" if arg.lower() == "foundational" else "occupation-specific"


def _norm_list_type(arg: str) -> ListType:
    return _LIST_TYPES[re.sub(r"[- ]+", " ", arg.lower())]


def list_type_of(heading: Heading) -> ListType:
    return cast(ListType, heading.arg)


def kind_of(heading: Heading) -> Kind:
    return cast(Kind, heading.arg)


def same_title(a: str, b: str) -> bool:
    return clean(a).casefold() == clean(b).casefold()


# --------------------------------------------------------------------------- heading scan
def _match_heading(line: Line, top: str | None) -> Heading | None:
    """The heading ``line`` prints, given the top-level section it sits in."""
    for kind, pattern in TOP_HEADINGS.items():
        m = pattern.fullmatch(line.text)
        if m:
            return _make_heading(kind, line, m)
    for kind, pattern in _CHILDREN.get(top or "", {}).items():
        m = pattern.fullmatch(line.text)
        if m:
            return _make_heading(kind, line, m)
    return None


def _make_heading(kind: str, line: Line, m: re.Match[str]) -> Heading:
    groups = m.groupdict()
    arg = groups.get("arg")
    if arg is not None and kind in ("prioritized", "competencies", "other"):
        arg = _norm_kind(arg)
    elif arg is not None and kind == "list":
        arg = _norm_list_type(arg)
    title = (groups.get("title") or "").strip() or None
    return Heading(kind, line.no, line.text, arg, title)


def scan(lines: list[Line]) -> list[Section]:
    """Cut the document into sections of heading regions (the first line is the title)."""
    sections: list[Section] = []
    top: str | None = None
    for line in lines:
        heading = _match_heading(line, top) if line.text else None
        if heading is None:
            region = sections[-1].children[-1] if sections[-1].children else sections[-1].top
            region.lines.append(line)
        elif heading.kind in TOP_HEADINGS:
            top = heading.kind
            sections.append(Section(Region(heading)))
        else:
            sections[-1].children.append(Region(heading))
    return sections


# --------------------------------------------------------------------------- bullets
@dataclass
class Bullet:
    """A bullet and its wrapped lines; a bare ``•`` has no parts."""

    line: int
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return join_lines(self.parts)


def parse_bullets(block: list[Line]) -> tuple[list[Bullet], list[list[Line]]]:
    """Bullets of a block, and runs of plain lines that are not a bullet's wrapped text.

    A line after a bullet with text wraps that bullet; plain lines after a bare ``•`` (or
    before any bullet) are names printed apart from their bullets.
    """
    bullets: list[Bullet] = []
    plain: list[list[Line]] = []
    run: list[Line] = []
    for line in block:
        text = bullet_text(line.text)
        if text is not None:
            if run:
                plain.append(run)
                run = []
            bullets.append(Bullet(line.no, [text] if text else []))
        elif bullets and bullets[-1].parts and not run:
            bullets[-1].parts.append(line.text)
        else:
            run.append(line)
    if run:
        plain.append(run)
    return bullets, plain


def paragraphs(paragraphs: list[str]) -> str | None:
    return "\n\n".join(paragraphs) or None
