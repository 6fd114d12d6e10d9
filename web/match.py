"""Finding occupations by competencies (``/match``) and career pathways (``/pathway``).

- ``GET /match?competency=…&level=…`` (repeatable, paired in order; ``from=CODE`` adds what an
  occupation requires, at its levels; ``limit``, ``job_zone``): occupations ranked by fit
  (:mod:`competency_kg.career.matching`), each with what is covered and what is missing. ``POST
  /match`` takes the same as JSON (``{"competencies": [{"name", "level"}…], "from_occupation",
  "limit", "job_zone"}``) or a competency document uploaded in the form field ``file`` (a
  framework JSON export, a CTDL-ASN framework): its competencies are the given ones.
- ``GET /match/competencies?q=…``: the picker's search over competency and tool names.
- ``GET /pathway?a=…&b=…`` (``max_steps``, ``paths``): the cheapest paths from A to B; without
  ``b`` (``job_zone``, ``limit``), where A can go (:mod:`competency_kg.career.pathways`).

Each answer is HTML, JSON, CSV or RDF (Turtle, JSON-LD, N-Triples, RDF/XML) by ``Accept`` or
``format=``, as ``/compare``. 400 names unknown competencies with the closest known names;
404 when an occupation matches nothing; "no path" is a 200 answer naming the nearest reachable
occupations.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, render_template, request
from markupsafe import Markup

from competency_kg import career
from competency_kg.compare.index import local_path, occupation_index
from competency_kg.compare.resolution import CompareError
from competency_kg.loaders import SourceError, read_source
from competency_kg.safe_text import escape_controls
from competency_kg.web.compare import editor_link, respond, runner, wanted
from competency_kg.web.match_svg import path_svg
from competency_kg.web.state import state
from competency_kg.web.warming import WarmStep, add_step

bp = Blueprint("match", __name__)
log = logging.getLogger(__name__)

#: Largest competency document accepted for a match.
MAX_DOCUMENT = 5 * 1024 * 1024
BLANK_ROWS = 3


class HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _int(name: str, default: int | None, low: int, high: int, source: Any = None) -> int | None:
    raw = (source if source is not None else request.args).get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise HttpError(400, f"{name} must be a whole number") from None
    if not low <= value <= high:
        raise HttpError(400, f"{name} must be {low} to {high}")
    return value


def _error(template: str, exc: HttpError | CompareError, mime: str, **ctx: Any) -> Response:
    status = exc.status
    message = exc.message if isinstance(exc, HttpError) else str(exc)
    if mime == "text/html":
        page = render_template(template, error=message, **ctx)
        return respond(page, mime, status)
    if mime == "application/json":
        body: dict[str, Any] = {"error": message}
        if isinstance(exc, career.UnknownCompetencies):
            body["unknown"] = exc.unknown
        return respond(json.dumps(body, ensure_ascii=False), mime, status)
    return respond(message + "\n", "text/plain; charset=utf-8", status)


def _formats(url: str) -> dict[str, str]:
    sep = "&" if "?" in url else "?"
    return {
        label: f"{url}{sep}format={fmt}"
        for label, fmt in (
            ("JSON", "json"),
            ("CSV", "csv"),
            ("Turtle", "turtle"),
            ("JSON-LD", "jsonld"),
            ("N-Triples", "ntriples"),
        )
    }


def _queries(queries: dict[str, str]) -> list[dict[str, str]]:
    return [{"name": k, "text": v, "editor": editor_link(v)} for k, v in queries.items()]


# --------------------------------------------------------------------------- /match
def _given_from_args() -> tuple[list[tuple[str, str | None]], str, int, int | None]:
    names = request.args.getlist("competency")
    levels = request.args.getlist("level")
    pairs = [(n, levels[i] if i < len(levels) else None) for i, n in enumerate(names)]
    limit = _int("limit", career.MATCH_LIMIT, 1, 200) or career.MATCH_LIMIT
    return pairs, (request.args.get("from") or "").strip(), limit, _int("job_zone", None, 1, 5)


def _given_from_json() -> tuple[list[tuple[str, Any]], str, int, int | None]:
    try:
        doc = json.loads(request.get_data(as_text=True) or "{}")
    except ValueError as exc:
        raise HttpError(400, f"the body is not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise HttpError(400, 'send a JSON object: {"competencies": [{"name": …, "level": …}]}')
    pairs: list[tuple[str, Any]] = []
    for c in doc.get("competencies") or []:
        if isinstance(c, str):
            pairs.append((c, None))
        elif isinstance(c, dict) and isinstance(c.get("name"), str):
            level = c.get("level")
            if level is not None and not isinstance(level, int | float | str):
                raise HttpError(400, "a level is a number 0-7, p/n or a level name")
            pairs.append((c["name"], level))
        else:
            raise HttpError(400, 'each competency is a name or {"name": …, "level": …}')
    origin = doc.get("from_occupation") or ""
    if not isinstance(origin, str):
        raise HttpError(400, "from_occupation is a code, IRI or title")
    limit = _int("limit", career.MATCH_LIMIT, 1, 200, {k: doc.get(k) for k in ("limit",)})
    zone = _int("job_zone", None, 1, 5, {"job_zone": doc.get("job_zone")})
    return pairs, origin.strip(), limit or career.MATCH_LIMIT, zone


def _given_from_upload() -> tuple[list[tuple[str, Any]], str]:
    f = request.files.get("file")
    if f is None or not f.filename:
        raise HttpError(400, "no file: send the competency document in the form field 'file'")
    data = f.read(MAX_DOCUMENT + 1)
    if len(data) > MAX_DOCUMENT:
        raise HttpError(413, f"the document is over the {MAX_DOCUMENT // 2**20} MB limit")
    name = Path(f.filename.replace("\\", "/")).name or "upload.json"
    with tempfile.TemporaryDirectory(prefix="competency-kg-match-") as tmp:
        path = Path(tmp) / ("".join(ch for ch in name if ch.isalnum() or ch in "._-") or "f")
        path.write_bytes(data)
        try:
            src = read_source(path, state().settings.minter)
        except SourceError as exc:
            message = exc.message.replace(str(path), name).replace(tmp, "")
            raise HttpError(422, escape_controls(f"{name}: {message}")) from exc
        if src.bulk is not None:
            src.bulk.close()
            raise HttpError(422, f"{name}: not a competency document (a framework or CTDL-ASN)")
        pairs = career.names_in_document(src.graph)
    if not pairs:
        raise HttpError(422, f"{name}: names no competency")
    return pairs, name


def _match_url(held: list[career.Held], origin: str, limit: int, zone: int | None) -> str:
    params: list[tuple[str, str]] = []
    for h in held if not origin else []:
        params += [
            ("competency", h.given or h.label),
            ("level", "" if h.level is None else f"{h.level:g}"),
        ]
    if origin:
        params.append(("from", origin))
    if limit != career.MATCH_LIMIT:
        params.append(("limit", str(limit)))
    if zone:
        params.append(("job_zone", str(zone)))
    return "/match?" + urlencode(params)


@bp.route("/match", methods=["GET", "POST"])
def match_page() -> Response:
    ctx: dict[str, Any] = {"rows": [], "origin": "", "m": None, "blank": BLANK_ROWS}
    try:
        mime = wanted("this answer")
    except HttpError as exc:
        return respond(exc.message + "\n", "text/plain; charset=utf-8", exc.status)
    document = None
    try:
        if request.method == "POST" and request.mimetype == "multipart/form-data":
            pairs, document = _given_from_upload()
            origin, limit = "", _int("limit", career.MATCH_LIMIT, 1, 200, request.form) or 20
            zone = _int("job_zone", None, 1, 5, request.form)
        elif request.method == "POST":
            pairs, origin, limit, zone = _given_from_json()
        else:
            pairs, origin, limit, zone = _given_from_args()
        ctx.update(rows=[(n, lv or "") for n, lv in pairs if n.strip()], origin=origin, zone=zone)
        if not any(n.strip() for n, _ in pairs) and not origin:
            if mime == "text/html":
                return respond(render_template("match.html", error=None, **ctx), mime)
            raise HttpError(400, "give competencies (?competency=…&level=…) or ?from=CODE")
        started = time.perf_counter()
        r = runner()
        minter = state().settings.minter
        data = career.career_data(r, minter)
        held, ignored = career.resolve_names(data, pairs, lenient=document is not None)
        if document is not None and not held:
            raise HttpError(
                422,
                f"{document}: none of its competencies is in the store ({', '.join(ignored[:8])})",
            )
        origin_i = None
        if origin:
            more, origin_i = career.held_from_occupation(data, r, minter, origin)
            held = list({h.key: h for h in [*more, *held]}.values())
        m = career.match(
            data,
            held,
            limit=limit,
            exclude=[origin_i] if origin_i is not None else [],
            job_zone=zone,
            origin=origin_i,
            ignored=ignored,
        )
    except (HttpError, CompareError) as exc:
        return _error("match.html", exc, mime, **ctx)
    timing = f"match;dur={(time.perf_counter() - started) * 1000:.1f}"
    url = _match_url(held, origin, limit, zone)
    subject = request.url_root.rstrip("/") + url
    if mime == "application/json":
        doc = m.as_json()
        doc["url"] = subject
        return respond(json.dumps(doc, ensure_ascii=False), mime, Server_Timing=timing)
    if mime == "text/csv":
        return respond(career.match_csv(m), mime, Server_Timing=timing)
    if mime in career.RDF_FORMATS:
        return respond(
            career.serialize(career.match_triples(m, subject), mime), mime, Server_Timing=timing
        )
    ctx.update(
        m=m,
        d=m.as_json(),
        document=document,
        formula=career.FIT_FORMULA,
        formats=_formats(url),
        queries=_queries(m.queries()),
        rows=[(h.given or h.label, "" if h.level is None else f"{h.level:g}") for h in m.held]
        if not origin
        else ctx["rows"],
        origin_ident=origin,
    )
    return respond(render_template("match.html", error=None, **ctx), mime, Server_Timing=timing)


@bp.get("/match/competencies")
def competencies() -> Response:
    """The competency picker's search: names containing the text, names starting with it
    first."""
    q = " ".join((request.args.get("q") or "").casefold().split())[:200]
    results: list[dict[str, Any]] = []
    if q:
        data = career.career_data(runner(), state().settings.minter)
        hits: list[tuple[int, str, str]] = []
        for name, keys in data.names.items():
            if q in name:
                hits.extend((0 if name.startswith(q) else 1, name, k) for k in keys)
        hits.sort()
        seen: set[str] = set()
        for _, _, key in hits:
            if key in seen:
                continue
            seen.add(key)
            label = data.label(key)
            results.append(
                {
                    "label": label,
                    "value": label,
                    "code": data.codes.get(key) or data.kinds.get(key),
                    "kind": data.kinds.get(key),
                    "iri": key,
                    "href": local_path(key, data.base),
                }
            )
            if len(results) >= 20:
                break
    body = {"query": q, "count": len(results), "results": results}
    return respond(json.dumps(body, ensure_ascii=False), "application/json")


# --------------------------------------------------------------------------- /pathway
def warm_transitions(app: Flask) -> None:
    """Build the store's transition graph into the per-store-version cache: a warm step to
    run in the background after start and after each load, like the validation report, so
    the first ``/pathway`` does not wait for it (about 6 s on the whole O*NET release on a
    busy machine, besides the profiles and the match data). A ``/pathway`` arriving during
    the build waits for this same build (the cache builds each key once at a time:
    :mod:`competency_kg.versioned_cache`)."""
    started = time.monotonic()
    with app.app_context():
        r = runner()
        minter = state().settings.minter
        occupation_index(r, minter, parallel=False)  # one query at a time: a worker stays free
        graph = career.transition_graph(r, minter)
    log.info(
        "transition graph precomputed: %d transitions in %.1f s (the build %.1f s)",
        graph.edge_count(), time.monotonic() - started, graph.seconds,
    )  # fmt: skip


add_step(WarmStep("transitions", "COMPETENCY_KG_WARM_TRANSITIONS", warm_transitions), "dumps")


def _pathway_url(a: str, b: str, **extra: Any) -> str:
    params = {"a": a, **({"b": b} if b else {}), **{k: v for k, v in extra.items() if v}}
    return "/pathway?" + urlencode(params)


def _ident(data: career.CareerData, i: int) -> str:
    c = data.index.clusters[i]
    return c.code or local_path(c.iri, data.base) or c.iri


@bp.get("/pathway")
def pathway_page() -> Response:
    a = (request.args.get("a") or "").strip()
    b = (request.args.get("b") or "").strip()
    ctx: dict[str, Any] = {"a": a, "b": b, "p": None, "dest": None}
    try:
        mime = wanted("this answer")
    except HttpError as exc:
        return respond(exc.message + "\n", "text/plain; charset=utf-8", exc.status)
    try:
        steps = _int("max_steps", career.MAX_STEPS, 1, career.MAX_STEPS_LIMIT) or career.MAX_STEPS
        count = _int("paths", career.PATHS, 1, career.PATHS_LIMIT) or career.PATHS
        zone = _int("job_zone", None, 1, 5)
        limit = _int("limit", 10, 1, 100) or 10
        ctx.update(max_steps=steps, paths=count, zone=zone, limit=limit)
        if not a:
            if mime == "text/html" and not b:
                return respond(render_template("pathway.html", error=None, **ctx), mime)
            raise HttpError(400, "give the occupation to start from: ?a=CODE (and ?b=CODE)")
        started = time.perf_counter()
        r = runner()
        minter = state().settings.minter
        graph = career.transition_graph(r, minter)
        ia = career.resolve_cluster(r, minter, graph, a)
        answer: career.Pathways | career.Destinations
        if b:
            ib = career.resolve_cluster(r, minter, graph, b)
            answer = career.find_paths(graph, ia, ib, steps, count)
        else:
            answer = career.destinations(graph, ia, zone, limit)
    except (HttpError, CompareError) as exc:
        return _error("pathway.html", exc, mime, **ctx)
    timing = f"pathway;dur={(time.perf_counter() - started) * 1000:.1f}"
    url = (
        _pathway_url(a, b, max_steps=steps if steps != career.MAX_STEPS else None,
                     paths=count if count != career.PATHS else None)
        if b
        else _pathway_url(a, "", job_zone=zone, limit=limit if limit != 10 else None)
    )  # fmt: skip
    subject = request.url_root.rstrip("/") + url
    if mime == "application/json":
        doc = answer.as_json()
        doc["url"] = subject
        return respond(json.dumps(doc, ensure_ascii=False), mime, Server_Timing=timing)
    if mime == "text/csv":
        body = (
            career.pathways_csv(answer)
            if isinstance(answer, career.Pathways)
            else career.destinations_csv(answer)
        )
        return respond(body, mime, Server_Timing=timing)
    if mime in career.RDF_FORMATS:
        triples = (
            career.pathways_triples(answer, subject)
            if isinstance(answer, career.Pathways)
            else career.destinations_triples(answer, subject)
        )
        return respond(career.serialize(triples, mime), mime, Server_Timing=timing)
    data = graph.data
    pictures: list[Markup] = []
    if isinstance(answer, career.Pathways):
        pictures = [path_svg(data, k, path) for k, path in enumerate(answer.paths, start=1)]
    ctx.update(
        p=answer if isinstance(answer, career.Pathways) else None,
        dest=answer if isinstance(answer, career.Destinations) else None,
        d=answer.as_json(),
        pictures=pictures,
        rule=career.COST_RULE,
        formats=_formats(url),
        queries=_queries(career.QUERIES),
        ident=lambda i: _ident(data, i),
        pathway_url=_pathway_url,
    )
    return respond(render_template("pathway.html", error=None, **ctx), mime, Server_Timing=timing)
