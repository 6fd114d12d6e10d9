"""What a store's report is kept as (:mod:`competency_kg.reporting.kept`): the value of its
file (:mod:`competency_kg.store.kept`: the envelope, its kind, format, store version and key,
each checked there), JSON of an explicit, versioned schema, read strictly (see
docs/validation.md, "Kept reports").

The value is an array of graph reports. A graph report is an object with exactly the fields
of :class:`GraphReport`, and a result, a correction and a resolved result those of
:class:`Result`, :class:`CorrectionInfo` and :class:`ResolvedResult`, each as its type says:
a string, a number, a boolean, ``null`` for None, an array for a list, tuple or set; ``rdf``
(keyed by a result's key) an array of ``[key, triples]`` pairs; an RDF term ``["iri", iri]``,
``["bnode", id]`` or ``["literal", lexical form, datatype IRI or null, language or null]``; a
graph's fingerprint (``own_key``, ``world``) arrays of strings, numbers, booleans and nulls.

Reading checks every field's type, and that no field is missing or extra: anything else is a
:class:`~competency_kg.store.kept.KeptFileError`, naming where (never the offending value),
and the report is computed again. A reader builds plain values and the report's own classes,
nothing else: unlike the pickle files of format 1, a file cannot make the server run anything.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from typing import Any

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from competency_kg.reporting.graph_report import GraphReport
from competency_kg.store.kept import KeptFileError

#: The schema's version: changes when a field or its encoding does (older files are then not
#: read; their name changes too: it is part of :func:`competency_kg.reporting.kept.shapes_key`).
#: 3: the envelope is :mod:`competency_kg.store.kept`'s.
FORMAT = 3
#: Nesting of arrays a fingerprint may have (own_key: a pair of fingerprints).
_PLAIN_DEPTH = 3


def encode(graphs: dict[str, GraphReport]) -> list[Any]:
    """``graphs``, the reports of a store version, as the kept file's value."""
    return [_encode(g, GraphReport) for g in graphs.values()]


def decode(value: Any) -> dict[str, GraphReport]:
    """The reports, per graph, of a value :func:`encode` made; raises
    :class:`~competency_kg.store.kept.KeptFileError` for anything else."""
    reports = _decode(value, list[GraphReport], "graphs")
    graphs = {r.graph: r for r in reports}
    if len(graphs) != len(reports):
        raise KeptFileError("graphs: a graph reported twice")
    return graphs


@functools.cache
def _fields(cls: type) -> dict[str, Any]:
    """A dataclass's fields and their types: the schema of its object."""
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def _encode(value: Any, hint: Any) -> Any:
    """``value`` (of type ``hint``) as JSON data."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Node:
        return _term(value)
    if hint in (str, int, float, bool, object) or value is None:
        return _plain(value) if hint is object else value
    if origin in (typing.Union, types.UnionType):
        [inner] = [a for a in args if a is not type(None)]
        return _encode(value, inner)
    if dataclasses.is_dataclass(hint):
        return {name: _encode(getattr(value, name), t) for name, t in _fields(hint).items()}
    if origin is dict:
        k, v = args
        if k is str:
            return {key: _encode(item, v) for key, item in value.items()}
        return [[_encode(key, k), _encode(item, v)] for key, item in value.items()]
    if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
        return [_encode(item, t) for item, t in zip(value, args, strict=True)]
    if origin in (list, tuple, frozenset):
        items = sorted(value) if origin is frozenset else value
        return [_encode(item, args[0]) for item in items]
    raise TypeError(f"no JSON encoding for {hint!r}")


def _plain(value: object, depth: int = 0) -> object:
    """A fingerprint: scalars and (nested) tuples, as JSON."""
    if isinstance(value, tuple) and depth < _PLAIN_DEPTH:
        return [_plain(v, depth + 1) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"a fingerprint holds a {type(value).__name__}")


def _term(term: Node) -> list[str | None]:
    if isinstance(term, URIRef):
        return ["iri", str(term)]
    if isinstance(term, BNode):
        return ["bnode", str(term)]
    if isinstance(term, Literal):
        datatype = None if term.datatype is None else str(term.datatype)
        return ["literal", str(term), datatype, term.language]
    raise TypeError(f"no JSON encoding for the term {type(term).__name__}")


def _decode(data: Any, hint: Any, where: str) -> Any:
    """JSON ``data`` as a value of type ``hint``; :class:`KeptFileError` if it is not one."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Node:
        return _read_term(data, where)
    if hint is object:
        return _read_plain(data, where, 0)
    if origin in (typing.Union, types.UnionType):
        if data is None and type(None) in args:
            return None
        [inner] = [a for a in args if a is not type(None)]
        return _decode(data, inner, where)
    if hint is float:
        _expect(isinstance(data, int | float) and not isinstance(data, bool), where, "a number")
        return float(data)
    if hint in (str, int, bool):
        _expect(type(data) is hint, where, f"a {hint.__name__}")
        return data
    if dataclasses.is_dataclass(hint):
        fields = _fields(hint)
        _expect(isinstance(data, dict) and set(data) == set(fields), where, "its fields")
        values = {name: _decode(data[name], t, f"{where}.{name}") for name, t in fields.items()}
        return hint(**values)  # type: ignore[operator]
    if origin is dict:
        k, v = args
        if k is str:
            _expect(isinstance(data, dict), where, "an object")
            return {
                key: _decode(item, v, f"{where}[{i}]") for i, (key, item) in enumerate(data.items())
            }
        _expect(isinstance(data, list), where, "an array of pairs")
        pairs = [_decode(p, tuple[k, v], f"{where}[{i}]") for i, p in enumerate(data)]
        return dict(pairs)
    _expect(isinstance(data, list), where, "an array")
    if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
        _expect(len(data) == len(args), where, f"{len(args)} items")
        pairs = enumerate(zip(data, args, strict=True))
        return tuple(_decode(d, t, f"{where}[{i}]") for i, (d, t) in pairs)
    if origin in (list, tuple, frozenset):
        items = [_decode(d, args[0], f"{where}[{i}]") for i, d in enumerate(data)]
        return origin(items)
    raise TypeError(f"no JSON decoding for {hint!r}")


def _expect(ok: bool, where: str, what: str) -> None:
    if not ok:
        raise KeptFileError(f"{where}: not {what}")


def _read_plain(data: Any, where: str, depth: int) -> object:
    if isinstance(data, list) and depth < _PLAIN_DEPTH:
        return tuple(_read_plain(d, f"{where}[{i}]", depth + 1) for i, d in enumerate(data))
    _expect(data is None or isinstance(data, str | int | float | bool), where, "a fingerprint")
    return data


def _read_term(data: Any, where: str) -> Node:
    _expect(isinstance(data, list) and bool(data), where, "an RDF term")
    kind, rest = data[0], data[1:]
    if kind in ("iri", "bnode") and len(rest) == 1 and isinstance(rest[0], str):
        return URIRef(rest[0]) if kind == "iri" else BNode(rest[0])
    if kind == "literal" and len(rest) == 3:
        lexical, datatype, language = rest
        _expect(isinstance(lexical, str), where, "a literal's lexical form")
        _expect(datatype is None or isinstance(datatype, str), where, "a datatype IRI")
        _expect(language is None or isinstance(language, str), where, "a language tag")
        _expect(datatype is None or language is None, where, "a literal (datatype and language)")
        try:
            return Literal(lexical, datatype=datatype, lang=language)
        except ValueError:  # a language tag rdflib refuses
            raise KeptFileError(f"{where}: not a language tag") from None
    raise KeptFileError(f"{where}: not an RDF term")
