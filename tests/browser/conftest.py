"""Browser tests of the back-office (the chromium launch settings are in the root conftest)."""

import pytest


@pytest.fixture
def staff_login(page, live_server):
    """Sign in through the login page, with a backup code on the second step when the role needs it."""
    from accounts import services
    from accounts.selectors import user_has_second_factor, user_needs_second_factor
    from tests.factories import PASSWORD
    from tests.fixtures import enrol_authenticator

    def _login(user):
        code = None
        if user_needs_second_factor(user):
            if not user_has_second_factor(user):
                enrol_authenticator(user)
            code = services.backup_codes_regenerate(actor=user, user=user)[0]
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        if code:
            page.wait_for_url(f"{live_server.url}/accounts/two-factor/**")
            page.get_by_label("Code").fill(code)
            page.get_by_role("button", name="Verify").click()
        page.wait_for_url(f"{live_server.url}/")
        return page

    return _login
