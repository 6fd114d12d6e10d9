"""How many rows a triple pattern has in a store, counted on first use and remembered: the
sizes :func:`competency_kg.sparql.hash_joins.scans_as_hash_joins` chooses a join by.

A pattern is counted up to :data:`~competency_kg.sparql.hash_joins.SCAN_CAP` rows (one scan of
its index range, a few milliseconds), in the dataset the query reads. The figures are kept per
store object, dataset and pattern, a bounded number of them: a figure from an older version of
the store can only make a join slower, never change an answer (the rewrite is an equivalence
whatever the sizes), so nothing needs to forget them when the store changes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import pyoxigraph as ox

from competency_kg.sparql.hash_joins import SCAN_CAP, Counter
from competency_kg.sparql.text import TOKEN, remembered

#: How many figures are kept (least recently used go first).
KEPT = 4096
_kept: OrderedDict[tuple[Any, ...], int] = OrderedDict()
#: The web process answers queries on many threads (the inline executor): one at a time here.
_lock = threading.Lock()


@remembered  # asked for each figure a plan reads again (six in a query): 20 µs each
def declarations(prologue: str) -> str:
    """The ``PREFIX``/``BASE`` declarations of a query's prologue, its comments left out and
    its spaces collapsed: what the figures are kept under. A client that makes each text its
    own with a comment (the benchmark's ``# round N``, a cache-buster) would otherwise have
    every pattern counted again, a scan each, on every request (8–29 ms of the small queries
    at 1 M triples). A prologue holds no string (SPARQL 1.1 §19.8, ``Prologue``) and an IRI
    no space, so this changes nothing the patterns mean.

    >>> declarations("# round 3\\nPREFIX  ex: <http://e/#x>\\n  BASE <http://b/>  # c\\n")
    'PREFIX ex: <http://e/#x> BASE <http://b/>'
    """
    code = TOKEN.sub(lambda m: " " if m.lastgroup == "c" else m.group(0), prologue)
    return " ".join(code.split())


def pattern_counter(store: ox.Store, kwargs: dict[str, Any]) -> Counter:
    """A :data:`~competency_kg.sparql.hash_joins.Counter` over ``store`` with the engine's
    dataset arguments ``kwargs`` (``Store.query``'s)."""
    dataset = tuple(sorted((k, repr(v)) for k, v in kwargs.items()))

    def count(prologue: str, pattern: str) -> int:
        key = (id(store), dataset, declarations(prologue), pattern)
        with _lock:
            if key in _kept:
                _kept.move_to_end(key)
                return _kept[key]
        query = (
            f"{prologue}SELECT (COUNT(*) AS ?n) WHERE {{ "
            f"SELECT * WHERE {{ {pattern} }} LIMIT {SCAN_CAP} }}"
        )
        try:
            solution = next(iter(store.query(query, **kwargs)))  # type: ignore[arg-type]
            n = int(solution["n"].value)
        except Exception:  # an unreadable pattern is never hashed
            n = SCAN_CAP
        with _lock:
            _kept[key] = n
            while len(_kept) > KEPT:
                _kept.popitem(last=False)
        return n

    return count
