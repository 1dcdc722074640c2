"""Browser tests of the back-office (the chromium launch settings are in the root conftest)."""

import pytest


@pytest.fixture
def staff_login(page, live_server):
    from tests.fixtures import browser_sign_in

    return lambda user: browser_sign_in(page, live_server.url, user)
