"""Stripe on PostgreSQL under real concurrency: threads with their own connections."""

from decimal import Decimal

import pytest
from django.test import Client

from orders.models import OrderEvent
from payments.enums import PaymentStatus, TransactionOutcome
from payments.models import Payment
from payments.services import payment_capture, payment_retry_unknown
from payments.tests.test_stripe_gateway import FIFTY, authorized
from payments.tests.test_stripe_webhooks import deliver
from tests.concurrency import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_same_event_delivered_three_times_at_once_beside_a_retry_captures_once(
        stripe_api, django_capture_on_commit_callbacks):
    """Proves an unknown capture is settled exactly once when Stripe delivers its event
    several times at once while the sweep retries it: the payment row lock and the
    only-unsettled-rows update let one of them record it, and Stripe is never asked to
    capture again."""
    payment = authorized(django_capture_on_commit_callbacks)
    stripe_api.answer_late(1.5)
    row = payment_capture(actor=None, payment=payment)
    assert row.outcome == TransactionOutcome.UNKNOWN
    intent = stripe_api.intents[payment.authorization_reference]
    event = stripe_api.event("payment_intent.succeeded", intent)

    results = run_together([lambda: deliver(Client(), event).status_code] * 3
                           + [lambda: payment_retry_unknown(actor=None, payment=payment)])

    payment = Payment.objects.get(pk=payment.pk)
    assert results[:3] == [200, 200, 200]
    assert payment.status == PaymentStatus.CAPTURED
    assert (payment.captured_amount, payment.pending_capture) == (FIFTY, Decimal("0"))
    messages = OrderEvent.objects.filter(order_id=payment.order_id).values_list("message", flat=True)
    assert [m for m in messages if m == f"Payment capture {FIFTY} USD"] == [f"Payment capture {FIFTY} USD"]
    capture_keys = {headers["Idempotency-Key"] for method, path, _, headers in stripe_api.requests
                    if path.endswith("/capture")}
    assert capture_keys == {row.idempotency_key}  # a retry, if any, was a replay of the first
    assert stripe_api.intents[intent["id"]]["amount_received"] == 5000


def test_a_double_clicked_capture_captures_once_at_stripe(stripe_api, django_capture_on_commit_callbacks):
    """Proves two identical capture requests at once (one key) reach Stripe at most once and
    take the money once."""
    payment = authorized(django_capture_on_commit_callbacks)

    results = run_together([lambda: payment_capture(actor=None, payment=payment, idempotency_key="click")] * 2)

    payment = Payment.objects.get(pk=payment.pk)
    assert payment.captured_amount == FIFTY and payment.transactions.filter(kind="capture").count() == 1
    assert len(stripe_api.posts(f"/v1/payment_intents/{payment.authorization_reference}/capture")) == 1
    assert any(not isinstance(result, Exception) and result.outcome == TransactionOutcome.SUCCEEDED
               for result in results)


def test_a_dispute_delivered_twice_at_once_is_flagged_once(stripe_api, django_capture_on_commit_callbacks):
    payment = authorized(django_capture_on_commit_callbacks)
    payment_capture(actor=None, payment=payment)
    event = stripe_api.event("charge.dispute.created", stripe_api.dispute(payment.authorization_reference))

    assert run_together([lambda: deliver(Client(), event).status_code] * 2) == [200, 200]

    messages = OrderEvent.objects.filter(order_id=payment.order_id, message__startswith="Payment disputed")
    assert messages.count() == 1 and Payment.objects.get(pk=payment.pk).disputed


def test_two_capture_runs_for_the_same_partial_shipment_at_once_capture_once_and_keep_the_rest(
        stripe_api, django_capture_on_commit_callbacks, ship, monkeypatch):
    """Proves the shipment task and the sweep capturing the same partial shipment at once make one
    non-final capture at Stripe (the key names the shipped value; the payment row lock lets one
    reserve it), and the rest of the PaymentIntent stays authorized for the next shipment."""
    from payments.services import payment_capture_for_order
    from payments.tests.test_stripe_order_changes import TEN, THIRTY, confirmed

    order = confirmed(django_capture_on_commit_callbacks, prices=[TEN, THIRTY], quantities=[2, 1])
    payment = Payment.objects.get(order=order)
    with monkeypatch.context() as patched:  # the shipment's own capture task is held back: the race runs it
        patched.setattr("orders.services.payment_capture_for_order_task", _NotRun)
        ship(order, {order.lines.get(unit_price=TEN).pk: 1})
    assert not stripe_api.posts(f"/v1/payment_intents/{payment.authorization_reference}/capture")

    run_together([lambda: payment_capture_for_order(actor=None, order_id=order.pk)] * 2)

    payment = Payment.objects.get(pk=payment.pk)
    assert (payment.status, payment.captured_amount, payment.pending_capture) == (
        PaymentStatus.PARTIALLY_CAPTURED, TEN, Decimal("0"))
    captures = stripe_api.posts(f"/v1/payment_intents/{payment.authorization_reference}/capture")
    assert [(c["amount_to_capture"], c["final_capture"]) for c in captures] == [("1000", "false")]
    assert stripe_api.intents[payment.authorization_reference]["amount_capturable"] == 4000


class _NotRun:
    @staticmethod
    def apply_async(*args, **kwargs):
        return None

    delay = apply_async
