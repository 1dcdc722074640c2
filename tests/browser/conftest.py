"""Browser tests of the back-office (the chromium launch settings are in the root conftest)."""

import pytest


@pytest.fixture
def staff_login(page, live_server):
    from tests.factories import PASSWORD

    def _login(user):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/")
        return page

    return _login
