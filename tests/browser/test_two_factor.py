"""A finance user's first sign-in: enrol an authenticator from the QR code page, confirm with a
code, note the backup codes, then work; all under the Content-Security-Policy."""

import base64

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from tests.browser.csp import assert_no_violation
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_first_sign_in_enrols_an_authenticator_and_shows_backup_codes(watched_page, live_server,
                                                                       finance_user):
    page = watched_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(finance_user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url("**/accounts/two-factor/setup/**")
    assert page.locator("#totp-qr").evaluate("img => img.complete && img.naturalWidth > 0")
    secret = page.locator("#totp-secret").inner_text().strip()
    page.get_by_label("Code from the app").fill(f"{totp(base64.b32decode(secret)):06d}")
    page.get_by_role("button", name="Confirm").click()

    expect(page.locator("#backup-codes li")).to_have_count(10)
    page.get_by_role("link", name="Continue").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("link", name="Backup codes")).to_be_visible()
    assert_no_violation(page, "enrolment")
