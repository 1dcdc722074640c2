import os

import pytest

from oms.roles import FINANCE, MANAGER, SALES, WAREHOUSE
from tests.factories import PASSWORD, UserFactory


@pytest.fixture(autouse=True)
def celery_inline(request):
    """Tasks run inline in tests, unless a test drives a real broker or worker (marked so)."""
    from oms.celery import app

    if request.node.get_closest_marker("celery_worker") or request.node.get_closest_marker("redis"):
        yield
        return
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def sales_user(db):
    return UserFactory(username="sally", role=SALES)


@pytest.fixture
def warehouse_user(db):
    return UserFactory(username="walt", role=WAREHOUSE)


@pytest.fixture
def finance_user(db):
    return UserFactory(username="fiona", role=FINANCE)


@pytest.fixture
def manager_user(db):
    return UserFactory(username="max", role=MANAGER)


@pytest.fixture(autouse=True)
def two_factor_as_in_production(settings):
    """Every test runs with the roles production asks a second factor of (development asks none)."""
    settings.OMS_TWO_FACTOR_ROLES = ["finance", "manager", "admin"]


def enrol_authenticator(user):
    """Give the user a confirmed authenticator, as the enrolment page does; returns the device."""
    from django_otp.oath import totp

    from accounts import services

    device = services.totp_device_start(actor=user, user=user)
    device, _ = services.totp_device_confirm(actor=user, user=user, device_id=device.pk,
                                             token=f"{totp(device.bin_key):06d}")
    return device


def pass_second_factor(client, user):
    """Complete the second step of a sign-in on the verify page with a backup code, when the
    user's role asks for one (enrolling an authenticator first if the user has none)."""
    from django.urls import reverse

    from accounts import services
    from accounts.selectors import user_has_second_factor, user_needs_second_factor

    if not user_needs_second_factor(user):
        return client
    if not user_has_second_factor(user):
        enrol_authenticator(user)
    code = services.backup_codes_regenerate(actor=user, user=user)[0]
    response = client.post(reverse("accounts:two_factor_verify"), {"token": code})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


@pytest.fixture
def login(client):
    """Sign in through the login page (password, then the second factor where the role needs it)."""
    from django.urls import reverse

    def _login(user):
        client.logout()  # the login page sends a signed-in user away: sign the previous one out
        response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
        assert response.status_code == 302, response.content.decode()[:500]
        return pass_second_factor(client, user)

    return _login


def browser_sign_in(page, base_url, user, next_path=""):
    """Sign in on the login page in the browser, with a backup code on the second step when the
    user's role asks for one; the page then shows `next_path` (or the dashboard)."""
    from accounts import services
    from accounts.selectors import user_has_second_factor, user_needs_second_factor

    code = None
    if user_needs_second_factor(user):
        if not user_has_second_factor(user):
            enrol_authenticator(user)
        code = services.backup_codes_regenerate(actor=user, user=user)[0]
    page.goto(f"{base_url}/accounts/login/" + (f"?next={next_path}" if next_path else ""))
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if code:
        page.wait_for_url(f"{base_url}/accounts/two-factor/**")
        page.get_by_label("Code").fill(code)
        page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{base_url}{next_path or '/'}")
    return page


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's admin client, past the second factor the admin requires."""
    client.force_login(admin_user)
    return pass_second_factor(client, admin_user)


# -- browser tests: Playwright drives Debian's chromium (it cannot download a browser here) ----

CHROMIUM_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    from tests.services import chromium_path

    # Playwright's sync API keeps an event loop in the test thread; the ORM calls the tests
    # make around it are still synchronous and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    return {**browser_type_launch_args, "executable_path": chromium_path(), "args": CHROMIUM_FLAGS}


@pytest.fixture(autouse=True)
def _browser_patience(request):
    """A loaded 2-core CI machine can take seconds to answer: every browser test waits up to
    15 s for an element or an expectation instead of Playwright's 5 s."""
    if not request.node.get_closest_marker("browser"):
        return
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)
    request.getfixturevalue("page").set_default_timeout(15_000)
