"""One check for every signed webhook."""

import hashlib
import hmac

from django.test import RequestFactory

from oms.webhooks import signature_valid, webhook_refusal

BODY = b'{"event_id": "e1"}'


def test_a_signature_is_the_hmac_sha256_of_the_body_under_the_shared_secret():
    right = hmac.new(b"s3cret", BODY, hashlib.sha256).hexdigest()

    assert signature_valid(secret="s3cret", body=BODY, given=right)
    assert not signature_valid(secret="other", body=BODY, given=right)
    assert not signature_valid(secret="s3cret", body=BODY + b" ", given=right)
    assert not signature_valid(secret="s3cret", body=BODY, given="")


def _request(secret: str):
    given = hmac.new(secret.encode(), BODY, hashlib.sha256).hexdigest()
    return RequestFactory().post("/hook/", BODY, content_type="application/json", HTTP_X_SIGNATURE=given)


def test_production_refuses_webhooks_signed_with_no_secret_or_the_development_one(settings):
    settings.PRODUCTION = True
    for secret in ("", "dev-secret"):
        refusal = webhook_refusal(_request(secret), secret=secret, development_secret="dev-secret",
                                  setting="OMS_X_SECRET")
        assert refusal is not None and refusal.status_code == 403
        assert b"OMS_X_SECRET" in refusal.content
    assert webhook_refusal(_request("real"), secret="real", development_secret="dev-secret",
                           setting="OMS_X_SECRET") is None


def test_a_wrongly_signed_webhook_is_refused(settings):
    settings.PRODUCTION = False
    refusal = webhook_refusal(_request("forged"), secret="real", development_secret="dev-secret", setting="S")
    assert refusal.status_code == 403 and b"bad signature" in refusal.content
