"""What browser tests do to a page: check it with axe-core, sign in, look at it at 400 % zoom,
move through it by keyboard, and keep a screenshot of it."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import ConsoleMessage, Page, Response, expect

from tests.browser.stack import LiveStack
from tests.live_server import PROJECT_ROOT

AXE_SCRIPT = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.2 AA as axe-core tags it: every A and AA rule of 2.0, 2.1 and 2.2.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
# 400 % zoom of a 1280 CSS px wide window: WCAG 1.4.10 reflow's 320 CSS px.
ZOOMED_VIEWPORT = {"width": 320, "height": 256}
# Wide enough for the GOV.UK template's desktop layout (its widest breakpoint is 1020 px).
VIEWPORT = {"width": 1280, "height": 900}

_RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), html: n.html,
                                summary: n.failureSummary})),
  }));
}"""


def axe_source() -> str:
    if not AXE_SCRIPT.exists():
        raise AssertionError(f"{AXE_SCRIPT} is missing: run `npm ci` (make install does)")
    return AXE_SCRIPT.read_text()


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"]:
            lines.append(f"  - {node['target']}: {node['html'][:200]}")
            for reason in (node["summary"] or "").splitlines():
                lines.append(f"      {reason}")
    return "\n".join(lines)


def axe(page: Page, context: str = "") -> None:
    """Assert axe-core finds no WCAG 2.2 A/AA violation on the page as it is now.

    The script is evaluated through the DevTools protocol, which the page's content security
    policy does not govern: the page itself is tested as served, no CSP relaxed.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    violations = page.evaluate(_RUN_AXE, WCAG_TAGS)
    where = f"{context or page.url}"
    assert not violations, f"axe-core violations on {where}:\n{describe_violations(violations)}"


def sign_in(page: Page, stack: LiveStack, role: str, start: str = "/console/") -> None:
    """Sign in to the staff console as the stack's user of ``role`` through the real flow:
    the console sends the browser to /oauth/authorize (code + PKCE), the user types their email
    address and password, and the console's callback lands them back on ``start``."""
    page.goto(stack.url(start))
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    page.get_by_label("Email address").fill(stack.email(role))
    page.get_by_label("Password").fill(stack.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(stack.url("/console/")) + ".*"))


def focused(page: Page) -> dict[str, str]:
    """What has the keyboard focus: its tag, id, name, accessible-ish label and text."""
    described: dict[str, str] = page.evaluate(
        """() => {
          const e = document.activeElement;
          return {tag: e.tagName.toLowerCase(), id: e.id || "", name: e.getAttribute("name") || "",
                  text: (e.innerText || e.value || "").trim().slice(0, 80),
                  label: e.labels && e.labels[0] ? e.labels[0].innerText.trim() : ""};
        }"""
    )
    return described


_FOCUS_CHANGE = """() => {
  const element = document.activeElement;
  const looks = () => {
    const style = getComputedStyle(element);
    return ["outline-style", "outline-color", "outline-width", "box-shadow", "background-color",
            "color", "border-color", "text-decoration-line"].map((p) => style.getPropertyValue(p));
  };
  const focusedLooks = looks();
  element.blur();
  const blurredLooks = looks();
  element.focus();
  return focusedLooks.some((value, i) => value !== blurredLooks[i]);
}"""


def focus_is_visible(page: Page) -> bool:
    """True when the focused element looks different from how it looks unfocused (WCAG 2.4.7).
    Whether the difference is enough is for a person to judge, on the screenshots."""
    return bool(page.evaluate(_FOCUS_CHANGE))


def tab_to(page: Page, matches: Any, limit: int = 40) -> dict[str, str]:
    """Press Tab until the focused element satisfies ``matches`` (a predicate on ``focused``)."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if matches(now):
            return now
        seen.append(now)
    raise AssertionError(f"Tab never reached the element; focus went through: {seen}")


def press_on(page: Page, matches: Any, key: str = "Enter", limit: int = 40) -> dict[str, str]:
    """Tab to the element ``matches`` picks, check its focus shows, and press ``key`` on it."""
    now = tab_to(page, matches, limit=limit)
    assert focus_is_visible(page), f"no visible focus on {now}"
    page.keyboard.press(key)
    return now


def first_stop_is_the_skip_link(page: Page) -> None:
    """From the top of a freshly loaded page, the first Tab shows the skip link."""
    page.keyboard.press("Tab")
    now = focused(page)
    assert now["text"] == "Skip to main content" and focus_is_visible(page), now


def has_no_horizontal_scroll(page: Page) -> bool:
    """True when the page fits its viewport's width (WCAG 1.4.10, reflow)."""
    return bool(
        page.evaluate(
            "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    )


_OVERFLOWING = """() => {
  const limit = document.documentElement.clientWidth;
  const found = [];
  for (const element of document.body.querySelectorAll("*")) {
    // Data tables may scroll sideways (WCAG 1.4.10's exception for two-dimensional content).
    if (element.closest("table")) continue;
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || box.right <= limit + 1) continue;
    const classes = typeof element.className === "string" && element.className
      ? "." + element.className.trim().split(/\\s+/).join(".") : "";
    found.push(`${element.tagName.toLowerCase()}${element.id ? "#" + element.id : ""}${classes}`
               + ` (right edge at ${Math.round(box.right)} px)`);
  }
  return found.slice(0, 10);
}"""


def overflowing(page: Page) -> list[str]:
    """Elements that stick out of the viewport's width, tables apart (WCAG 1.4.10, reflow:
    at 400 % zoom nothing but a data table should need scrolling sideways)."""
    found: list[str] = page.evaluate(_OVERFLOWING)
    return found


def screenshot(page: Page, name: str) -> Path | None:
    """Keep ``docs/screenshots/<name>.png`` of the whole page when CGCRM_SCREENSHOTS=1
    (``make screenshots``); otherwise nothing, so ordinary runs leave the tree alone."""
    if os.environ.get("CGCRM_SCREENSHOTS") != "1":
        return None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled", caret="hide")
    return path


class ConsoleErrors:
    """What a page got wrong in the browser: a script or style the content security policy
    refused, an uncaught exception, an asset (script, style, image, font) that failed to load.
    A page that has one is broken for someone. Documents answered with an error status are
    not counted: a form sent back with its errors is a 400 on purpose."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.messages.append(f"console: {message.text}")

    def _response(self, response: Response) -> None:
        request = response.request
        asset = request.resource_type != "document" and not request.url.endswith("/favicon.ico")
        if response.status >= 400 and asset:
            self.messages.append(f"{response.status} for {request.resource_type} {request.url}")

    def watch(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("response", self._response)
        page.on("pageerror", lambda error: self.messages.append(f"uncaught: {error}"))
