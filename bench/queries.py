"""The analyst query set: the site's example queries (``queries/*.rq``, read when the benchmark
runs) plus heavy ones: group-by counts over everything, text search, multi-hop joins, DESCRIBE
and the incoming links of a high-degree competency, and two tiny look-ups that show each
system's fixed cost per request."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bench.data import ROOT

PREFIXES = """PREFIX ckg:    <https://w3id.org/competency-kg/ontology#>
PREFIX ceasn:  <https://purl.org/ctdlasn/terms/>
PREFIX schema: <https://schema.org/>
PREFIX skos:   <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs:   <http://www.w3.org/2000/01/rdf-schema#>
"""
BASE = "https://w3id.org/competency-kg/"
#: A competency most synthetic occupations and both seeds name (the highest degree).
HIGH_DEGREE = f"{BASE}competency/active-listening"


@dataclass(frozen=True)
class BenchQuery:
    name: str
    text: str
    kind: str  # "example" (queries/*.rq) or "heavy" / "lookup"
    form: str  # select | ask | construct | describe

    @property
    def accept(self) -> str:
        if self.form in ("construct", "describe"):
            return "application/n-triples"
        return "application/sparql-results+json"


_FORM = re.compile(r"^\s*(select|ask|construct|describe)\b", re.IGNORECASE | re.MULTILINE)


def form_of(text: str) -> str:
    code = "\n".join(line.split("#", 1)[0] if not line.lstrip().startswith("PREFIX") else ""
                     for line in text.splitlines())  # fmt: skip
    m = _FORM.search(code)
    return m.group(1).lower() if m else "select"


HEAVY: dict[str, str] = {
    "lookup-label": f"""SELECT ?label WHERE {{
  <{BASE}occupation/15-1232.00> skos:prefLabel ?label }}""",
    "ask-statement": "ASK { ?s a ckg:CompetencyStatement }",
    "count-by-class": """SELECT ?class (COUNT(?s) AS ?instances) WHERE { ?s a ?class }
GROUP BY ?class ORDER BY DESC(?instances)""",
    "statements-per-level": """SELECT ?level (COUNT(?s) AS ?statements)
       (COUNT(DISTINCT ?framework) AS ?frameworks) WHERE {
  ?s a ckg:CompetencyStatement ; ckg:atLevel ?l ; ceasn:isPartOf ?framework .
  ?l skos:prefLabel ?level .
} GROUP BY ?level ORDER BY DESC(?statements)""",
    "text-search-statements": """SELECT ?s ?text WHERE {
  ?s a ckg:CompetencyStatement ; ceasn:competencyText ?text .
  FILTER (CONTAINS(LCASE(STR(?text)), "network outages"))
} ORDER BY ?s LIMIT 200""",
    "regex-search-labels": """SELECT (COUNT(*) AS ?matches) WHERE {
  ?x skos:prefLabel ?label .
  FILTER (REGEX(STR(?label), "analy[sz]", "i"))
}""",
    "multi-hop-soc-ratings": """SELECT ?major (AVG(?importance) AS ?avgImportance)
       (COUNT(?rating) AS ?ratings) WHERE {
  ?e skos:notation "2.A.1.b" .
  ?rating ckg:element ?e ; ckg:importance ?importance .
  ?occupation ckg:rating ?rating ; skos:broader+ ?group .
  ?group a ckg:SocGroup ; skos:notation ?major .
  FILTER (STRENDS(?major, "-0000"))
} GROUP BY ?major ORDER BY DESC(?avgImportance)""",
    "multi-hop-shared-competencies": """SELECT ?a ?b (COUNT(DISTINCT ?c) AS ?shared) WHERE {
  ?a ckg:requires/ckg:competency ?c .
  ?b ckg:requires/ckg:competency ?c .
  FILTER (STR(?a) < STR(?b))
} GROUP BY ?a ?b ORDER BY DESC(?shared) ?a ?b LIMIT 20""",
    "multi-hop-tool-competencies": """SELECT ?competency (COUNT(DISTINCT ?o) AS ?occupations)
WHERE {
  ?t skos:prefLabel "Python"@en .
  ?o ckg:usesTool ?t ; ckg:requires ?r .
  ?r ckg:competency/skos:prefLabel ?competency ; ckg:requiredLevel/schema:position ?rank .
  FILTER (?rank >= 2)
} GROUP BY ?competency ORDER BY DESC(?occupations) ?competency LIMIT 25""",
    "describe-high-degree": f"DESCRIBE <{HIGH_DEGREE}>",
    "incoming-high-degree": f"""CONSTRUCT {{ ?s ?p <{HIGH_DEGREE}> }} WHERE {{
  ?s ?p <{HIGH_DEGREE}> }}""",
}


def example_queries(folder: Path | None = None) -> list[BenchQuery]:
    """The site's example queries, as the folder holds them now."""
    folder = folder or ROOT / "queries"
    out = []
    for p in sorted(folder.glob("*.rq")):
        text = p.read_text(encoding="utf-8")
        out.append(BenchQuery(p.stem, text, "example", form_of(text)))
    return out


def heavy_queries() -> list[BenchQuery]:
    out = []
    for name, body in HEAVY.items():
        text = PREFIXES + body
        kind = "lookup" if name in ("lookup-label", "ask-statement") else "heavy"
        out.append(BenchQuery(name, text, kind, form_of(text)))
    return out


def all_queries(only: set[str] | None = None) -> list[BenchQuery]:
    """Every query of the set, or those named in ``only`` (``--queries``); an unknown name is
    an error, so a typo does not silently measure nothing."""
    qs = example_queries() + heavy_queries()
    if only is None:
        return qs
    unknown = only - {q.name for q in qs}
    if unknown:
        raise ValueError(f"no such benchmark queries: {', '.join(sorted(unknown))}")
    return [q for q in qs if q.name in only]


#: The runaway query of the concurrency test: a cartesian product no engine finishes soon.
RUNAWAY = (
    PREFIXES
    + """SELECT (COUNT(*) AS ?n) WHERE {
  ?a ?p ?b . ?c ?q ?d . ?e ?r ?f . FILTER (?b != ?f)
}"""
)

#: Simple queries of the concurrency mix (``{code}`` / ``{iri}`` filled in per request).
SIMPLE = {
    "occupation-label": PREFIXES + "SELECT ?label WHERE {{ {iri} skos:prefLabel ?label }}",
    "occupation-tools": PREFIXES
    + """SELECT ?tool ?name WHERE {{ {iri} ckg:usesTechnology|ckg:usesTool ?tool .
  ?tool skos:prefLabel ?name }} LIMIT 50""",
    "top-skills": PREFIXES
    + """SELECT ?skill ?importance WHERE {{
  ?o skos:notation "{code}" ; ckg:rating ?r .
  ?r ckg:element/skos:prefLabel ?skill ; ckg:importance ?importance .
}} ORDER BY DESC(?importance) LIMIT 10""",
}
