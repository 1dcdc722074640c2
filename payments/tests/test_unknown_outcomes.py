"""Calls that got no answer: retried with the same key, or settled once by the gateway's webhook."""

import hashlib
import hmac
import json
from decimal import Decimal

import pytest
from django.urls import reverse

from payments.enums import PaymentStatus, TransactionOutcome
from payments.gateways import GatewayTimeout
from payments.gateways.simulated import SimulatedGateway
from payments.models import Payment
from payments.services import payment_authorize, payment_capture, payment_capture_for_order, payment_for_order
from payments.services import payment_retry_unknown
from tests.factories import ProductFactory, make_order

pytestmark = pytest.mark.django_db


class CaptureTimesOutOnceGateway(SimulatedGateway):
    """The first capture goes through at the provider but its answer is lost."""

    timed_out: set = set()

    def capture(self, **kwargs):
        result = super().capture(**kwargs)
        if kwargs["idempotency_key"] not in self.timed_out:
            self.timed_out.add(kwargs["idempotency_key"])
            raise GatewayTimeout("lost answer")
        return result


@pytest.fixture
def flaky_capture(settings):
    settings.OMS_PAYMENT_GATEWAY = "payments.tests.test_unknown_outcomes.CaptureTimesOutOnceGateway"
    CaptureTimesOutOnceGateway.timed_out = set()


def authorized() -> Payment:
    order = make_order(products=[ProductFactory(unit_price=Decimal("50.00"), tax_class="zero")])
    payment = payment_for_order(order=order)
    payment_authorize(actor=None, payment=payment)
    return Payment.objects.get(pk=payment.pk)


def signed_post(client, payload: dict, secret: str = "dev-webhook-secret"):
    body = json.dumps(payload).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(reverse("payments:gateway_webhook"), body, content_type="application/json",
                       HTTP_X_SIGNATURE=signature)


def test_a_capture_without_an_answer_keeps_the_amount_reserved(flaky_capture):
    payment = authorized()
    row = payment_capture(actor=None, payment=payment)
    payment = Payment.objects.get(pk=payment.pk)
    assert row.outcome == TransactionOutcome.UNKNOWN
    assert payment.pending_capture == Decimal("50.00") and payment.captured_amount == 0
    assert payment.status == PaymentStatus.AUTHORIZED


def test_retrying_unknown_calls_completes_them_with_the_same_key(flaky_capture):
    payment = authorized()
    first = payment_capture(actor=None, payment=payment)
    [retried] = payment_retry_unknown(actor=None, payment=payment)
    payment = Payment.objects.get(pk=payment.pk)
    assert retried.pk == first.pk and retried.outcome == TransactionOutcome.SUCCEEDED
    assert payment.status == PaymentStatus.CAPTURED and payment.pending_capture == 0
    assert payment_retry_unknown(actor=None, payment=payment) == []


def test_the_capture_task_run_again_finishes_the_unknown_capture_instead_of_capturing_twice(flaky_capture,
                                                                                            place_order):
    from orders.services import order_release_to_fulfillment, order_ship

    order = place_order()
    order_ship(actor=None, order=order_release_to_fulfillment(actor=None, order=order))
    first = payment_capture_for_order(actor=None, order_id=order.pk)
    assert first.outcome == TransactionOutcome.UNKNOWN
    assert payment_capture_for_order(actor=None, order_id=order.pk) is None
    payment = Payment.objects.get(order=order)
    assert payment.captured_amount == order.total and payment.transactions.filter(kind="capture").count() == 1


def test_a_webhook_settles_an_unknown_capture_and_a_replay_changes_nothing(client, flaky_capture):
    payment = authorized()
    row = payment_capture(actor=None, payment=payment)
    notice = {"idempotency_key": row.idempotency_key, "success": True, "reference": "sim_capture_x"}
    assert signed_post(client, notice).json()["outcome"] == "succeeded"
    assert signed_post(client, notice).json()["outcome"] == "succeeded"
    payment = Payment.objects.get(pk=payment.pk)
    assert payment.captured_amount == Decimal("50.00") and payment.status == PaymentStatus.CAPTURED


def test_a_webhook_cannot_change_a_final_outcome(client):
    payment = authorized()
    row = payment.transactions.get()
    response = signed_post(client, {"idempotency_key": row.idempotency_key, "success": False})
    assert response.json()["outcome"] == "succeeded"
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.AUTHORIZED


def test_a_webhook_with_a_bad_signature_is_refused(client):
    payment = authorized()
    row = payment.transactions.get()
    assert signed_post(client, {"idempotency_key": row.idempotency_key, "success": True},
                       secret="wrong").status_code == 403


def test_a_webhook_for_an_unknown_key_is_not_found(client):
    assert signed_post(client, {"idempotency_key": "nope", "success": True}).status_code == 404


def test_an_authorization_that_answers_after_the_payment_was_voided_is_voided_again(
        django_capture_on_commit_callbacks):
    from payments.services import _call_gateway, _record, _reserve, payment_void

    payment = payment_for_order(order=make_order())
    row, _ = _reserve(payment_id=payment.pk, kind="authorize", amount=payment.amount, key="late-auth", actor=None)
    payment_void(actor=None, payment=Payment.objects.get(pk=payment.pk))  # the order is cancelled meanwhile
    with django_capture_on_commit_callbacks(execute=True):
        _record(row=row, result=_call_gateway(row, payment), actor=None)
    payment = Payment.objects.get(pk=payment.pk)
    assert payment.status == PaymentStatus.VOIDED and payment.authorized_amount == 0
    orphan_void = payment.transactions.get(idempotency_key="late-auth:orphan-void")
    assert orphan_void.outcome == TransactionOutcome.SUCCEEDED


def test_webhooks_are_refused_in_production_with_the_development_secret(client, settings):
    settings.PRODUCTION = True
    assert signed_post(client, {"idempotency_key": "any", "success": True}).status_code == 403
