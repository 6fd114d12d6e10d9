"""competency-kg: web."""
