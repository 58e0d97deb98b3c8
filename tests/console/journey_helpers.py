"""Reading the journey pages as a test: hidden fields, error summaries, posting a form."""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import urlsplit


def hidden(html: str, name: str) -> str:
    """The value of the hidden field ``name`` on the page."""
    match = re.search(rf'<input type="hidden" name="{re.escape(name)}" value="([^"]*)"', html)
    assert match, f"no hidden field {name} on the page"
    return unescape(match.group(1))


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def error_links(html: str) -> list[str]:
    """The fields the error summary links to, in order."""
    summary = html.split('class="govuk-error-summary"', 1)
    assert len(summary) == 2, "no error summary on the page"
    body = summary[1].split("</ul>", 1)[0]
    return re.findall(r'<a href="#([^"]+)"', body)


def location(response: Any) -> str:
    """The path (and query) a redirect sends the browser to."""
    target = urlsplit(response.headers["Location"])
    return target.path + (f"?{target.query}" if target.query else "")


def submit(browser: Any, url: str, data: dict[str, Any], page: str | None = None) -> Any:
    """Post a form as the page ``page`` (default: ``url``) would: its CSRF token and its hidden
    idempotency key, if it has one, with ``data``."""
    html = text(browser.get(page or url))
    fields: dict[str, Any] = {"csrf_token": hidden(html, "csrf_token")}
    if 'name="idempotency_key"' in html:
        fields["idempotency_key"] = hidden(html, "idempotency_key")
    return browser.post(url, data={**fields, **data})


def titled_error(html: str) -> bool:
    """Whether the page's title starts with "Error: ", as GOV.UK pages with errors do."""
    match = re.search(r"<title>([^<]*)</title>", html)
    return bool(match) and match.group(1).startswith("Error: ")  # type: ignore[union-attr]


def one_h1(html: str) -> bool:
    return html.count("<h1") == 1
