"""Staff sign-in owns the second factor of a login: enrolling an authenticator app (a TOTP
device of django-otp), confirming it with a first code, and the single-use backup codes.

Login throttling is django-axes' (configured in settings); the lock that keeps concurrent
attempts from slipping past its counter is `login_attempts_lock` here.
"""

from axes.models import AccessAttempt
from django.conf import settings
from django.db import connection, transaction
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from oms.exceptions import DomainError

AUTHENTICATOR_NAME = "Authenticator app"
BACKUP_CODES_NAME = "Backup codes"
TOO_MANY_WRONG_CODES = "Too many wrong codes in a row: wait a little (the wait doubles with each wrong code), then try again."
WRONG_CODE = "That code is not right (or was already used). Check the time on your phone and try the newest code."


def login_attempts_lock(*, username: str, address: str) -> None:
    """Serialise the login attempts of one username and of one client address, until the
    surrounding transaction ends, so that each attempt sees the failures counted before it
    (on PostgreSQL; SQLite serialises writers on its own)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        # Always in the same order (address, then username), so two attempts never deadlock.
        for key in (f"login-address:{address}", f"login-username:{username.strip().lower()}"):
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])


def login_failures_clear(*, username: str) -> int:
    """Forget the failed sign-ins of a username that has just signed in: its own count starts
    again. The client address's count is left alone (django-axes' own reset would clear every
    failure from that address, letting anyone with an account reset the guesses they made at
    another person's account)."""
    with transaction.atomic():
        deleted, _ = AccessAttempt.objects.filter(username=username).delete()
    return deleted


def totp_device_start(*, actor, user) -> TOTPDevice:
    """The authenticator the user is enrolling: the unconfirmed one already shown (a reload
    shows the same secret), or a new secret."""
    with transaction.atomic():
        device = (TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False)
                  .order_by("pk").first())
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
        return device


def totp_device_confirm(*, actor, user, device_id: int, token: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the enrolment with a first code from the app; returns the device and a fresh set
    of backup codes (shown to the user once: only they keep them)."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, pk=device_id).first()
        if device is None or device.confirmed:
            raise DomainError("This enrolment has already been completed or was replaced: start again.")
        if not device.verify_token(token.strip()):
            raise DomainError(WRONG_CODE, code="wrong_code")
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        codes = _backup_codes_replace(user=user)
    return device, codes


def second_factor_verify(*, actor, user, token: str):
    """The device that accepts this code (a 6-digit code from the app, or a backup code, which
    is then used up), or DomainError. django-otp throttles each device after a wrong code."""
    token = "".join(token.split())
    kind = TOTPDevice if token.isdigit() and len(token) == 6 else StaticDevice
    with transaction.atomic():  # the devices are locked: one backup code, one login
        devices = [d for d in devices_for_user(user, for_verify=True) if isinstance(d, kind)]
        if devices and not any(d.verify_is_allowed()[0] for d in devices):
            raise DomainError(TOO_MANY_WRONG_CODES, code="throttled")
        device = next((d for d in devices if d.verify_token(token)), None)
    if device is None:
        raise DomainError(WRONG_CODE, code="wrong_code")
    return device


def backup_codes_regenerate(*, actor, user) -> list[str]:
    """New backup codes for the user; the old ones stop working."""
    with transaction.atomic():
        return _backup_codes_replace(user=user)


def _backup_codes_replace(*, user) -> list[str]:
    device, _ = StaticDevice.objects.select_for_update().get_or_create(
        user=user, name=BACKUP_CODES_NAME, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(settings.OMS_BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes
