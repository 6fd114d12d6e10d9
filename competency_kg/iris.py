"""Minting data IRIs under the configurable base.

Readable slash IRIs (Cool URIs for the Semantic Web, section 4.2): ``{base}occupation/15-1299.00``,
``{base}competency/active-listening``. Resources shared across documents (occupations by code,
competencies, tools, certifications, job titles, levels) get IRIs that depend only on their
identity, so every source names the same resource; resources that belong to one occupation
(requirements, lists, scenarios) are minted under that occupation's IRI.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rdflib import URIRef

from competency_kg.names import competency_slug, slugify

DEFAULT_BASE = "https://w3id.org/competency-kg/"


def safe_segment(text: str) -> str:
    """An IRI path segment keeping letters, digits, ``-``, ``_`` and ``.`` of a file name.

    >>> safe_segment("004_151618e0f121074d")
    '004_151618e0f121074d'
    >>> safe_segment("My Data (v2).ttl")
    'My-Data-v2-.ttl'
    """
    out = re.sub(r"[^A-Za-z0-9._-]+", "-", text.strip())
    return out.lstrip(".") or "source"


@dataclass(frozen=True)
class Minter:
    """Mints every data IRI of the graph under ``base`` (which ends with ``/``)."""

    base: str = DEFAULT_BASE

    def __post_init__(self) -> None:
        if not self.base.endswith("/"):
            object.__setattr__(self, "base", self.base + "/")

    def _iri(self, *segments: str) -> URIRef:
        return URIRef(self.base + "/".join(segments))

    # shared resources
    def occupation(self, soc_code: str | None, title: str) -> URIRef:
        """By O*NET-SOC code when the source gives one, else by title."""
        return self._iri("occupation", soc_code if soc_code else slugify(title))

    def competency(self, name: str) -> URIRef:
        return self._iri("competency", competency_slug(name))

    def competency_scheme(self) -> URIRef:
        return self._iri("scheme", "competencies")

    def scale(self, key: str) -> URIRef:
        return self._iri("scale", slugify(key))

    def level(self, scale_key: str, level_key: str) -> URIRef:
        return self._iri("scale", slugify(scale_key), slugify(level_key))

    def tool(self, name: str) -> URIRef:
        return self._iri("tool", slugify(name))

    def certification(self, name: str) -> URIRef:
        return self._iri("certification", slugify(name))

    def job_title(self, name: str) -> URIRef:
        return self._iri("job-title", slugify(name))

    # O*NET releases: Content Model elements and reference codes keep O*NET's own codes
    def onet_scheme(self) -> URIRef:
        """The O*NET Content Model as a SKOS concept scheme."""
        return self._iri("onet", "content-model")

    def onet_element(self, element_id: str) -> URIRef:
        """A Content Model element by its ID: ``onet/element/2.A.1.b`` (also IWAs and DWAs)."""
        return self._iri("onet", "element", element_id)

    def technology(self, name: str) -> URIRef:
        """An O*NET Technology Skills example, by name ("C#" is ``c-sharp``, not "C")."""
        return self._iri("onet", "technology", slugify(name.replace("#", " sharp")))

    def onet_tool(self, name: str) -> URIRef:
        """An O*NET Tools Used example, by name."""
        return self._iri("onet", "tool", slugify(name.replace("#", " sharp")))

    def job_zone(self, zone: str | int) -> URIRef:
        return self._iri("onet", "job-zone", str(zone))

    def rating_scale(self, scale_id: str) -> URIRef:
        return self._iri("onet", "scale", scale_id)

    def rating_category(self, element_id: str, scale_id: str, category: str) -> URIRef:
        return self._iri("onet", "category", element_id, scale_id, category)

    def soc_group(self, code: str) -> URIRef:
        """A SOC group by code: ``soc/15-1250`` (broad occupation), ``soc/15-0000`` …"""
        return self._iri("soc", code)

    def soc_scheme(self) -> URIRef:
        return self._iri("soc")

    def unspsc(self, code: str) -> URIRef:
        """A UNSPSC segment, family, class or commodity by its eight-digit code."""
        return self._iri("unspsc", code)

    def unspsc_scheme(self) -> URIRef:
        return self._iri("unspsc")

    def links_graph(self) -> URIRef:
        """The named graph of links across sources (``competency_kg.linking``)."""
        return self._iri("graph", "links")

    def entailed_graph(self) -> URIRef:
        """The named graph of what the ontology's alignments entail (``entailment.py``)."""
        return self._iri("graph", "entailed")

    # per-occupation resources
    @staticmethod
    def under(parent: URIRef, *segments: str) -> URIRef:
        return URIRef(str(parent) + "/" + "/".join(segments))

    # sources and graphs: named after the file, kept readable ("000_78da1468efeafd76")
    def source_graph(self, source_id: str) -> URIRef:
        return self._iri("graph", safe_segment(source_id))

    def source_document(self, source_id: str) -> URIRef:
        return self._iri("source", safe_segment(source_id))

    def curation_graph(self, source_id: str) -> URIRef:
        """Where the corrections applied to a source are recorded."""
        return self._iri("graph", "curation", safe_segment(source_id))

    def metadata_graph(self) -> URIRef:
        return self._iri("graph", "metadata")
