"""The media types the engine writes and reads, and its format for each: the one table.

The format behind a media type is pyoxigraph's own (``from_media_type``); the tuples below
say which of its media types this service offers, because the library also reads aliases
(``application/json``, ``text/plain``) that a caller's ``Accept`` header must not reach
unnegotiated.
"""

from __future__ import annotations

import pyoxigraph as ox

RESULTS_JSON = "application/sparql-results+json"
RESULTS_TSV = "text/tab-separated-values"
#: Media types SELECT/ASK results are written in.
RESULT_MIMES = (RESULTS_JSON, "application/sparql-results+xml", "text/csv", RESULTS_TSV)
#: Media types CONSTRUCT/DESCRIBE results (graphs) are written in.
GRAPH_MIMES = ("text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml")
#: Media types of whole datasets (quads), for dumps.
DATASET_MIMES = ("application/n-quads", "application/trig")
#: Every RDF media type this service writes.
RDF_MIMES = GRAPH_MIMES + DATASET_MIMES


def results_format(mime: str) -> ox.QueryResultsFormat:
    """The engine's format for a results media type of :data:`RESULT_MIMES`.

    >>> results_format("text/tab-separated-values") == ox.QueryResultsFormat.TSV
    True
    """
    if mime not in RESULT_MIMES:
        raise ValueError(f"cannot write query results as {mime}")
    return ox.QueryResultsFormat.from_media_type(mime)


def rdf_format(mime: str) -> ox.RdfFormat:
    """The engine's format for a media type of :data:`RDF_MIMES`.

    >>> rdf_format("application/trig") == ox.RdfFormat.TRIG
    True
    """
    if mime not in RDF_MIMES:
        raise ValueError(f"cannot write RDF as {mime}")
    return ox.RdfFormat.from_media_type(mime)
