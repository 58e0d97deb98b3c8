"""A counter officer's whole journey in the staff console, in Chromium against the live stack:
sign in, find a citizen despite a typo, open the 360 view, log a contact, open a case, take a
cash payment, record the citizen's satisfaction, sign out. Every page is checked with axe-core
on the way, forms are first sent empty to check their error summary, and the main pages are
kept as screenshots (``make screenshots``). Then the journey's first steps with the keyboard
alone, and with JavaScript switched off.

The citizen is the demo's John Smith (born 2 March 1984), searched for as "Jon Smyth".
"""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.browsing import (
    VIEWPORT,
    ConsoleErrors,
    axe,
    focus_is_visible,
    focused,
    screenshot,
    sign_in,
    tab_to,
)
from tests.browser.stack import LiveStack

TYPO = "Jon Smyth"
CITIZEN = "John Smith"
COUNTER = "Customer service counter"  # the demo catalog's name of the counter channel


def action(page: Page, name: str) -> Locator:
    """An action of the 360 view: a GOV.UK button link (role "button"), or a plain link."""
    return page.get_by_role("button", name=name).or_(page.get_by_role("link", name=name))


def _error_summary_lists(page: Page, *messages: str) -> None:
    """The GOV.UK error summary: focused, titled, one link per error, each to its field."""
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Error: "))
    for message in messages:
        expect(summary.get_by_role("link", name=message)).to_be_visible()


def find_the_citizen(page: Page) -> None:
    """From the home page: search with a typo, narrow by date of birth, open the record."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a citizen")
    search = page.get_by_label("Find a citizen")
    search.fill(TYPO)
    search.press("Enter")
    page.wait_for_url(re.compile(re.escape("/console/search?")))
    results = page.get_by_role("link", name=CITIZEN)
    expect(results.first).to_be_visible()
    axe(page, "search results")
    screenshot(page, "console-search")
    # Several John Smiths are possible: the date of birth narrows to the one at the counter.
    page.get_by_label("Day").fill("2")
    page.get_by_label("Month").fill("3")
    page.get_by_label("Year").fill("1984")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="1 citizen found")).to_be_visible()
    page.get_by_role("link", name=CITIZEN).click()


def check_the_360_view(page: Page) -> None:
    expect(page.get_by_role("heading", level=1)).to_contain_text(CITIZEN)
    for section in ("Identity", "Contact details", "Consents", "Open cases", "Recent contacts"):
        expect(page.get_by_role("heading", name=section, level=2)).to_be_visible()
    for section in ("Payments", "Satisfaction"):
        expect(page.get_by_role("heading", name=section, level=2)).to_be_visible()
    axe(page, "the citizen's 360 view")


def log_a_contact(page: Page, summary: str) -> None:
    action(page, "Log a contact").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log a contact")
    axe(page, "the log-a-contact form")
    screenshot(page, "console-contact-new")
    page.get_by_role("button", name="Log contact").click()
    _error_summary_lists(page)
    axe(page, "the log-a-contact form with errors")
    screenshot(page, "console-contact-errors")

    page.get_by_role("group", name="How did they get in touch?").get_by_label(COUNTER).check()
    page.get_by_label("They contacted us").check()
    page.get_by_label("Service", exact=True).select_option("RATES-PAY")
    page.get_by_role("group", name="Outcome").get_by_label("Resolved").check()
    page.get_by_label("Summary (optional)").fill(summary)
    page.get_by_role("button", name="Log contact").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(CITIZEN)
    expect(page.get_by_role("cell", name=summary)).to_be_visible()


def open_a_case(page: Page, summary: str) -> None:
    link = action(page, "Open a case")
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Open a case")
    axe(page, "the open-a-case form")
    page.get_by_label("Service", exact=True).select_option("WASTE-MISSED-BIN")
    page.get_by_label("Summary", exact=True).fill(summary)
    page.get_by_label("Normal", exact=True).check()
    page.get_by_role("button", name="Open case").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Case "))
    expect(page.get_by_text(summary)).to_be_visible()
    axe(page, "the case page")
    screenshot(page, "console-case")
    page.get_by_role("link", name=f"Back to {CITIZEN}").click()


def take_a_cash_payment(page: Page) -> None:
    link = action(page, "Take a payment")
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Take a payment")
    axe(page, "the take-a-payment form")
    page.get_by_label("Service", exact=True).select_option("RATES-PAY")
    page.get_by_label("Cash at the counter").check()
    page.get_by_label("Amount in dollars").fill("65.00")
    page.get_by_label("Till", exact=True).fill("TILL-3")
    page.get_by_role("button", name="Take payment").click()
    expect(page.get_by_role("heading", name=re.compile(r"\$65\.00 paid"))).to_be_visible()
    axe(page, "the payment page")
    screenshot(page, "console-payment")
    page.get_by_role("link", name=f"Back to {CITIZEN}").click()


def record_satisfaction(page: Page) -> None:
    link = action(page, "Record satisfaction")
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record satisfaction")
    axe(page, "the satisfaction form")
    # The contact just logged at the counter is the newest.
    page.get_by_role("group", name="Which contact is the answer about?").get_by_role(
        "radio"
    ).first.check()
    page.get_by_label("Very satisfied", exact=True).check()
    page.get_by_role("button", name="Record answer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Satisfaction answer recorded")
    axe(page, "the satisfaction confirmation")
    page.get_by_role("link", name=f"Back to {CITIZEN}").click()


def sign_out(page: Page, stack: LiveStack) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    axe(page, "the signed-out page")
    screenshot(page, "console-signed-out")
    # The session is over: the console asks for a sign-in again.
    page.goto(stack.url("/console/"))
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()


def test_a_counter_officer_serves_a_citizen_from_sign_in_to_sign_out(
    page: Page, stack: LiveStack
) -> None:
    sign_in(page, stack, "front_office")
    axe(page, "the console's home page")
    screenshot(page, "console-home")

    find_the_citizen(page)
    check_the_360_view(page)
    log_a_contact(page, "Asked about the rates instalment due in March")
    open_a_case(page, "Bin at 12 George Street missed twice")
    take_a_cash_payment(page)
    record_satisfaction(page)

    # The 360 view shows all of it.
    expect(page.get_by_role("heading", level=1)).to_contain_text(CITIZEN)
    expect(page.get_by_text("Bin at 12 George Street missed twice")).to_be_visible()
    expect(page.get_by_role("cell", name="$65.00")).to_be_visible()
    expect(page.get_by_text("Very satisfied (taken by staff)")).to_be_visible()
    screenshot(page, "console-citizen")
    sign_out(page, stack)


def test_the_counter_journey_starts_with_the_keyboard_alone(page: Page, stack: LiveStack) -> None:
    page.goto(stack.url("/console/"))
    # Sign in: Tab and typing only.
    tab_to(page, lambda f: f["id"] == "email")
    page.keyboard.type(stack.email("front_office"))
    page.keyboard.press("Tab")
    page.keyboard.type(stack.password)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a citizen")

    # The skip link is the first stop and takes the focus past the header.
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Skip to main content" and focus_is_visible(page)
    page.keyboard.press("Enter")
    search = tab_to(page, lambda f: f["tag"] == "input" and f["id"] == "q")
    assert search["label"] == "Find a citizen" and focus_is_visible(page)
    page.keyboard.type(TYPO)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(re.escape("/console/search?")))

    # Find the record in the results and open it.
    tab_to(page, lambda f: f["tag"] == "a" and f["text"] == CITIZEN, limit=60)
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text(CITIZEN)

    # Log a contact: radios by arrow keys, the select by typing, the button by Enter.
    tab_to(page, lambda f: f["tag"] == "a" and f["text"] == "Log a contact")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log a contact")
    tab_to(page, lambda f: f["name"] == "channel")
    _arrow_to(page, COUNTER)
    page.keyboard.press("Tab")
    assert focused(page)["name"] == "direction"
    page.keyboard.press("Space")  # "They contacted us", the first
    page.keyboard.press("Tab")
    assert focused(page)["name"] == "service_code"
    page.keyboard.type("Pay council rates")
    page.keyboard.press("Tab")
    assert focused(page)["name"] == "outcome"
    page.keyboard.press("Space")  # "Resolved", the first
    tab_to(page, lambda f: f["name"] == "summary")
    page.keyboard.type("Walked in about a missed bin")
    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "Log contact")
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("cell", name="Walked in about a missed bin")).to_be_visible()
    axe(page, "the 360 view after a contact logged by keyboard")


def test_the_counter_journey_works_without_javascript(
    browser: Browser, stack: LiveStack, console_errors: ConsoleErrors
) -> None:
    """htmx and GOV.UK Frontend only enhance: with scripts off, the same forms search, open the
    record and log a contact by plain GETs and POSTs."""
    context = browser.new_context(
        base_url=stack.base_url, viewport=VIEWPORT, java_script_enabled=False
    )
    context.on("page", console_errors.watch)
    try:
        page = context.new_page()
        sign_in(page, stack, "front_office")
        page.get_by_label("Find a citizen").fill(TYPO)
        page.get_by_role("button", name="Search").click()
        page.wait_for_url(re.compile(re.escape("/console/search?")))
        page.get_by_label("Day").fill("2")
        page.get_by_label("Month").fill("3")
        page.get_by_label("Year").fill("1984")
        page.get_by_role("button", name="Search").click()
        page.get_by_role("link", name=CITIZEN).click()
        action(page, "Log a contact").click()
        page.get_by_role("group", name="How did they get in touch?").get_by_label(COUNTER).check()
        page.get_by_label("They contacted us").check()
        page.get_by_role("group", name="Outcome").get_by_label("Resolved").check()
        page.get_by_label("Summary (optional)").fill("Came in without a phone")
        page.get_by_role("button", name="Log contact").click()
        expect(page.get_by_role("cell", name="Came in without a phone")).to_be_visible()
    finally:
        context.close()
    assert not console_errors.messages, console_errors.messages


def _arrow_to(page: Page, label: str, limit: int = 12) -> None:
    """In a focused radio group, press the down arrow until the radio labelled ``label`` is
    checked (arrows move the focus and the choice together)."""
    for _ in range(limit):
        if focused(page)["label"] == label:
            page.keyboard.press("Space")
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"no radio labelled {label!r} in the group")
