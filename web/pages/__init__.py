"""What a resource's HTML page shows, built from its :class:`Description`.

Every page has the generic parts: name, types, definition, properties grouped and named by
the ontology, the nodes that belong to it, its inverse links (paged) and the sources of its
facts with their licences. Occupations, competencies and O*NET Content Model elements get a
profile on top (:mod:`.occupation`, :mod:`.competency`), read from the
description and a few bounded queries.
"""
