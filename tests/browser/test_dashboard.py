"""An administrator reads the dashboard and downloads its figures, in Chromium.

From the console's navigation to the dashboard, narrows it with the filters (which land in the
address bar), reads each chart by its accessible name and the table after it, checks the
background jobs' health, and downloads the CSV: one line per figure in the tables shown.
Every page of the console is also checked with axe-core and at 400 % zoom in
test_console_pages.py; here axe runs once more on the filtered page.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

# The live stack's fixtures and helpers (helper 6's tests/browser/): skip on a branch without.
browsing = pytest.importorskip("tests.browser.browsing")

CHARTS = (
    "Digital take-up",
    "Completion rate",
    "User satisfaction",
    "Cost per transaction",
    "First-contact resolution and avoidable contact",
    "SLA attainment",
    "Channel shift",
)


def test_an_administrator_reads_the_dashboard_and_downloads_the_csv(
    page_as: Callable[[str], Page], stack: Any
) -> None:
    page = page_as("admin")
    page.goto(stack.url("/console/"))
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()

    page.get_by_label("Period", exact=True).select_option("4w")
    page.get_by_label("Show by", exact=True).select_option("week")
    page.get_by_role("button", name="Show figures").click()
    expect(page).to_have_url(re.compile(r"/console/dashboard\?.*\bperiod=4w&interval=week\b"))
    expect(page.get_by_label("Show by", exact=True)).to_have_value("week")

    for name in CHARTS:
        chart = page.get_by_role("img", name=re.compile("^" + re.escape(name)))
        expect(chart).to_have_count(1)
        expect(chart).to_be_visible()
        table = page.get_by_role("table", name=re.compile("^" + re.escape(name)))
        expect(table).to_be_visible()
    # Four weeks by week: four or five periods, and the whole period.
    take_up = page.get_by_role("table", name=re.compile("^Digital take-up"))
    assert take_up.locator("tbody tr").count() in (5, 6)
    expect(page.get_by_role("heading", name="Background jobs", level=2)).to_be_visible()
    expect(page.get_by_role("table", name="Jobs by queue")).to_be_visible()
    browsing.axe(page, "dashboard, 4 weeks by week")

    with page.expect_download() as started:
        page.get_by_role("link", name="Download these figures as a spreadsheet (CSV)").click()
    download = started.value
    assert re.fullmatch(
        r"cgcrm-dashboard-\d{4}-\d\d-\d\d-to-\d{4}-\d\d-\d\d\.csv", download.suggested_filename
    )
    lines = list(csv.DictReader(io.StringIO(Path(download.path()).read_text())))
    shown = page.locator("section.cgcrm-figure table tbody td")
    assert len(lines) == shown.count()
    assert {line["table"] for line in lines} == {
        "digital-take-up",
        "completion-rate",
        "user-satisfaction",
        "cost-per-transaction",
        "contact-resolution",
        "sla-attainment",
        "channel-shift",
    }
