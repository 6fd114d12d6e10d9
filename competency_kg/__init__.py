"""competency-kg: a linked-data knowledge graph of occupations and their competencies."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("competency-kg")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"
