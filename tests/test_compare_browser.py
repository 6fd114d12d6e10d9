"""Comparing two occupations in a real browser, against the real server: pick them with the
pickers (typing part of a title), compare, read what they share and what is to learn."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sparql_support import Server

pytest_plugins = ["browser_fixture", "browse_fixture"]


def test_pick_two_occupations_and_read_the_comparison(page: Page, browse_server: Server) -> None:
    page.goto(browse_server.url + "/compare")
    expect(page.locator("h1")).to_have_text("Compare occupations")

    # A: type part of a title, click the suggestion
    a = page.locator("#pick-a")
    a.fill("user support")
    option = page.locator("#pick-a-list li[role=option]", has_text="Computer User Support")
    expect(option).to_be_visible()
    expect(option).to_contain_text("15-1232.00")
    option.click()
    expect(a).to_have_value("15-1232.00")
    expect(page.locator("#pick-a-list")).to_be_hidden()

    # B: type, then choose with the keyboard
    b = page.locator("#pick-b")
    b.press_sequentially("network support", delay=20)
    expect(page.locator("#pick-b-list li[role=option]").first).to_contain_text(
        "Computer Network Support Specialists"
    )
    b.press("ArrowDown")
    expect(page.locator("#pick-b-list li[aria-selected=true]")).to_have_count(1)
    b.press("Enter")
    expect(b).to_have_value("15-1231.00")

    page.locator("#compare-button").click()
    page.wait_for_url("**/compare?a=15-1232.00&b=15-1231.00")

    # the two occupations, the twin merged into A, and the score
    expect(page.locator("#side-a h2")).to_have_text("Computer User Support Specialists")
    expect(page.locator("#side-a")).to_contain_text("Merged with its twin")
    expect(page.locator("#side-b h2")).to_have_text("Computer Network Support Specialists")
    # the score the page shows is the comparison's own (its JSON), to two decimals
    doc = page.request.get(
        browse_server.url + "/compare?a=15-1232.00&b=15-1231.00",
        headers={"Accept": "application/json"},
    ).json()
    score = doc["similarity"]["score"]
    assert 0.3 < score < 0.6, score  # alike, not the same: both support computer users
    expect(page.locator("#similarity .score")).to_have_text(f"{score:.2f}")

    # shared first, then what B needs that A lacks
    shared = page.locator("#shared-table tbody tr")
    competencies = doc["competencies"]
    n_shared = len(competencies["shared"])
    assert n_shared >= 10, n_shared  # two computer support occupations share much
    expect(page.locator("#shared-h .count")).to_have_text(str(n_shared))
    expect(shared).to_have_count(n_shared)
    expect(shared.first.locator("th")).to_contain_text("Computers and Electronics")
    expect(shared.first.locator("td.gap")).to_have_text("+0.69")
    to_learn = page.locator("#to-learn-table tbody tr")
    expect(to_learn).to_have_count(len(competencies["to_learn"]))
    expect(to_learn.first).to_contain_text("Systems Evaluation")
    box = page.locator("#shared").bounding_box()
    later = page.locator("#to-learn").bounding_box()
    assert box is not None and later is not None and box["y"] < later["y"]

    # the chart, and the sources each fact points to
    expect(page.locator("#gaps svg.gap-chart")).to_be_visible()
    assert page.locator("#gaps svg .gap-row").count() >= 20
    page.locator("#shared-table tbody tr").first.locator("a.src").first.click()
    expect(page.locator("#sources")).to_contain_text("O*NET 29.2 Database")
    href = page.locator("#sparql .open-editor").first.get_attribute("href")
    assert href is not None and href.startswith("/sparql#query=")

    # swap: what A needs that B lacks becomes "to learn"
    page.locator("#swap").click()
    expect(page.locator("#side-a h2")).to_have_text("Computer Network Support Specialists")
    only_a = len(competencies["not_needed"])
    expect(page.locator("#to-learn-h .count")).to_have_text(str(only_a))
    assert page.errors == []  # type: ignore[attr-defined]


def test_an_unknown_occupation_says_so(page: Page, browse_server: Server) -> None:
    page.goto(browse_server.url + "/compare?a=99-9999.00&b=15-1231.00")
    expect(page.locator("#compare-error")).to_contain_text(
        "no occupation has the O*NET-SOC code 99-9999.00"
    )
    expect(page.locator("#pick-a")).to_have_value("99-9999.00")
