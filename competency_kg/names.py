"""Competency names as documents print them, and the one identity behind each.

The overview prints one competency several ways ("Intermediate General Networking Tools and
Concepts", "Intermediate Networking Tools & Concepts", "Basic IT / Hardware"). The level
prefix is a level, not part of the name; the rest is normalised to a key that decides
identity, and the key gives the IRI slug, so every document names the same resource.

>>> split_level("Intermediate General Networking Tools and Concepts")
('intermediate', 'General Networking Tools and Concepts')
>>> competency_key("General Networking Tools and Concepts")
'networking tools and concepts'
>>> competency_key("Networking Tools & Concepts")
'networking tools and concepts'
>>> competency_key("IT / Hardware") == competency_key("IT/Hardware")
True
>>> slugify("Judgment and Decision Making")
'judgment-and-decision-making'
"""

from __future__ import annotations

import re
import unicodedata

# The skill-level prefixes of the overview format, lowest first.
LEVEL_PREFIXES: tuple[str, ...] = ("basic", "intermediate", "advanced")

# Words that qualify a name without changing what it names ("General Database" = "Database").
_QUALIFIERS = {"general"}


def split_level(wording: str) -> tuple[str | None, str]:
    """Split a leading level word off a competency name: ``("basic", "IT/Hardware")``."""
    words = wording.strip().split(None, 1)
    if len(words) == 2 and words[0].lower() in LEVEL_PREFIXES:
        return words[0].lower(), words[1].strip()
    return None, wording.strip()


def _ascii_words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.lower().replace("&", " and ").replace("+", " plus ")
    text = re.sub(r"\s*/\s*", "/", text)
    return re.findall(r"[a-z0-9]+(?:/[a-z0-9]+)*", text)


def competency_key(name: str) -> str:
    """The identity of a competency name (level prefix already removed)."""
    words = [w for w in _ascii_words(name) if w not in _QUALIFIERS]
    return " ".join(words)


def slugify(text: str) -> str:
    """A readable IRI path segment: lower case ASCII words joined by hyphens."""
    words = _ascii_words(text)
    return "-".join(w.replace("/", "-") for w in words) or "unnamed"


def competency_slug(name: str) -> str:
    """The IRI slug of a competency: its key, hyphenated."""
    return slugify(competency_key(name)) if competency_key(name) else slugify(name)


def local_name(iri: str) -> str:
    """The last segment of an IRI (after ``#`` or ``/``), or the IRI when it has none.

    >>> local_name("https://w3id.org/competency-kg/ontology#Occupation")
    'Occupation'
    """
    for sep in ("#", "/"):
        if sep in iri.rstrip(sep):
            tail = iri.rstrip(sep).rsplit(sep, 1)[1]
            if tail:
                return tail
    return iri
