"""RDF terms as N-Triples text, as pages and documents carry them: writing them safely,
reading literals back, the vocabulary terms pages look for, and the short names of IRIs."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote

import pyoxigraph as ox
from rdflib.namespace import DCTERMS, FOAF, RDF, RDFS, SKOS, XSD

from competency_kg.namespaces import CEASN, HYDRA, PREFIXES, SCHEMA, SHAPES_IRI

#: Prefixes written in Turtle, TriG and RDF/XML documents.
DOC_PREFIXES: dict[str, str] = {
    **PREFIXES,
    "hydra": str(HYDRA),
    "foaf": str(FOAF),
    "ckgsh": SHAPES_IRI + "#",
}

#: ``rdf:type`` as a term; the other properties pages look for follow.
TYPE = f"<{RDF.type}>"

#: Properties that name a resource, best first.
LABEL_PROPS: tuple[str, ...] = (
    f"<{SKOS.prefLabel}>",
    f"<{RDFS.label}>",
    f"<{DCTERMS.title}>",
    f"<{SCHEMA.name}>",
    f"<{CEASN.name}>",
    f"<{CEASN.competencyLabel}>",
    f"<{FOAF.name}>",
    f"<{SKOS.altLabel}>",
)

NOTATION = f"<{SKOS.notation}>"

POSITION = f"<{SCHEMA.position}>"


def iri_term(iri: str) -> str:
    """``<iri>`` as N-Triples, checked by Oxigraph (:class:`ValueError` if not an IRI)."""
    return str(ox.NamedNode(iri))


def literal_term(text: str, lang: str | None = None, datatype: str | None = None) -> str:
    """A literal as N-Triples, escaped by Oxigraph: safe to put in a query as data."""
    if lang:
        return str(ox.Literal(text, language=lang))
    if datatype:
        return str(ox.Literal(text, datatype=ox.NamedNode(datatype)))
    return str(ox.Literal(text))


def int_term(n: int) -> str:
    return f'"{int(n)}"{_INTEGER}'


def is_iri(term: str) -> bool:
    return term.startswith("<")


def is_bnode(term: str) -> bool:
    return term.startswith("_:")


def is_literal(term: str) -> bool:
    return term.startswith('"')


def iri_value(term: str) -> str:
    """The IRI of an ``<iri>`` term."""
    return term[1:-1]


@dataclass(frozen=True, slots=True)
class Lit:
    """A literal, decoded: lexical value, language tag, datatype IRI."""

    value: str
    lang: str | None
    datatype: str

    @property
    def number(self) -> float | None:
        if self.datatype in _NUMERIC:
            try:
                return float(self.value)
            except ValueError:
                return None
        return None


_NUMERIC = {str(XSD) + t for t in ("integer", "decimal", "double", "float", "int", "long")}

_ECHAR = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.DOTALL)

_ECHARS = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text

    def sub(m: re.Match[str]) -> str:
        if m.group(3) is not None:
            return _ECHARS.get(m.group(3), m.group(3))
        return chr(int(m.group(1) or m.group(2), 16))

    return _ECHAR.sub(sub, text)


_LANG_STRING, _STRING = str(RDF.langString), str(XSD.string)


@lru_cache(maxsize=65536)
def literal(term: str) -> Lit:
    """Decode an N-Triples literal term."""
    end = term.rfind('"')
    value = _unescape(term[1:end])
    rest = term[end + 1 :]
    if rest.startswith("@"):
        return Lit(value, rest[1:], _LANG_STRING)
    if rest.startswith("^^<"):
        return Lit(value, None, rest[3:-1])
    return Lit(value, None, _STRING)


def text(term: str) -> str:
    """A term as plain text: a literal's value, an IRI, a blank node's label."""
    if is_literal(term):
        return literal(term).value
    if is_iri(term):
        return iri_value(term)
    return term


def number(term: str | None) -> float | None:
    if term is None or not is_literal(term):
        return None
    lit = literal(term)
    n = lit.number
    if n is None:
        try:
            n = float(lit.value)
        except ValueError:
            return None
    return n


_INTEGER = f"^^<{XSD.integer}>"


def best_text(terms: Sequence[str]) -> str:
    """The English (or untagged) text among literal terms, else the first."""
    best: str | None = None
    for t in terms:
        if not is_literal(t):
            continue
        lit = literal(t)
        if lit.lang is None or lit.lang.lower().startswith("en"):
            return lit.value
        if best is None:
            best = lit.value
    return best if best is not None else text(terms[0])


def compact(iri: str) -> str:
    """``ckg:Occupation`` for an IRI under a known prefix, else the IRI."""
    for prefix, ns in _SORTED_PREFIXES:
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns) :]}"
    return iri


_SORTED_PREFIXES = sorted(DOC_PREFIXES.items(), key=lambda kv: -len(kv[1]))


def humanize(name: str) -> str:
    """``hasTopConcept`` → ``has top concept`` (acronyms kept: ``SVP range``)."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).replace("_", " ").replace("-", " ")
    return " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in words.split())


def quote_path(path: str) -> str:
    """Percent-encode what may not appear raw in a URL path (IRIs allow more)."""
    return quote(path, safe="/:@!$&'()*+,;=~-._%#")
