"""The report in a real browser, against the real server: filter to warnings, follow a warning
to the resource it is about, come back; check a file from the page's form."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sparql_support import LoadedStore, Server, start_server, stop_server

from competency_kg.iris import Minter
from competency_kg.loading import load_paths
from competency_kg.store import open_store

from support import FIXTURES, FRAMEWORK_SEED, OVERVIEW_SEED

pytest_plugins = ["browser_fixture"]

OCCUPATION_PATH = "/occupation/computer-user-support-specialists"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    work = tmp_path_factory.mktemp("validation-browser")
    with open_store(work / "store") as store:
        load_paths(
            store, [FRAMEWORK_SEED, OVERVIEW_SEED], Minter(), corrections=[FIXTURES / "curation"]
        )
    srv = start_server(LoadedStore(work / "store"), work)
    yield srv
    stop_server(srv)


def test_from_a_warning_to_its_resource_and_back(page: Page, server: Server) -> None:
    page.goto(server.url + "/validation")
    expect(page.locator("h1")).to_have_text("Validation report")
    expect(page.locator("#totals")).to_contain_text("0 violations")

    # choosing a severity applies it at once (validation.js submits the form)
    page.select_option("select[name=severity]", "Warning")
    page.wait_for_url("**/validation?severity=Warning")
    expect(page.locator("section#warnings")).to_be_visible()
    assert page.locator("section#violations").count() == 0
    assert page.locator("tr.result").count() == page.locator("tr.result.warning").count() > 0
    assert page.errors == []  # type: ignore[attr-defined]

    rule = page.locator(".rule", has_text="entry not yet placed in a list")
    # the source is named by its own title, not its file name
    where = rule.locator("td.where").first
    expect(where).to_contain_text("Occupation Overview: Computer User Support Specialists")
    link = rule.locator("a.focus-link").first
    expect(link).to_have_text("Computer User Support Specialists")
    assert link.get_attribute("href") == OCCUPATION_PATH

    with page.expect_navigation() as nav:
        link.click()
    response = nav.value
    assert page.url == server.url + OCCUPATION_PATH
    assert response is not None and response.status == 200
    expect(page.locator("body")).to_contain_text("Computer User Support Specialists")
    # the resource page's own badge counts its warnings and links back to them
    badge = page.locator(".validation-badges a.badge.warning")
    expect(badge).to_contain_text("warning")
    assert "/validation?focus=" in (badge.get_attribute("href") or "")

    page.go_back()
    page.wait_for_url("**/validation?severity=Warning")
    expect(page.locator("select[name=severity]")).to_have_value("Warning")
    expect(rule.locator("a.focus-link").first).to_be_visible()


def test_focus_filter_and_checking_a_file_from_the_page(
    page: Page, server: Server, tmp_path: Path
) -> None:
    page.goto(server.url + "/validation?severity=Warning")
    listed = "Other Relevant Occupation-Specific Competencies"  # ranks printed with no entry
    value = page.locator("a.focus-link", has_text=listed).first
    iri = value.get_attribute("data-iri")
    assert iri and iri.endswith("/other-relevant")
    badges = page.request.get(server.url + "/validation/focus", params={"iri": iri}).json()
    assert badges["warnings"] >= 1 and badges["checked"] is True
    page.goto(server.url + badges["link"])
    assert page.locator("tr.result").count() == badges["total"]
    expect(page.locator(".chip")).to_contain_text("Other Relevant Occupation-Specific Competencies")

    bad = tmp_path / "bad.ttl"
    bad.write_text(
        "@prefix ckg: <https://w3id.org/competency-kg/ontology#> .\n"
        "<https://w3id.org/competency-kg/occupation/x> a ckg:Occupation ; ckg:jobZone 9 .\n"
    )
    page.set_input_files("input[name=file]", str(bad))
    with page.expect_navigation():
        page.click("form.upload button")
    expect(page.locator("h1")).to_contain_text("Check of bad.ttl")
    expect(page.locator(".verdict")).to_contain_text("A load would refuse it")
    expect(page.locator("section#violations")).to_contain_text("job zone")
