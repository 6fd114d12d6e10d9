"""competency-kg: the worked example queries (``*.rq``), package data of ``competency_kg.queries``.

A package so that an installed wheel carries them like the ontology and the shapes; read them
with :func:`competency_kg.examples.load_examples`.
"""
