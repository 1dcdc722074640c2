"""Stripe's webhooks: verified with Stripe-Signature, settling an unknown outcome exactly once,
flagging a dispute."""

import json
import time
from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import OrderEvent
from payments.enums import PaymentStatus, TransactionOutcome
from payments.models import Payment
from payments.services import payment_authorize, payment_capture, payment_details_set, payment_refund
from payments.services import payment_retry_unknown
from payments.tests.fake_stripe import WEBHOOK_SECRET, stripe_signature
from payments.tests.test_stripe_gateway import FIFTY, authorized
from tests.factories import ProductFactory, make_order

pytestmark = pytest.mark.django_db


def deliver(client, body: bytes, *, secret: str = WEBHOOK_SECRET, signature: str | None = None):
    header = stripe_signature(body, secret) if signature is None else signature
    return client.post(reverse("payments:stripe_webhook"), body, content_type="application/json",
                       HTTP_STRIPE_SIGNATURE=header)


def timeline(payment: Payment) -> list[str]:
    return list(OrderEvent.objects.filter(order_id=payment.order_id).order_by("pk").values_list("message", flat=True))


def test_a_capture_timeout_then_the_succeeded_webhook_settles_it_once(
        client, stripe_api, django_capture_on_commit_callbacks):
    """Proves the lost answer of a capture that happened at Stripe is settled by
    payment_intent.succeeded exactly once: a replay, and a retry afterwards, change nothing
    and never capture at Stripe again."""
    payment = authorized(django_capture_on_commit_callbacks)
    stripe_api.answer_late(1.5)
    row = payment_capture(actor=None, payment=payment)
    assert row.outcome == TransactionOutcome.UNKNOWN
    intent = stripe_api.intents[payment.authorization_reference]
    assert intent["status"] == "succeeded"  # it happened; only the answer was lost
    event = stripe_api.event("payment_intent.succeeded", intent)

    first, replay = deliver(client, event), deliver(client, event)
    assert payment_retry_unknown(actor=None, payment=payment) == []

    payment = Payment.objects.get(pk=payment.pk)
    assert first.status_code == replay.status_code == 200 and first.json()["transactions"] == [row.pk]
    assert payment.status == PaymentStatus.CAPTURED
    assert (payment.captured_amount, payment.pending_capture) == (FIFTY, Decimal("0"))
    assert payment.transactions.get(pk=row.pk).gateway_reference == intent["latest_charge"]
    assert [m for m in timeline(payment) if m.startswith("Payment capture")] == [
        f"Payment capture {FIFTY} USD got no answer: {row.error_message}", f"Payment capture {FIFTY} USD"]
    assert len(stripe_api.posts(f"/v1/payment_intents/{intent['id']}/capture")) == 1


def test_an_authorization_without_an_answer_is_settled_by_amount_capturable_updated(client, stripe_api):
    """Proves the key the gateway put in the PaymentIntent's metadata finds the unknown
    authorization, which then takes Stripe's reference."""
    order = make_order(products=[ProductFactory(unit_price=FIFTY, tax_class="zero")], payment_method="card")
    payment = payment_details_set(actor=None, order=order, payment_method="pm_card_visa")
    stripe_api.answer_late(1.5)
    row = payment_authorize(actor=None, payment=payment)
    [intent] = stripe_api.intents.values()

    response = deliver(client, stripe_api.event("payment_intent.amount_capturable_updated", intent))

    payment = Payment.objects.get(pk=payment.pk)
    assert response.status_code == 200 and response.json()["transactions"] == [row.pk]
    assert payment.status == PaymentStatus.AUTHORIZED and payment.authorization_reference == intent["id"]


def test_a_declined_authorization_without_an_answer_is_settled_by_payment_failed(client, stripe_api):
    order = make_order(products=[ProductFactory(unit_price=FIFTY, tax_class="zero")], payment_method="card")
    payment = payment_details_set(actor=None, order=order, payment_method="pm_card_chargeDeclined")
    stripe_api.answer_late(1.5)
    row = payment_authorize(actor=None, payment=payment)
    [intent] = stripe_api.intents.values()

    deliver(client, stripe_api.event("payment_intent.payment_failed", intent))

    payment = Payment.objects.get(pk=payment.pk)
    row.refresh_from_db()
    assert row.outcome == TransactionOutcome.FAILED and row.error_code == "generic_decline"
    assert payment.status == PaymentStatus.FAILED and payment.failure_message == "The card was declined."


def test_a_refund_without_an_answer_is_settled_by_charge_refunded(client, stripe_api,
                                                                  django_capture_on_commit_callbacks):
    payment = authorized(django_capture_on_commit_callbacks)
    payment_capture(actor=None, payment=payment)
    stripe_api.answer_late(1.5)
    row = payment_refund(actor=None, payment=Payment.objects.get(pk=payment.pk), amount="15.00")
    assert row.outcome == TransactionOutcome.UNKNOWN

    deliver(client, stripe_api.event("charge.refunded", stripe_api.charge(payment.authorization_reference)))

    payment = Payment.objects.get(pk=payment.pk)
    assert payment.refunded_amount == Decimal("15.00") and payment.pending_refund == 0
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED


def test_a_dispute_flags_the_payment_and_the_timeline_once(client, stripe_api, django_capture_on_commit_callbacks):
    payment = authorized(django_capture_on_commit_callbacks)
    payment_capture(actor=None, payment=payment)
    event = stripe_api.event("charge.dispute.created", stripe_api.dispute(payment.authorization_reference,
                                                                          reason="product_not_received"))
    assert deliver(client, event).status_code == 200
    assert deliver(client, event).status_code == 200

    payment = Payment.objects.get(pk=payment.pk)
    assert payment.disputed and payment.dispute_amount == FIFTY and payment.dispute_reason == "product not received"
    assert payment.dispute_reference == json.loads(event)["data"]["object"]["id"]
    assert len([m for m in timeline(payment) if m.startswith("Payment disputed")]) == 1


@pytest.mark.parametrize("signature", [
    "t=1,v1=0000",
    "",
    "forged",
])
def test_a_webhook_with_a_bad_signature_is_refused_and_changes_nothing(
        client, stripe_api, django_capture_on_commit_callbacks, signature):
    """Proves an event not signed with the endpoint's secret (a forged, missing or garbled
    Stripe-Signature) is answered 400 and settles or flags nothing."""
    payment = authorized(django_capture_on_commit_callbacks)
    payment_capture(actor=None, payment=payment)
    events_before = timeline(payment)
    event = stripe_api.event("charge.dispute.created", stripe_api.dispute(payment.authorization_reference))

    response = deliver(client, event, signature=signature)

    assert response.status_code == 400
    assert not Payment.objects.get(pk=payment.pk).disputed and timeline(payment) == events_before


def test_a_webhook_signed_with_another_secret_or_too_long_ago_is_refused(client, stripe_api,
                                                                         django_capture_on_commit_callbacks):
    payment = authorized(django_capture_on_commit_callbacks)
    event = stripe_api.event("charge.dispute.created", stripe_api.dispute(payment.authorization_reference))
    assert deliver(client, event, secret="whsec_other").status_code == 400
    stale = stripe_signature(event, timestamp=int(time.time()) - 3600)
    assert deliver(client, event, signature=stale).status_code == 400
    assert not Payment.objects.get(pk=payment.pk).disputed


def test_webhooks_are_refused_while_no_signing_secret_is_configured(client, stripe_api, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    body = stripe_api.event("payment_intent.succeeded", {"id": "pi_x", "object": "payment_intent"})
    assert deliver(client, body, secret="").status_code == 400


def test_an_event_the_oms_does_not_use_is_acknowledged(client, stripe_api):
    response = deliver(client, stripe_api.event("customer.created", {"id": "cus_1", "object": "customer"}))
    assert response.status_code == 200 and response.json()["handled"] is False


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"type": "charge.refunded", "data": {}}'])
def test_a_rightly_signed_body_that_is_no_event_is_refused(client, stripe_api, body):
    assert deliver(client, body).status_code == 400
