from urllib.parse import quote

from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts.selectors import user_has_second_factor, user_needs_second_factor
from accounts.services import login_attempts_lock
from oms.client_address import client_ip

# Pages a signed-in user who still owes a second factor may open.
OPEN_BEFORE_SECOND_FACTOR = {"logout", "admin:logout", "accounts:two_factor_setup", "accounts:two_factor_verify"}


class SecondFactorRequiredMiddleware:
    """Staff whose role requires two-factor sign-in (settings.OMS_TWO_FACTOR_ROLES) reach no page,
    the Django admin included, until they have entered a code from their authenticator (or a
    backup code) in this session; without an authenticator yet they are sent to enrol one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        match = request.resolver_match
        if match and match.view_name in OPEN_BEFORE_SECOND_FACTOR:
            return None
        if not user_needs_second_factor(user):
            return None
        target = "accounts:two_factor_verify" if user_has_second_factor(user) else "accounts:two_factor_setup"
        url = f"{reverse(target)}?next={quote(request.get_full_path())}"
        if request.headers.get("HX-Request"):
            return HttpResponse(status=204, headers={"HX-Redirect": url})
        return redirect(url)


class SerializedLoginAttemptsMiddleware:
    """Password logins (the staff login page and the admin's) of one username or one client
    address run one after the other, each in a transaction that holds the lock until its failure
    is counted: twenty concurrent guesses cannot all pass django-axes' check before the first one
    is recorded."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method != "POST" or request.path_info not in {reverse("login"), reverse("admin:login")}:
            return self.get_response(request)
        with transaction.atomic():
            login_attempts_lock(username=request.POST.get("username", ""), address=client_ip(request))
            return self.get_response(request)
