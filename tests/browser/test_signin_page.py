"""The staff sign-in page (/oauth/authorize with a PKCE request) in a real browser: no axe-core
violation, a sign-in with the keyboard alone, an error summary whose links take the focus to
the fields, and a page that reflows at 400 % zoom."""

from __future__ import annotations

import re
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

from playwright.sync_api import Page, expect

from tests.browser.browsing import (
    ZOOMED_VIEWPORT,
    axe,
    focus_is_visible,
    focused,
    has_no_horizontal_scroll,
    screenshot,
    tab_to,
)
from tests.browser.stack import LiveStack
from tests.identity.signin_helpers import pkce


def _authorize_url(stack: LiveStack, state: str) -> str:
    _, challenge = pkce()
    query = {
        "response_type": "code",
        "client_id": stack.console_client_id,
        "redirect_uri": stack.url("/console/callback"),
        "scope": "citizens:read",
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return stack.url("/oauth/authorize?" + urlencode(query))


def test_the_sign_in_page_has_no_axe_violation_blank_or_with_errors(
    page: Page, stack: LiveStack
) -> None:
    page.goto(_authorize_url(stack, secrets.token_urlsafe(8)))
    expect(page).to_have_title(re.compile(r"^Sign in"))
    axe(page, "the sign-in form")
    screenshot(page, "signin")

    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_title(re.compile(r"^Error: Sign in"))
    axe(page, "the sign-in form with errors")
    screenshot(page, "signin-errors")


def test_a_user_signs_in_with_the_keyboard_alone(page: Page, stack: LiveStack) -> None:
    state = secrets.token_urlsafe(8)
    page.goto(_authorize_url(stack, state))

    assert tab_to(page, lambda f: f["id"] == "email")["label"] == "Email address"
    assert focus_is_visible(page)
    page.keyboard.type(stack.email("front_office"))
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "password" and focus_is_visible(page)
    page.keyboard.type(stack.password)
    page.keyboard.press("Tab")
    assert focused(page)["tag"] == "button" and focused(page)["text"] == "Sign in"
    assert focus_is_visible(page)
    screenshot(page, "signin-keyboard-focus")
    page.keyboard.press("Enter")

    # The client's redirect URI receives the code (no console on this stack to take it).
    page.wait_for_url(re.compile(re.escape(stack.url("/console/callback")) + r"\?.*"))
    answer = parse_qs(urlsplit(page.url).query)
    assert answer["state"] == [state] and answer["code"][0]


def test_the_error_summary_is_focused_and_links_each_error_to_its_field(
    page: Page, stack: LiveStack
) -> None:
    page.goto(_authorize_url(stack, secrets.token_urlsafe(8)))
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    links = summary.get_by_role("link")
    expect(links).to_have_text(["Enter your email address", "Enter your password"])
    # Each field says what is wrong with it, to assistive technology too.
    email = page.get_by_label("Email address")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description(re.compile("Enter your email address"))
    password = page.get_by_label("Password")
    expect(password).to_have_accessible_description(re.compile("Enter your password"))

    # A link of the summary, followed from the keyboard, puts the focus in its field.
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Enter your email address" and focus_is_visible(page)
    page.keyboard.press("Enter")
    expect(email).to_be_focused()
    summary.get_by_role("link", name="Enter your password").click()
    expect(password).to_be_focused()


def test_a_wrong_password_is_reported_on_the_email_field(page: Page, stack: LiveStack) -> None:
    page.goto(_authorize_url(stack, secrets.token_urlsafe(8)))
    page.get_by_label("Email address").fill(stack.email("auditor"))
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert").get_by_role("link")).to_have_text(
        ["Enter a correct email address and password"]
    )
    expect(page.get_by_label("Email address")).to_have_value(stack.email("auditor"))
    expect(page.get_by_label("Password")).to_have_value("")
    axe(page, "the sign-in form after a wrong password")


def test_the_sign_in_page_reflows_at_400_percent_zoom(page: Page, stack: LiveStack) -> None:
    page.set_viewport_size(ZOOMED_VIEWPORT)
    page.goto(_authorize_url(stack, secrets.token_urlsafe(8)))
    assert has_no_horizontal_scroll(page)
    box = page.get_by_role("button", name="Sign in").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= ZOOMED_VIEWPORT["width"]
    axe(page, "the sign-in form at 400 % zoom")

    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert has_no_horizontal_scroll(page)
    screenshot(page, "signin-errors-400-percent")


def test_a_broken_sign_in_link_explains_itself_accessibly(page: Page, stack: LiveStack) -> None:
    page.goto(stack.url("/oauth/authorize?response_type=code&client_id=nobody"))
    expect(page.get_by_role("heading", level=1)).to_have_text("This sign-in link is not valid")
    axe(page, "the invalid sign-in link page")
