"""Twins from documents of the project's own making (``tests/fixtures/twins/``), over HTTP.

On top of the seeds: an overview titled "Computer Network Support Specialists" (no code: the
linker matches it to O*NET 15-1231.00 by its exact title), a framework export that names
15-1231.00 "LAN Support Specialists", and an overview of a "Network Support Technician" (an
O*NET alternate title, not the same occupation: nothing links it by ``skos:exactMatch``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from browse_support import get
from sparql_support import LoadedStore, Server, cli, start_server, stop_server

from support import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "twins"
NETWORK = "/occupation/15-1231.00"
NETWORK_OVERVIEW = "/occupation/computer-network-support-specialists"
TECHNICIAN = "/occupation/network-support-technician"


@pytest.fixture(scope="module")
def twins_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("twins")
    store = root / "store"
    code, log = cli("load", str(ROOT / "seeds"), str(FIXTURES), store=store)
    assert code == 0, log
    server = start_server(LoadedStore(store, seeds_loaded=True), root, timeout=20)
    yield server
    stop_server(server)


def listing_rows(server: Server) -> list[str]:
    html = get(server, "/class/occupation", "text/html").text
    block = html.split('<ol class="members"', 1)[1].split("</ol>", 1)[0]
    return re.split(r"<li>", block)[1:]


def test_two_documents_naming_one_occupation_differently_are_one_row(twins_server: Server):
    """The overview's "Computer Network Support Specialists" and the framework's "LAN Support
    Specialists" (O*NET 15-1231.00) are one row naming every source; the technician, only an
    alternate title, stays a row of its own. Checked by grouping nothing in web/twins.py
    (no twin rows): this failed, with 15-1231.00 and the overview's occupation apart."""
    rows = listing_rows(twins_server)
    network = [r for r in rows if f'href="{NETWORK}"' in r or f'href="{NETWORK_OVERVIEW}"' in r]
    assert len(network) == 1, network
    row = network[0]
    assert f'href="{NETWORK}"' in row and f'href="{NETWORK_OVERVIEW}"' in row
    # two overviews and two frameworks in the store: each named by its file
    for source in ("network-support-overview.txt", "lan-support-framework.json", "O*NET 27.0"):
        assert source in row, (source, row)
    technician = [r for r in rows if f'href="{TECHNICIAN}"' in r]
    assert len(technician) == 1 and NETWORK not in technician[0]
    assert "network-technician-overview.txt" in technician[0]
    # 8 occupation IRIs; user support and network support each from two: 6 occupations
    assert len(rows) == 6
    page = get(twins_server, "/class/occupation", "text/html").text
    assert "8 occupations from 7 sources, 6 distinct" in page
    assert "8 occupations from 7 sources, 6 distinct" in get(twins_server, "/", "text/html").text


def test_search_and_pages_group_them_too(twins_server: Server):
    """One search result for the network support specialists, and a note on each record's
    page naming the other; the technician's page has none."""
    r = get(twins_server, "/search", params={"q": "network support", "format": "json"})
    results = json.loads(r.body)["results"]
    grouped = [x for x in results if x["href"] in (NETWORK, NETWORK_OVERVIEW)]
    assert len(grouped) == 1, grouped
    assert {t["href"] for t in grouped[0]["twins"]} == {NETWORK, NETWORK_OVERVIEW}
    technician = [x for x in results if x["href"] == TECHNICIAN]
    assert len(technician) == 1 and technician[0]["twins"] == []
    note = get(twins_server, NETWORK_OVERVIEW, "text/html").text.split('class="twins"', 1)[1]
    assert f'href="{NETWORK}"' in note.split("</p>", 1)[0]
    assert 'class="twins"' not in get(twins_server, TECHNICIAN, "text/html").text
