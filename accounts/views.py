import io
from base64 import b32encode, b64encode

import django_otp
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django_otp.qr import write_qrcode_image

from accounts import services
from accounts.forms import EnrolmentConfirmForm, SecondFactorForm
from accounts.selectors import user_has_second_factor
from oms.exceptions import DomainError


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _qr_code_data_uri(data: str) -> str:
    """The QR code as an SVG image in a data: address (server-side: no script, no CDN)."""
    out = io.BytesIO()
    write_qrcode_image(data, out)
    return "data:image/svg+xml;base64," + b64encode(out.getvalue()).decode()


@never_cache
@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    if user_has_second_factor(request.user):
        return redirect(f"{resolve_url('accounts:two_factor_verify')}?next={_next_url(request)}")
    device = services.totp_device_start(actor=request.user, user=request.user)
    form = EnrolmentConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = services.totp_device_confirm(actor=request.user, user=request.user,
                                                         device_id=device.pk, token=form.cleaned_data["token"])
        except DomainError as exc:
            form.add_error("token", exc.message)
        else:
            django_otp.login(request, device)
            return render(request, "accounts/backup_codes.html", {"codes": codes, "next": _next_url(request)})
    return render(request, "accounts/two_factor_setup.html", {
        "form": form, "next": _next_url(request), "secret": b32encode(device.bin_key).decode(),
        "config_url": device.config_url, "qr_code": _qr_code_data_uri(device.config_url),
    }, status=400 if form.errors else 200)


@never_cache
@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    if not user_has_second_factor(request.user):
        return redirect(f"{resolve_url('accounts:two_factor_setup')}?next={_next_url(request)}")
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.second_factor_verify(actor=request.user, user=request.user,
                                                   token=form.cleaned_data["token"])
        except DomainError as exc:
            form.add_error("token", exc.message)
        else:
            django_otp.login(request, device)
            return redirect(_next_url(request))
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": _next_url(request)},
                  status=400 if form.errors else 200)


@never_cache
@login_required
def backup_codes_renew(request: HttpRequest) -> HttpResponse:
    """New backup codes for a person signed in with a second factor (the old ones stop working)."""
    if not request.user.is_verified():
        return redirect(f"{resolve_url('accounts:two_factor_verify')}?next={request.path}")
    if request.method != "POST":
        return render(request, "accounts/backup_codes_renew.html")
    codes = services.backup_codes_regenerate(actor=request.user, user=request.user)
    return render(request, "accounts/backup_codes.html",
                  {"codes": codes, "next": resolve_url(settings.LOGIN_REDIRECT_URL)})
