"""A release folder's files: recognising a release, what its ``Read Me.txt`` says, and
reading a file (text or Excel) by its header names."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from rdflib import URIRef

from competency_kg.loaders.errors import SourceError

README = "Read Me.txt"

OCCUPATION_DATA = "Occupation Data"

#: Rating files read when present (text or Excel), all with the same header vocabulary.
RATING_FILES: tuple[str, ...] = (
    "Education, Training, and Experience",
    "Skills",
    "Knowledge",
    "Abilities",
    "Work Activities",
    "Work Context",
)

#: Files a release folder is recognised by (besides ``Read Me.txt``): one of these.
MARKER_FILES: tuple[str, ...] = (OCCUPATION_DATA, *RATING_FILES[1:])

_CC_BY = re.compile(r"Creative Commons Attribution (\d\.\d)", re.IGNORECASE)


def find_file(folder: Path, stem: str) -> Path | None:
    for ext in (".txt", ".xlsx"):
        p = folder / (stem + ext)
        if p.is_file():
            return p
    return None


def looks_like_onet_release(path: Path) -> bool:
    """A folder with ``Read Me.txt`` and occupation data or a rating file, text or Excel."""
    if not path.is_dir() or not (path / README).is_file():
        return False
    return any(find_file(path, stem) is not None for stem in MARKER_FILES)


@dataclass
class ReleaseInfo:
    title: str  # "O*NET 27.0 Database"
    version: str  # "27.0"
    issued: str | None  # "August 2022 Release"
    licence: URIRef | None
    attribution: str | None


def read_release_info(folder: Path) -> ReleaseInfo:
    """What ``Read Me.txt`` says: database name and version, release date, licence."""
    p = folder / README
    try:
        lines = [ln.strip() for ln in p.read_text(encoding="utf-8-sig").splitlines()]
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(p, None, f"cannot read the release notes: {exc}") from exc
    text = "\n".join(lines)
    head = [ln for ln in lines if ln and not set(ln) <= {"-"}]
    m = re.search(r"O\*NET\s+(\d+(?:\.\d+)*)\s+Database", text)
    if not head or m is None:
        raise SourceError(p, "line 1", "expected the release name, like 'O*NET 27.0 Database'")
    version = m.group(1)
    issued = next((ln for ln in head[1:3] if ln.lower().endswith("release")), None)
    lic = _CC_BY.search(text)
    licence = URIRef(f"https://creativecommons.org/licenses/by/{lic.group(1)}/") if lic else None
    attribution = (
        f"This product includes information from the O*NET {version} Database by the U.S. "
        "Department of Labor, Employment and Training Administration (USDOL/ETA). Used under "
        f"the CC BY {lic.group(1)} license. O*NET® is a trademark of USDOL/ETA."
        if lic
        else None
    )
    return ReleaseInfo(f"O*NET {version} Database", version, issued, licence, attribution)


class Table:
    """One release file read by header names: rows as tuples of the columns asked for.

    ``columns`` must all be in the header (else :class:`SourceError` naming the missing ones);
    ``optional`` columns come back as ``""`` when the file lacks them. Rows with a different
    number of fields than the header stop the load, naming file and line.
    """

    def __init__(self, path: Path, columns: Sequence[str], optional: Sequence[str] = ()) -> None:
        self.path = path
        self.name = path.name
        self.columns = columns
        self.optional = optional
        self.rows = 0

    def __iter__(self) -> Iterator[tuple[str, tuple[str, ...]]]:
        """``(location, values)`` per data row, location like ``"Tools Used.txt line 12"``."""
        if self.path.suffix.lower() == ".xlsx":
            from competency_kg.loaders.onet_excel import iter_xlsx_rows

            rows: Iterable[tuple[int, list[str]]] = iter_xlsx_rows(self.path)
            unit = "row"
        else:
            rows = self._text_rows()
            unit = "line"
        it = iter(rows)
        first = next(it, None)
        if first is None:
            raise SourceError(self.path, None, "file is empty")
        header = [h.strip() for h in first[1]]
        index = {h: i for i, h in enumerate(header)}
        missing = [c for c in self.columns if c not in index]
        if missing:
            raise SourceError(
                self.path,
                f"{unit} 1",
                f"missing column(s) {', '.join(repr(c) for c in missing)}; "
                f"the header has {', '.join(repr(h) for h in header)}",
            )
        picks = [index[c] for c in self.columns] + [index.get(c, -1) for c in self.optional]
        width = len(header)
        for n, fields in it:
            if len(fields) != width:
                if len(fields) == 1 and not fields[0].strip():
                    continue  # a blank line
                raise SourceError(
                    self.path,
                    f"{unit} {n}",
                    f"expected {width} tab-separated fields as in the header, found {len(fields)}",
                )
            self.rows += 1
            yield (
                f"{self.name} {unit} {n}",
                tuple(fields[i].strip() if i >= 0 else "" for i in picks),
            )

    def _text_rows(self) -> Iterator[tuple[int, list[str]]]:
        try:
            with self.path.open(encoding="utf-8-sig", newline="") as f:
                for n, line in enumerate(f, start=1):
                    yield n, line.rstrip("\r\n").split("\t")
        except UnicodeDecodeError as exc:
            raise SourceError(self.path, None, "file is not valid UTF-8 text") from exc
        except OSError as exc:
            raise SourceError(self.path, None, f"cannot read file: {exc}") from exc
