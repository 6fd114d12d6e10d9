"""The SPARQL 1.1 Protocol client of :class:`~competency_kg.store.remote.RemoteStore`: where
queries and updates go (``--store URL``), sending one request, and what an HTTP failure means.

See :mod:`competency_kg.store.remote` for the servers it is tested against and the table of
URLs (`SPARQL 1.1 Protocol <https://www.w3.org/TR/sparql11-protocol/>`_, §2.1 and §2.2).
"""

from __future__ import annotations

import http.client
import os
import socket
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

from SPARQLWrapper import ASK, CONSTRUCT, DESCRIBE, INSERT, POST, SELECT, URLENCODED, SPARQLWrapper

from competency_kg.sparql.formats import RESULTS_JSON
from competency_kg.store.base import StoreError, StoreUnreachable

ENV_UPDATE_URL = "COMPETENCY_KG_STORE_UPDATE_URL"
ENV_USER = "COMPETENCY_KG_STORE_USER"
ENV_PASSWORD = "COMPETENCY_KG_STORE_PASSWORD"

#: Graphs Virtuoso creates for itself (``http://localhost:8890`` is its default URIQA host).
VIRTUOSO_SYSTEM_GRAPHS = (
    "http://www.openlinksw.com/schemas/virtrdf#",
    "http://www.w3.org/ns/ldp#",
    "http://localhost:8890/sparql",
    "http://localhost:8890/DAV/",
)

#: The query forms SPARQLWrapper tells apart (anything else is sent as a query, never an update).
QUERY_FORMS = (SELECT, ASK, CONSTRUCT, DESCRIBE)


@dataclass(frozen=True)
class Endpoints:
    """Where queries and updates go, and the credentials to give if asked."""

    query: str
    update: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)


def parse_store_url(location: str, environ: Mapping[str, str] | None = None) -> Endpoints:
    """Resolve ``--store URL`` into endpoints and credentials (the table in
    :mod:`competency_kg.store.remote`)."""
    env = os.environ if environ is None else environ
    parts = urllib.parse.urlsplit(location)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise StoreError(f"not an http(s) SPARQL endpoint URL: {location}")
    user = urllib.parse.unquote(parts.username) if parts.username is not None else None
    password = urllib.parse.unquote(parts.password) if parts.password is not None else None
    netloc = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    if parts.port is not None:
        netloc += f":{parts.port}"
    path = parts.path
    if path in ("", "/"):
        query_path, update_path = "/query", "/update"
    elif path.rstrip("/").endswith("/query"):
        query_path, update_path = path, path.rstrip("/")[: -len("query")] + "update"
    else:
        query_path = update_path = path
    query_url = urllib.parse.urlunsplit((parts.scheme, netloc, query_path, parts.query, ""))
    update_url = env.get(ENV_UPDATE_URL) or urllib.parse.urlunsplit(
        (parts.scheme, netloc, update_path, "", "")
    )
    if user is None:
        user = env.get(ENV_USER) or None
        password = env.get(ENV_PASSWORD) if user else None
    return Endpoints(query_url, update_url, user, password)


@dataclass
class EndpointResponse:
    """An endpoint's answer: its body, media type and the row cap it says it applied."""

    data: bytes
    mime: str
    truncated_at: int | None


def build_opener(endpoints: Endpoints) -> urllib.request.OpenerDirector:
    """An opener that answers a server's HTTP 401 with the credentials, by Digest or Basic."""
    handlers: list[urllib.request.BaseHandler] = []
    if endpoints.user is not None:
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        passwords.add_password(
            None,
            [endpoints.query, endpoints.update],
            endpoints.user,
            endpoints.password or "",
        )
        handlers += [
            urllib.request.HTTPDigestAuthHandler(passwords),
            urllib.request.HTTPBasicAuthHandler(passwords),
        ]
    return urllib.request.build_opener(*handlers)


class SparqlClient:
    """Sending queries and updates to the endpoints (the first part of a remote store)."""

    endpoints: Endpoints
    location: str
    timeout: float
    _opener: urllib.request.OpenerDirector
    _server: str | None

    def _send(
        self,
        text: str,
        *,
        update: bool = False,
        accept: str = RESULTS_JSON,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
    ) -> EndpointResponse:
        """POST one query or update through SPARQLWrapper's request building."""
        sw = SPARQLWrapper(self.endpoints.query, updateEndpoint=self.endpoints.update)
        sw.setMethod(POST)
        sw.setRequestMethod(URLENCODED)
        sw.setOnlyConneg(True)
        with warnings.catch_warnings():  # it warns on query forms it cannot tell
            warnings.simplefilter("ignore")
            sw.setQuery(text)
        if update:
            sw.queryType = INSERT
        elif sw.queryType not in QUERY_FORMS:
            sw.queryType = SELECT  # never route a query to the update endpoint
        for g in default_graphs or []:
            sw.addDefaultGraph(g)
        for g in named_graphs or []:
            sw.addNamedGraph(g)
        request = sw._createRequest()
        request.add_header("Accept", accept)
        url = self.endpoints.update if update else self.endpoints.query
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                data = response.read()
                mime = response.headers.get_content_type()
                cap = response.headers.get("X-SPARQL-MaxRows")
        except urllib.error.HTTPError as exc:
            raise self._http_error(exc, url, update) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, socket.timeout | TimeoutError):
                reason = f"no answer within {self.timeout:g} s"
            raise StoreUnreachable(
                f"cannot reach the SPARQL endpoint {without_credentials(url)}: {reason}"
            ) from None
        truncated = int(cap) if cap and cap.strip().isdigit() else None
        return EndpointResponse(data, mime, truncated)

    def _http_error(self, exc: urllib.error.HTTPError, url: str, update: bool) -> Exception:
        try:
            body = exc.read().decode("utf-8", "replace")
        except OSError:
            body = ""
        message = first_lines(body) or exc.reason or ""
        where = without_credentials(url)
        if exc.code in (401, 403):
            return StoreError(
                f"the SPARQL endpoint {where} refused access (HTTP {exc.code}): give a user "
                f"with update rights in the URL or in {ENV_USER}/{ENV_PASSWORD}"
            )
        if exc.code == 404:
            return StoreError(f"no SPARQL endpoint at {where} (HTTP 404)")
        if exc.code == 400 and not update:
            return SyntaxError(message)
        verb = "update" if update else "query"
        return StoreError(
            f"the SPARQL endpoint {where} failed the {verb} (HTTP {exc.code}): {message}"
        )

    def server(self) -> str:
        """``virtuoso``, ``oxigraph`` or ``other``, from the server's ``Server`` header."""
        if self._server is None:
            sw = SPARQLWrapper(self.endpoints.query)
            sw.setMethod(POST)
            sw.setRequestMethod(URLENCODED)
            sw.setOnlyConneg(True)
            sw.setQuery("ASK {}")
            request = sw._createRequest()
            request.add_header("Accept", RESULTS_JSON)
            try:
                with self._opener.open(request, timeout=self.timeout) as response:
                    header = response.headers.get("Server", "")
            except urllib.error.HTTPError as exc:
                raise self._http_error(exc, self.endpoints.query, False) from None
            except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
                reason = getattr(exc, "reason", exc)
                raise StoreUnreachable(
                    f"cannot reach the SPARQL endpoint {self.location}: {reason}"
                ) from None
            low = header.lower()
            self._server = (
                "virtuoso" if "virtuoso" in low else "oxigraph" if "oxigraph" in low else "other"
            )
        return self._server

    def _ignored(self) -> tuple[str, ...]:
        return VIRTUOSO_SYSTEM_GRAPHS if self.server() == "virtuoso" else ()


def without_credentials(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.username is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def first_lines(body: str, limit: int = 3) -> str:
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith("SPARQL query:")]
    return " ".join(lines[:limit])[:500]
