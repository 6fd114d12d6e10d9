"""Careers: which occupations fit what a person has (matching), and the cheapest ways from one
occupation to another (pathways), on the comparison's profiles (docs/career.md).

The parts, lowest first: ``data`` (what is read of the store once per store state), ``held``
(what a person has), ``matching`` (the fit and a match), ``pathways`` (transitions, paths
and destinations), ``formats`` (text, CSV, JSON and RDF). This module gives the names the
CLI, the pages and the benchmark use.
"""

from competency_kg.career.data import QUERIES, CareerData, career_data
from competency_kg.career.formats import (
    RDF_FORMATS,
    destinations_csv,
    destinations_text,
    destinations_triples,
    match_csv,
    match_json,
    match_text,
    match_triples,
    pathways_csv,
    pathways_text,
    pathways_triples,
    serialize,
    to_json,
)
from competency_kg.career.held import (
    Held,
    UnknownCompetencies,
    held_from_occupation,
    names_in_document,
    parse_level,
    resolve_names,
)
from competency_kg.career.matching import FIT_FORMULA, MATCH_LIMIT, fit_of, match
from competency_kg.career.pathways import (
    COST_RULE,
    MAX_STEPS,
    MAX_STEPS_LIMIT,
    PATHS,
    PATHS_LIMIT,
    THRESHOLD,
    Destinations,
    Pathways,
    TransitionGraph,
    destinations,
    find_paths,
    resolve_cluster,
    step_cost,
    transition_graph,
)

__all__ = [
    "COST_RULE",
    "FIT_FORMULA",
    "MATCH_LIMIT",
    "MAX_STEPS",
    "MAX_STEPS_LIMIT",
    "PATHS",
    "PATHS_LIMIT",
    "QUERIES",
    "RDF_FORMATS",
    "THRESHOLD",
    "CareerData",
    "Destinations",
    "Held",
    "Pathways",
    "TransitionGraph",
    "UnknownCompetencies",
    "career_data",
    "destinations",
    "destinations_csv",
    "destinations_text",
    "destinations_triples",
    "find_paths",
    "fit_of",
    "held_from_occupation",
    "match",
    "match_csv",
    "match_json",
    "match_text",
    "match_triples",
    "names_in_document",
    "parse_level",
    "pathways_csv",
    "pathways_text",
    "pathways_triples",
    "resolve_cluster",
    "resolve_names",
    "serialize",
    "step_cost",
    "to_json",
    "transition_graph",
]
