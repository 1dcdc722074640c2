"""Login throttling (django-axes): a username and a client address are each locked out after
AXES_FAILURE_LIMIT failures, on the staff login page and the admin's, until the cool-off ends or
an admin unlocks them."""

import threading

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.auth.backends import ModelBackend
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory
from tests.concurrency import run_together

LIMIT = 5


@pytest.fixture(autouse=True)
def failure_limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT


def sign_in(username, password, *, address="10.0.0.1", url="login"):
    return Client(REMOTE_ADDR=address).post(reverse(url), {"username": username, "password": password})


def test_a_username_is_locked_after_the_limit_even_from_many_addresses(sales_user):
    codes = [sign_in(sales_user.username, "wrong", address=f"10.0.1.{i}").status_code for i in range(LIMIT)]
    assert codes == [200] * (LIMIT - 1) + [429]  # the failure that reaches the limit locks

    response = sign_in(sales_user.username, PASSWORD, address="10.0.2.1")

    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed sign-ins" in page and f"(<strong>{sales_user.username}</strong>)" in page
    assert "30 minutes" in page and 'class="navbar' in page  # the site's own layout, not a bare 403
    assert "_auth_user_id" not in response.client.session
    assert AccessFailureLog.objects.filter(username=sales_user.username).count() == LIMIT + 1
    assert AccessFailureLog.objects.filter(username=sales_user.username, locked_out=True).exists()


def test_an_address_is_locked_after_the_limit_even_for_other_usernames(sales_user):
    for i in range(LIMIT):
        sign_in(f"guess{i}", "wrong", address="10.0.3.3")

    assert sign_in(sales_user.username, PASSWORD, address="10.0.3.3").status_code == 429
    assert sign_in(sales_user.username, PASSWORD, address="10.0.3.4").status_code == 302


def test_fewer_failures_than_the_limit_still_let_the_right_password_in(sales_user):
    for _ in range(LIMIT - 1):
        sign_in(sales_user.username, "wrong")

    assert sign_in(sales_user.username, PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username=sales_user.username).exists()  # success resets


def test_signing_in_to_ones_own_account_does_not_clear_the_guesses_at_another(sales_user, warehouse_user):
    for _ in range(LIMIT - 1):
        sign_in(sales_user.username, "wrong", address="10.0.4.4")
    assert sign_in(warehouse_user.username, PASSWORD, address="10.0.4.4").status_code == 302

    assert sign_in(sales_user.username, "wrong", address="10.0.4.5").status_code == 429


def test_the_admin_login_is_locked_too(db):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    for _ in range(LIMIT):
        sign_in(admin.username, "wrong", url="admin:login")

    response = sign_in(admin.username, PASSWORD, url="admin:login")

    assert response.status_code == 429 and "Too many failed sign-ins" in response.content.decode()


def test_the_address_is_read_from_the_configured_proxy_header(settings, sales_user):
    settings.OMS_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    for i in range(LIMIT):
        Client(REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="1.2.3.4, 192.0.2.7").post(
            reverse("login"), {"username": f"guess{i}", "password": "wrong"})

    assert set(AccessFailureLog.objects.values_list("ip_address", flat=True)) == {"192.0.2.7"}
    locked = Client(REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="192.0.2.7")
    assert locked.post(reverse("login"), {"username": sales_user.username, "password": PASSWORD}).status_code == 429
    other = Client(REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="192.0.2.8")
    assert other.post(reverse("login"), {"username": sales_user.username, "password": PASSWORD}).status_code == 302


def test_a_forged_address_header_is_counted_without_an_error(settings, sales_user):
    settings.OMS_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    response = Client(HTTP_X_FORWARDED_FOR="not-an-address").post(
        reverse("login"), {"username": sales_user.username, "password": "wrong"})

    assert response.status_code == 200
    assert AccessFailureLog.objects.filter(username=sales_user.username, ip_address=None).count() == 1


def test_an_admin_unlocks_a_locked_user_in_the_admin(admin_client, sales_user):
    for _ in range(LIMIT):
        sign_in(sales_user.username, "wrong")
    assert sign_in(sales_user.username, PASSWORD).status_code == 429

    listing = admin_client.get(reverse("admin:axes_accessattempt_changelist"))
    assert listing.status_code == 200 and sales_user.username in listing.content.decode()
    attempts = AccessAttempt.objects.filter(username=sales_user.username)
    response = admin_client.post(reverse("admin:axes_accessattempt_changelist"), {
        "action": "delete_selected", "_selected_action": [a.pk for a in attempts], "post": "yes"})

    assert response.status_code == 302
    assert sign_in(sales_user.username, PASSWORD).status_code == 302
    assert AccessFailureLog.objects.filter(username=sales_user.username).count() == LIMIT + 1  # kept


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_wrong_passwords_cannot_outrun_the_counter(monkeypatch, settings):
    settings.OMS_TWO_FACTOR_ROLES = []
    user = UserFactory(username="target")
    checked = []
    lock = threading.Lock()
    original = ModelBackend.authenticate

    def counting_authenticate(self, request, username=None, password=None, **kwargs):
        with lock:
            checked.append(password)
        return original(self, request, username=username, password=password, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", counting_authenticate)

    results = run_together([lambda i=i: sign_in(user.username, f"wrong-{i}").status_code for i in range(20)])

    assert all(code in (200, 429) for code in results), results
    assert len(checked) == LIMIT, f"{len(checked)} passwords were tried, the limit is {LIMIT}"
    assert results.count(200) == LIMIT - 1  # the last failure within the limit already locks
    assert sign_in(user.username, PASSWORD).status_code == 429
    assert len(checked) == LIMIT
