"""CTDL-ASN competency frameworks and CTDL/SKOS concept schemes (JSON-LD) into a graph.

Credential Engine's CTDL-ASN files name their JSON-LD context by URL
(``"@context": "https://credreg.net/ctdlasn/schema/context/json"``), and some (concept-scheme
exports) name none and only use ``ceasn:``/``ceterms:``/``skos:`` CURIEs. This loader never
fetches anything: a CTDL context URL is replaced by the project's own copy
(``loaders/contexts/ctdl-asn.jsonld``, written from the CTDL-ASN terms: the prefixes, which
properties are IRIs, which are language maps); a document without a context gets that copy; a
document naming any other remote context is refused. Language maps the context does not
declare (``{"en-us": "…", "es": "…"}`` under a property unknown to it) are read as language
maps all the same, so a framework from another publisher keeps its language-tagged text.

What the file says is kept as it says it (its own IRIs, ``ceasn:``/``skos:`` terms), plus:

- the hierarchy both ways: ``ceasn:hasChild``/``ceasn:isChildOf`` and
  ``ceasn:hasTopChild``/``ceasn:isTopChildOf`` each completed from the other, and
  ``ceasn:isPartOf`` for every competency below a framework's top children;
- dates typed ``xsd:date``/``xsd:dateTime`` by their form;
- provenance: ``prov:wasDerivedFrom`` the source document and ``ckg:sourceLocation`` the node's
  JSON path (``$['@graph'][3]``) on every node;
- the framework's licence (``ceasn:license``) and an attribution recorded for the source graph.
"""

from __future__ import annotations

import copy
import json
import re
import warnings
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, SKOS, XSD

from competency_kg.loaders.errors import SourceError, parse_json
from competency_kg.loaders.source import LoadedSource, source_id_for
from competency_kg.namespaces import CEASN, CETERMS, CKG, PREFIXES

if TYPE_CHECKING:
    from competency_kg.iris import Minter

#: Remote contexts this project has a local copy of (never fetched).
KNOWN_CONTEXTS = re.compile(
    r"^https?://(www\.)?credreg\.net/(ctdlasn|ctdl|qdata)/schema/context/json/?$", re.IGNORECASE
)
_CURIE_KEYS = ("ceasn:", "ceterms:", "asn:")
_LANG_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$")
_INVERSES = (
    (CEASN.hasChild, CEASN.isChildOf),
    (CEASN.hasTopChild, CEASN.isTopChildOf),
)


@lru_cache(maxsize=1)
def local_context() -> dict[str, Any]:
    """The project's copy of the CTDL-ASN JSON-LD context (the value of its ``@context``)."""
    data = files("competency_kg.loaders").joinpath("contexts/ctdl-asn.jsonld").read_text("utf-8")
    return json.loads(data)["@context"]


def _nodes(doc: Any) -> list[Any]:
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        graph = doc.get("@graph")
        return graph if isinstance(graph, list) else [doc]
    return []


def _names_ctdl_context(ctx: Any) -> bool:
    if isinstance(ctx, str):
        return bool(KNOWN_CONTEXTS.match(ctx.strip()))
    if isinstance(ctx, list):
        return any(_names_ctdl_context(c) for c in ctx)
    if isinstance(ctx, dict):
        return any(
            isinstance(v, str)
            and v.startswith(("https://purl.org/ctdlasn/", "https://purl.org/ctdl/"))
            for v in ctx.values()
        )
    return False


def looks_like_ctdl(text: str) -> bool:
    """JSON whose context is CTDL's, or whose nodes use CTDL CURIEs (``ceasn:Competency``)."""
    head = text.lstrip()[:1]
    if head not in ("{", "[") or not any(
        marker in text for marker in ("ceasn:", "ceterms:", "credreg.net", "purl.org/ctdl")
    ):
        return False
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        return False
    if isinstance(doc, dict) and _names_ctdl_context(doc.get("@context")):
        return True
    for node in _nodes(doc)[:50]:
        if not isinstance(node, dict):
            continue
        types = node.get("@type")
        types = types if isinstance(types, list) else [types]
        if any(isinstance(t, str) and t.startswith(_CURIE_KEYS) for t in types):
            return True
        if any(k.startswith(_CURIE_KEYS) for k in node):
            return True
    return False


def _resolve_context(ctx: Any, path: Path, where: str) -> Any:
    """The document's context with every CTDL context URL replaced by the local copy."""
    if ctx is None:
        return local_context()
    if isinstance(ctx, str):
        if KNOWN_CONTEXTS.match(ctx.strip()):
            return local_context()
        raise SourceError(
            path,
            where,
            f"the JSON-LD names the remote @context {ctx!r}, which is never fetched; only "
            "CTDL's own context (credreg.net) is known locally — inline the context instead",
        )
    if isinstance(ctx, list):
        out = [_resolve_context(c, path, f"{where}[{i}]") for i, c in enumerate(ctx)]
        if not any(c is local_context() for c in out):
            out.insert(0, local_context())  # CTDL CURIEs need the prefixes
        return out
    if isinstance(ctx, dict):
        if "@import" in ctx:
            raise SourceError(path, f"{where}.@import", "@import of a remote context is refused")
        return [local_context(), ctx]
    raise SourceError(path, where, "@context must be a URL, an object or a list of them")


def _prepare(value: Any, path: Path, where: str) -> Any:
    """Resolve nested contexts and read undeclared language maps as language-tagged values."""
    if isinstance(value, list):
        return [_prepare(v, path, f"{where}[{i}]") for i, v in enumerate(value)]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, v in value.items():
        here = f"{where}.{key}" if key.startswith("@") or "'" in key else f"{where}['{key}']"
        if key == "@context":
            out[key] = _resolve_context(v, path, here)
        elif not key.startswith("@") and _is_language_map(v):
            out[key] = [
                {"@value": text, "@language": lang}
                for lang, texts in v.items()
                for text in (texts if isinstance(texts, list) else [texts])
                if text is not None
            ]
        else:
            out[key] = _prepare(v, path, here)
    return out


def _is_language_map(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and bool(value)
        and all(_LANG_TAG.match(k) for k in value)
        and all(
            isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v))
            for v in value.values()
        )
    )


def _locations(doc: Any) -> dict[str, str]:
    """Node ``@id`` → its JSON path in the document."""
    out: dict[str, str] = {}
    if isinstance(doc, list):
        prefix, nodes = "$", doc
    elif isinstance(doc, dict) and isinstance(doc.get("@graph"), list):
        prefix, nodes = "$['@graph']", doc["@graph"]
    else:
        prefix, nodes = "$", [doc]
        if isinstance(doc, dict) and isinstance(doc.get("@id"), str):
            out[doc["@id"]] = "$"
        return out
    for i, node in enumerate(nodes):
        if isinstance(node, dict) and isinstance(node.get("@id"), str):
            out.setdefault(node["@id"], f"{prefix}[{i}]")
    return out


def parse_ctdl(path: Path, text: str, base_iri: str) -> tuple[Graph, dict[str, str]]:
    """Parse a CTDL JSON-LD document with the local context; never touches the network.
    Relative IRIs resolve against ``base_iri`` (the document's own IRI), not the file's path."""
    doc = parse_json(path, text, "a framework")
    if isinstance(doc, list):
        prepared: Any = {"@context": local_context(), "@graph": _prepare(doc, path, "$")}
    elif isinstance(doc, dict):
        prepared = _prepare(copy.deepcopy(doc), path, "$")
        if "@context" not in prepared:
            prepared["@context"] = local_context()
        if isinstance(prepared.get("@graph"), list):
            # a registry envelope: {"@id": <graph IRI>, "@graph": [...]} names a graph; its
            # statements are read into the one source graph, the envelope's name dropped
            prepared = {"@context": prepared["@context"], "@graph": prepared["@graph"]}
    else:
        raise SourceError(path, "$", "a JSON-LD document must be an object or an array")
    g = Graph()
    try:
        with warnings.catch_warnings():
            # rdflib's JSON-LD parser uses its own deprecated ConjunctiveGraph inside
            warnings.simplefilter("ignore", DeprecationWarning)
            g.parse(data=json.dumps(prepared), format="json-ld", base=base_iri)
    except Exception as exc:  # rdflib's JSON-LD processor raises plain exceptions
        raise SourceError(path, "$", f"not valid JSON-LD: {exc}") from exc
    if not len(g):
        raise SourceError(path, "$", "the JSON-LD document holds no statements")
    return g, _locations(doc)


def read_ctdl(
    path: Path, text: str, minter: Minter, target: URIRef, doc_iri: URIRef, checksum: str
) -> LoadedSource:
    """Read a CTDL-ASN (or CTDL/SKOS) JSON-LD file into a graph; see the module doc."""

    parsed, where = parse_ctdl(path, text, str(doc_iri))
    g = Graph()
    for prefix, iri in PREFIXES.items():
        g.bind(prefix, iri, override=True)
    for s, p, o in parsed:
        g.add((s, p, _typed_date(p, o)))
    _complete_hierarchy(g)
    for s in set(g.subjects(RDF.type, None)):
        if isinstance(s, URIRef | BNode):
            g.add((s, PROV.wasDerivedFrom, doc_iri))
            if str(s) in where:
                g.add((s, CKG.sourceLocation, Literal(where[str(s)])))
    licences = sorted({o for o in g.objects(None, CEASN.license) if isinstance(o, URIRef)}, key=str)
    del minter
    return LoadedSource(
        path,
        source_id_for(path),
        "ctdl-asn",
        g,
        target,
        doc_iri,
        checksum,
        list(licences),
        _attribution(g, licences),
        title=_title(g),
    )


def _typed_date(p: URIRef, o: Any) -> Any:
    local = str(p).rsplit("/", 1)[-1]
    if (
        isinstance(o, Literal)
        and o.datatype is None
        and not o.language
        and local.startswith("date")
        and str(p).startswith((str(CEASN), str(CETERMS)))
    ):
        if _DATE.match(str(o)):
            return Literal(str(o), datatype=XSD.date)
        if _DATETIME.match(str(o)):
            return Literal(str(o), datatype=XSD.dateTime)
    return o


def _complete_hierarchy(g: Graph) -> None:
    for down, up in _INVERSES:
        for parent, child in list(g.subject_objects(down)):
            g.add((child, up, parent))
        for child, parent in list(g.subject_objects(up)):
            g.add((parent, down, child))
    for fw in set(g.subjects(RDF.type, CEASN.CompetencyFramework)):
        seen: set[Any] = set()
        todo = list(g.objects(fw, CEASN.hasTopChild))
        while todo:
            c = todo.pop()
            if c in seen:
                continue
            seen.add(c)
            if (c, CEASN.isPartOf, None) not in g:
                g.add((c, CEASN.isPartOf, fw))
            todo.extend(g.objects(c, CEASN.hasChild))


def _title(g: Graph) -> str | None:
    """The document's title: its frameworks' names (else its concept schemes'), English first."""
    for cls, prop in (
        (CEASN.CompetencyFramework, CEASN.name),
        (SKOS.ConceptScheme, CEASN.name),
        (SKOS.ConceptScheme, SKOS.prefLabel),
    ):
        names = [
            name
            for node in sorted(set(g.subjects(RDF.type, cls)), key=str)
            if (name := _first_text(g, node, prop))
        ]
        if names:
            return "; ".join(" ".join(n.split()) for n in names)
    return None


def _attribution(g: Graph, licences: list[URIRef]) -> str | None:
    """Who to credit: the frameworks' names and publishers, and their licence."""
    parts = []
    for fw in sorted(set(g.subjects(RDF.type, CEASN.CompetencyFramework)), key=str):
        name = _first_text(g, fw, CEASN.name)
        publisher = _first_text(g, fw, CEASN.publisherName)
        if name:
            parts.append(f"{name}" + (f" by {publisher}" if publisher else ""))
    if not parts:
        return None
    text = "; ".join(parts)
    if any("onetcenter.org" in str(s) for s in g.subjects(RDF.type, CEASN.CompetencyFramework)):
        text = (
            f"This product includes information from {text} (the O*NET Content Model as "
            "CTDL-ASN). O*NET® is a trademark of USDOL/ETA."
        )
    if licences:
        text = text.rstrip(".") + f". Used under the licence {', '.join(str(x) for x in licences)}."
    return text


def _first_text(g: Graph, s: Any, p: URIRef) -> str | None:
    values = sorted(
        g.objects(s, p),
        key=lambda v: (not str(getattr(v, "language", "") or "").startswith("en"), str(v)),
    )
    return str(values[0]) if values else None
