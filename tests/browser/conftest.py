"""Browser tests: Playwright driving Debian's Chromium headless against a live stack.

One stack for the whole folder (tests/browser/stack.py: PostgreSQL database of its own,
gunicorn, ``flask worker``, Redis), one Chromium, a fresh browser context per test (its own
cookies). Package-scoped: under xdist the folder's tests run together on one worker, and the
stack stops as soon as they are done instead of idling while that worker runs the rest. A
role's signed-in state is kept once per session and handed to later tests in new contexts, so
only the tests about signing in walk the sign-in form.

Every test here is marked ``browser`` and runs in the xdist group "browser" (one worker, one
stack). ``CGCRM_SKIP_BROWSER=1`` skips them on a developer's machine without Chromium; otherwise
a missing Chromium or axe-core fails the run (``make test`` and ``.ci/run`` install both).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    Response,
    sync_playwright,
)

from tests.browser import browsing
from tests.browser.stack import LiveStack, live_stack

CHROMIUM = Path(os.environ.get("CGCRM_CHROMIUM", "/usr/bin/chromium"))
SKIP_VARIABLE = "CGCRM_SKIP_BROWSER"
HERE = Path(__file__).resolve().parent
# Wide enough for the GOV.UK template's desktop layout (its widest breakpoint is 1020 px).
VIEWPORT = {"width": 1280, "height": 900}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test of this folder ``browser`` and put them in one xdist group (before
    xdist reads the groups); skip them, saying so, when the developer asked to."""
    skip = os.environ.get(SKIP_VARIABLE) == "1"
    for item in items:
        if HERE not in Path(str(item.path)).parents:
            continue
        item.add_marker(pytest.mark.browser)
        item.add_marker(pytest.mark.xdist_group("browser"))
        if skip:
            item.add_marker(pytest.mark.skip(reason=f"{SKIP_VARIABLE}=1"))


@pytest.fixture(autouse=True)
def _clean_state() -> None:
    """The live stack has a database of its own, seeded once: nothing to empty per test (this
    replaces tests/conftest.py's, which would build the in-process application)."""


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[LiveStack]:
    from tests.conftest import DEFAULT_DATABASE, REDIS_URL

    database = os.environ.get("CGCRM_TEST_DATABASE_URL", DEFAULT_DATABASE)
    if not database.startswith("postgresql"):
        pytest.skip("the browser tests' live stack needs PostgreSQL (CGCRM_TEST_DATABASE_URL)")
    with live_stack(database, REDIS_URL, worker_id, tmp_path_factory.mktemp("stack")) as live:
        yield live


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: `apt-get install chromium` (make test and "
            f".ci/run do), or set {SKIP_VARIABLE}=1 to skip the browser tests locally",
            pytrace=False,
        )
    # Playwright's bundled driver with Debian's Chromium: no browser download.
    launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
    yield launched
    launched.close()


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


@pytest.fixture
def console_errors() -> ConsoleErrors:
    return ConsoleErrors()


@pytest.fixture
def context(
    browser: Browser, stack: LiveStack, console_errors: ConsoleErrors
) -> Iterator[BrowserContext]:
    created = browser.new_context(base_url=stack.base_url, viewport=VIEWPORT, locale="en-AU")
    created.on("page", console_errors.watch)
    yield created
    created.close()


@pytest.fixture
def page(context: BrowserContext, console_errors: ConsoleErrors) -> Iterator[Page]:
    opened = context.new_page()
    yield opened
    assert not console_errors.messages, "the browser logged errors:\n" + "\n".join(
        console_errors.messages
    )


@pytest.fixture
def sign_in(stack: LiveStack) -> Callable[[Page, str], None]:
    """``sign_in(page, role)``: the real sign-in flow as the stack's user of that role."""

    def run(page: Page, role: str, start: str = "/console/") -> None:
        browsing.sign_in(page, stack, role, start)

    return run


@pytest.fixture(scope="package")
def _signed_in_states() -> dict[str, Any]:
    return {}


@pytest.fixture
def page_as(
    browser: Browser,
    stack: LiveStack,
    console_errors: ConsoleErrors,
    _signed_in_states: dict[str, Any],
) -> Iterator[Callable[[str], Page]]:
    """``page_as(role)``: a page in a new context already signed in as that role. The first
    call per role signs in through the form; later ones reuse its cookies (the server-side
    session), so a test that signs out must sign in with ``sign_in`` itself."""
    opened: list[BrowserContext] = []

    def open_page(role: str) -> Page:
        state = _signed_in_states.get(role)
        created = browser.new_context(
            base_url=stack.base_url, viewport=VIEWPORT, locale="en-AU", storage_state=state
        )
        created.on("page", console_errors.watch)
        opened.append(created)
        new_page = created.new_page()
        if state is None:
            browsing.sign_in(new_page, stack, role)
            _signed_in_states[role] = created.storage_state()
        return new_page

    yield open_page
    for created in opened:
        created.close()
    assert not console_errors.messages, "the browser logged errors:\n" + "\n".join(
        console_errors.messages
    )
