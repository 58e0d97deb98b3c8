"""A counter officer's whole journey in the staff console, in Chromium against the live stack:
sign in, find a citizen despite a typo, open the 360 view, log a contact, open a case, take a
cash payment, record the citizen's satisfaction, sign out. Every page is checked with axe-core
on the way, forms are first sent empty to check their error summary, and the main pages are
kept as screenshots (``make screenshots``). Then the whole journey again with the keyboard
alone, and its first steps with JavaScript switched off.

The citizen is the demo's John Smith (born 2 March 1984), searched for as "Jon Smyth".
"""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.browsing import (
    VIEWPORT,
    ConsoleErrors,
    axe,
    first_stop_is_the_skip_link,
    focus_is_visible,
    focused,
    press_on,
    screenshot,
    sign_in,
    tab_to,
)
from tests.browser.stack import LiveStack

TYPO = "Jon Smyth"
CITIZEN = "John Smith"
COUNTER = "Customer service counter"  # the demo catalog's name of the counter channel
TILL = "TILL-3"


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
    _case_opened(page, summary)
    page.get_by_role("link", name=f"Back to {CITIZEN}").click()


def _case_opened(page: Page, summary: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Case "))
    expect(page.get_by_text(summary)).to_be_visible()
    axe(page, "the case page")
    screenshot(page, "console-case")


def take_a_cash_payment(page: Page) -> None:
    link = action(page, "Take a payment")
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Take a payment")
    axe(page, "the take-a-payment form")
    page.get_by_label("Service", exact=True).select_option("RATES-PAY")
    page.get_by_label("Cash at the counter").check()
    page.get_by_label("Amount in dollars").fill("65.00")
    page.get_by_label("Till", exact=True).fill(TILL)
    page.get_by_role("button", name="Take payment").click()
    _cash_paid(page, "65.00")
    page.get_by_role("link", name=f"Back to {CITIZEN}").click()


def _cash_paid(page: Page, amount: str) -> None:
    expect(page.get_by_role("heading", name=f"${amount} paid")).to_be_visible()
    axe(page, "the payment page")
    screenshot(page, "console-payment")


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
    _satisfaction_recorded(page)
    page.get_by_role("link", name=f"Back to {CITIZEN}").click()


def _satisfaction_recorded(page: Page) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Satisfaction answer recorded")
    axe(page, "the satisfaction confirmation")


def _the_360_view_shows_all_of_it(page: Page, case_summary: str, amount: str, answer: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_contain_text(CITIZEN)
    expect(page.get_by_text(case_summary)).to_be_visible()
    expect(page.get_by_role("cell", name=f"${amount}", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name=f"{answer} (taken by staff)", exact=True)).to_be_visible()


def sign_out(page: Page, stack: LiveStack) -> None:
    page.get_by_role("button", name="Sign out").click()
    _signed_out(page, stack)


def _signed_out(page: Page, stack: LiveStack) -> None:
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

    _the_360_view_shows_all_of_it(
        page, "Bin at 12 George Street missed twice", "65.00", "Very satisfied"
    )
    screenshot(page, "console-citizen")
    sign_out(page, stack)


def test_the_whole_counter_journey_works_with_the_keyboard_alone(
    page: Page, stack: LiveStack
) -> None:
    """The same journey with Tab, Shift+Tab, Enter, Space, arrow keys and typing only: no
    click, no fill. At each stop the focus must show and be where a keyboard user expects.
    Its own contact, case, amount and answer: the stack's database is shared by the folder."""
    contact_summary = "Walked in about a missed bin"
    case_summary = "Bin at 14 George Street missed again"
    amount = "42.50"
    page.goto(stack.url("/console/"))
    # Sign in: Tab and typing only.
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    axe(page, "the sign-in page")
    tab_to(page, lambda f: f["id"] == "email")
    assert focus_is_visible(page)
    page.keyboard.type(stack.email("front_office"))
    page.keyboard.press("Tab")
    page.keyboard.type(stack.password)
    page.keyboard.press("Enter")
    _arrived(page, "Find a citizen", "the console's home page")

    # The skip link (the first stop, checked by _arrived) takes the focus past the header:
    # the next stop is the search box.
    page.keyboard.press("Enter")
    expect(page.locator("#main-content")).to_be_focused()
    search = tab_to(page, lambda f: f["tag"] == "input", limit=1)
    assert search["id"] == "q" and search["label"] == "Find a citizen", search
    assert focus_is_visible(page)
    page.keyboard.type(TYPO)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(re.escape("/console/search?")))
    expect(page.get_by_role("link", name=CITIZEN).first).to_be_visible()
    first_stop_is_the_skip_link(page)
    axe(page, "search results")

    # Narrow by date of birth: the three fields follow each other in Tab order.
    day = tab_to(page, lambda f: f["tag"] == "input" and f["label"] == "Day", limit=60)
    assert focus_is_visible(page), day
    for part in ("2", "3", "1984"):
        page.keyboard.type(part)
        page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")
    assert focused(page)["label"] == "Year"
    page.keyboard.press("Enter")
    # htmx swaps the results in place: the focus stays in the form, the count is announced,
    # and the results follow the form in Tab order.
    expect(page.get_by_role("heading", name="1 citizen found")).to_be_visible()
    expect(page.locator("#search-status")).to_have_text("1 citizen found")
    assert focused(page)["label"] == "Year", focused(page)
    axe(page, "search results narrowed by date of birth")
    press_on(page, lambda f: f["tag"] == "a" and f["text"] == CITIZEN, limit=5)
    check_the_360_view(page)
    first_stop_is_the_skip_link(page)

    # Log a contact: sent empty first, the error summary takes the focus and leads to the
    # field; then radios by arrow keys, the select by typing, the button by Enter.
    press_on(page, lambda f: f["tag"] == "a" and f["text"] == "Log a contact")
    _arrived(page, "Log a contact", "the log-a-contact form")
    press_on(page, lambda f: f["tag"] == "button" and f["text"] == "Log contact")
    _error_summary_lists(page)
    assert focus_is_visible(page)
    axe(page, "the log-a-contact form with errors")
    page.keyboard.press("Tab")
    first_error = focused(page)
    assert first_error["tag"] == "a" and focus_is_visible(page), first_error
    page.keyboard.press("Enter")  # the error's link leads to its field, the first radio
    assert focused(page)["name"] == "channel" and focus_is_visible(page), focused(page)
    _arrow_to(page, COUNTER)
    page.keyboard.press("Tab")
    assert focused(page)["name"] == "direction"
    page.keyboard.press("Space")  # "They contacted us", the first
    page.keyboard.press("Tab")
    _choose(page, "service_code", "Pay council rates", "RATES-PAY")
    page.keyboard.press("Tab")
    assert focused(page)["name"] == "outcome"
    page.keyboard.press("Space")  # "Resolved", the first
    tab_to(page, lambda f: f["name"] == "summary")
    page.keyboard.type(contact_summary)
    press_on(page, lambda f: f["tag"] == "button" and f["text"] == "Log contact")
    expect(page.get_by_role("cell", name=contact_summary)).to_be_visible()
    axe(page, "the 360 view after a contact logged by keyboard")

    # Open a case.
    press_on(page, lambda f: f["tag"] == "a" and f["text"] == "Open a case")
    _arrived(page, "Open a case", "the open-a-case form")
    tab_to(page, lambda f: f["name"] == "service_code")
    _choose(page, "service_code", "Report a missed bin", "WASTE-MISSED-BIN")
    page.keyboard.press("Tab")
    assert focused(page)["name"] == "summary"
    page.keyboard.type(case_summary)
    page.keyboard.press("Tab")
    assert focused(page)["name"] == "priority"
    _arrow_to(page, "Normal")
    press_on(page, lambda f: f["tag"] == "button" and f["text"] == "Open case")
    _case_opened(page, case_summary)
    # The success banner takes the focus (GOV.UK Frontend), so the screen reader reads it out;
    # the "Back to" link above it is one Shift+Tab away.
    expect(page.locator(".govuk-notification-banner")).to_be_focused()
    assert focus_is_visible(page)
    page.keyboard.press("Shift+Tab")
    back = focused(page)
    assert back["text"] == f"Back to {CITIZEN}" and focus_is_visible(page), back
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text(CITIZEN)

    # Take a cash payment.
    press_on(page, lambda f: f["tag"] == "a" and f["text"] == "Take a payment")
    _arrived(page, "Take a payment", "the take-a-payment form")
    tab_to(page, lambda f: f["name"] == "service_code")
    _choose(page, "service_code", "Pay council rates", "RATES-PAY")
    page.keyboard.press("Tab")
    assert focused(page)["name"] == "method"
    _arrow_to(page, "Cash at the counter")
    tab_to(page, lambda f: f["name"] == "amount")
    page.keyboard.type(amount)
    page.keyboard.press("Tab")
    assert focused(page)["name"] == "till_reference"
    page.keyboard.type(TILL)
    press_on(page, lambda f: f["tag"] == "button" and f["text"] == "Take payment")
    _cash_paid(page, amount)
    _back_to_the_citizen(page)

    # Record satisfaction: the newest contact is the first radio, the answer by arrows.
    press_on(page, lambda f: f["tag"] == "a" and f["text"] == "Record satisfaction")
    _arrived(page, "Record satisfaction", "the satisfaction form")
    tab_to(page, lambda f: f["name"] == "interaction_id")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert focused(page)["name"] == "csat"
    _arrow_to(page, "Satisfied")  # the second: an arrow press
    # Buttons take Space as well as Enter.
    press_on(page, lambda f: f["tag"] == "button" and f["text"] == "Record answer", key="Space")
    _satisfaction_recorded(page)
    _back_to_the_citizen(page)

    _the_360_view_shows_all_of_it(page, case_summary, amount, "Satisfied")
    # Sign out: the header's button, a few stops after the skip link.
    first_stop_is_the_skip_link(page)
    press_on(page, lambda f: f["tag"] == "button" and f["text"] == "Sign out")
    _signed_out(page, stack)


def _arrived(page: Page, heading: str, context: str) -> None:
    """A new page by keyboard: its heading, no axe violation, the skip link its first stop."""
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    axe(page, context)
    first_stop_is_the_skip_link(page)


def _back_to_the_citizen(page: Page) -> None:
    """By keyboard: the "Back to" link comes after the skip link and the header's stops."""
    first_stop_is_the_skip_link(page)
    press_on(page, lambda f: f["tag"] == "a" and f["text"] == f"Back to {CITIZEN}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(CITIZEN)


def _choose(page: Page, name: str, typed: str, value: str) -> None:
    """In the focused select ``name``, type an option's first words to choose it (a closed
    select jumps to the option whose text starts with what is typed)."""
    assert focused(page)["name"] == name, focused(page)
    assert focus_is_visible(page)
    page.keyboard.type(typed)
    expect(page.locator(f"select[name={name}]")).to_have_value(value)


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
            assert focus_is_visible(page), f"no visible focus on the radio {label!r}"
            page.keyboard.press("Space")
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"no radio labelled {label!r} in the group")
