"""competency-kg: shapes."""
