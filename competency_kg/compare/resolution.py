"""What a user typed (an O*NET-SOC code, an IRI or its path, an exact title) → one occupation
of the store, or the error that says why not."""

from __future__ import annotations

import re
from collections.abc import Mapping

from rdflib import Literal, URIRef
from rdflib.term import Node

from competency_kg.compare.index import representative_of
from competency_kg.compare.queries import (
    Runner,
    iri_term,
    literal_term,
    query_text,
    values_block,
    with_values,
)
from competency_kg.iris import Minter

_CODE = re.compile(r"^\d{2}-\d{4}(\.\d{2})?$")

_MAX_INPUT = 500


class CompareError(Exception):
    """A comparison cannot be made as asked."""

    status = 400


class BadInput(CompareError):
    """The occupation was not given, or not in a form that can name one."""


class NotFound(CompareError):
    """No occupation in the store matches what was given."""

    status = 404


class Ambiguous(CompareError):
    """A title names several occupations that are not twins of each other."""

    def __init__(self, message: str, candidates: list[tuple[str, str]]) -> None:
        super().__init__(message)
        self.candidates = candidates


def resolve(runner: Runner, text: str | None, minter: Minter) -> str:
    """The occupation named by an O*NET-SOC code, an IRI (or its path on this server), or an
    exact title (case aside). Raises :class:`BadInput`, :class:`NotFound`, :class:`Ambiguous`.
    """
    given = (text or "").strip()
    if not given:
        raise BadInput("no occupation given: use an O*NET-SOC code, an IRI or an exact title")
    if len(given) > _MAX_INPUT or any(ord(ch) < 32 for ch in given):
        raise BadInput("not an occupation code, IRI or title (too long, or control characters)")
    if _CODE.match(given):
        code = given if "." in given else given + ".00"
        found = _occupations(runner, "resolve-by-code", {"code": Literal(code)})
        what = f"no occupation has the O*NET-SOC code {code}"
    elif re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", given) or given.startswith("/"):
        iri = minter.base + given.lstrip("/") if given.startswith("/") else given
        try:
            iri_term(iri)
        except ValueError:
            raise BadInput(f"not a valid IRI: {given!r}") from None
        found = _occupations(runner, "resolve-by-iri", {"occupation": URIRef(iri)})
        what = f"<{iri}> is not an occupation in the store"
    else:
        found = sorted(
            set(_occupations(runner, "resolve-by-label", {"title": Literal(given, lang="en")}))
            | set(_occupations(runner, "resolve-by-label", {"title": Literal(given)}))
        )
        if not found:  # case aside: a scan of the occupations' titles
            found = _occupations(runner, "resolve-by-title", {"needle": Literal(given.casefold())})
        what = f"no occupation is titled {given!r} (give the exact title, a code or an IRI)"
    if not found:
        raise NotFound(what)
    if len(found) == 1:
        return found[0]
    # several: fine when they are all twins of one occupation
    clusters, codes = _clusters_of(runner, found)
    if len(set(clusters.values())) == 1:
        return representative_of(found, codes)
    candidates = sorted((o, codes.get(o, "")) for o in found)
    raise Ambiguous(
        f"{given!r} names {len(found)} different occupations: "
        + ", ".join(f"<{o}>" for o, _ in candidates)
        + "; give a code or an IRI",
        candidates,
    )


def _occupations(runner: Runner, name: str, bindings: Mapping[str, Node]) -> list[str]:
    return sorted({r["occupation"] for r in runner.select(query_text(name), bindings)})


def _clusters_of(runner: Runner, occupations: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Each occupation → the smallest IRI of its twins (itself included); and their codes."""
    q = with_values(
        "members",
        values_block(["side", "focus"], [[literal_term(o), iri_term(o)] for o in occupations]),
    )
    out: dict[str, str] = {}
    codes: dict[str, str] = {}
    for r in runner.select(q):
        o = r["side"]
        out[o] = min(out.get(o, o), r["occupation"])
        if "code" in r and r["occupation"] == o:
            codes[o] = r["code"]
    return out, codes
