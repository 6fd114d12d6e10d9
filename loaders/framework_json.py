"""The competency-framework JSON export (``schemaVersion`` 1.x).

Layout: ``schemaVersion``, ``exportedAt``, ``occupation`` (soc, title, group, sector, jobZone,
jobZoneInferred), ``framework`` (version, description, contextCovered, ``levels`` — an object
whose keys, in document order, are the levels from lowest to highest, each with ``label`` and
``statements``; an exporter's known sequence keeps its places: :func:`level_positions`),
``sources`` (key → text) and ``attribution``; a ``title`` or ``name`` of the export itself (at
the top or in ``framework``) is read when present.

Every check names the JSON path that failed, so a curator can find it in the file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from competency_kg.loaders.documents import (
    FrameworkDocument,
    FrameworkLevel,
    SourceReference,
    Statement,
)
from competency_kg.loaders.errors import SourceError, parse_json, read_text
from competency_kg.names import slugify

SUPPORTED_MAJOR = "1"

# "Topic — action": an em or en dash with spaces around it (a plain hyphen inside words is not one).
_DASH = re.compile(r"\s+[—–]\s+|\s+-{1,2}\s+")


#: The level sequence an exporter always writes, lowest first, by its ``sources.generator``.
#: Its levels keep their place in it: a level deleted from the file then leaves a gap in the
#: positions, which the shapes report (``ckgsh:ProficiencyScale-positionsContiguous``),
#: instead of the rest being renumbered silently. Other frameworks define their own levels
#: (a nurse framework's novice, competent, expert), numbered in document order.
EXPORTER_SEQUENCES: dict[str, tuple[str, ...]] = {
    "ler.me": ("emerging", "developing", "proficient", "advanced"),
}


def level_positions(keys: list[str], generator: str | None = None) -> dict[str, int]:
    """Each level key's position: its place in its exporter's sequence when the keys follow
    it, else its place in the document (1-based).

    >>> level_positions(["emerging", "proficient", "advanced"], "LER.me")
    {'emerging': 1, 'proficient': 3, 'advanced': 4}
    >>> level_positions(["novice", "competent", "expert"])
    {'novice': 1, 'competent': 2, 'expert': 3}
    """
    sequence = EXPORTER_SEQUENCES.get((generator or "").strip().casefold())
    slugs = [slugify(k) for k in keys]
    if sequence and all(s in sequence for s in slugs):
        places = [sequence.index(s) + 1 for s in slugs]
        if places == sorted(set(places)):
            return dict(zip(keys, places, strict=True))
    return {k: n for n, k in enumerate(keys, start=1)}


def looks_like_framework(text: str) -> bool:
    """Content sniffing: a JSON object that declares a ``schemaVersion`` and a ``framework``."""
    head = text.lstrip()[:4096]
    return head.startswith("{") and '"schemaVersion"' in text and '"framework"' in text


def split_statement(text: str) -> tuple[str | None, str | None]:
    """Split "Topic — action" at the first spaced dash.

    >>> split_statement("Database queries — construct basic SELECT statements.")
    ('Database queries', 'construct basic SELECT statements.')
    >>> split_statement("No dash here")
    (None, None)
    """
    parts = _DASH.split(text.strip(), maxsplit=1)
    if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
        return None, None
    return parts[0].strip(), parts[1].strip()


class _Reader:
    """Typed access to the JSON tree that reports the JSON path of every failure."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, message: str) -> SourceError:
        return SourceError(self.path, where, message)

    def obj(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"expected an object, found {_kind(value)}")
        return value

    def get(
        self,
        parent: dict[str, Any],
        key: str,
        where: str,
        types: tuple[type, ...],
        required: bool = True,
    ) -> Any:
        here = f"{where}.{key}"
        if key not in parent or parent[key] is None:
            if required:
                raise self.fail(here, f"required field '{key}' is missing")
            return None
        value = parent[key]
        # bool is an int in Python; do not let true pass for a number.
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            wanted = " or ".join(_TYPE_NAMES[t] for t in types)
            raise self.fail(here, f"expected {wanted}, found {_kind(value)}")
        return value


_TYPE_NAMES = {
    str: "a string",
    int: "an integer",
    bool: "true/false",
    dict: "an object",
    list: "an array",
    float: "a number",
}


def _kind(value: Any) -> str:
    for t, name in [
        (bool, "true/false"),
        (str, "a string"),
        (int, "an integer"),
        (float, "a number"),
        (dict, "an object"),
        (list, "an array"),
    ]:
        if isinstance(value, t):
            return name
    return "null"


def parse_framework(path: str | Path) -> FrameworkDocument:
    """Parse a framework export, or raise :class:`SourceError` naming the file and JSON path.

    The parts are read in the export's order, so the first problem is the one reported."""
    p = Path(path)
    text = read_text(p)
    data = parse_json(p, text, "a framework export")
    r = _Reader(p)
    root = r.obj(data, "$")
    schema_version = _schema_version(r, root)
    exported_at = r.get(root, "exportedAt", "$", (str,), required=False)
    occ = r.obj(r.get(root, "occupation", "$", (dict,)), "$.occupation")
    soc, title, job_zone, sector = _occupation(r, occ)
    fw = r.obj(r.get(root, "framework", "$", (dict,)), "$.framework")
    levels = _levels(r, root, fw)
    sources = _sources(r, root)
    description = r.get(fw, "description", "$.framework", (str,), required=False)
    context = r.get(fw, "contextCovered", "$.framework", (str,), required=False)
    version = r.get(fw, "version", "$.framework", (str, int, float), required=False)
    own_title = _own_title(r, root, fw)
    return FrameworkDocument(
        schema_version=schema_version,
        exported_at=exported_at,
        soc_code=soc,
        title=title,
        group=r.get(occ, "group", "$.occupation", (str,), required=False),
        sector=str(sector) if sector is not None else None,
        job_zone=job_zone,
        job_zone_inferred=r.get(occ, "jobZoneInferred", "$.occupation", (bool,), required=False),
        framework_version=str(version) if version is not None else None,
        framework_description=(description or "").strip() or None,
        context_covered=(context or "").strip() or None,
        levels=levels,
        sources=sources,
        attribution=r.get(root, "attribution", "$", (str,), required=False),
        document_title=own_title,
    )


def _schema_version(r: _Reader, root: dict[str, Any]) -> str:
    schema_version = str(r.get(root, "schemaVersion", "$", (str, int, float)))
    if schema_version.split(".")[0] != SUPPORTED_MAJOR:
        raise r.fail(
            "$.schemaVersion",
            f"unsupported schema version {schema_version!r}; this loader reads {SUPPORTED_MAJOR}.x",
        )
    return schema_version


def _occupation(
    r: _Reader, occ: dict[str, Any]
) -> tuple[str | None, str, int | None, str | int | None]:
    """The occupation's O*NET-SOC code, title, job zone and sector, checked."""
    soc = r.get(occ, "soc", "$.occupation", (str,), required=False)
    if soc is not None and not re.fullmatch(r"\d{2}-\d{4}\.\d{2}", soc.strip()):
        raise r.fail("$.occupation.soc", f"O*NET-SOC code {soc!r} is not of the form NN-NNNN.NN")
    title = r.get(occ, "title", "$.occupation", (str,)).strip()
    if not title:
        raise r.fail("$.occupation.title", "occupation title is empty")
    job_zone = r.get(occ, "jobZone", "$.occupation", (int,), required=False)
    if job_zone is not None and not 1 <= job_zone <= 5:
        raise r.fail("$.occupation.jobZone", f"job zone {job_zone} is outside 1–5")
    sector = r.get(occ, "sector", "$.occupation", (str, int), required=False)
    return (soc.strip() if soc else None), title, job_zone, sector


def _levels(r: _Reader, root: dict[str, Any], fw: dict[str, Any]) -> list[FrameworkLevel]:
    """The framework's levels in their order (``level_positions``), each with its statements."""
    levels_obj = r.obj(r.get(fw, "levels", "$.framework", (dict,)), "$.framework.levels")
    if not levels_obj:
        raise r.fail("$.framework.levels", "the framework defines no levels")
    given = root.get("sources")
    generator = given.get("generator") if isinstance(given, dict) else None
    places = level_positions(list(levels_obj), generator if isinstance(generator, str) else None)
    return [_level(r, key, raw, places[key]) for key, raw in levels_obj.items()]


def _level(r: _Reader, key: str, raw: object, position: int) -> FrameworkLevel:
    where = f"$.framework.levels.{key}"
    level = r.obj(raw, where)
    label = r.get(level, "label", where, (str,)).strip() or key
    raw_statements = r.get(level, "statements", where, (list,))
    statements: list[Statement] = []
    for n, s in enumerate(raw_statements):
        s_where = f"{where}.statements[{n}]"
        if not isinstance(s, str):
            raise r.fail(s_where, f"expected a string, found {_kind(s)}")
        if not s.strip():
            raise r.fail(s_where, "statement is empty")
        topic, action = split_statement(s)
        statements.append(Statement(s.strip(), topic, action, n + 1, s_where))
    return FrameworkLevel(key, label, position, statements, where)


def _sources(r: _Reader, root: dict[str, Any]) -> list[SourceReference]:
    sources_obj = r.get(root, "sources", "$", (dict,), required=False) or {}
    sources = []
    for key, value in sources_obj.items():
        if not isinstance(value, str):
            raise r.fail(f"$.sources.{key}", f"expected a string, found {_kind(value)}")
        sources.append(SourceReference(key, value.strip(), f"$.sources.{key}"))
    return sources


def _own_title(r: _Reader, root: dict[str, Any], fw: dict[str, Any]) -> str | None:
    """A title or name the export gives itself, at its top or its framework's."""
    return next(
        (
            t.strip()
            for parent, where in ((root, "$"), (fw, "$.framework"))
            for key in ("title", "name")
            if isinstance(t := r.get(parent, key, where, (str,), required=False), str) and t.strip()
        ),
        None,
    )
