"""SPARQL itself, beneath the store, the query pool, the comparison and the pages.

Query text (:mod:`.text`: tokens, form, dataset clause; :mod:`.checks`: what is refused;
:mod:`.rewrite`: rewrites for the engine's plan), executing one query on a pyoxigraph store
(:mod:`.execute`), result formats (:mod:`.formats`) and results (:mod:`.results`), RDF terms
(:mod:`.terms`) and the errors a query can meet (:mod:`.errors`). It imports nothing else of
the project; the query workers import it without rdflib (only :mod:`.terms` needs rdflib).
"""
