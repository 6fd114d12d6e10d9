"""Places of validation results in the file a curator uploaded (issue 18: every result has
its place): line and column for the Turtle family, the JSON path for JSON(-LD).

RDF files carry no ``ckg:sourceLocation`` (the graph holds what the file says), so the place is
found in the file's own text, where it first writes the focus node.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection

from competency_kg.validation import Result

#: RDF text formats whose places are lines and columns.
_RDF_TEXT = {".ttl", ".turtle", ".nt", ".ntriples", ".nq", ".nquads", ".trig"}
_JSON = {".jsonld", ".json-ld", ".json"}
_PREFIX = re.compile(r"(?im)^\s*(?:@prefix|prefix)\s+([\w.-]*):\s*<([^>]*)>")
_END = r"(?=[\s;,.)\]]|$)"


def add_places(results: list[Result], data: bytes, suffix: str) -> None:
    """Give each result without a place the place of its focus node in the file itself: line
    and column for Turtle, TriG, N-Triples and N-Quads, the JSON path for JSON(-LD).

    RDF files carry no ``ckg:sourceLocation`` (the graph holds what the file says): the place
    is where the file first writes the focus node, as a subject where it is one.
    """
    missing = [r for r in results if r.location is None and not r.focus.startswith("_:")]
    if not missing:
        return
    suffix = suffix.lower()
    iris = {r.focus for r in missing}
    if suffix in _RDF_TEXT:
        places = text_places(data.decode("utf-8", "replace"), iris)
    elif suffix in _JSON:
        try:
            places = json_places(json.loads(data), iris)
        except (ValueError, RecursionError):
            return
    else:
        return
    for r in missing:
        r.location = places.get(r.focus)


def _spellings(iri: str, prefixes: dict[str, str]) -> list[str]:
    """The ways a Turtle-family file may write ``iri``, as regular expressions."""
    out = [re.escape(f"<{iri}>")]
    for prefix, ns in prefixes.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            out.append(r"(?<![\w:<])" + re.escape(f"{prefix}:{iri[len(ns) :]}") + _END)
    for sep in ("#", "/"):
        if sep in iri:
            tail = iri.rsplit(sep, 1)[1]
            if tail:
                out.append(re.escape(f"<{'#' if sep == '#' else ''}{tail}>"))
    return out


def text_places(text: str, iris: Collection[str]) -> dict[str, str]:
    """``line L, column C`` where the text first writes each IRI (first as a subject)."""
    prefixes = {m.group(1): m.group(2) for m in _PREFIX.finditer(text)}
    starts = [0]
    starts.extend(m.end() for m in re.finditer("\n", text))
    out: dict[str, str] = {}
    for iri in iris:
        pattern = re.compile("|".join(_spellings(iri, prefixes)))
        first = None
        for m in pattern.finditer(text):
            line_start = text.rfind("\n", 0, m.start()) + 1
            if not text[line_start : m.start()].strip():  # a subject: first on its line
                first = m
                break
            first = first or m
        if first is not None:
            line = text.count("\n", 0, first.start()) + 1
            column = first.start() - (text.rfind("\n", 0, first.start()) + 1) + 1
            out[iri] = f"line {line}, column {column}"
    return out


def json_places(tree: object, iris: Collection[str]) -> dict[str, str]:
    """The JSON path of the first object whose ``@id`` (or ``id``) names each IRI."""
    out: dict[str, str] = {}
    todo: list[tuple[object, str]] = [(tree, "$")]
    while todo and len(out) < len(iris):
        node, where = todo.pop(0)
        if isinstance(node, dict):
            ident = node.get("@id", node.get("id"))
            if isinstance(ident, str):
                for iri in iris:
                    if iri not in out and _names(ident, iri):
                        out[iri] = where
            todo.extend((v, f"{where}.{k}") for k, v in node.items())
        elif isinstance(node, list):
            todo.extend((v, f"{where}[{i}]") for i, v in enumerate(node))
    return out


def _names(ident: str, iri: str) -> bool:
    """Whether a JSON-LD ``@id`` (full, compact or relative) names ``iri``."""
    if ident == iri:
        return True
    if "://" in ident:
        return False
    local = ident.split(":", 1)[1] if ":" in ident else ident.lstrip("#")
    return bool(local) and (iri.endswith(("/" + local, "#" + local, ":" + local)))
