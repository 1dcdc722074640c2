"""Browser tests of the back-office (the chromium launch settings are in the root conftest)."""

import pytest

from tests.browser import csp


@pytest.fixture
def staff_login(page, live_server):
    from tests.fixtures import browser_sign_in

    return lambda user: browser_sign_in(page, live_server.url, user)


@pytest.fixture
def watched_page(page):
    """The page, with every CSP violation it meets recorded (console and DOM event)."""
    console = []
    page.on("console", lambda message: console.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.add_init_script(csp.RECORD_VIOLATIONS)
    page.csp_console = console
    return page
