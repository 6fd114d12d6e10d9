"""Where IRIs resolve: which data IRIs this server serves and at which path, and which
links a page may show as they are."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from competency_kg.namespaces import ONTOLOGY_IRI, SHAPES_IRI
from competency_kg.web.terms import quote_path

ONTOLOGY = ONTOLOGY_IRI


def is_web_url(url: str) -> bool:
    """Whether a page may link to ``url`` as it is: ``http(s)`` only."""
    return url.strip().lower().startswith(("http://", "https://"))


def safe_href(url: str) -> str:
    """``url`` when it is an ``http(s)`` URL, else its description here (never a script)."""
    return url if is_web_url(url) else "/describe?iri=" + quote(url, safe="")


@dataclass(frozen=True)
class Site:
    """Where IRIs resolve: data IRIs under ``base`` are served at the same path here."""

    base: str  # canonical base of data IRIs, ends with "/"
    server: str  # this server's root URL, without the trailing "/"

    def iri_for_path(self, path: str) -> str:
        """The data IRI a request path (decoded, without the leading ``/``) stands for."""
        return self.base + re.sub(
            r"[\x00-\x20\"<>\\^`{|}%?#\x7f]", lambda m: f"%{ord(m.group()):02X}", path
        )

    def path_for(self, iri: str) -> str | None:
        """The local path that serves ``iri``, or None when this server does not."""
        for ns, path in ((ONTOLOGY, "/ontology"), (SHAPES_IRI, "/shapes")):
            if iri == ns:
                return path
            if iri.startswith(ns + "#"):
                return path + "#" + quote(iri[len(ns) + 1 :], safe="")
        if not iri.startswith(self.base):
            return None
        rest = iri[len(self.base) :]
        if not rest:
            return "/"
        if "?" in rest:
            return None
        return "/" + quote_path(rest)

    def href(self, iri: str, known: bool = True) -> str:
        """A link for an IRI: its page here, or here by ``/describe`` when the store knows it
        (or when it is not an ``http(s)`` IRI: a ``javascript:`` or ``data:`` IRI from a
        source is never a link), else the IRI itself."""
        path = self.path_for(iri)
        if path is not None:
            return path
        if known or not is_web_url(iri):
            return "/describe?iri=" + quote(iri, safe="")
        return iri

    def url(self, path: str) -> str:
        return self.server + path

    def values_path(self, iri: str, prop: str, *, inverse: bool = False, page: int = 1) -> str:
        """Where every value of one property of ``iri`` is listed (``prop``: an IRI), paged:
        ``{its path}?property={prop}`` (``^{prop}`` for the links to it by ``prop``), then
        ``&page=N``; the same pages as the description's inverse links (see
        :mod:`competency_kg.web.resources`)."""
        path = self.doc_path(iri)
        sep = "&" if "?" in path else "?"
        name = quote(("^" if inverse else "") + prop, safe="")
        return f"{path}{sep}property={name}" + (f"&page={page}" if page > 1 else "")

    def doc_path(self, iri: str) -> str:
        """The path of an IRI's description on this server (``/describe?iri=`` for others)."""
        path = self.path_for(iri)
        if path is not None and "#" not in path:
            return path
        return "/describe?iri=" + quote(iri, safe="")
