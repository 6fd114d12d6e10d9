"""Each peer's answer compared to ours, so that a fast wrong answer is never counted as a win.

An answer is read into a form two systems can agree on whatever their serializer's choices:

- SELECT: the multiset of rows (SPARQL results are bags; ``ORDER BY`` is not compared, only
  which rows come back), each row a set of (variable, term) pairs, unbound variables left out;
- ASK: the boolean;
- CONSTRUCT / DESCRIBE: the set of triples (an RDF graph is a set), blank nodes all read as one
  node: labels are the server's own (RDF 1.1 Concepts §3.4), so only where a blank node stands is
  compared.

Terms are compared by value where serializers legitimately differ: a plain literal and an
``xsd:string`` one are the same literal (RDF 1.1 Concepts §3.3), language tags ignore case
(BCP 47), and numbers compare by their value to 9 significant digits (an ``AVG`` is an
``xsd:decimal`` on one server and an ``xsd:double`` on another, with different digits).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = {
    XSD + n
    for n in (
        "integer", "decimal", "double", "float", "int", "long", "short", "byte",
        "nonNegativeInteger", "positiveInteger", "negativeInteger", "nonPositiveInteger",
        "unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte",
    )
}  # fmt: skip

Term = tuple[str, ...]


@dataclass(frozen=True)
class Answer:
    """A result as a value that two servers' equal answers share."""

    form: str  # rows | boolean | graph
    rows: frozenset[tuple[object, int]] = frozenset()  # (row or triple, how many times)
    size: int = 0

    def differs_from(self, ours: Answer) -> str:
        """``""`` when the two answers are the same, else how they differ, in a few words."""
        if self == ours:
            return ""
        if self.form != ours.form:
            return f"a {self.form} answer, ours is a {ours.form}"
        mine, theirs = Counter(dict(self.rows)), Counter(dict(ours.rows))
        extra, missing = sum((mine - theirs).values()), sum((theirs - mine).values())
        unit = {"rows": "rows", "graph": "triples", "boolean": "boolean"}[self.form]
        if self.form == "boolean":
            return f"answers {bool(self.size)}, ours {bool(ours.size)}"
        return f"{self.size} {unit} vs our {ours.size}: {extra} not in ours, {missing} missing"


def _number(lexical: str) -> str:
    try:
        value = Decimal(lexical.strip())
    except InvalidOperation:
        return lexical
    if not value.is_finite():
        return str(value)
    return f"{float(value):.9g}" if value else "0"


def _term(cell: dict[str, str]) -> Term:
    kind = cell.get("type", "")
    value = cell.get("value", "")
    if kind == "uri":
        return ("iri", value)
    if kind == "bnode":
        return ("bnode",)
    lang = cell.get("xml:lang") or cell.get("lang")
    if lang:
        return ("literal", value, "@" + lang.lower())
    datatype = cell.get("datatype") or XSD + "string"
    if datatype in NUMERIC:
        return ("number", _number(value))
    return ("literal", value, datatype)


def _graph_term(term: object) -> Term:
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return ("iri", term.value)
    if isinstance(term, ox.BlankNode):
        return ("bnode",)
    if isinstance(term, ox.Literal):
        if term.language:
            return ("literal", term.value, "@" + term.language.lower())
        if term.datatype.value in NUMERIC:
            return ("number", _number(term.value))
        return ("literal", term.value, term.datatype.value)
    return ("other", str(term))


def read_answer(body: bytes, accept: str) -> Answer | None:
    """The answer in ``body`` (SPARQL JSON results, or N-Triples); None when it cannot be read."""
    try:
        if accept.endswith("json"):
            doc = json.loads(body)
            if "boolean" in doc:
                return Answer("boolean", size=int(bool(doc["boolean"])))
            rows = Counter(
                tuple(sorted((var, _term(cell)) for var, cell in binding.items()))
                for binding in doc["results"]["bindings"]
            )
            return Answer("rows", frozenset(rows.items()), sum(rows.values()))
        import pyoxigraph as ox

        triples = {
            ((_graph_term(t.subject), _graph_term(t.predicate), _graph_term(t.object)), 1)
            for t in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)
        }
        return Answer("graph", frozenset(triples), len(triples))
    except (ValueError, KeyError, TypeError, SyntaxError):
        return None
