"""A possible duplicate reviewed in Chromium: the list, the two records side by side, a merge
with a field chosen, and its undo; axe-core on every page on the way.

The stack's seed files one review item: the demo's Jennifer Smith and a second record of her
as "Jenny" (tests/browser/seed_stack.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.browsing import axe, screenshot
from tests.browser.stack import LiveStack


def test_a_duplicate_is_merged_and_the_merge_undone(
    page_as: Callable[[str], Page], stack: LiveStack
) -> None:
    page = page_as("supervisor")
    page.goto(stack.url("/console/duplicates"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Possible duplicates")
    axe(page, "the duplicates list")
    pair = page.get_by_role("link", name=re.compile(r"^Jenn(ifer|y) .*Smith and Jenn(ifer|y) "))
    pair.first.click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Compare two records")
    expect(page.get_by_role("table", name="Why they were paired")).to_be_visible()
    axe(page, "the comparison of two records")
    screenshot(page, "console-duplicate-compare")
    # Sent without choosing the record that stays: the error summary says so.
    page.get_by_role("button", name="Merge records").click()
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    axe(page, "the comparison with an error")

    page.get_by_role("group", name="Which record stays?").get_by_label("Record A").check()
    page.get_by_role("group", name="Given name: keep the value of").get_by_label("B").check()
    page.get_by_role("button", name="Merge records").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Merge of two records")
    expect(page.get_by_text("The two records were merged")).to_be_visible()
    axe(page, "the merge page")
    screenshot(page, "console-merge")

    page.get_by_role("button", name="Undo merge").click()
    expect(page.get_by_text("The merge was undone")).to_be_visible()
    expect(page.get_by_role("button", name="Undo merge")).to_have_count(0)
    axe(page, "the merge page after its undo")
