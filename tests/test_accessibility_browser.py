"""Accessibility in a real browser (Debian's Chromium, driven by Playwright): WCAG 2.1 A/AA.

axe-core (npm ``axe-core`` 4, installed by ``scripts/setup`` like the editor) runs with the
tags wcag2a, wcag2aa, wcag21a and wcag21aa on every page type: the home page, a page of every
resource class, an O*NET occupation with charts, a comparison, the validation report with its
filters and a file check, search, the SPARQL editor with a result table, and the error pages;
on the seeds and on a store holding only the O*NET extract. A keyboard-only visitor goes from
the home page to a comparison with the pickers; every page type fits a 390-px-wide phone.

A failing check names the axe rule, the element's selector and the page. How each check was
seen to fail once (then restored) is said at each test. ``docs/accessibility.md`` has the
figures before and after.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from browse_support import get
from playwright.sync_api import Browser, Page, expect
from sparql_support import LoadedStore, Server, start_server, stop_server

from competency_kg.iris import Minter
from competency_kg.loading import load_paths
from competency_kg.store import open_store

from support import ROOT, SEEDS

pytest_plugins = ["browser_fixture", "browse_fixture"]

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PHONE = {"width": 390, "height": 844}
#: The first member a class listing links (web/templates/class_list.html).
FIRST_MEMBER = re.compile(r'<ol class="members"[^>]*>\s*<li><a href="([^"]+)"')

#: One page of each type on the seeds store (plus the tricky RDF file of browse_fixture: a
#: document the project has never seen, with markup in its labels and an IRI outside the base).
SEED_PAGES = [
    "/",
    "/occupation/15-1232.00",  # O*NET occupation with its charts
    "/occupation/computer-user-support-specialists",  # the overview's occupation
    "/competency/active-listening",
    "/onet/element/2.A.1.a",
    # every value of one property, and the links to a resource by one (its long lists' links)
    "/occupation/15-1232.00?property=https%3A%2F%2Fw3id.org%2Fcompetency-kg%2Fontology%23usesTechnology",
    "/source/onet-27.0?property=%5Ehttp%3A%2F%2Fwww.w3.org%2Fns%2Fprov%23wasDerivedFrom&page=2",
    "/compare",
    "/compare?a=15-1232.00&b=15-1231.00",
    "/validation",
    "/validation?severity=Warning",
    "/class/occupation",
    "/class/competency",
    "/search?q=network",
    "/ontology",
    "/shapes",
    "/test/tricky",
    "/describe?iri=http%3A%2F%2Fexample.org%2Felsewhere%2Fthing",
    "/occupation/no-such-occupation",  # 404
    "/compare?a=99-9999.00&b=15-1231.00",  # an unknown occupation
    "/match",
    "/match?competency=Active+Listening&competency=SQL",
    "/pathway",
    "/pathway?a=15-1232.00&b=15-1231.00",
]
#: The same page types on a store with the O*NET extract alone.
ONET_PAGES = [
    "/",
    "/occupation/15-1232.00",
    "/onet/element/2.A.1.a",
    "/compare?a=15-1232.00&b=15-1231.00",
    "/class/occupation",
    "/search?q=network",
    "/validation",
]


@pytest.fixture(scope="module")
def onet_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    work = tmp_path_factory.mktemp("a11y-onet")
    with open_store(work / "store") as store:
        load_paths(store, [SEEDS / "onet-extract"], Minter())
    server = start_server(LoadedStore(work / "store"), work, timeout=20)
    yield server
    stop_server(server)


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, device_scale_factor=1)
    p = context.new_page()
    yield p
    context.close()


def axe(page: Page) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now: one line per element,
    ``rule  selector  (page)``."""
    assert AXE.exists(), f"{AXE} is missing: run scripts/setup (npm ci)"
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))  # evaluated as a script: no CSP applies
    violations = page.evaluate(
        """async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))
            .violations.flatMap(v => v.nodes.map(n => [v.id, v.impact, n.target.join(' ')]))""",
        TAGS,
    )
    where = page.url
    return [f"{rule} ({impact})  {selector}  on {where}" for rule, impact, selector in violations]


def report(found: list[str]) -> str:
    return f"{len(found)} WCAG 2.1 A/AA violations:\n" + "\n".join(found)


def visit(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")  # the resource pages' SHACL badge comes by fetch


# --------------------------------------------------------------------------- axe, page by page
@pytest.mark.parametrize("path", SEED_PAGES)
def test_no_violations_on_the_seeds(browse_server: Server, page: Page, path: str) -> None:
    """Checked by breaking: links without underline (site.css ``a { text-decoration: none }``)
    fail here with link-in-text-block on every page; links put back inside the charts
    (``role="img"``, web/svg.py) fail the O*NET occupation with nested-interactive."""
    visit(page, browse_server.url + path)
    found = axe(page)
    assert not found, report(found)


@pytest.mark.parametrize("path", ONET_PAGES)
def test_no_violations_with_the_onet_extract(onet_server: Server, page: Page, path: str) -> None:
    visit(page, onet_server.url + path)
    found = axe(page)
    assert not found, report(found)


def test_no_violations_on_a_page_of_every_class(browse_server: Server, page: Page) -> None:
    """The first instance of every class the home page lists (51 on the seeds), as each
    resource page describes it: classes of documents the pages were not written for too."""
    visit(page, browse_server.url + "/")
    classes = page.eval_on_selector_all(
        "#classes table.classes td:first-child > a", "els => els.map(e => e.getAttribute('href'))"
    )
    assert len(classes) >= 40, classes
    found: list[str] = []
    for href in classes:
        # the listing is only read for its first member (over HTTP: a browser visit waited
        # for the network to go quiet, half the test's time); the member's page is checked
        listing = get(browse_server, href, "text/html")
        assert listing.status == 200, (href, listing.status)
        first = FIRST_MEMBER.search(listing.text)
        if first:
            visit(page, browse_server.url + html.unescape(first.group(1)))
            found += axe(page)
    assert not found, report(found)


def test_no_violations_while_choosing(browse_server: Server, page: Page) -> None:
    """States a page load does not show: the autocomplete list open on the home page, a
    picker's list open on /compare, and "No matches". Checked by breaking: a "No matches"
    item without role=option (browse.js) fails with aria-required-children and listitem."""
    visit(page, browse_server.url + "/")
    page.locator("#home-q").press_sequentially("network", delay=20)
    expect(page.locator("#home-q ~ .ac-list li[role=option]").first).to_be_visible()
    found = axe(page)
    page.locator("#home-q").fill("zzqqxx")
    expect(page.locator("#home-q ~ .ac-list")).to_contain_text("No matches")
    found += axe(page)

    visit(page, browse_server.url + "/compare")
    page.locator("#pick-a").press_sequentially("support", delay=20)
    expect(page.locator("#pick-a-list li[role=option]").first).to_be_visible()
    page.locator("#pick-a").press("ArrowDown")
    found += axe(page)
    assert not found, report(found)


def test_no_violations_in_the_validation_views(browse_server: Server, page: Page, tmp_path: Path):
    """The report filtered by severity, by a source and by a resource, and the check of an
    uploaded file (its violations listed)."""
    visit(page, browse_server.url + "/validation?severity=Warning")
    found = axe(page)
    source = page.locator("a[href*='/validation?source=']").first.get_attribute("href")
    iri = page.locator("a.focus-link").first.get_attribute("data-iri")
    assert source and iri
    visit(page, browse_server.url + source)
    found += axe(page)
    visit(page, browse_server.url + "/validation?focus=" + quote(iri, safe=""))
    expect(page.locator(".chip")).to_be_visible()
    found += axe(page)
    bad = tmp_path / "bad.ttl"
    bad.write_text(
        "@prefix ckg: <https://w3id.org/competency-kg/ontology#> .\n"
        "<https://w3id.org/competency-kg/occupation/x> a ckg:Occupation ; ckg:jobZone 9 .\n"
    )
    visit(page, browse_server.url + "/validation")
    page.set_input_files("input[name=file]", str(bad))
    with page.expect_navigation():
        page.click("form.upload button")
    expect(page.locator("section#violations")).to_be_visible()
    found += axe(page)
    assert not found, report(found)


def test_no_violations_in_the_editor(browse_server: Server, page: Page) -> None:
    """YASGUI with a result table, a second tab (an example), its Response view and a syntax
    error. Checked by breaking: without editor.js's accessible() axe reports label (the query
    textarea, the endpoint box), select-name (rows per page) and aria-required-children (the
    add-tab button in the tab list); without editor.css's colours, color-contrast."""
    visit(page, browse_server.url + "/sparql")
    page.wait_for_selector(".yasqe .CodeMirror")
    found = axe(page)
    # no keyboard trap: in the query box Tab indents, Escape then Tab moves on (as the page says)
    expect(page.locator(".editor-head")).to_contain_text("Escape then Tab moves on")
    page.locator(".yasqe .CodeMirror").first.click()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "SPARQL query"
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") != "SPARQL query"
    page.locator(".yasqe .yasqe_queryButton:visible").click()
    page.wait_for_selector(".yasr table.dataTable tbody tr", timeout=30_000)
    found += axe(page)
    page.locator("button.example").first.click()
    expect(page.locator(".tabsList .tab")).to_have_count(2)
    page.wait_for_selector(".yasr:visible table.dataTable tbody tr", timeout=30_000)
    found += axe(page)
    page.locator(".yasr .select_response:visible").click()
    found += axe(page)
    page.evaluate(
        """() => { const yasqe = window.competencyKgEditor.getTab().getYasqe();
                   yasqe.setValue('SELECT * WHERE { ?s ?p }');
                   return yasqe.query().catch(() => 0); }"""
    )
    expect(page.locator(".yasr:visible .errorResult")).to_be_visible(timeout=30_000)
    found += axe(page)
    assert not found, report(found)
    assert not page.errors  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- the keyboard
def tab_to(page: Page, selector: str, limit: int = 40) -> list[str]:
    """Press Tab until ``selector`` has the focus; each focused element must show its focus
    (an outline, from site.css's :focus-visible). Returns what was focused on the way."""
    seen: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        state = page.evaluate(
            """(sel) => { const e = document.activeElement; const s = getComputedStyle(e);
                return [e.matches(sel), e.tagName + (e.id ? '#' + e.id : '') + ' ' +
                        (e.textContent || e.value || '').trim().slice(0, 30),
                        s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2] }""",
            selector,
        )
        matched, name, visible = state
        seen.append(name)
        assert visible, f"no visible focus on {name} at {page.url}"
        if matched:
            return seen
    raise AssertionError(f"{selector} never got the focus from Tab on {page.url}: {seen}")


def test_keyboard_only_from_home_to_a_comparison(browse_server: Server, page: Page) -> None:
    """Tab, Enter and the arrow keys only, each focus visible. Checked by breaking: without
    the ArrowDown handling of a closed list (compare.js) the list stays hidden; with
    ``:focus-visible { outline: none }`` in site.css the first Tab fails."""
    visit(page, browse_server.url + "/")
    seen = tab_to(page, "a.skip-link")
    assert len(seen) == 1, "the first Tab reaches the skip link"
    tab_to(page, "header.site nav a[href='/compare']")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/compare$"))

    # the skip link passes the header: the next Tab is in the page's content
    tab_to(page, "a.skip-link", limit=1)
    page.keyboard.press("Enter")
    tab_to(page, "#pick-a", limit=1)
    page.keyboard.type("user support", delay=20)
    expect(page.locator("#pick-a-list li[role=option]").first).to_be_visible()
    page.keyboard.press("ArrowDown")
    expect(page.locator("#pick-a")).to_have_attribute("aria-activedescendant", "pick-a-option-0")
    expect(page.locator("#pick-a")).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Enter")
    expect(page.locator("#pick-a")).to_have_value("15-1232.00")
    expect(page.locator("#pick-a")).to_have_attribute("aria-expanded", "false")

    tab_to(page, "#pick-b", limit=2)
    page.keyboard.type("network support", delay=20)
    expect(page.locator("#pick-b-list li[role=option]").first).to_be_visible()
    page.keyboard.press("Escape")  # closed: ArrowDown opens it again
    expect(page.locator("#pick-b-list")).to_be_hidden()
    page.keyboard.press("ArrowDown")
    expect(page.locator("#pick-b-list li[role=option]").first).to_be_visible()
    page.keyboard.press("ArrowDown")
    expect(page.locator("#pick-b-status")).to_contain_text("match")
    page.keyboard.press("Enter")
    expect(page.locator("#pick-b")).to_have_value("15-1231.00")

    tab_to(page, "#compare-button", limit=2)
    page.keyboard.press("Enter")
    page.wait_for_url("**/compare?a=15-1232.00&b=15-1231.00")
    expect(page.locator("#side-a h2")).to_have_text("Computer User Support Specialists")
    # on the comparison, the chart's numbers open from the keyboard too
    tab_to(page, "#gaps details.chart-data summary", limit=200)
    page.keyboard.press("Enter")
    expect(page.locator("#gaps details.chart-data table")).to_be_visible()
    assert not page.errors  # type: ignore[attr-defined]


def test_charts_carry_their_numbers_as_text(browse_server: Server, page: Page) -> None:
    """Every chart is an image named by its title and description, with no control in it,
    and its numbers in a table beside it. Checked by breaking: a chart row left out of
    svg.py's table fails the count."""
    visit(page, browse_server.url + "/occupation/15-1232.00")
    charts = page.locator("figure.chart svg")
    assert charts.count() >= 2
    for i in range(charts.count()):
        svg = charts.nth(i)
        assert svg.get_attribute("role") == "img"
        assert svg.locator("a, [tabindex]").count() == 0
        figure = page.locator("figure.chart").nth(i)
        rows = figure.locator("details.chart-data tbody tr")
        bars = svg.locator("text.label")
        assert rows.count() == bars.count() > 0
        # the first bar's value as drawn is in the table
        value = svg.locator("g.panel[data-measure=primary] text.value").first.text_content()
        assert value and value in (rows.first.text_content() or "")


# --------------------------------------------------------------------------- phones
PHONE_PAGES = [p for p in SEED_PAGES if "describe" not in p] + ["/sparql"]


@pytest.mark.parametrize("path", PHONE_PAGES)
def test_fits_a_phone(browse_server: Server, phone: Page, path: str, tmp_path: Path) -> None:
    """390 px wide, no sideways scrolling. Checked by breaking: without the phone rules of
    site.css the header's navigation makes every page 515 px wide (the comparison 809 px)."""
    visit(phone, browse_server.url + path)
    if path == "/sparql":
        phone.wait_for_selector(".yasqe .CodeMirror")
    width = phone.evaluate("document.documentElement.scrollWidth")
    shot = tmp_path / "phone.png"
    phone.screenshot(path=str(shot), full_page=True)
    print(f"\n{path} at 390 px: {shot}")
    wide = phone.evaluate(
        """() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect()
              .right > 391 && ![...e.children].some(c => c.getBoundingClientRect().right > 391))
              .slice(0, 5).map(e => e.tagName + '.' + e.className)"""
    )
    assert width <= PHONE["width"], f"{path} is {width} px wide at 390 px; widest: {wide}"
