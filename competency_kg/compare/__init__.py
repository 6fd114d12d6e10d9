"""Compare occupations: what two occupations share, and what one needs that the other lacks.

A comparison (:func:`compare`) is computed from the graph with the SPARQL queries in
``competency_kg/compare_queries/`` (shown with every comparison, so analysts can run them
again). Each compared occupation is taken together with its *twins*: the occupations of other
sources linked to it by ``skos:exactMatch`` (the seed's "Computer User Support Specialists" and
O*NET's 15-1232.00), whose facts are merged, every fact keeping the named graph it came from.

**Competencies.** An occupation *requires* a competency when a source document says so
(``ckg:requires``), when a competency framework written for it has a statement whose topic is
the competency's title (case aside; at the lowest level the framework states it), or when O*NET
rates its importance at least :data:`IMPORTANCE_THRESHOLD` (3, "important", on the 1-5 scale).
A source's competency and the O*NET element it is an exact match of are one competency. Where
two O*NET releases rate the same element, the newer release's rating is used. Levels are put on
one scale, O*NET's 0-7 level scale: the O*NET level where there is one, else the source's
proficiency level *p* of *n* mapped to the middle of its band, ``7 (p - 1/2) / n`` (Basic,
Intermediate, Advanced → 1.17, 3.5, 5.83). The *gap* is the target's level minus the origin's.

**Similarity** (the same for the pair and for the nearest occupations)::

    S = (0.5 C + 0.3 T + 0.2 W) / (sum of the weights of the parts both occupations have data for)

    C = sum_c min(wA(c), wB(c)) / sum_c max(wA(c), wB(c))    weighted Jaccard of competencies
        w(c) = max((importance - 1) / 4 for O*NET's rating,  1/2 if a source requires c)
    T = |TA ∩ TB| / |TA ∪ TB|    tools and technologies (a tool and its exact match, or its
                                 close match of confidence 0.7 or more, are one: tool_keys)
    W = |DA ∩ DB| / |DA ∪ DB|    O*NET detailed work activities of the occupations' tasks

The nearest occupations of one occupation are the others with the highest S. Scoring all
occupations needs every occupation's profile; profiles are read with the ``all-*.rq`` queries
and kept in memory only while the store's state (``store-state.rq``: each source graph's load
time, checksum and size) stays the same, so a load is seen at once and nothing goes stale.

Values from outside (codes, titles, IRIs typed by a user) only enter a query as bound data
(``GraphStore.select(query, bindings=…)``, or a ``VALUES`` block written by Oxigraph's own
serializer); never as query text.
"""
