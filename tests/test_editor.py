"""The analysts' SPARQL editor at /sparql: the page, YASGUI's files, the worked examples.

Over HTTP against the real server (``sparql_server``: the seeds plus the W3C protocol suite's
graphs): the editor page and its JSON configuration, YASGUI served from ``node_modules``,
``/sparql/examples``, every example answering with rows, CSV/TSV for downloads. Then YASGUI
itself in Debian's Chromium: run an example and a typed query, see the rows, download a CSV,
no request leaves the server. Last, ``competency-kg serve --query-workers --max-result-bytes``.

YASGUI is installed by ``scripts/setup`` (``npm ci``); without it these tests fail, never skip.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page
from sparql_support import LoadedStore, Server, fetch, free_port, stop_server

from competency_kg.config import settings
from competency_kg.examples import Example, ExampleError, load_examples, parse_example
from competency_kg.namespaces import PREFIXES
from competency_kg.store import open_store
from competency_kg.web.app import create_app
from competency_kg.web.editor import DEFAULT_YASGUI_DIR

from support import ROOT

pytest_plugins = ["server_fixture", "browser_fixture"]

HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"  # Chromium's
JSON_RESULTS = "application/sparql-results+json"
EXAMPLES = load_examples()
CONFIG_BLOCK = re.compile(
    r'<script type="application/json" id="editor-config">(.*?)</script>', re.DOTALL
)
#: Where the browser tests leave their screenshots (a folder), when set.
SHOTS = os.environ.get("COMPETENCY_KG_SCREENSHOTS")


@pytest.fixture(scope="module")
def server(sparql_server: Server, sparql_store: LoadedStore) -> Server:
    assert sparql_store.seeds_loaded
    return sparql_server


def editor_config(html: str) -> dict:
    m = CONFIG_BLOCK.search(html)
    assert m, "the page has no editor-config JSON block"
    return json.loads(m.group(1))


def bindings(body: bytes) -> list[dict]:
    return json.loads(body)["results"]["bindings"]


# --------------------------------------------------------------------------- the examples
def test_the_examples_have_titles_descriptions_and_a_menu_order() -> None:
    files = sorted(p.stem for p in (ROOT / "queries").glob("*.rq"))
    assert sorted(e.id for e in EXAMPLES) == files and len(files) >= 8
    assert len({e.title for e in EXAMPLES}) == len(EXAMPLES)
    for e in EXAMPLES:
        assert e.text.startswith("# title: ") and e.title and len(e.description) > 20
        assert "# title:" not in e.query and "SELECT" in e.query
    assert [e.order for e in EXAMPLES] == sorted(e.order for e in EXAMPLES)


def test_an_example_without_its_header_is_refused() -> None:
    with pytest.raises(ExampleError, match=r"no # description: line"):
        parse_example("# title: Only a title\nASK {}\n", "bad")
    with pytest.raises(ExampleError, match=r"no # title: or # description:"):
        parse_example("ASK {}\n# title: too late\n", "late")
    with pytest.raises(ExampleError, match="order"):
        parse_example("# title: T\n# description: D\n# order: soon\nASK {}\n", "order")


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_every_example_answers_with_rows_on_the_demo_data(server: Server, example: Example) -> None:
    reply = server.post(
        body=example.text,
        headers={"Content-Type": "application/sparql-query", "Accept": JSON_RESULTS},
    )
    assert reply.status == 200, reply.text
    rows = bindings(reply.body)
    assert rows, f"{example.id} returned no rows on the demo data"


def test_examples_are_served_as_json(server: Server) -> None:
    reply = fetch(server.url, "/sparql/examples")
    assert reply.status == 200 and reply.content_type == "application/json"
    got = json.loads(reply.body)
    assert [e["id"] for e in got] == [e.id for e in EXAMPLES]
    first = got[0]
    assert set(first) >= {"id", "title", "description", "text", "order"}
    assert first["text"] == EXAMPLES[0].text


@pytest.mark.parametrize(
    ("fmt", "mime", "delimiter"),
    [("csv", "text/csv", ","), ("tsv", "text/tab-separated-values", "\t")],
)
def test_results_download_as_csv_and_tsv(
    server: Server, fmt: str, mime: str, delimiter: str
) -> None:
    example = next(e for e in EXAMPLES if e.id == "competencies-by-level")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    body = urlencode({"query": example.text})
    for reply in (
        server.post(body=body, headers={**form, "Accept": mime}),  # YASGUI's way
        server.post(body=body + f"&format={fmt}", headers=form),  # the page's download buttons
    ):
        assert reply.status == 200 and reply.content_type == mime, reply.text
        table = list(csv.reader(io.StringIO(reply.text), delimiter=delimiter))
        assert [h.lstrip("?") for h in table[0]] == [
            "occupation",
            "level",
            "n",
            "competency",
            "statement",
        ]
        assert len(table) > 10


# --------------------------------------------------------------------------- the page
def test_a_browser_gets_the_editor_with_prefixes_and_examples(server: Server) -> None:
    reply = server.get(headers={"Accept": HTML})
    assert reply.status == 200 and reply.content_type == "text/html", reply.text[:300]
    html = reply.text
    config = editor_config(html)
    assert config["endpoint"] == "/sparql"
    assert config["prefixes"] == PREFIXES
    assert config["yasgui"] is True
    for prefix, iri in PREFIXES.items():
        assert f"PREFIX {prefix}: <{iri}>" in config["starterQuery"]
    assert [e["id"] for e in config["examples"]] == [e.id for e in EXAMPLES]
    assert config["examples"][0]["text"] == EXAMPLES[0].text
    for e in EXAMPLES:
        assert f'data-example="{e.id}"' in html
    # no inline script: every <script> loads a file or is a JSON data block
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert re.search(r'<script src="/assets/yasgui/yasgui\.min\.js\?v=[\w.]+">', html)
    assert re.search(r'<link rel="stylesheet" href="/assets/yasgui/yasgui\.min\.css\?v=', html)
    assert '<script src="/static/editor.js">' in html
    assert "not installed" not in html
    # machines still get the service description
    assert server.get(headers={"Accept": "text/turtle"}).content_type == "text/turtle"


@pytest.mark.parametrize(
    ("name", "mime"),
    [("yasgui.min.js", "text/javascript"), ("yasgui.min.css", "text/css")],
)
def test_yasgui_files_are_served_from_node_modules(server: Server, name: str, mime: str) -> None:
    built = DEFAULT_YASGUI_DIR / "build" / name
    assert built.is_file(), f"{built} is missing: run scripts/setup (npm ci) to install YASGUI"
    reply = fetch(server.url, f"/assets/yasgui/{name}?v=1")
    assert reply.status == 200, reply.text
    assert reply.content_type == mime
    assert reply.body == built.read_bytes()
    assert "max-age=31536000" in reply.headers["Cache-Control"]
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert fetch(server.url, "/assets/yasgui/package.json").status == 404
    assert fetch(server.url, "/assets/yasgui/..%2Fpackage.json").status == 404


def test_without_node_modules_the_page_says_how_to_install(tmp_path: Path) -> None:
    store = open_store(tmp_path / "store")
    try:
        app = create_app(
            settings(store=str(tmp_path / "store")),
            store=store,
            test_config={"YASGUI_DIR": str(tmp_path / "no-node-modules")},
        )
        client = app.test_client()
        page = client.get("/sparql", headers={"Accept": HTML})
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "The query editor is not installed" in html
        assert "scripts/setup" in html and "npm ci" in html
        assert "/assets/yasgui/" not in html
        assert editor_config(html)["yasgui"] is False
        assert 'id="plain-form"' in html  # a plain form still sends queries
        asset = client.get("/assets/yasgui/yasgui.min.js")
        assert asset.status_code == 404
        assert "scripts/setup" in asset.get_data(as_text=True)
    finally:
        store.close()


# --------------------------------------------------------------------------- in a browser
def _open_editor(page: Page, server: Server) -> list[str]:
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(server.endpoint)
    page.wait_for_function("window.competencyKgEditor !== undefined", timeout=15_000)
    return requests


def _result_rows(page: Page) -> list[list[str]]:
    page.wait_for_selector(".yasr table.dataTable tbody tr td", timeout=15_000)
    return page.eval_on_selector_all(
        ".yasr table.dataTable tbody tr",
        "rows => rows.map(r => Array.from(r.cells).map(c => c.innerText.trim()))",
    )


def _headers(page: Page) -> list[str]:
    return page.eval_on_selector_all(
        ".yasr table.dataTable thead th", "ths => ths.map(t => t.innerText.trim())"
    )


def _shot(page: Page, tmp_path: Path, name: str) -> Path:
    target = Path(SHOTS) if SHOTS else tmp_path
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    return path


def test_yasgui_runs_an_example_and_shows_its_rows(
    page: Page, server: Server, tmp_path: Path
) -> None:
    requests = _open_editor(page, server)
    # the starter tab holds the graph's prefixes
    value = page.evaluate("competencyKgEditor.getTab().getYasqe().getValue()")
    assert "PREFIX ckg: <https://w3id.org/competency-kg/ontology#>" in value
    page.click("button.example[data-example=prioritized-lists-in-rank-order]")
    rows = _result_rows(page)
    assert [h for h in _headers(page) if h] == [
        "occupation",
        "list",
        "rank",
        "competency",
        "statedLevel",
    ]
    first = rows[0][-5:]
    assert first[0] == "Computer User Support Specialists"
    assert first[1].startswith("Most Common Required Competencies")
    assert first[2] == "1"
    tab = page.evaluate("competencyKgEditor.getTab().getName()")
    assert tab == "Prioritized competency lists, in rank order"
    _shot(page, tmp_path, "editor-example")
    assert page.errors == []  # type: ignore[attr-defined]
    origin = server.url + "/"
    assert [u for u in requests if not u.startswith(origin)] == []


def test_a_linked_query_opens_in_its_own_tab_and_runs(page: Page, server: Server) -> None:
    """Other pages link to /sparql#query=<url-encoded SPARQL> ("open in the editor"):
    YASGUI takes the query from the address itself and runs it."""
    from urllib.parse import quote

    query = (
        "PREFIX ckg: <https://w3id.org/competency-kg/ontology#>\n"
        "SELECT ?tool WHERE { ?o ckg:usesTool ?tool } ORDER BY ?tool LIMIT 3"
    )
    page.goto(server.endpoint + "#query=" + quote(query))
    page.wait_for_function("window.competencyKgEditor !== undefined", timeout=15_000)
    rows = _result_rows(page)
    assert len(rows) == 3
    assert page.evaluate("competencyKgEditor.getTab().getYasqe().getValue()") == query


def test_a_typed_query_runs_and_downloads_as_csv(
    page: Page, server: Server, tmp_path: Path
) -> None:
    requests = _open_editor(page, server)
    page.click(".yasqe .CodeMirror")
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(
        "PREFIX ckg: <https://w3id.org/competency-kg/ontology#> "
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
        "SELECT DISTINCT ?tool WHERE { ?o ckg:usesTool ?t . ?t skos:prefLabel ?tool } "
        "ORDER BY ?tool"
    )
    page.keyboard.press("Escape")
    page.click(".yasqe .yasqe_queryButton")
    rows = _result_rows(page)
    tools = [r[-1] for r in rows]
    assert "Remote Management Software" in tools and len(tools) == 10
    assert tools == sorted(tools)
    _shot(page, tmp_path, "editor-typed")

    with page.expect_download(timeout=15_000) as download:
        page.click("#downloads button[data-format=csv]")
    saved = tmp_path / "download.csv"
    download.value.save_as(saved)
    lines = saved.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "tool" and "Remote Management Software" in lines
    assert download.value.suggested_filename.endswith(".csv")
    assert page.errors == []  # type: ignore[attr-defined]
    assert [u for u in requests if not u.startswith(server.url + "/")] == []


def test_result_iris_under_the_data_base_open_this_servers_page(page: Page, server: Server) -> None:
    """An IRI under the data base links to its page here (same path, this server's origin);
    any other IRI keeps its own address. Checked to fail: with the link rewrite in
    ``static/editor.js`` removed, the first href is the public base IRI."""
    requests = _open_editor(page, server)
    page.click(".yasqe .CodeMirror")
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(
        "PREFIX ckg: <https://w3id.org/competency-kg/ontology#> "
        "SELECT ?x WHERE { VALUES ?x { <https://w3id.org/competency-kg/occupation/15-1232.00> "
        "<https://w3id.org/competency-kg/curation/seeds#f-evolving-2-writing> "
        "<http://example.org/elsewhere/thing> } } "
    )
    page.keyboard.press("Escape")
    page.click(".yasqe .yasqe_queryButton")
    page.wait_for_selector(".yasr table a.iri")
    links = page.eval_on_selector_all(
        ".yasr table a.iri", "els => els.map(e => [e.textContent, e.getAttribute('href')])"
    )
    hrefs = dict(links)
    assert hrefs == {
        "https://w3id.org/competency-kg/occupation/15-1232.00": server.url
        + "/occupation/15-1232.00",
        "https://w3id.org/competency-kg/curation/seeds#f-evolving-2-writing": server.url
        + "/curation/seeds#f-evolving-2-writing",
        "http://example.org/elsewhere/thing": "http://example.org/elsewhere/thing",
    }, links
    page.click(f'.yasr table a.iri[href="{server.url}/occupation/15-1232.00"]')
    page.wait_for_url(server.url + "/occupation/15-1232.00")
    assert "Computer User Support Specialists" in page.inner_text("h1")
    assert page.errors == []  # type: ignore[attr-defined]
    assert [u for u in requests if not u.startswith(server.url + "/")] == []


def test_typing_a_prefixed_name_declares_the_graphs_prefix(page: Page, server: Server) -> None:
    requests = _open_editor(page, server)
    page.evaluate("competencyKgEditor.addTab(true, {name: 'Empty'}).getYasqe().setValue('')")
    page.evaluate("competencyKgEditor.getTab().getYasqe().focus()")
    page.keyboard.type("SELECT * WHERE { ?s a ckg:Occupation ; schema:")
    page.wait_for_function(
        "competencyKgEditor.getTab().getYasqe().getValue().includes('PREFIX schema:')"
    )
    value = page.evaluate("competencyKgEditor.getTab().getYasqe().getValue()")
    # the graph's own namespaces, not prefix.cc's (schema: is https here, http there)
    assert f"PREFIX ckg: <{PREFIXES['ckg']}>" in value
    assert f"PREFIX schema: <{PREFIXES['schema']}>" in value
    assert [u for u in requests if not u.startswith(server.url + "/")] == []


# --------------------------------------------------------------------------- serve options
@pytest.fixture(scope="module")
def capped_server(
    sparql_store: LoadedStore, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """``competency-kg serve --query-workers 1 --max-result-bytes 1000`` (the flags beat env)."""
    workdir = tmp_path_factory.mktemp("capped-server")
    port = free_port()
    log_path = workdir / "server.log"
    env = dict(
        os.environ,
        COMPETENCY_KG_STORE=str(sparql_store.path),
        COMPETENCY_KG_MAX_RESULT_BYTES="1000000",
        COMPETENCY_KG_QUERY_WORKERS="2",
    )
    exe = str(Path(sys.executable).with_name("competency-kg"))
    args = ["serve", "--port", str(port), "--query-workers", "1", "--max-result-bytes", "1000"]
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(
            [exe, *args], cwd=workdir, env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
    server = Server(f"http://127.0.0.1:{port}", proc, sparql_store, log_path)
    deadline = time.monotonic() + 60
    while "query workers ready" not in server.log():
        assert proc.poll() is None, f"the server exited:\n{server.log()}"
        assert time.monotonic() < deadline, f"the server did not start:\n{server.log()}"
        time.sleep(0.1)
    yield server
    stop_server(server)


def test_serve_caps_results_and_sizes_its_pool_from_the_flags(capped_server: Server) -> None:
    small = capped_server.get(params={"query": "ASK {}"}, headers={"Accept": JSON_RESULTS})
    assert small.status == 200, small.text
    big = next(e for e in EXAMPLES if e.id == "competencies-by-level")
    reply = capped_server.post(
        body=big.text,
        headers={"Content-Type": "application/sparql-query", "Accept": JSON_RESULTS},
    )
    assert reply.status == 413, reply.text
    assert reply.content_type == "text/plain"
    assert "1000 bytes cap" in reply.text
    assert "1 query workers ready" in capped_server.log()


def test_serve_refuses_nonsense_flags(sparql_store: LoadedStore) -> None:
    exe = str(Path(sys.executable).with_name("competency-kg"))
    env = dict(os.environ, COMPETENCY_KG_STORE=str(sparql_store.path))
    for flag in ("--query-workers", "--max-result-bytes"):
        r = subprocess.run(
            [exe, "serve", "--port", str(free_port()), flag, "0"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert r.returncode == 2 and flag in r.stderr, r.stderr
