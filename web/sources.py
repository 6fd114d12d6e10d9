"""Where a page's facts come from: every named graph with what the metadata graph says of it
(title, file, checksum, loader, licence, attribution), numbered as a page's footnotes. The
metadata graph is read by :mod:`competency_kg.metadata`; its model of a source graph is the
pages' :class:`Source`."""

from __future__ import annotations

import re

from competency_kg.metadata import Cited, read_metadata
from competency_kg.metadata import SourceGraph as Source
from competency_kg.web.reading import Reader

__all__ = ["Cited", "Source", "licence_name", "read_sources"]


def licence_name(iri: str) -> str:
    """A short name for a licence IRI: ``CC BY 4.0`` for Creative Commons ones."""
    m = re.match(r"https?://creativecommons\.org/licenses/([a-z-]+)/(\d\.\d)/?$", iri)
    if m:
        return f"CC {m.group(1).upper().replace('-', ' ')} {m.group(2)}"
    if re.match(r"https?://creativecommons\.org/publicdomain/zero/1\.0/?$", iri):
        return "CC0 1.0"
    return iri


def read_sources(reader: Reader, base: str) -> dict[str, Source]:
    """Every named graph with what the metadata graph says about it, by graph IRI."""
    return read_metadata(reader.terms, base)
