"""Signed webhooks from outside systems (carriers, the payment provider).

The sender signs the raw request body with a secret both sides share: the `X-Signature`
header holds the hex HMAC-SHA256 of the body. It is compared in constant time, so the
answer's timing tells nothing about how much of a forged signature was right.
"""

import hashlib
import hmac
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST


def signature(*, secret: str, body: bytes) -> str:
    """The signature a sender puts in `X-Signature` for `body`."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(*, secret: str, body: bytes, given: str) -> bool:
    return hmac.compare_digest(signature(secret=secret, body=body), given or "")


def webhook_refusal(request: HttpRequest, *, secret: str, development_secret: str, setting: str
                    ) -> JsonResponse | None:
    """The 403 answer to a webhook that is not to be trusted, or None when it is signed rightly.

    In production a missing secret, or the development one, refuses every webhook.
    """
    if settings.PRODUCTION and (not secret or secret == development_secret):
        return JsonResponse({"error": f"webhooks are not configured ({setting})"}, status=403)
    if not signature_valid(secret=secret, body=request.body, given=request.headers.get("X-Signature", "")):
        return JsonResponse({"error": "bad signature"}, status=403)
    return None


def signed_webhook(*, setting: str, development_secret: str):
    """A view that outside systems POST to, signed with the secret in `settings.<setting>`:
    exempt from CSRF (the signature stands in for it), POST only, 403 unless rightly signed."""

    def decorator(view):
        @csrf_exempt
        @require_POST
        @wraps(view)
        def signed(request, *args, **kwargs):
            refusal = webhook_refusal(request, secret=getattr(settings, setting),
                                      development_secret=development_secret, setting=setting)
            return refusal if refusal is not None else view(request, *args, **kwargs)

        return signed

    return decorator
