"""The browsing pages in a real browser (Debian's Chromium, driven by Playwright).

A visitor starts at the home page, searches, opens an occupation, follows one of its
competencies and comes back by the competency's inverse link; every page shows its sources.
The occupation page is saved as a screenshot (its path is printed; look at it when the pages
change).
"""

from __future__ import annotations

import re

from browse_support import BASE
from playwright.sync_api import Page, expect
from sparql_support import Server

pytest_plugins = ["browser_fixture", "browse_fixture"]

OCCUPATION = "/occupation/computer-user-support-specialists"


def shows_sources(page: Page) -> None:
    sources = page.locator("#sources ol.sources > li")
    expect(sources.first).to_be_visible()
    assert sources.count() >= 1
    expect(page.locator("#sources")).to_contain_text("graph/")


def test_home_search_occupation_competency_and_back(browse_server: Server, page: Page, tmp_path):
    page.goto(browse_server.url + "/")
    expect(page.locator("h1")).to_contain_text("Occupations and the competencies")
    expect(page.locator("#sources")).to_contain_text("CC BY 4.0")

    # autocomplete while typing, then the results page
    box = page.locator("#home-q")
    box.fill("computer user supp")
    suggestion = page.locator(".ac-list li[role=option]").first
    expect(suggestion).to_be_visible()
    expect(page.locator("#home-q ~ .ac-list")).to_contain_text("Computer User Support Specialists")
    box.press("Escape")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q="))
    expect(page.locator("ol.results")).to_contain_text("Computer User Support Specialists")

    # the occupation, as a profile
    page.locator(f'ol.results a[href="{OCCUPATION}"]').click()
    page.wait_for_url(re.compile(re.escape(OCCUPATION) + "$"))
    expect(page.locator("h1")).to_have_text("Computer User Support Specialists")
    expect(page.locator("#competencies svg.chart")).to_be_visible()
    expect(page.locator("#unplaced")).to_be_visible()
    expect(page.locator("#onet")).to_contain_text("Tasks")
    shows_sources(page)
    shot = tmp_path / "occupation.png"
    page.screenshot(path=str(shot), full_page=False)
    print(f"\noccupation page screenshot: {shot}")
    assert shot.stat().st_size > 20_000

    # follow a competency, and come back by its inverse link
    page.locator("#competencies table.requirements a", has_text="Active Listening").first.click()
    page.wait_for_url(re.compile(r"/competency/active-listening$"))
    expect(page.locator("h1")).to_have_text("Active Listening")
    expect(page.locator("#required-by")).to_contain_text("Computer User Support Specialists")
    shows_sources(page)
    page.locator(f'#required-by a[href="{OCCUPATION}"]').click()
    page.wait_for_url(re.compile(re.escape(OCCUPATION) + "$"))
    expect(page.locator("h1")).to_have_text("Computer User Support Specialists")
    assert not page.errors  # type: ignore[attr-defined]


def test_keyboard_autocomplete_and_linked_pages(browse_server: Server, page: Page):
    page.goto(browse_server.url + "/competency/active-listening")
    box = page.locator("header.site input[type=search]")
    box.fill("active listening")
    expect(page.locator(".ac-list li[role=option]").first).to_be_visible()
    box.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", re.compile(r"ac-list-\d+-0"))
    box.press("Enter")
    page.wait_for_url(re.compile(r"/(competency|onet/element)/"))
    shows_sources(page)
    # the IRI shown is the canonical one; the links stay on this server
    expect(page.locator(".resource-head .iri code")).to_contain_text(BASE)
    hrefs = page.eval_on_selector_all("main a[href]", "els => els.map(e => e.getAttribute('href'))")
    assert not [h for h in hrefs if h.startswith(BASE)]
    # an O*NET element lists the occupations rating it, with a chart
    page.goto(browse_server.url + "/onet/element/2.A.1.a")
    expect(page.locator("#onet-ratings svg.chart")).to_be_visible()
    shows_sources(page)
    assert not page.errors  # type: ignore[attr-defined]
