"""The Stripe gateway, driving the official `stripe` library against a local fake Stripe API."""

from decimal import Decimal

import pytest

from oms.exceptions import DomainError
from orders.enums import HoldReason, OrderStatus
from orders.models import Order, OrderEvent
from payments.enums import PaymentStatus, TransactionOutcome
from payments.models import Payment
from payments.services import (
    payment_authorize,
    payment_capture,
    payment_details_set,
    payment_for_order,
    payment_refund,
    payment_retry_unknown,
    payment_void,
)
from tests.factories import ProductFactory, make_order

pytestmark = pytest.mark.django_db

FIFTY = Decimal("50.00")


def submitted(capture, *, payment_method: str = "pm_card_visa") -> Order:
    """A card order of 50.00 USD with a Stripe payment method, submitted and verified on commit."""
    from orders.services import order_submit

    order = make_order(products=[ProductFactory(unit_price=FIFTY, tax_class="zero")], payment_method="card")
    payment_details_set(actor=None, order=order, payment_method=payment_method)
    with capture(execute=True):
        order_submit(actor=None, order=order)
    return Order.objects.get(pk=order.pk)


def authorized(capture) -> Payment:
    return Payment.objects.get(order=submitted(capture))


def test_authorize_capture_partial_refund_and_refund_move_the_money_at_stripe(
        stripe_api, django_capture_on_commit_callbacks):
    """Proves the whole card life at Stripe: a manual-capture PaymentIntent authorized at
    verification, a partial capture, a partial refund and the refund of the rest, each sent
    with the payments app's key as Idempotency-Key."""
    order = submitted(django_capture_on_commit_callbacks)
    payment = Payment.objects.get(order=order)
    assert order.status == OrderStatus.CONFIRMED
    assert payment.status == PaymentStatus.AUTHORIZED and payment.authorization_reference.startswith("pi_")
    [create] = stripe_api.posts("/v1/payment_intents")
    assert create["capture_method"] == "manual" and create["amount"] == "5000" and create["currency"] == "usd"
    assert create["payment_method"] == "pm_card_visa" and create["confirm"] == "true"

    payment_capture(actor=None, payment=payment, amount="30.00")
    payment_refund(actor=None, payment=Payment.objects.get(pk=payment.pk), amount="10.00")
    payment_refund(actor=None, payment=Payment.objects.get(pk=payment.pk), amount="20.00")

    payment = Payment.objects.get(pk=payment.pk)
    intent = stripe_api.intents[payment.authorization_reference]
    assert intent["status"] == "succeeded" and intent["amount_received"] == 3000
    assert [refund["amount"] for refund in stripe_api.refunds.values()] == [1000, 2000]
    assert payment.status == PaymentStatus.REFUNDED
    assert (payment.captured_amount, payment.refunded_amount) == (Decimal("30.00"), Decimal("30.00"))
    sent_keys = [headers["Idempotency-Key"] for method, _, _, headers in stripe_api.requests if method == "POST"]
    assert sent_keys == [row.idempotency_key for row in payment.transactions.order_by("pk")]


def test_a_declined_card_holds_the_order_with_stripes_reason(stripe_api, django_capture_on_commit_callbacks):
    """Proves a 402 card_error becomes a failed authorization with the decline code and a
    message staff can act on, and the order waits on a payment-declined hold."""
    order = submitted(django_capture_on_commit_callbacks, payment_method="pm_card_chargeDeclinedInsufficientFunds")
    payment = Payment.objects.get(order=order)
    row = payment.transactions.get()
    assert order.status == OrderStatus.ON_HOLD and order.hold_reason == HoldReason.PAYMENT_DECLINED
    assert payment.status == PaymentStatus.FAILED
    assert row.outcome == TransactionOutcome.FAILED and row.error_code == "insufficient_funds"
    assert payment.failure_message == "The card has insufficient funds."


def test_a_card_that_needs_3d_secure_is_refused_with_a_clear_message(stripe_api, django_capture_on_commit_callbacks):
    """Proves a PaymentIntent left in requires_action is a decline staff understand, not a success."""
    payment = Payment.objects.get(order=submitted(django_capture_on_commit_callbacks,
                                                  payment_method="pm_card_authenticationRequired"))
    assert payment.status == PaymentStatus.FAILED
    assert "3-D Secure" in payment.failure_message


def test_the_same_key_sent_twice_creates_one_payment_intent(stripe_api):
    """Proves a timed-out authorization is retried with the same key and Stripe's first
    answer comes back: one PaymentIntent at Stripe, one authorization here."""
    order = make_order(products=[ProductFactory(unit_price=FIFTY, tax_class="zero")], payment_method="card")
    payment = payment_details_set(actor=None, order=order, payment_method="pm_card_visa")
    stripe_api.answer_late(1.5)
    first = payment_authorize(actor=None, payment=payment)
    assert first.outcome == TransactionOutcome.UNKNOWN and first.error_code == "timeout"

    [retried] = payment_retry_unknown(actor=None, payment=payment)

    payment = Payment.objects.get(pk=payment.pk)
    assert retried.pk == first.pk and retried.outcome == TransactionOutcome.SUCCEEDED
    assert len(stripe_api.posts("/v1/payment_intents")) == 2 and len(stripe_api.intents) == 1
    assert payment.authorization_reference == next(iter(stripe_api.intents))
    assert payment.status == PaymentStatus.AUTHORIZED and payment.authorized_amount == FIFTY


def test_a_void_cancels_the_payment_intent(stripe_api, django_capture_on_commit_callbacks):
    payment = authorized(django_capture_on_commit_callbacks)
    row = payment_void(actor=None, payment=payment)
    assert row.outcome == TransactionOutcome.SUCCEEDED
    assert stripe_api.intents[payment.authorization_reference]["status"] == "canceled"
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.VOIDED


@pytest.mark.parametrize("status, body, code", [
    (500, {"error": {"type": "api_error", "message": "Something went wrong on Stripe's end."}}, "gateway_error"),
    (502, "<html>Bad gateway</html>", "gateway_error"),
    (200, {"object": "list", "data": []}, "malformed_answer"),
    (429, {"error": {"type": "invalid_request_error", "code": "rate_limit", "message": "Too many requests"}},
     "rate_limited"),
])
def test_a_server_error_or_an_unreadable_answer_leaves_the_capture_unknown_and_reserved(
        stripe_api, django_capture_on_commit_callbacks, status, body, code):
    """Proves a 5xx, a rate limit or an answer that is not a PaymentIntent is an unknown outcome
    (the capture may have happened), keeping the amount reserved for a retry with the same key."""
    payment = authorized(django_capture_on_commit_callbacks)
    stripe_api.fail_next(status, body)
    row = payment_capture(actor=None, payment=payment)
    payment = Payment.objects.get(pk=payment.pk)
    assert row.outcome == TransactionOutcome.UNKNOWN and row.error_code == code and row.error_message
    assert payment.pending_capture == FIFTY and payment.captured_amount == 0

    [retried] = payment_retry_unknown(actor=None, payment=payment)
    assert retried.outcome == TransactionOutcome.SUCCEEDED
    assert Payment.objects.get(pk=payment.pk).captured_amount == FIFTY


def test_a_refused_api_key_fails_the_call_without_showing_the_key(stripe_api, settings,
                                                                   django_capture_on_commit_callbacks):
    """Proves a 401 is a failed call (nothing was charged) whose message names the setting,
    never the key, on the transaction and the timeline."""
    payment = authorized(django_capture_on_commit_callbacks)
    settings.STRIPE_SECRET_KEY = "sk_test_wrong_wxyz"
    row = payment_capture(actor=None, payment=payment)
    assert row.outcome == TransactionOutcome.FAILED and row.error_code == "gateway_configuration"
    assert "STRIPE_SECRET_KEY" in row.error_message and "sk_test" not in row.error_message
    timeline = " ".join(OrderEvent.objects.filter(order_id=payment.order_id).values_list("message", flat=True))
    assert "sk_test" not in timeline and "wxyz" not in timeline
    assert Payment.objects.get(pk=payment.pk).pending_capture == 0


def test_a_capture_stripe_refuses_is_a_failed_capture_with_stripes_reason(stripe_api,
                                                                          django_capture_on_commit_callbacks):
    """Proves a 400 (here: capturing a PaymentIntent that was already captured) is a failed
    call that gives the reserved amount back."""
    payment = authorized(django_capture_on_commit_callbacks)
    payment_capture(actor=None, payment=payment, amount="20.00")
    row = payment_capture(actor=None, payment=Payment.objects.get(pk=payment.pk), amount="30.00")
    payment = Payment.objects.get(pk=payment.pk)
    assert row.outcome == TransactionOutcome.FAILED and row.error_code == "payment_intent_unexpected_state"
    assert row.error_message.startswith("Stripe refused the request: This PaymentIntent could not be captured")
    assert payment.captured_amount == Decimal("20.00") and payment.pending_capture == 0


def test_card_numbers_are_refused_in_stripe_mode(stripe_api):
    """Proves no card number can be given to the OMS in Stripe mode, and a payment method
    Stripe does not know is refused before anything is saved."""
    order = make_order(payment_method="card")
    with pytest.raises(DomainError, match="Stripe's card field"):
        payment_details_set(actor=None, order=order, card_number="4242424242424242")
    with pytest.raises(DomainError, match="does not know that card"):
        payment_details_set(actor=None, order=order, payment_method="pm_unknown")
    with pytest.raises(DomainError, match="not a Stripe payment method"):
        payment_details_set(actor=None, order=order, payment_method="4242424242424242")
    assert payment_for_order(order=order).source_token == ""


def test_a_stripe_payment_method_keeps_only_its_id_and_last_four_digits(stripe_api):
    payment = payment_details_set(actor=None, order=make_order(payment_method="card"),
                                  payment_method="pm_card_mastercard")
    assert (payment.source_token, payment.card_last4) == ("pm_card_mastercard", "4444")
