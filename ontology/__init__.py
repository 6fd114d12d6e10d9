"""competency-kg: ontology."""
