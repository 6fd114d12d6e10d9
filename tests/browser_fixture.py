"""A real browser for end-to-end tests: Debian's Chromium driven by Playwright.

Use with ``pytest_plugins = ["browser_fixture"]``. Playwright cannot download its own browsers
here, so it launches the system Chromium (``/usr/bin/chromium``, installed by ``scripts/setup
--test`` from ``scripts/debian-packages-test.txt``) headless, with the flags that keep it off
the network. A test that needs the browser fails, never skips, when it is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: run scripts/setup --test"
    # Playwright gives each launch a fresh, empty profile of its own.
    b = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
    yield b
    b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    p.errors = errors  # type: ignore[attr-defined]  # tests may assert no script errors
    yield p
    context.close()
