"""Two-factor sign-in (django-otp) for the roles in OMS_TWO_FACTOR_ROLES: enrolment on first
sign-in, a code after every password sign-in, backup codes that work once, the admin included."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from tests.factories import PASSWORD, UserFactory
from tests.fixtures import enrol_authenticator


def password_sign_in(user) -> Client:
    client = Client()
    assert client.post(reverse("login"), {"username": user.username, "password": PASSWORD}).status_code == 302
    return client


def code_of(device) -> str:
    return f"{totp(device.bin_key):06d}"


def test_a_manager_without_an_authenticator_is_sent_to_enrol(manager_user):
    client = password_sign_in(manager_user)

    response = client.get(reverse("orders:order_list"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:two_factor_setup')}?next=/orders/"


def test_enrolment_shows_a_qr_code_and_a_first_code_confirms_it_and_shows_backup_codes_once(manager_user):
    client = password_sign_in(manager_user)
    page = client.get(reverse("accounts:two_factor_setup"), {"next": "/orders/"})
    html = page.content.decode()
    device = TOTPDevice.objects.get(user=manager_user, confirmed=False)
    assert 'src="data:image/svg+xml;base64,' in html and "otpauth://totp/" in html and "<script" not in html.split("<main")[1].split("</main>")[0]
    assert client.get(reverse("accounts:two_factor_setup")).context["secret"] == page.context["secret"]  # a reload

    response = client.post(reverse("accounts:two_factor_setup"), {"token": code_of(device), "next": "/orders/"})

    assert response.status_code == 200
    shown = re.findall(r'<li class="col">([a-z0-9]+)</li>', response.content.decode())
    assert len(shown) == 10
    assert sorted(shown) == sorted(StaticToken.objects.filter(device__user=manager_user).values_list("token", flat=True))
    assert client.get(reverse("orders:order_list")).status_code == 200
    assert client.get(reverse("accounts:two_factor_setup")).status_code == 302  # enrolled: no second setup


def test_a_wrong_code_is_refused_at_enrolment(manager_user):
    client = password_sign_in(manager_user)
    client.get(reverse("accounts:two_factor_setup"))

    response = client.post(reverse("accounts:two_factor_setup"), {"token": "000000"})

    assert response.status_code == 400 and "That code is not right" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=manager_user, confirmed=True).exists()
    assert client.get(reverse("orders:order_list")).status_code == 302


def test_an_enrolled_manager_is_asked_for_a_code_and_a_wrong_one_is_refused(manager_user):
    device = enrol_authenticator(manager_user)
    client = password_sign_in(manager_user)
    assert client.get(reverse("orders:order_list"))["Location"].startswith(reverse("accounts:two_factor_verify"))
    wrong = f"{(int(code_of(device)) + 1) % 1_000_000:06d}"

    response = client.post(reverse("accounts:two_factor_verify"), {"token": wrong})

    assert response.status_code == 400 and "That code is not right" in response.content.decode()
    assert client.get(reverse("orders:order_list")).status_code == 302


def test_the_right_code_from_the_app_signs_in_and_goes_to_the_page_asked_for(manager_user):
    device = enrol_authenticator(manager_user)  # enrolment used this time step's code (no replay)
    client = password_sign_in(manager_user)
    next_code = f"{totp(device.bin_key, step=device.step, t0=device.t0 - device.step):06d}"

    response = client.post(reverse("accounts:two_factor_verify"), {"token": next_code, "next": "/orders/"})

    assert response.status_code == 302 and response["Location"] == "/orders/"
    assert client.get(reverse("orders:order_list")).status_code == 200


def test_a_backup_code_works_once(manager_user):
    enrol_authenticator(manager_user)
    code = services.backup_codes_regenerate(actor=manager_user, user=manager_user)[0]

    first = password_sign_in(manager_user)
    assert first.post(reverse("accounts:two_factor_verify"), {"token": code}).status_code == 302
    assert first.get(reverse("orders:order_list")).status_code == 200

    second = password_sign_in(manager_user)
    assert second.post(reverse("accounts:two_factor_verify"), {"token": code}).status_code == 400
    assert second.get(reverse("orders:order_list")).status_code == 302


def test_an_offsite_next_address_is_ignored(manager_user):
    enrol_authenticator(manager_user)
    code = services.backup_codes_regenerate(actor=manager_user, user=manager_user)[0]
    client = password_sign_in(manager_user)

    response = client.post(reverse("accounts:two_factor_verify"), {"token": code, "next": "https://evil.example/"})

    assert response["Location"] == reverse("orders:dashboard")


def test_sales_are_not_asked_while_their_role_is_not_in_the_setting(sales_user):
    client = password_sign_in(sales_user)

    assert client.get(reverse("orders:order_list")).status_code == 200


def test_a_role_added_to_the_setting_is_asked(settings, sales_user):
    settings.OMS_TWO_FACTOR_ROLES = ["sales"]
    client = password_sign_in(sales_user)

    assert client.get(reverse("orders:order_list"))["Location"].startswith(reverse("accounts:two_factor_setup"))


def test_the_django_admin_is_behind_the_second_factor(db):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    enrol_authenticator(admin)
    client = Client()
    client.post(reverse("admin:login"), {"username": admin.username, "password": PASSWORD})

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two_factor_verify"))


def test_an_htmx_request_is_redirected_by_htmx(manager_user):
    client = password_sign_in(manager_user)

    response = client.get(reverse("orders:order_list"), HTTP_HX_REQUEST="true")

    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(reverse("accounts:two_factor_setup"))


def test_signing_out_works_before_the_second_factor(manager_user):
    client = password_sign_in(manager_user)

    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_new_backup_codes_replace_the_old_ones(login, manager_user):
    client = login(manager_user)
    old = set(StaticToken.objects.filter(device__user=manager_user).values_list("token", flat=True))
    assert reverse("accounts:backup_codes_renew") in client.get(reverse("orders:dashboard")).content.decode()
    assert client.get(reverse("accounts:backup_codes_renew")).status_code == 200

    response = client.post(reverse("accounts:backup_codes_renew"))

    shown = set(re.findall(r'<li class="col">([a-z0-9]+)</li>', response.content.decode()))
    assert len(shown) == 10 and not shown & old
    assert shown == set(StaticToken.objects.filter(device__user=manager_user).values_list("token", flat=True))


def test_new_backup_codes_need_the_second_factor_first(manager_user):
    enrol_authenticator(manager_user)
    client = password_sign_in(manager_user)

    response = client.post(reverse("accounts:backup_codes_renew"))

    assert response.status_code == 302 and StaticToken.objects.filter(device__user=manager_user).count() == 10


def test_wrong_codes_in_a_row_make_the_next_try_wait(settings, manager_user):
    settings.OTP_TOTP_THROTTLE_FACTOR = 3600  # the first wait is an hour: no race with the clock
    enrol_authenticator(manager_user)
    client = password_sign_in(manager_user)
    client.post(reverse("accounts:two_factor_verify"), {"token": "000000"})

    response = client.post(reverse("accounts:two_factor_verify"), {"token": "000001"})

    assert response.status_code == 400 and "Too many wrong codes in a row" in response.content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_backup_code_used_twice_at_once_signs_in_once(settings):
    from tests.concurrency import run_together

    settings.OMS_TWO_FACTOR_ROLES = ["manager"]
    manager = UserFactory(username="maxine", role="manager")
    enrol_authenticator(manager)
    code = services.backup_codes_regenerate(actor=manager, user=manager)[0]
    clients = [password_sign_in(manager) for _ in range(2)]

    verify = reverse("accounts:two_factor_verify")
    results = run_together([lambda c=c: c.post(verify, {"token": code}).status_code for c in clients])

    assert sorted(results) == [302, 400], results
