"""Label search: ``/search?q=…`` as a page, or as JSON for the autocomplete.

Every word of the query must appear (case-insensitively) in one label, title or code of a
resource; results rank exact matches, then labels starting with the query, then words starting
with it, then the rest, and occupations and competencies before other things. ``format=json``
(or an ``Accept`` preferring ``application/json``) answers::

    {"query": "…", "count": 12, "more": false,
     "results": [{"iri": …, "href": …, "label": …, "type": …, "typeLabel": …, "code": …}]}

``class=occupation`` (a class name as in ``/class/…``) keeps one class; ``limit`` (JSON, at
most 50) and ``page`` (HTML) page through the results.

An occupation is one result however many sources describe it (:mod:`~competency_kg.web.twins`):
its best-matching record, with ``sources`` (the sources' short names) and, for twins,
``twins`` (every record: ``iri``, ``href``, ``label``, ``code``, ``sources``).

The words reach the query only as SPARQL literals written by Oxigraph's serializer, bound with
``VALUES`` and compared with ``CONTAINS(LCASE(…))``: the user's text is data, never query text.
"""

from __future__ import annotations

import bisect
import itertools
import json
import logging
import re
import threading
from collections.abc import Iterable
from typing import Any

from flask import Blueprint, Response, request

from competency_kg.namespaces import CKG
from competency_kg.search_labels import KEPT, SEARCHED, SKOS, columns, read_labels
from competency_kg.sparql.errors import QueryError
from competency_kg.store.kept import KeptFileError, published_at
from competency_kg.web.home import class_for_slug, class_slug
from competency_kg.web.negotiation import negotiate
from competency_kg.web.reading import Reader, Row, chunks, memo, values
from competency_kg.web.resources import (
    BadFormat,
    finish,
    page_number,
    plain,
    render,
    site,
    store_version,
)
from competency_kg.web.state import query_executor, state
from competency_kg.web.terms import TYPE, iri_term, iri_value, is_iri, literal, literal_term
from competency_kg.web.twins import OCCUPATION, occupation_groups
from competency_kg.web.vocabulary import vocabulary

bp = Blueprint("search", __name__)
log = logging.getLogger(__name__)

MAX_QUERY = 200
MAX_WORDS = 6
#: Matching rows read at most; beyond this the answer says there are more.
MAX_ROWS = 2000
#: How long the background queries reading every label may take (capped by the server's query
#: timeout; 5.2 s measured at 1 M triples, 50,055 labels).
INDEX_TIMEOUT = 120.0
HTML_PAGE_SIZE = 30
JSON_DEFAULT = 10
JSON_MAX = 50

#: Classes ranked first, in this order.
CLASS_RANK = {
    str(CKG) + name: i
    for i, name in enumerate(
        [
            "Occupation",
            "Competency",
            "WorkActivity",
            "ContentModelElement",
            "Technology",
            "Tool",
            "Certification",
            "JobTitle",
            "SocGroup",
            "ProductCategory",
        ]
    )
}


def words(q: str) -> list[str]:
    out = [w for w in re.split(r"\s+", q.casefold().strip()) if w]
    return list(dict.fromkeys(out))[:MAX_WORDS]


class LabelIndex:
    """Every searched label of the store in memory, casefolded, with its subject's types.

    A scan of it answers faster than ``CONTAINS`` over the store (at 1 M triples, whole
    searches: 94–173 ms against 374–688 ms), and it ranks every match, not the first
    :data:`MAX_ROWS` the engine happens to return. Built in the background after each load
    (:func:`label_index`) and kept on disk per published version
    (:mod:`competency_kg.store.kept`): a
    server started again over the same store reads it back instead of building it.
    """

    def __init__(
        self,
        entries: list[tuple[str, str, str, str]],
        types: dict[str, set[str]] | dict[str, tuple[str, ...]],
    ) -> None:
        self.entries = entries
        self.types = types
        # Every label in one string, one a line, and where each starts: ``str.find`` runs over
        # it in C, about 100× faster than testing each label in Python (130,271 labels on the
        # whole O*NET release: 200-390 ms a search under load, against a few milliseconds).
        self.starts: list[int] = []
        at = 0
        for text, *_ in self.entries:
            self.starts.append(at)
            at += len(text) + 1
        self.text = "\n".join(e[0].replace("\n", " ") for e in self.entries)

    @classmethod
    def read(cls, reader: Reader) -> LabelIndex:
        """The index of the store ``reader`` reads (two scans of every searched label, as a
        load reads them: :func:`~competency_kg.search_labels.read_labels`)."""
        return cls(*read_labels(reader.terms))

    def rows(self, ws: list[str], cls: str | None) -> list[dict[str, str]]:
        """The rows the SPARQL search would give (``s``, ``p``, ``label``), all of them."""
        wanted = iri_term(cls) if cls else None
        out = []
        for i in self._containing(max(ws, key=len)):
            text, s, p, label = self.entries[i]
            if all(w in text for w in ws) and (wanted is None or wanted in self.types.get(s, ())):
                out.append({"s": s, "p": p, "label": label})
        return out

    def _containing(self, word: str) -> list[int]:
        """The entries whose text contains ``word``, in index order."""
        found = []
        pos = self.text.find(word)
        while pos != -1:
            i = bisect.bisect_right(self.starts, pos) - 1
            found.append(i)
            if i + 1 >= len(self.starts):
                break
            pos = self.text.find(word, self.starts[i + 1])
        return found


_INDEXES: dict[str, LabelIndex] = {}
_BUILDING: set[str] = set()
#: Versions whose index could not be built (their searches stay SPARQL, none waits).
_FAILED: set[str] = set()
_INDEX_LOCK = threading.Lock()
_INDEX_BUILT = threading.Condition(_INDEX_LOCK)
#: How long a search waits for an index being built before it searches without it (a short
#: wait: a search arriving just before the build ends uses the index).
INDEX_WAIT = 0.05
#: What the kept value holds: columns of the entries (``text``, ``label``: strings; ``s``,
#: ``p``: numbers into ``subjects`` and ``properties``) and each subject's types (numbers
#: into ``classes``), one list per subject.
_FIELDS = frozenset({"text", "label", "s", "p", "subjects", "properties", "classes", "types"})


def _load_kept(store: str | None, version: str) -> LabelIndex | None:
    """The index kept on disk for the store's state ``version``, or None."""
    return KEPT.read(store, published_at(store, version), _from_columns)


def _columns(index: LabelIndex) -> dict[str, Any]:
    """``index`` as the kept columns (:func:`~competency_kg.search_labels.columns`)."""
    return columns(index.entries, index.types)


def _from_columns(doc: Any) -> LabelIndex:
    """The index :func:`_columns` kept; :class:`KeptFileError` for anything else (a search
    never meets a value of another shape)."""
    if not isinstance(doc, dict) or set(doc) != _FIELDS:
        raise KeptFileError("not a label index's columns")
    if not all(isinstance(column, list) for column in doc.values()):
        raise KeptFileError("not columns")
    subjects, properties, classes = doc["subjects"], doc["properties"], doc["classes"]
    for key in ("text", "label", "subjects", "properties", "classes"):
        _check(key, doc[key], str)
    _check("s", doc["s"], int, len(subjects))
    _check("p", doc["p"], int, len(properties))
    n = len(doc["text"])
    if not len(doc["label"]) == len(doc["s"]) == len(doc["p"]) == n:
        raise KeptFileError("columns of different lengths")
    kinds = doc["types"]
    if len(kinds) != len(subjects) or not set(map(type, kinds)) <= {list}:
        raise KeptFileError("types: not one list per subject")
    _check("types", list(itertools.chain.from_iterable(kinds)), int, len(classes))
    s = [subjects[i] for i in doc["s"]]
    p = [properties[i] for i in doc["p"]]
    named: dict[tuple[int, ...], tuple[str, ...]] = {}  # one tuple per set of classes
    types = {}
    for subject, ts in zip(subjects, kinds, strict=True):
        if ts:
            key = tuple(ts)
            if key not in named:
                named[key] = tuple(classes[c] for c in key)
            types[subject] = named[key]
    return LabelIndex(list(zip(doc["text"], s, p, doc["label"], strict=True)), types)


def _check(key: str, items: Any, kind: type, bound: int = 0) -> None:
    """That ``items`` is a list of ``kind`` (numbers: each in ``range(bound)``)."""
    if not isinstance(items, list) or not set(map(type, items)) <= {kind}:
        raise KeptFileError(f"{key}: not a list of {kind.__name__}s")
    if kind is int and items and not (min(items) >= 0 and max(items) < bound):
        raise KeptFileError(f"{key}: a number out of range")


def label_index(version: str | None, store: str | None = None) -> LabelIndex | None:
    """The index of the store as it is now (``version``: its fingerprint; ``store``: where
    it is), or None when it is not ready: the first call after a start reads it from disk
    when kept there for this version, else starts building it in the background (the warmer
    usually has); a call while it is being built waits up to :data:`INDEX_WAIT` for it."""
    if version is None:  # a remote store: searches stay SPARQL
        return None
    with _INDEX_LOCK:
        if version in _BUILDING:
            _INDEX_BUILT.wait_for(lambda: version not in _BUILDING, INDEX_WAIT)
        hit = _INDEXES.get(version)
        if hit is not None or version in _BUILDING or version in _FAILED:
            return hit
        _BUILDING.add(version)
    kept = _load_kept(store, version)
    if kept is not None:
        _done(version, kept)
        return kept
    executor = query_executor()
    threading.Thread(
        target=_build_index, args=(version, store, executor), name="label-index", daemon=True
    ).start()
    return None


def build_label_index(version: str | None, store: str | None = None) -> LabelIndex | None:
    """Build the index of the store's ``version`` in this thread (the warmer's step after a
    load), unless it is built, being built or kept on disk; the index, or None."""
    if version is None:
        return None
    with _INDEX_LOCK:
        hit = _INDEXES.get(version)
        if hit is not None or version in _BUILDING or version in _FAILED:
            return hit
        _BUILDING.add(version)
    kept = _load_kept(store, version)
    if kept is not None:
        _done(version, kept)
        return kept
    return _build_index(version, store, query_executor())


def read_kept_index(version: str | None, store: str | None = None) -> LabelIndex | None:
    """The index kept on disk for the store's ``version`` (by the load, or a server before),
    read into memory, unless it is there or being built; None when nothing is kept (the
    warmer builds it). A server reads it as it starts: its first search then neither reads
    18 MB of JSON (0.6 s on the whole O*NET release) nor finds the index not ready."""
    if version is None:
        return None
    with _INDEX_LOCK:
        hit = _INDEXES.get(version)
        if hit is not None or version in _BUILDING:
            return hit
        _BUILDING.add(version)
    kept = _load_kept(store, version)
    if kept is None:
        with _INDEX_LOCK:
            _BUILDING.discard(version)
            _INDEX_BUILT.notify_all()
        return None
    _done(version, kept)
    return kept


def _build_index(version: str, store: str | None, executor: Any) -> LabelIndex | None:
    name = published_at(store, version)  # read before building: kept only if still current
    try:
        index = LabelIndex.read(Reader(executor, timeout=INDEX_TIMEOUT))
    except Exception as exc:  # the searches stay SPARQL; the next load tries again
        log.info("label index not built: %s", exc)
        with _INDEX_LOCK:
            _FAILED.add(version)  # the next load tries again
            _BUILDING.discard(version)
            _INDEX_BUILT.notify_all()
        return None
    _done(version, index)
    KEPT.write(store, name, index, _columns)
    return index


def _done(version: str, index: LabelIndex) -> None:
    with _INDEX_LOCK:
        _INDEXES.clear()  # older versions are of no use any more
        _INDEXES[version] = index
        _BUILDING.discard(version)
        _INDEX_BUILT.notify_all()


#: The classes searched while the index is being built and a scan of the store did not finish
#: in time (the first ranked: what most searches look for), from a small index of their labels
#: read in one query per version (:func:`first_index`: 50-70 ms on the whole O*NET release,
#: 2,407 labels).
FIRST_CLASSES = tuple(c for c, rank in CLASS_RANK.items() if rank < 2)
#: Seconds a search may scan the store for while the index is being built (then the first
#: classes' labels answer, or a search of another class answers 503 with ``Retry-After``): a
#: whole scan takes 0.5 s on the whole O*NET release on an idle machine, 5-6 s on a busy one.
FALLBACK_TIMEOUT = 0.8


def first_index(reader: Reader, version: str | None) -> LabelIndex:
    """The labels of :data:`FIRST_CLASSES`' members only, kept per store version: what a
    search answers with while the whole index is being built and a scan of the store did not
    finish in time (its ``more`` set, and ``partial`` in JSON)."""

    def build() -> LabelIndex:
        # one pattern per property: with ``VALUES ?p`` Oxigraph scans every label (1.1 s)
        union = " UNION ".join(f"{{ ?s {p} ?label BIND({p} AS ?p) }}" for p in SEARCHED)
        rows = reader.select(
            f"SELECT ?s ?p ?label ?t WHERE {{ {values('t', map(iri_term, FIRST_CLASSES))} "
            f"?s a ?t . {union} FILTER(isIRI(?s) && isLiteral(?label)) }}"
        )
        entries = {(r["s"], r["p"], r["label"]) for r in rows}
        types: dict[str, set[str]] = {}
        for r in rows:
            types.setdefault(r["s"], set()).add(r["t"])
        return LabelIndex(
            [(literal(label).value.casefold(), s, p, label) for s, p, label in sorted(entries)],
            types,
        )

    return memo("search-first", version, None, build)


def _while_building(
    reader: Reader, version: str, q: str, cls: str | None
) -> tuple[list[dict[str, Any]], bool, bool]:
    """A search while the index is being built: the store scanned for at most
    :data:`FALLBACK_TIMEOUT` (every class: the whole answer, as before there was an index);
    if that does not finish in time, the first-ranked classes' labels (:func:`first_index`)
    answer, said to be partial, or — for another class — the scan's error (503). The
    results, whether more match, and whether the answer is partial."""
    try:
        results, more = search(Reader(timeout=FALLBACK_TIMEOUT), q, cls)
        return results, more, False
    except QueryError:
        if cls is not None and cls not in FIRST_CLASSES:
            raise
    results, _ = search(reader, q, cls, first_index(reader, version))
    return results, True, True


def search(
    reader: Reader, q: str, cls: str | None = None, index: LabelIndex | None = None
) -> tuple[list[dict[str, Any]], bool]:
    """Resources whose labels contain every word of ``q``, best first; and whether more match
    than were read (only without ``index``, which reads every match)."""
    ws = words(q)
    if not ws:
        return [], False
    if index is not None:
        rows, more = index.rows(ws, cls), False
    else:
        rows, more = _matching_rows(reader, ws, cls)
    found = _best_matches(rows, ws)
    if not found:
        return [], more
    # names, codes and types of the best candidates
    best = sorted(found, key=lambda s: (found[s]["score"], len(found[s]["matched"])))[:300]
    facts = _facts(reader, best)
    out = [_result(s, found[s], facts.get(s, {})) for s in best]
    out.sort(key=lambda x: x["_rank"])
    for x in out:
        del x["_rank"]
    if any(x["type"] == OCCUPATION for x in out):
        out = _one_per_occupation(out, reader)
    return out, more or len(found) > len(best)


def _matching_rows(reader: Reader, ws: list[str], cls: str | None) -> tuple[list[Row], bool]:
    """Labels that contain every word, read from the store (at most :data:`MAX_ROWS`), and
    whether there were more."""
    names = [f"?w{i}" for i in range(len(ws))]
    bound = f"VALUES ({' '.join(names)}) {{ ({' '.join(literal_term(w) for w in ws)}) }}"
    tests = " && ".join(f"CONTAINS(?l, {n})" for n in names)
    restrict = f"?s a {iri_term(cls)} ." if cls else ""
    rows = reader.select(
        f"SELECT ?s ?p ?label WHERE {{ {bound} {values('p', SEARCHED)} "
        f"?s ?p ?label . FILTER(isLiteral(?label)) BIND(LCASE(STR(?label)) AS ?l) "
        f"FILTER({tests}) {restrict} }} LIMIT {MAX_ROWS + 1}"
    )
    return rows[:MAX_ROWS], len(rows) > MAX_ROWS


def _best_matches(rows: Iterable[Row], ws: list[str]) -> dict[str, dict[str, Any]]:
    """Each resource's best-scoring label (its preferred label wins a tie)."""
    phrase = " ".join(ws)
    found: dict[str, dict[str, Any]] = {}
    for r in rows:
        s = r["s"]
        if not is_iri(s):
            continue
        text = literal(r["label"]).value
        score = _score(text.casefold(), phrase, ws)
        pref = 0 if r["p"] == SEARCHED[0] else 1
        hit = found.get(s)
        if hit is None or (score, pref) < (hit["score"], hit["pref"]):
            found[s] = {"score": score, "pref": pref, "matched": text, "prop": r["p"]}
    return found


def _facts(reader: Reader, best: list[str]) -> dict[str, dict[str, list[str]]]:
    """The types, preferred labels and codes of ``best``, by resource and property."""
    facts: dict[str, dict[str, list[str]]] = {}
    props = ", ".join((TYPE, f"<{SKOS}prefLabel>", f"<{SKOS}notation>"))
    for part in chunks(best):
        for r in reader.select(
            f"SELECT ?x ?p ?v WHERE {{ {values('x', part)} ?x ?p ?v FILTER(?p IN ({props})) }}"
        ):
            facts.setdefault(r["x"], {}).setdefault(r["p"], []).append(r["v"])
    return facts


def _result(s: str, match: dict[str, Any], f: dict[str, list[str]]) -> dict[str, Any]:
    """One result as shown and sent, with the ``_rank`` it is sorted by."""
    types = sorted(
        {iri_value(t) for t in f.get(TYPE, []) if is_iri(t)},
        key=lambda t: (CLASS_RANK.get(t, 99), t),
    )
    label = match["matched"]
    if match["prop"] != SEARCHED[0] and f.get(f"<{SKOS}prefLabel>"):
        label = literal(f[f"<{SKOS}prefLabel>"][0]).value
    code = f.get(f"<{SKOS}notation>")
    iri = iri_value(s)
    return {
        "iri": iri,
        "href": site().href(iri),
        "label": label,
        "matched": match["matched"] if match["matched"] != label else None,
        "type": types[0] if types else None,
        "typeLabel": vocabulary().label(types[0]) if types else None,
        "code": literal(code[0]).value if code else None,
        "_rank": (
            TIERS[match["score"]],
            CLASS_RANK.get(types[0], 99) if types else 100,
            match["score"],
            len(label),
            label.casefold(),
        ),
    }


def _one_per_occupation(results: list[dict[str, Any]], reader: Reader) -> list[dict[str, Any]]:
    """Twins merged: an occupation's best-ranked record stands for it, naming its sources and
    linking every record; the other records of the same occupation are dropped."""
    s = site()
    groups = occupation_groups(reader, s.base, store_version())
    shown: set[str] = set()
    out = []
    for x in results:
        group = groups.by_member.get(x["iri"]) if x["type"] == OCCUPATION else None
        if group is not None:
            if group.iri in shown:
                continue
            shown.add(group.iri)
            view = group.view(s)
            x["sources"], x["twins"] = view["sources"], view["twins"]
        out.append(x)
    return out


#: Match scores (see :func:`_score`) → tiers: exact; the phrase at the start of a word; every
#: word at the start of a word; anywhere. Within a tier occupations come first, then
#: competencies … (:data:`CLASS_RANK`), then shorter labels.
TIERS = {0: 0, 1: 1, 2: 1, 3: 2, 4: 3}


def _score(text: str, phrase: str, ws: list[str]) -> int:
    if text == phrase:
        return 0
    if text.startswith(phrase):
        return 1
    if re.search(r"(?:^|\W)" + re.escape(phrase), text):
        return 2
    if all(re.search(r"(?:^|\W)" + re.escape(w), text) for w in ws):
        return 3
    return 4


@bp.route("/search", methods=["GET", "HEAD"])
def search_page() -> Response:
    q = request.args.get("q", "")[:MAX_QUERY]
    fmt = (request.args.get("format") or "").lower()
    if fmt and fmt not in ("json", "html"):
        return plain(400, "format must be json or html")
    wants_json = fmt == "json" or (
        not fmt
        and negotiate(request.headers.get("Accept"), ["text/html", "application/json"])
        == "application/json"
    )
    cls_name = request.args.get("class", "").strip()
    cls = class_for_slug(cls_name) if cls_name else None
    if cls_name and cls is None:
        return plain(400, f"no class called {cls_name!r}")
    partial = False
    try:
        reader = Reader()
        version = store_version()
        index = label_index(version, state().settings.store)
        if index is None and version is not None:
            results, more, partial = _while_building(reader, version, q, cls)
        else:
            results, more = search(reader, q, cls, index)
    except QueryError as exc:
        return plain(503, f"the search could not run just now: {exc}", {"Retry-After": "5"})
    if wants_json:
        raw = request.args.get("limit", str(JSON_DEFAULT))
        limit = min(int(raw), JSON_MAX) if raw.isdigit() and int(raw) > 0 else JSON_DEFAULT
        doc = {
            "query": q,
            "count": len(results),
            "more": more or len(results) > limit,
            "results": results[:limit],
        }
        if partial:
            doc["partial"] = True
        resp = Response(json.dumps(doc, ensure_ascii=False), content_type="application/json")
        resp.headers["Access-Control-Allow-Origin"] = "*"
        resp.vary.add("Accept")
        return finish(resp)
    try:
        page = page_number()
    except BadFormat as exc:
        return plain(400, str(exc))
    pages = max(1, -(-len(results) // HTML_PAGE_SIZE))
    facets: dict[str, dict[str, Any]] = {}
    for r in results:
        if r["type"]:
            f = facets.setdefault(
                r["type"], {"label": r["typeLabel"], "count": 0, "slug": class_slug(r["type"])}
            )
            f["count"] += 1
    start = (page - 1) * HTML_PAGE_SIZE
    body = render(
        "search.html",
        q=q,
        results=results[start : start + HTML_PAGE_SIZE],
        total=len(results),
        more=more,
        page=min(page, pages),
        pages=pages,
        facets=sorted(facets.values(), key=lambda f: -f["count"]),
        cls_name=cls_name,
        cls_label=vocabulary().label(cls) if cls else None,
        words=words(q),
        partial=partial,
    )
    resp = Response(body, content_type="text/html; charset=utf-8")
    resp.vary.add("Accept")
    return finish(resp)


__all__ = ["bp", "search"]
