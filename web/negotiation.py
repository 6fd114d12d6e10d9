"""HTTP content negotiation: parse ``Accept`` (RFC 9110 §12.5.1) and pick the best offer.

For each type the server offers, the most specific matching media range of the ``Accept``
header (``type/subtype`` with parameters, then ``type/subtype``, ``type/*``, ``*/*``) gives its
quality; the offer with the highest quality above zero wins, and ties go to the server's own
order. A missing header accepts anything; malformed ranges are ignored, and a header with
nothing usable in it counts as missing (RFC 9110 lets a server disregard it).

Not Werkzeug's ``MIMEAccept.best_match``: it agrees on q-values and wildcards, but answers
nothing to a header that is empty or unusable (``garbage``, ``text/csv;q=1.5``) where RFC 9110
lets us answer, and lets ``text/html;level=1`` miss the offer ``text/html``.

>>> negotiate("text/csv;q=0.5, application/sparql-results+xml", ["application/sparql-results+json", "text/csv", "application/sparql-results+xml"])
'application/sparql-results+xml'
>>> negotiate("text/*;q=0.3, */*;q=0.1", ["application/sparql-results+json", "text/csv"])
'text/csv'
>>> negotiate("image/png", ["text/turtle"]) is None
True
"""  # noqa: E501

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_MEDIA_TYPE = re.compile(rf"^\s*({_TOKEN})\s*/\s*({_TOKEN})\s*$")
_QVALUE = re.compile(r"^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$")


@dataclass(frozen=True)
class MediaRange:
    """One element of an ``Accept`` header."""

    type: str
    subtype: str
    q: float = 1.0
    params: dict[str, str] = field(default_factory=dict, compare=False)

    def matches(self, mime: str) -> bool:
        t, _, s = mime.partition("/")
        return (self.type == "*" or self.type == t) and (self.subtype == "*" or self.subtype == s)

    @property
    def specificity(self) -> tuple[int, int, int]:
        return (self.type != "*", self.subtype != "*", len(self.params))


def _split(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside double-quoted strings (which may hold ``\\"``)."""
    parts: list[str] = []
    buf: list[str] = []
    quoted = escaped = False
    for ch in text:
        if quoted:
            buf.append(ch)
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
            buf.append(ch)
        elif ch == sep:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf))
    return parts


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an ``Accept`` header, in header order.

    >>> [(r.type, r.subtype, r.q) for r in parse_accept('text/html;level="1,2";q=0.7, */*;q=0')]
    [('text', 'html', 0.7), ('*', '*', 0.0)]
    >>> parse_accept("text/turtle;q=2, nonsense, application/json")
    [MediaRange(type='application', subtype='json', q=1.0, params={})]
    """
    ranges: list[MediaRange] = []
    for element in _split(header or "", ","):
        if not element.strip():
            continue
        pieces = _split(element, ";")
        mtype = pieces[0].strip()
        if mtype == "*":  # an old, common shorthand for */*
            mtype = "*/*"
        m = _MEDIA_TYPE.match(mtype)
        if m is None:
            continue
        t, s = m.group(1).lower(), m.group(2).lower()
        if t == "*" and s != "*":
            continue
        q = 1.0
        params: dict[str, str] = {}
        valid = True
        for piece in pieces[1:]:
            name, eq, value = piece.partition("=")
            name = name.strip().lower()
            value = value.strip()
            if not name:
                continue
            if name == "q":
                if not eq or not _QVALUE.match(value):
                    valid = False
                    break
                q = float(value)
                break  # what follows q is accept-extensions, not media type parameters
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = re.sub(r"\\(.)", r"\1", value[1:-1])
            params[name] = value
        if valid:
            ranges.append(MediaRange(t, s, q, params))
    return ranges


def quality(ranges: Sequence[MediaRange], mime: str) -> float:
    """How much the client wants ``mime``: the q of the most specific range matching it."""
    best: MediaRange | None = None
    for r in ranges:
        if r.matches(mime) and (best is None or r.specificity > best.specificity):
            best = r
    return best.q if best is not None else 0.0


def negotiate(header: str | None, offers: Sequence[str]) -> str | None:
    """The offer the ``Accept`` header prefers (ties: the first in ``offers``), or None."""
    ranges = parse_accept(header)
    if not ranges:
        return offers[0] if offers else None
    best, best_q = None, 0.0
    for offer in offers:
        q = quality(ranges, offer.lower())
        if q > best_q:
            best, best_q = offer, q
    return best


def prefers(header: str | None, mime: str, others: Sequence[str]) -> bool:
    """True when the client wants ``mime`` more than each of ``others`` (strictly)."""
    ranges = parse_accept(header)
    q = quality(ranges, mime)
    return q > 0 and all(q > quality(ranges, o) for o in others)
