"""How the linker reads names: normalisation, abbreviations, vendors, and two similarities.

Every rule of the linker compares names through this module, so one method decides what
"the same name" means everywhere (documented in ``docs/links.md``):

1. **Normalisation** (:func:`words`): Unicode folded to ASCII, lower case, ``&`` read as
   "and", a detached ``+`` joined to its word ("Network +" → ``network+``), plurals folded
   ("Systems" → ``system``; not "analysis", "class", "status"), compounds written as one word
   ("data base", "help desk" → ``database``, ``helpdesk``), and the trade's abbreviations
   spelled out (:data:`ABBREVIATIONS`; "IT" only when written in capitals).
2. **Content words** (:func:`content`): the words without function words and without the
   generic words that say what kind of thing is named (:data:`GENERIC`: "software",
   "system", "tool" …), so "Oracle" and "Oracle software" have the same content.
3. **Token similarity** (:func:`dice`): the Dice coefficient of two names' content words.
4. **Character similarity** (:func:`char_ratio`): difflib's ratio of the normalised names,
   which sees near misses the words hide ("Judgement"/"Judgment").
5. **Score** (:func:`score`): ``0.6 × token + 0.4 × character`` similarity, in [0, 1], used to
   rank the nearest candidates of what stayed unmatched.

>>> words("Network + Certified")
('network+', 'certified')
>>> content("Data base management system software")
['database', 'management']
>>> words("IT / Hardware"), words("it works")
(('information', 'technology', 'hardware'), ('it', 'work'))
>>> round(score("Operation Monitoring", "Operations Monitoring"), 2)
1.0
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher
from functools import lru_cache

#: Words that say what kind of thing a name names, not which one.
GENERIC: frozenset[str] = frozenset(
    {
        "software",
        "system",
        "tool",
        "application",
        "app",
        "platform",
        "program",
        "suite",
        "solution",
        "package",
        "utility",
        "service",
    }
)
#: Function words, never content.
STOPWORDS: frozenset[str] = frozenset(
    {"a", "an", "and", "or", "of", "the", "for", "to", "in", "on", "with", "by", "at", "using"}
)
#: Abbreviations of the trade, spelled out (the key is compared in lower case).
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "mgmt": ("management",),
    "admin": ("administration",),
    "db": ("database",),
    "dbms": ("database", "management"),
    "os": ("operating", "system"),
    "ms": ("microsoft",),
    "config": ("configuration",),
    "dev": ("development",),
    "info": ("information",),
    "sw": ("software",),
    "hw": ("hardware",),
    "tech": ("technical",),
}
#: Abbreviations spelled out only when written in capitals ("IT", not "it").
CAPITAL_ABBREVIATIONS: dict[str, tuple[str, ...]] = {"IT": ("information", "technology")}
#: Two words the trade writes as one.
COMPOUNDS: dict[tuple[str, str], str] = {
    ("data", "base"): "database",
    ("help", "desk"): "helpdesk",
    ("e", "mail"): "email",
    ("web", "site"): "website",
    ("work", "station"): "workstation",
}
#: Words before a name that say how much of it, not what ("General Database", "Core Operating
#: Systems"): set aside when a competency's name is compared.
QUALIFIERS: frozenset[str] = frozenset({"general", "core", "basic", "fundamental"})
_NOT_PLURAL = ("ss", "is", "us", "ics")


def fold(text: str) -> str:
    """ASCII, without accents."""
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c))


def singular(word: str) -> str:
    """A word in the singular, by English spelling rules (no dictionary).

    >>> [singular(w) for w in ("directories", "systems", "analysis", "class", "electronics")]
    ['directory', 'system', 'analysis', 'class', 'electronics']
    """
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(_NOT_PLURAL):
        return word[:-1]
    return word


@lru_cache(maxsize=200_000)
def words(text: str) -> tuple[str, ...]:
    """The normalised words of a name (see the module docstring)."""
    text = fold(text).replace("&", " and ")
    text = re.sub(r"\s+\+", "+", text)
    out: list[str] = []
    for raw in re.findall(r"[A-Za-z0-9]+[+#]*", text):
        if raw in CAPITAL_ABBREVIATIONS:
            out.extend(CAPITAL_ABBREVIATIONS[raw])
            continue
        w = raw.lower()
        if w in ABBREVIATIONS:
            out.extend(ABBREVIATIONS[w])
            continue
        w = singular(w)
        if out and (out[-1], w) in COMPOUNDS:
            out[-1] = COMPOUNDS[(out[-1], w)]
            continue
        out.append(w)
    return tuple(out)


def unqualified(label: str) -> str:
    """The name without the qualifiers before it (:data:`QUALIFIERS`).

    >>> unqualified("Core Operating Systems"), unqualified("General")
    ('Operating Systems', 'General')
    """
    head, _, rest = label.strip().partition(" ")
    return unqualified(rest) if head.lower() in QUALIFIERS and rest else label


def verb_stem(word: str) -> str:
    """A normalised word without "-ing" and a final "e", so a verbal noun meets its verb
    ("testing"/"test", "training"/"train", "purchasing"/"purchase").

    >>> [verb_stem(w) for w in ("testing", "test", "provide", "support", "thing")]
    ['test', 'test', 'provid', 'support', 'thing']
    """
    if len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
    return word[:-1] if len(word) > 3 and word.endswith("e") else word


def content(text: str) -> list[str]:
    """The content words of a name: no function words, no generic words."""
    return [w for w in words(text) if w not in STOPWORDS and w not in GENERIC]


def key(text: str) -> str:
    """What decides that two names are the same name: the words without function words."""
    return " ".join(w for w in words(text) if w not in STOPWORDS)


def content_key(text: str) -> str:
    """What decides that two names differ only by generic words."""
    return " ".join(content(text))


def dice(a: str, b: str) -> float:
    """Dice coefficient of the content words of two names (0 when either has none)."""
    x, y = set(content(a)), set(content(b))
    if not x or not y:
        return 0.0
    return 2 * len(x & y) / (len(x) + len(y))


def char_ratio(a: str, b: str) -> float:
    """difflib's similarity ratio of the two normalised names."""
    return SequenceMatcher(None, key(a), key(b)).ratio()


def score(a: str, b: str) -> float:
    """How near two names are: ``0.6 × dice + 0.4 × char_ratio``."""
    return 0.6 * dice(a, b) + 0.4 * char_ratio(a, b)


def stems(text: str) -> set[str]:
    """The first five letters of each content word: the index near misses are looked up by."""
    return {w[:5] for w in content(text)}


def is_acronym_of(short: str, long: str) -> bool:
    """Whether ``long`` spells out ``short`` and then gives it, as O*NET writes names.

    >>> is_acronym_of("SQL", "Structured query language SQL")
    True
    >>> is_acronym_of("SQL", "Microsoft SQL Server")
    False
    """
    parts = long.split()
    if len(short) < 2 or not short.isupper() or not parts or parts[-1] != short:
        return False
    initials = "".join(w[0] for w in parts[:-1] if w[:1].isalnum()).upper()
    return initials == short.replace("/", "")


def acronym_in_brackets(name: str) -> tuple[str, str] | None:
    """``("Cisco Certified Network Associate", "CCNA")`` from "… (CCNA)", when the capitals
    in brackets are the initials of some of the words before them.

    >>> acronym_in_brackets("Cisco Certified Network Associate (CCNA)")
    ('Cisco Certified Network Associate', 'CCNA')
    >>> acronym_in_brackets("Security (basic)") is None
    True
    """
    m = re.fullmatch(r"\s*(.+?)\s*\(([A-Z][A-Z0-9+]{1,9})\)\s*", name)
    if not m:
        return None
    long, short = m.group(1), m.group(2)
    initials = "".join(w[0] for w in re.findall(r"[A-Za-z0-9]+", long)).upper()
    letters = short.rstrip("+")
    it = iter(initials)
    if all(c in it for c in letters):  # the letters appear in order among the initials
        return long, short
    return None
