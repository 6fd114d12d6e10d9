"""What makes two results the same finding, whichever graph's check found it."""

from __future__ import annotations

from rdflib.term import Node

from competency_kg.validation import Result

Triple = tuple[Node, Node, Node]
ResultKey = tuple[str, str, str, str | None, str | None, str]


def result_key(r: Result) -> ResultKey:
    """What makes two results the same finding, whichever graph's check found it."""
    return (r.severity, r.source_shape, r.focus, r.path, r.value, r.message)
