"""Computing a comparison: the focus queries, their rows merged into facts per side, labels,
prioritized lists, the similarity and the nearest occupations."""

from __future__ import annotations

import logging
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

from competency_kg.compare.index import (
    INDEX_QUERIES,
    Neighbour,
    named_competencies,
    nearest,
    occupation_index,
)
from competency_kg.compare.model import (
    SIDES,
    Comparison,
    Fact,
    Item,
    ListEntry,
    Member,
    PrioritizedLists,
    Side,
)
from competency_kg.compare.queries import (
    Row,
    Runner,
    iri_term,
    literal_term,
    query_text,
    store_state,
    values_block,
    with_values,
)
from competency_kg.compare.resolution import resolve
from competency_kg.compare.scoring import (
    IMPORTANCE_THRESHOLD,
    NEAREST,
    Profile,
    number,
    similarity,
    version_key,
)
from competency_kg.compare.tool_keys import tool_keys
from competency_kg.iris import Minter
from competency_kg.loaders.mapping import KIND_TERMS, LIST_TERMS

log = logging.getLogger(__name__)


def _focus_block(a: str, b: str) -> str:
    return values_block(
        ["side", "focus"], [[literal_term("a"), iri_term(a)], [literal_term("b"), iri_term(b)]]
    )


def compare(
    runner: Runner,
    a: str,
    b: str,
    minter: Minter | None = None,
    *,
    nearest_k: int = NEAREST,
) -> Comparison:
    """Compare the occupations ``a`` and ``b`` (codes, IRIs, paths or exact titles)."""
    minter = minter or Minter()
    focus_a = resolve(runner, a, minter)
    focus_b = resolve(runner, b, minter)
    return compare_resolved(runner, focus_a, focus_b, minter, nearest_k=nearest_k)


#: The queries about the two focus occupations, each answered for both sides at once.
FOCUS_QUERIES = (
    "members",
    "links",
    "ratings",
    "tools",
    "requirements",
    "statements",
    "certifications",
    "work-activities",
    "prioritized-lists",
)
#: What a comparison reports of each source graph (from the metadata graph).
SOURCE_FIELDS = ("title", "label", "file", "loader", "version", "licence", "attribution")

#: Items by kind, then by the key they are compared under.
Items = dict[str, dict[str, Item]]


def compare_resolved(
    runner: Runner, focus_a: str, focus_b: str, minter: Minter, *, nearest_k: int = NEAREST
) -> Comparison:
    """Compare two occupations already resolved to IRIs of the store."""
    focus = _focus_block(focus_a, focus_b)
    queries = {name: with_values(name, focus) for name in FOCUS_QUERIES}
    answers = _answers(runner, queries)
    sides = _sides(answers, focus_a, focus_b)
    sources = _sources(runner, minter, answers, sides, queries)
    versions = {g: version_key(info.get("version")) for g, info in sources.items()}
    items: Items = defaultdict(dict)
    topics = _competencies(runner, minter, items, answers, versions, queries)
    _tools(minter, items, answers["tools"])
    _certifications_and_activities(items, answers)
    lists = _lists(answers["prioritized-lists"])
    _name_items(runner, items, topics, queries)
    profiles = {s: _profile(items, s) for s in SIDES}
    near, notes = _nearest(runner, minter, profiles, sides, nearest_k)
    for name in INDEX_QUERIES:
        queries[name] = query_text(name)
    return Comparison(
        a=sides["a"],
        b=sides["b"],
        base=minter.base,
        items={k: list(v.values()) for k, v in items.items()},
        lists=lists,
        similarity=similarity(profiles["a"], profiles["b"]),
        nearest=near,
        sources=sources,
        queries=queries,
        notes=notes,
    )


def _answers(runner: Runner, queries: dict[str, str]) -> dict[str, list[Row]]:
    """The focus queries' rows, two queries at a time (two query workers)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        pending = {name: pool.submit(runner.select, queries[name]) for name in FOCUS_QUERIES}
        return {name: f.result() for name, f in pending.items()}


def _sides(answers: dict[str, list[Row]], focus_a: str, focus_b: str) -> dict[str, Side]:
    """Each side's occupation with its twins and the links that made them twins."""
    members: dict[str, dict[str, Member]] = {"a": {}, "b": {}}
    for r in answers["members"]:
        m = members[r["side"]].setdefault(r["occupation"], Member(r["occupation"]))
        if r["g"] not in m.graphs:
            m.graphs.append(r["g"])
        m.code = m.code or r.get("code")
        m.title = m.title or r.get("title")
        m.job_zone = m.job_zone or r.get("jobZone")
    links: dict[str, list[dict[str, str]]] = {"a": [], "b": []}
    for r in answers["links"]:
        if r["twin"] in members[r["side"]]:
            entry = {
                "occupation": r["occupation"],
                "twin": r["twin"],
                "source": r["g"],
                "method": r.get("method", ""),
                "evidence": r.get("evidence", ""),
            }
            if entry not in links[r["side"]]:
                links[r["side"]].append(entry)
    return {
        s: Side(
            f,
            sorted(members[s].values(), key=lambda m: (m.iri != f, m.iri)) or [Member(f)],
            links[s],
        )
        for s, f in (("a", focus_a), ("b", focus_b))
    }


def _sources(
    runner: Runner,
    minter: Minter,
    answers: dict[str, list[Row]],
    sides: dict[str, Side],
    queries: dict[str, str],
) -> dict[str, dict[str, str]]:
    """Every graph a fact of the comparison comes from, with what the metadata graph says."""
    graphs = {
        r["g"] for name in FOCUS_QUERIES if name not in ("members", "links") for r in answers[name]
    }
    graphs |= {g for s in sides.values() for m in s.members for g in m.graphs}
    graphs |= {ln["source"] for s in sides.values() for ln in s.links}
    q = with_values(
        "sources",
        values_block(["metadata"], [[iri_term(minter.metadata_graph())]]),
        values_block(["g"], [[iri_term(g)] for g in sorted(graphs)]),
    )
    queries["sources"] = q
    sources: dict[str, dict[str, str]] = {g: {} for g in sorted(graphs)}
    for r in runner.select(q):
        info = sources.setdefault(r["g"], {})
        for k in SOURCE_FIELDS:
            if k in r and k not in info:
                info[k] = r[k]
    return sources


def _fact(items: Items, kind: str, key: str, side: str) -> Fact:
    """The fact ``side`` states about the item ``key`` of ``kind`` (made when first met)."""
    item = items[kind].get(key)
    if item is None:
        item = items[kind][key] = Item(kind, key, key, None, None)
    f = item.a if side == "a" else item.b
    if f is None:
        f = Fact()
        if side == "a":
            item.a = f
        else:
            item.b = f
    return f


def _matched_fact(minter: Minter, items: Items, kind: str, r: Row, own: str, match: str) -> Fact:
    """The fact about a row's resource ``r[own]``, kept under the resource it is an exact match
    of (``r[match]``) when there is one, the links graph then counted among its graphs."""
    key = r.get(match) or r[own]
    f = _fact(items, kind, key, r["side"])
    f.iris.add(r[own])
    f.graphs.add(r["g"])
    if key != r[own]:
        f.graphs.add(str(minter.links_graph()))
    return f


def _competencies(
    runner: Runner,
    minter: Minter,
    items: Items,
    answers: dict[str, list[Row]],
    versions: dict[str, tuple[int, ...]],
    queries: dict[str, str],
) -> dict[str, str]:
    """Competency facts from requirements, framework statements and O*NET ratings; returns
    each framework statement's key → its topic (the item's label when nothing names it)."""
    _requirements(minter, items, answers["requirements"])
    topics = _statements(runner, items, answers["statements"], queries)
    _ratings(items, answers["ratings"], versions)
    for item in items["competency"].values():
        for f in (item.a, item.b):
            if f is not None and f.rating_graph is not None:
                f.graphs.add(f.rating_graph)
    for item in items["competency"].values():
        for f in (item.a, item.b):
            if f is not None:
                f.required = bool(f.required_by) or (f.importance or 0.0) >= IMPORTANCE_THRESHOLD
    return topics


def _requirements(minter: Minter, items: Items, rows: list[Row]) -> None:
    """What source documents require (``ckg:requires``), at their stated levels."""
    for r in rows:
        f = _matched_fact(minter, items, "competency", r, "competency", "element")
        f.required_by.add(r["g"])
        _offer_level(f, "requirement", r)


def _statements(
    runner: Runner, items: Items, rows: list[Row], queries: dict[str, str]
) -> dict[str, str]:
    """Framework statements: each topic is the competency it names, or else the side's first
    statement on it (lowest level); returns each key → its topic."""
    topic_keys = named_competencies(runner, {r["topic"] for r in rows}, queries)
    first_statement: dict[tuple[str, str], tuple[float, str]] = {}
    topics: dict[str, str] = {}  # a statement's key → its topic, the item's label
    for r in rows:
        mark = (r["side"], r["topic"].casefold())
        here = (number(r.get("levelPosition")) or 0.0, r["statement"])
        if mark not in first_statement or here < first_statement[mark]:
            first_statement[mark] = here
    for r in rows:
        topic = r["topic"].casefold()
        key = topic_keys.get(topic) or first_statement[(r["side"], topic)][1]
        topics.setdefault(key, r["topic"])
        f = _fact(items, "competency", key, r["side"])
        f.iris.add(r["statement"])
        f.required_by.add(r["g"])
        f.graphs.add(r["g"])
        _offer_level(f, "framework", r)
    return topics


def _offer_level(f: Fact, kind: str, r: Row) -> None:
    """The level a requirement or framework statement row states (see :meth:`Fact.offer_level`)."""
    level = (number(r.get("levelPosition")), number(r.get("levelCount")))
    f.offer_level(kind, r.get("levelLabel"), *level, r["g"])


def _ratings(items: Items, rows: list[Row], versions: dict[str, tuple[int, ...]]) -> None:
    """O*NET ratings: per side and element the newest release's (then highest) importance."""
    for r in rows:
        f = _fact(items, "competency", r["competency"], r["side"])
        f.iris.add(r["competency"])
        importance = number(r.get("importance"))
        if importance is None:
            continue
        g = r["g"]
        v = versions.get(g, ())
        if f.rating_graph is None or (v, importance) > (f.rating_version, f.importance or 0.0):
            f.importance, f.onet_level = importance, number(r.get("level"))
            f.rating_graph, f.rating_version = g, v


def _tools(minter: Minter, items: Items, rows: list[Row]) -> None:
    """Tools and technologies, hot ones marked; a tool and what it is one with in another
    source (:func:`~competency_kg.compare.tool_keys.tool_keys`) are one item."""
    keys = tool_keys(rows)
    for r in rows:
        key = keys.get(r["tool"], r["tool"])
        f = _fact(items, "tool", key, r["side"])
        f.iris.add(r["tool"])
        f.graphs.add(r["g"])
        if key != r["tool"]:
            f.graphs.add(str(minter.links_graph()))
        if r.get("hot") in ("true", "1"):
            f.hot = True
        if r.get("close") and r["close"] != key:
            f.close.add(r["close"])


def _certifications_and_activities(items: Items, answers: dict[str, list[Row]]) -> None:
    """Certifications (exact matches merged) and O*NET work activities with task counts."""
    for r in answers["certifications"]:
        key = r.get("match") or r["certification"]
        f = _fact(items, "certification", key, r["side"])
        f.iris.add(r["certification"])
        f.graphs.add(r["g"])
    for r in answers["work-activities"]:
        f = _fact(items, "work_activity", r["activity"], r["side"])
        f.iris.add(r["activity"])
        f.graphs.add(r["g"])
        f.tasks += int(number(r.get("tasks")) or 0)


def _name_items(
    runner: Runner, items: Items, topics: dict[str, str], queries: dict[str, str]
) -> None:
    """Every item's label (the store's, else the statement topic, else a member's) and
    notation."""
    label_keys = {k for kind in items.values() for k in kind}
    labels, notations = _labels(runner, label_keys, queries)
    for kind in items.values():
        for item in kind.values():
            item.label = (
                labels.get(item.key) or topics.get(item.key) or _fallback_label(item, labels)
            )
            item.notation = notations.get(item.key)


def _nearest(
    runner: Runner,
    minter: Minter,
    profiles: dict[str, Profile],
    sides: dict[str, Side],
    k: int,
) -> tuple[dict[str, list[Neighbour]], list[str]]:
    """Each side's ``k`` nearest occupations, and a note when they could not be computed."""
    near: dict[str, list[Neighbour]] = {"a": [], "b": []}
    notes: list[str] = []
    if k > 0:
        try:
            index = occupation_index(runner, minter, store_state(runner, minter))
        except Exception as exc:  # the comparison stands without its nearest occupations
            log.warning("reading every occupation's profile failed: %s", exc)
            notes.append(f"The nearest occupations could not be computed: {exc}")
        else:
            for s in SIDES:
                near[s] = nearest(index, profiles[s], sides[s].member_iris(), k)
    return near, notes


def _fallback_label(item: Item, labels: dict[str, str]) -> str:
    for f in (item.a, item.b):
        if f is not None:
            for iri in sorted(f.iris):
                if iri in labels:
                    return labels[iri]
    return item.key.rsplit("/", 1)[-1]


def _labels(
    runner: Runner, keys: set[str], queries: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    labels: dict[str, str] = {}
    notations: dict[str, str] = {}
    todo = sorted(keys)
    for start in range(0, len(todo), 500):
        chunk = todo[start : start + 500]
        q = with_values("labels", values_block(["resource"], [[iri_term(k)] for k in chunk]))
        if start == 0:
            queries["labels"] = q
        for r in runner.select(q):
            if "label" in r and (r["resource"] not in labels or r["label"] < labels[r["resource"]]):
                labels[r["resource"]] = r["label"]
            if "notation" in r:
                notations.setdefault(r["resource"], r["notation"])
    return labels, notations


def _profile(items: dict[str, dict[str, Item]], side: str) -> Profile:
    comps: dict[str, float] = {}
    for key, item in items.get("competency", {}).items():
        f = getattr(item, side)
        if f is not None and f.weight > 0:
            comps[key] = f.weight
    tools = frozenset(k for k, i in items.get("tool", {}).items() if getattr(i, side) is not None)
    acts = frozenset(
        k for k, i in items.get("work_activity", {}).items() if getattr(i, side) is not None
    )
    return Profile(comps, tools, acts)


def _list_vocabulary() -> tuple[dict[str, tuple[str, int]], dict[str, str]]:
    """List types (label, order) and competency kinds (label), as the loaders name them."""
    types = {
        str(iri): (key.replace("-", " ").capitalize() + " competencies", n)
        for n, (key, iri) in enumerate(LIST_TERMS.items(), start=1)
    }
    kinds = {str(iri): key for key, iri in KIND_TERMS.items()}
    return types, kinds


def _lists(rows: list[Row]) -> list[PrioritizedLists]:
    types, kinds = _list_vocabulary()
    groups: dict[tuple[str, str | None], PrioritizedLists] = {}
    seen: set[tuple[str, str, str | None, str, str]] = set()
    for r in rows:
        key = (r["listType"], r.get("kind"))
        pl = groups.get(key)
        if pl is None:
            known = types.get(r["listType"])
            position = number(r.get("typePosition"))
            pl = groups[key] = PrioritizedLists(
                r["listType"],
                r.get("typeLabel") or (known[0] if known else r["listType"].rsplit("#", 1)[-1]),
                r.get("kind"),
                kinds.get(r.get("kind", ""))
                or (r["kind"].rsplit("#", 1)[-1] if "kind" in r else None),
                int(position) if position is not None else (known[1] if known else 99),
            )
        mark = (r["side"], r["listType"], r.get("kind"), r.get("rank", ""), r["competency"])
        if mark in seen:
            continue
        seen.add(mark)
        rank = number(r.get("rank"))
        entry = ListEntry(
            int(rank) if rank is not None else None,
            r["competency"],
            r.get("label") or r["competency"].rsplit("/", 1)[-1],
        )
        (pl.a if r["side"] == "a" else pl.b).append(entry)
        pl.sources.add(r["g"])
    out = sorted(groups.values(), key=lambda p: (p.position, p.kind or "", p.type_label))
    for pl in out:
        for entries in (pl.a, pl.b):
            entries.sort(key=lambda e: (e.rank is None, e.rank or 0, e.label.casefold()))
    return out
