"""Every page of the staff console, as the role that uses it: no axe-core violation (WCAG 2.2 A
and AA), one h1, nothing but tables wider than the window at 400 % zoom, and nothing the
browser refused to load or run (the page fixtures fail on CSP refusals and failed assets).

The pages come from the console's URL map; the signed-in state of each role is made once per
session and reused (``page_as``), so each page costs one load and one axe run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from tests.browser.browsing import ZOOMED_VIEWPORT, axe, overflowing, screenshot, sign_in
from tests.browser.stack import LiveStack


@dataclass(frozen=True)
class ConsolePage:
    name: str
    path: str  # {citizen}: the demo's John Smith
    role: str
    screenshot: str | None = None


PAGES = [
    ConsolePage("home", "/console/", "front_office"),
    ConsolePage("home, administrator", "/console/", "admin"),
    ConsolePage("search", "/console/search?q=Jenifer+Smyth", "front_office"),
    ConsolePage("search, nothing found", "/console/search?q=Zzyzx+Qwerty", "front_office"),
    ConsolePage("360 view", "/console/citizens/{citizen}", "front_office"),
    ConsolePage("log a contact", "/console/citizens/{citizen}/contacts/new", "front_office"),
    ConsolePage("open a case", "/console/citizens/{citizen}/cases/new", "front_office"),
    ConsolePage("take a payment", "/console/citizens/{citizen}/payments/new", "front_office"),
    ConsolePage(
        "record satisfaction", "/console/citizens/{citizen}/satisfaction/new", "front_office"
    ),
    ConsolePage(
        "record identity evidence", "/console/citizens/{citizen}/evidence/new", "front_office"
    ),
    ConsolePage("possible duplicates", "/console/duplicates", "supervisor", "console-duplicates"),
    ConsolePage("dashboard", "/console/dashboard", "admin", "console-dashboard"),
    # A record that is not there: the console's own "Page not found", not the API's problem.
    ConsolePage(
        "page not found", "/console/citizens/00000000-0000-7000-8000-000000000000", "front_office"
    ),
]


@pytest.mark.parametrize("console_page", PAGES, ids=[p.name for p in PAGES])
def test_a_console_page_is_accessible_and_reflows(
    console_page: ConsolePage, page_as: Callable[[str], Page], stack: LiveStack
) -> None:
    page = page_as(console_page.role)
    path = console_page.path.format(citizen=stack.known_citizens[0])
    response = page.goto(stack.url(path))
    assert response is not None
    expected_missing = console_page.name == "page not found"
    assert response.status == (404 if expected_missing else 200), console_page.name
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    axe(page, console_page.name)
    if console_page.screenshot:
        screenshot(page, console_page.screenshot)

    page.set_viewport_size(ZOOMED_VIEWPORT)
    assert not overflowing(page), f"{console_page.name} at 400 %: {overflowing(page)}"
    axe(page, f"{console_page.name} at 400 % zoom")


def test_the_sign_out_page_and_a_sign_in_again_are_accessible(page: Page, stack: LiveStack) -> None:
    sign_in(page, stack, "auditor")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    axe(page, "the signed-out page")
    page.set_viewport_size(ZOOMED_VIEWPORT)
    assert not overflowing(page)
