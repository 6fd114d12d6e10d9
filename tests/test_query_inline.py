"""Which queries the web process answers itself as one-pattern look-ups
(``competency_kg.query_inline.one_pattern``), now that a text's comments are left out before
its tokens are looked at (its answer remembered for the same text with another comment)."""

from __future__ import annotations

import pytest
from sparql_support import LoadedStore

from bench.queries import all_queries
from competency_kg.query_inline import (
    LOOP_BYTES,
    BoundedLookups,
    _one_pattern_tokens,
    _tokens,
    one_pattern,
)
from competency_kg.sparql.execute import make_job
from competency_kg.sparql.formats import RESULTS_JSON

pytest_plugins = ["server_fixture"]

#: Look-ups and near misses, with '#' in IRIs, strings and comments.
CASES = [
    ("SELECT ?l WHERE { <urn:a#b> <urn:p> ?l }", True),
    ('SELECT ?s WHERE { ?s <urn:p> "a # b" } LIMIT 3', True),
    ("PREFIX s: <http://s/#> ASK { ?x s:p s:o . }", True),
    ("SELECT ?l WHERE { <urn:a> <urn:p> ?l # . ?l <urn:q> ?m\n}", True),
    ("SELECT ?l WHERE { <urn:a#> <urn:p> ?l . ?l <urn:q> ?m }", False),
    ("SELECT ?l WHERE { <urn:a> <urn:p> ?l } # (a comment with a parenthesis)", False),
    ("SELECT ?l # {\nWHERE { <urn:a> <urn:p> ?l }", False),
    ("ASK { ?x <urn:p#q> ?x }", False),
]


def _as_tokens(text: str) -> bool:
    """``one_pattern`` over the text as written (comments as white space in the tokens)."""
    if "(" in text or text.count("{") != 1 or _tokens(text) is None:
        return False
    return _one_pattern_tokens.__wrapped__(text)  # type: ignore[attr-defined]


@pytest.mark.parametrize(("query", "expected"), CASES)
def test_comments_are_white_space_to_one_pattern(query: str, expected: bool) -> None:
    """The same verdict with a new comment before, inside and after the text as without,
    and as the tokens of the text as written give it. Checked: with comments cut by
    ``re.sub("#.*", "")`` instead of ``without_comments`` (a '#' in an IRI or a string taken
    for a comment), the three with one in an IRI or a string fail."""
    for i in range(3):
        for text in (query, f"# round {i}\n{query}", f"{query}\n# round {i}"):
            assert one_pattern(text) is expected, text
            assert _as_tokens(text) is expected, text


def test_the_benchmarks_lookups_are_one_pattern_with_any_comment() -> None:
    """The benchmark's two look-ups are one pattern, its other queries are not, whatever
    comment each round adds. Checked as the test above: it fails too."""
    for q in all_queries():
        for i in range(2):
            text = f"# round {i}\n{q.text}"
            assert one_pattern(text) is (q.name in ("lookup-label", "ask-statement")), q.name
            assert one_pattern(text) is _as_tokens(text), q.name


def test_the_loops_lookups_never_open_a_version(sparql_store: LoadedStore) -> None:
    """The event loop's look-ups (``opened_only``) read only a store version a request
    thread has opened and planned already: opening one after a load takes 12–66 ms at 1 M,
    which every connection would wait for. Checked: with ``_store`` and ``_plan`` opening and
    planning for ``opened_only`` too, the first assert fails (either guard alone holds it)."""
    lookups = BoundedLookups(str(sparql_store.path), 1_000_000)
    job = make_job(
        "SELECT ?p ?o WHERE { ?s ?p ?o } LIMIT 3", RESULTS_JSON, None, None, None, None, None
    )
    assert lookups.answer(job, LOOP_BYTES, opened_only=True) is None  # a thread opens it
    thread = lookups.answer(job)
    assert thread is not None
    loop = lookups.answer(job, LOOP_BYTES, opened_only=True)
    assert loop is not None and loop[0].data == thread[0].data and loop[1] == thread[1]


def test_a_loops_miss_is_kept_and_counted_as_a_threads(sparql_store: LoadedStore) -> None:
    """``QueryPool.look_up`` (the event loop's miss) keeps its answer for the next request
    and counts it as a miss, as ``QueryPool.run`` counts a thread's: the cache's figures
    are one truth whichever path answered. Checked: without its ``count_miss()`` the misses
    stay 0 and this fails; without its ``_keep`` the second ``kept`` is None."""
    from competency_kg.query_pool import QueryPool

    text = "SELECT ?p ?o WHERE { ?s ?p ?o } LIMIT 3"
    with QueryPool(str(sparql_store.path), size=1, reserved=0) as pool:
        assert pool.answers is not None
        job = make_job(text, RESULTS_JSON, "text/turtle", None, None, None, None)  # run()'s
        assert pool.look_up(job, LOOP_BYTES) is None  # no version opened yet: a thread's
        first = pool.run(text)  # a thread's miss: counted, opens the version
        assert (pool.answers.hits, pool.answers.misses) == (0, 1)
        other = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 2"
        loop = pool.look_up(
            make_job(other, RESULTS_JSON, "text/turtle", None, None, None, None), LOOP_BYTES
        )
        assert loop is not None and pool.answers.misses == 2
        kept = pool.kept(make_job(other, RESULTS_JSON, "text/turtle", None, None, None, None))
        assert kept is not None and kept.data == loop.data
        again = pool.kept(job)
        assert again is not None and again.data == first.data
