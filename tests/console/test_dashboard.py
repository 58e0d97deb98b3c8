"""The administrators' dashboard, signed in through the real flow, over the real API and
database: two weeks of contacts, transactions, satisfaction answers and cases written through
the API, their events processed by the worker's handlers, and the page's figures compared with
what the metrics API answers for the same filters.

The data (days relative to today, in the deployment's time zone; period B is the last 14 days
with today, period A the 14 before):

- A: citizens 1 and 2 phone (day -20), citizen 3 uses the web (day -18);
- B: citizen 1 starts transaction T-1 on the web (day -10) and completes it there (day -9),
  citizen 2 completes T-2 by phone (day -5), citizen 3 starts T-3 at the counter (day -3) and
  phones about the same service the next day (day -2: an avoidable contact);
- satisfaction answers 5, 4 and 2 about three of B's contacts;
- two cases opened and one resolved today (SLA attainment 1 of 1).

Worked by hand: 3 started, 2 completed (completion 66.7 %), 1 of them on the web (digital
take-up 50.0 %), 2 of 3 satisfied (66.7 %); channel shift: citizen 1 phone -> web (to digital),
citizen 2 phone -> phone, citizen 3 web -> counter and phone (to assisted).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from cgcrm.core.clock import utcnow
from cgcrm.jobs import QUEUE_NAMES
from tests.cases.conftest import move, open_case
from tests.conftest import new_citizen_payload
from tests.console.page_parts import svgs, tables
from tests.metrics.conftest import process

CHART_KEYS = (
    "digital-take-up",
    "completion-rate",
    "user-satisfaction",
    "cost-per-transaction",
    "contact-resolution",
    "sla-attainment",
    "channel-shift",
)


def _pct(value: float | None) -> str:
    return "No data" if value is None else f"{value * 100:.1f}%"


class Days:
    """Today and the days around it in the deployment's zone; noon of a day as UTC text."""

    def __init__(self, app: Flask) -> None:
        self.zone = ZoneInfo(app.config["TIME_ZONE"])
        self.today = utcnow().astimezone(self.zone).date()
        self.first, self.last = self.today - timedelta(days=13), self.today

    def noon(self, days_ago: int) -> str:
        day = self.today - timedelta(days=days_ago)
        return datetime.combine(day, time(12), self.zone).astimezone(UTC).isoformat()

    def query(self, **extra: str) -> dict[str, str]:
        query = {"period": "custom"}
        for name, day in (("from", self.first), ("to", self.last)):
            query |= {f"{name}-day": str(day.day), f"{name}-month": str(day.month)}
            query[f"{name}-year"] = str(day.year)
        return query | extra

    def api_query(self, **extra: str) -> dict[str, str]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat()} | extra


@pytest.fixture(autouse=True)
def _forget_channel_shifts(app: Flask) -> None:
    """The console keeps channel-shift answers a few minutes; each test has data of its own."""
    app.extensions.pop("cgcrm.console.channel_shift", None)


@pytest.fixture
def days(app: Flask, rates: Any) -> Days:
    """The activity of the module docstring, written through the API and processed."""
    days = Days(app)

    def citizen() -> str:
        response = rates.post("/api/v1/citizens?on_match=create", json=new_citizen_payload())
        assert response.status_code == 201, response.get_json()
        return str(response.get_json()["id"])

    def contact(who: str, days_ago: int, channel: str, **fields: Any) -> str:
        payload = {
            "citizen_id": who,
            "channel": channel,
            "outcome": "resolved",
            "service_code": "RATES-PAY",
            "started_at": days.noon(days_ago),
            **fields,
        }
        response = rates.post("/api/v1/interactions", json=payload)
        assert response.status_code == 201, response.get_json()
        return str(response.get_json()["id"])

    one, two, three = citizen(), citizen(), citizen()
    contact(one, 20, "phone")
    contact(two, 20, "phone")
    contact(three, 18, "web")
    contact(one, 10, "web", transaction_stage="started", transaction_ref="T-1")
    web = contact(one, 9, "web", transaction_stage="completed", transaction_ref="T-1")
    phone = contact(two, 5, "phone", transaction_stage="completed", transaction_ref="T-2")
    counter = contact(three, 3, "counter", transaction_stage="started", transaction_ref="T-3")
    contact(three, 2, "phone")
    for interaction, csat in ((web, 5), (phone, 4), (counter, 2)):
        answer = {"interaction_id": interaction, "csat": csat}
        response = rates.post("/api/v1/surveys/responses", json=answer)
        assert response.status_code == 201, response.get_json()
    assert move(rates, open_case(rates), "resolved").status_code == 200
    open_case(rates)
    process(app)
    return days


@pytest.fixture
def metrics(make_api: Any) -> Any:
    """The metrics API as a reporting client sees it: what the page must agree with."""
    return make_api("metrics:read admin")


def _html(response: Any) -> str:
    return str(response.get_data(as_text=True))


def test_the_figures_are_the_apis_and_worked_by_hand(
    sign_in: Any, days: Days, metrics: Any
) -> None:
    admin = sign_in(roles=["admin"])
    response = admin.get("/console/dashboard?" + urlencode(days.query()))
    assert response.status_code == 200, _html(response)
    page = tables(_html(response))
    api = metrics.get("/api/v1/metrics/kpis", query_string=days.api_query(interval="day"))
    report = api.get_json()
    totals = report["totals"]

    take_up = page["digital-take-up-table"]
    assert take_up.head == ["Period", "Digital take-up", "Transactions completed"]
    assert len(take_up.rows) == 14 + 1  # a row a day and the whole period
    assert take_up.rows[-1][1:] == ["50.0%", "2"]
    for row, entry in zip(take_up.rows, report["series"], strict=False):
        assert row[1] == _pct(entry["digital_take_up"])
    assert page["completion-rate-table"].rows[-1][1:] == ["66.7%", "3", "2"]
    satisfaction = totals["user_satisfaction"]
    assert page["user-satisfaction-table"].rows[-1][1:] == [
        "66.7%",
        _pct(satisfaction["low"]),
        _pct(satisfaction["high"]),
        "3",
    ]
    assert page["contact-resolution-table"].rows[-1][1:] == [
        _pct(totals["first_contact_resolution"]),
        _pct(totals["avoidable_contact_rate"]),
        str(totals["contacts"]),
    ]
    assert page["sla-attainment-table"].rows[-1][1:] == ["100.0%"]
    cost = page["cost-per-transaction-table"].rows[-1][1:]
    assert cost[0] == f"{totals['cost_per_transaction_minor'] / 100:,.2f} {totals['currency']}"

    shift = metrics.get(
        "/api/v1/metrics/channel-shift",
        query_string={
            "from_a": (days.first - timedelta(days=14)).isoformat(),
            "to_a": (days.first - timedelta(days=1)).isoformat(),
            "from_b": days.first.isoformat(),
            "to_b": days.last.isoformat(),
        },
    ).get_json()
    shift_page = admin.get("/console/dashboard/channel-shift?" + urlencode(days.query()))
    assert shift_page.status_code == 200
    matrix = tables(_html(shift_page))["channel-shift-table"]
    assert matrix.head == ["Before", "Mainly assisted after", "Mainly digital after"]
    assert matrix.rows == [
        ["Mainly assisted before", "1", "1"],
        ["Mainly digital before", "1", "0"],
    ]
    assert shift["matrix"] == {
        "assisted": {"assisted": 1, "digital": 1},
        "digital": {"assisted": 1, "digital": 0},
    }


def test_every_chart_is_a_labelled_svg_followed_by_its_table(sign_in: Any, days: Days) -> None:
    admin = sign_in(roles=["admin"])
    html = _html(admin.get("/console/dashboard?" + urlencode(days.query())))
    # The channel shift comes after the page (htmx), or as a page of its own without script.
    shift_href = f'href="/console/dashboard/channel-shift?{urlencode(days.query())}"'
    assert shift_href.replace("&", "&amp;") in html
    shift = admin.get(
        "/console/dashboard/channel-shift?" + urlencode(days.query()),
        headers={"HX-Request": "true"},
    )
    assert shift.status_code == 200 and "<html" not in _html(shift)
    html += _html(shift)
    charts = [svg for svg in svgs(html) if svg.get("role") == "img"]
    ns = "{http://www.w3.org/2000/svg}"
    assert [svg.findtext(f"{ns}title") for svg in charts][:6] == [
        "Digital take-up",
        "Completion rate",
        "User satisfaction",
        "Cost per transaction",
        "First-contact resolution and avoidable contact",
        "SLA attainment",
    ]
    assert len(charts) == len(CHART_KEYS)
    for key, svg in zip(CHART_KEYS, charts, strict=True):
        assert svg.get("aria-labelledby") == f"{key}-title {key}-desc"
        assert svg.find(f"{ns}title").get("id") == f"{key}-title"  # type: ignore[union-attr]
        assert "no data in any" not in (svg.findtext(f"{ns}desc") or "x")
        assert html.index(f'id="{key}-title"') < html.index(f'id="{key}-table"')
    # The satisfaction chart draws its interval: error bars, described in words.
    satisfaction = charts[2]
    assert satisfaction.findall(f"{ns}path")
    assert "95% interval" in (satisfaction.findtext(f"{ns}desc") or "")
    assert 'style="' not in html and "<style" not in html  # the CSP allows no inline style


def test_filters_stay_in_the_url_and_narrow_the_figures(
    sign_in: Any, days: Days, metrics: Any
) -> None:
    admin = sign_in(roles=["admin"])
    query = days.query(channel="web", service="RATES-PAY", interval="week")
    response = admin.get("/console/dashboard?" + urlencode(query))
    assert response.status_code == 200
    html = _html(response)
    assert '<option value="web" selected>' in html
    assert '<option value="RATES-PAY" selected>' in html
    assert '<option value="week" selected>' in html
    assert '<form method="get" action="/console/dashboard"' in html
    # The CSV link carries the same filters.
    link = html.split('href="/console/dashboard.csv?', 1)[1].split('"', 1)[0]
    assert {k: v[0] for k, v in parse_qs(link.replace("&amp;", "&")).items()} == query

    report = metrics.get(
        "/api/v1/metrics/kpis",
        query_string=days.api_query(interval="week", channel="web", service="RATES-PAY"),
    ).get_json()
    take_up = tables(html)["digital-take-up-table"]
    assert len(take_up.rows) == len(report["series"]) + 1
    assert take_up.rows[-1][1:] == ["100.0%", "1"]  # on the web, the one completion is digital
    assert tables(html)["sla-attainment-table"].rows[-1][1:] == ["No data"]
    assert "SLA attainment is not counted for one channel" in html
    shift = admin.get("/console/dashboard/channel-shift?" + urlencode(query))
    assert "Counted over every channel: it is not narrowed by them." in _html(shift)


def test_the_csv_holds_exactly_the_tables_shown(sign_in: Any, days: Days) -> None:
    admin = sign_in(roles=["admin"])
    query = days.query(interval="week")
    page = tables(_html(admin.get("/console/dashboard?" + urlencode(query))))
    page |= tables(_html(admin.get("/console/dashboard/channel-shift?" + urlencode(query))))
    response = admin.get("/console/dashboard.csv?" + urlencode(query))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition == (
        f'attachment; filename="cgcrm-dashboard-{days.first}-to-{days.last}.csv"'
    )
    lines = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    shown = []
    for key in CHART_KEYS:
        table = page[f"{key}-table"]
        for row in table.rows:
            for heading, cell in zip(table.head[1:], row[1:], strict=True):
                shown.append((key, row[0], heading, cell))
    assert len(lines) == len(shown)
    for line, (key, row, heading, cell) in zip(lines, shown, strict=True):
        assert (line["table"], line["row"], line["measure"]) == (key, row, heading)
        assert _as_shown(line) == cell


def _as_shown(line: dict[str, str]) -> str:
    """A CSV value written as the page writes it."""
    value, unit = line["value"], line["unit"]
    if value == "":
        return "No data"
    if unit == "proportion":
        return _pct(float(value))
    if unit.startswith("minor units"):
        currency = unit.removeprefix("minor units").strip()
        return f"{float(value) / 100:,.2f}" + (f" {currency}" if currency else "")
    return f"{int(value):,}"


def test_the_periods_of_the_csv_are_dates(sign_in: Any, days: Days) -> None:
    admin = sign_in(roles=["supervisor"])
    response = admin.get("/console/dashboard.csv?" + urlencode(days.query(interval="day")))
    lines = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    take_up = [line for line in lines if line["measure"] == "Digital take-up"]
    assert len(take_up) == 14 + 1
    assert take_up[0]["period_start"] == days.first.isoformat()
    assert take_up[-1]["row"].startswith("Whole period") and take_up[-1]["period_start"] == ""
    assert date.fromisoformat(take_up[-2]["period_end"]) == days.last


def test_an_administrator_sees_the_background_jobs_health(
    sign_in: Any, days: Days, metrics: Any
) -> None:
    admin = sign_in(roles=["admin"])
    html = _html(admin.get("/console/dashboard"))
    assert '<h2 class="govuk-heading-m" id="jobs-heading">Background jobs</h2>' in html
    overview = metrics.get("/api/v1/admin/jobs", query_string={"state": "failed"}).get_json()
    queues = tables(html)["jobs-queues"]
    assert [row[0] for row in queues.rows] == list(QUEUE_NAMES)
    for row, queue in zip(queues.rows, overview["queues"], strict=True):
        counts = queue["counts"]
        assert row[1:] == [
            f"{counts[name]:,}" for name in ("queued", "started", "scheduled", "failed")
        ]
    periodic = tables(html)["jobs-periodic"]
    assert [row[0] for row in periodic.rows] == [job["name"] for job in overview["periodic"]]
    # Never run in a test: every periodic job is overdue, and the page says so in words.
    assert {row[4] for row in periodic.rows} == {"Overdue"}
    assert "Needs attention: overdue periodic jobs" in html


def test_a_supervisor_sees_the_figures_but_not_the_jobs(sign_in: Any, days: Days) -> None:
    supervisor = sign_in(roles=["supervisor"])
    assert 'href="/console/dashboard"' in _html(supervisor.get("/console/"))
    html = _html(supervisor.get("/console/dashboard?" + urlencode(days.query())))
    assert "digital-take-up-table" in html
    assert "Background jobs" not in html


def test_others_get_a_clear_page_and_no_link(sign_in: Any) -> None:
    officer = sign_in(roles=["front_office"])
    assert 'href="/console/dashboard"' not in _html(officer.get("/console/"))
    for url in ("/console/dashboard", "/console/dashboard.csv", "/console/dashboard/channel-shift"):
        response = officer.get(url)
        assert response.status_code == 403
        html = _html(response)
        assert '<h1 class="govuk-heading-l">The dashboard is for supervisors' in html
        assert "Go back to the console" in html


def test_signed_out_visitors_are_sent_to_sign_in(client: Any, console_client: Any) -> None:
    response = client.get("/console/dashboard?period=4w")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/console/signin"


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        (
            {
                "period": "custom",
                "from-day": "10",
                "from-month": "3",
                "from-year": "2026",
                "to-day": "1",
                "to-month": "3",
                "to-year": "2026",
            },
            "to-day",
            "The end date must be the same as or after the start date",
        ),
        (
            {"period": "custom", "to-day": "1", "to-month": "3", "to-year": "2026"},
            "from-day",
            "Enter the start date",
        ),
        (
            {
                "period": "custom",
                "from-day": "31",
                "from-month": "2",
                "from-year": "2026",
                "to-day": "1",
                "to-month": "3",
                "to-year": "2026",
            },
            "from-day",
            "The start date must be a real date",
        ),
        ({"period": "fortnight"}, "period", "Select a period from the list"),
        ({"service": "NO-SUCH-SERVICE"}, "service", None),
    ],
)
def test_filters_in_error_are_shown_on_the_form(
    sign_in: Any, query: dict[str, str], field: str, message: str | None
) -> None:
    supervisor = sign_in(roles=["supervisor"])
    response = supervisor.get("/console/dashboard?" + urlencode(query))
    assert response.status_code == 400
    html = _html(response)
    assert "<title>Error: Dashboard" in html
    assert f'<a href="#{field}">' in html
    if message:
        assert message in html
    assert f'id="{field}"' in html
    assert "digital-take-up-table" not in html
