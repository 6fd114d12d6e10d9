"""Finding occupations by competencies and a career pathway in a real browser, against the
real server (the browsing tests' session server over the seeds): pick competencies with the
picker, submit, read the ranked result; ask for a pathway from A to B, see the pictures and
the steps table, follow a step's link. Five page loads in all.

What the pages show is checked against the same answer as JSON (the numbers the CLI and the
API give), so a page that drew another ranking or other paths would fail. Checked by
breaking it: the results table rendered in reverse (``d.results|reverse`` in match.html) and
the paths table without its last path failed here.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sparql_support import Server

pytest_plugins = ["browser_fixture", "browse_fixture"]


def test_pick_competencies_and_read_the_ranked_occupations(
    page: Page, browse_server: Server
) -> None:
    page.goto(browse_server.url + "/match")
    expect(page.locator("h1")).to_have_text("Find occupations by competencies")

    # the first competency: type part of its name, click the suggestion, give a level
    first = page.locator("#competency-0")
    first.fill("active list")
    option = page.locator("#competency-0-list li[role=option]", has_text="Active Listening")
    expect(option).to_be_visible()
    option.click()
    expect(first).to_have_value("Active Listening")
    expect(page.locator("#competency-0-list")).to_be_hidden()
    page.locator("#level-0").fill("3")

    # the second: a tool, chosen with the keyboard
    second = page.locator("#competency-1")
    second.press_sequentially("structured query", delay=20)
    expect(page.locator("#competency-1-list li[role=option]").first).to_contain_text(
        "Structured query language SQL"
    )
    second.press("ArrowDown")
    second.press("Enter")
    expect(second).to_have_value("Structured query language SQL")

    page.locator("#match-button").click()
    page.wait_for_url("**/match?competency=Active+Listening&level=3&competency=Structured+*")

    # the ranking the page shows is the match's own (its JSON), best fit first
    doc = page.request.get(page.url + "&format=json").json()
    results = doc["results"]
    assert len(results) >= 3 and [r["rank"] for r in results] == list(range(1, len(results) + 1))
    rows = page.locator("#results-table tbody tr")
    expect(rows).to_have_count(len(results))
    for r, row in zip(results[:3], rows.all()[:3], strict=True):
        expect(row.locator("th a")).to_have_text(r["title"])
        expect(row.locator("td.fit")).to_have_text(f"{r['score']:.2f}")
    expect(page.locator("#results-h .count")).to_have_text(str(len(results)))
    # the best fit's details are open: what it still needs, with the level held and the gap
    top = page.locator("#result-1")
    expect(top).to_have_attribute("open", "")
    needs = top.locator("table.missing tbody tr")
    expect(needs).to_have_count(len(results[0]["missing"]))
    listening = needs.filter(has_text="Active Listening")
    held = [x for x in results[0]["missing"] if x["label"] == "Active Listening"]
    if held:  # held at 3: listed with its gap when the occupation needs more
        expect(listening.locator("td").nth(2)).to_have_text("3.00")
    expect(page.locator("#formula")).to_contain_text("F = 0.7")
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_pathway_with_its_pictures_and_steps(page: Page, browse_server: Server) -> None:
    page.goto(browse_server.url + "/pathway")
    expect(page.locator("h1")).to_have_text("Career pathways")
    a = page.locator("#pick-a")
    a.fill("user support")
    page.locator("#pick-a-list li[role=option]", has_text="Computer User Support").click()
    expect(a).to_have_value("15-1232.00")
    b = page.locator("#pick-b")
    b.fill("systems engineers")
    page.locator("#pick-b-list li[role=option]", has_text="Computer Systems Engineers").click()
    expect(b).to_have_value("15-1299.08")
    page.locator("#pathway-button").click()
    page.wait_for_url("**/pathway?a=15-1232.00&b=15-1299.08*")

    doc = page.request.get(
        browse_server.url + "/pathway?a=15-1232.00&b=15-1299.08&format=json"
    ).json()
    paths = doc["paths"]
    assert len(paths) == 3
    # one picture per path, each titled with its occupations and drawn on screen
    pictures = page.locator("figure.path-picture svg.path-chart")
    expect(pictures).to_have_count(3)
    for k, path in enumerate(paths, start=1):
        svg = page.locator(f"figure.path-picture:nth-child({k}) svg")
        expect(svg).to_be_visible()
        names = " → ".join(o["title"] for o in path["occupations"])
        expect(svg.locator("title")).to_have_text(f"Path {k}: {names}", use_inner_text=False)
        expect(page.locator(f"figure.path-picture:nth-child({k}) figcaption")).to_have_text(
            f"Path {k}: cost {path['cost']:.2f}"
        )
    # the steps table: one row per step of every path, the same numbers
    rows = page.locator("#paths-table tbody tr")
    expect(rows).to_have_count(sum(len(p["steps"]) for p in paths))
    first = paths[0]["steps"][0]
    expect(rows.first.locator("th")).to_have_text(first["to"]["title"])
    expect(rows.first.locator("td").nth(4)).to_have_text(f"{first['cost']:.2f}")

    # a step's row leads to what to learn; from there, to the comparison of its two sides
    rows.first.locator("th a").click()
    step = page.locator("#path-1-step-1")
    expect(step).to_have_attribute("open", "")
    expect(step.locator("table.learn tbody tr").first).to_contain_text(first["learn"][0]["label"])
    step.get_by_role("link", name=f"Compare {first['from']['title']} with").click()
    page.wait_for_url("**/compare?a=15-1232.00&b=15-1299.08")
    expect(page.locator("#side-b h2")).to_have_text(first["to"]["title"])
    assert page.errors == []  # type: ignore[attr-defined]
