"""A Stripe order that grows after authorization, and one shipped in parts: one PaymentIntent,
incremented and captured as many times as the order needs, against the local fake Stripe."""

from decimal import Decimal

import pytest

from oms.exceptions import DomainError
from orders.enums import HoldReason, OrderStatus
from orders.models import Order
from orders.services import LineChange, OrderChange, order_edit, order_submit
from payments.enums import PaymentStatus, TransactionKind, TransactionOutcome
from payments.models import Payment
from payments.services import payment_details_set
from tests.factories import ProductFactory, make_order

pytestmark = pytest.mark.django_db

TEN, THIRTY = Decimal("10.00"), Decimal("30.00")


@pytest.fixture(autouse=True)
def no_tax(settings):
    settings.OMS_TAX_RATES = {}


def confirmed(capture, *, prices, quantities, payment_method: str = "pm_card_visa") -> Order:
    """A confirmed card order paid through Stripe with `payment_method`, authorized at verification."""
    products = [ProductFactory(unit_price=price, tax_class="zero", stock=10) for price in prices]
    order = make_order(products=products, quantities=quantities, payment_method="card")
    payment_details_set(actor=None, order=order, payment_method=payment_method)
    with capture(execute=True):
        order_submit(actor=None, order=order)
    order = Order.objects.get(pk=order.pk)
    assert order.status == OrderStatus.CONFIRMED
    return order


def grow(capture, actor, order: Order, quantity: int) -> Order:
    line = order.lines.get()
    with capture(execute=True):
        order_edit(actor=actor, order=order, change=OrderChange(lines=(LineChange(line_id=line.pk,
                                                                                  quantity=quantity),)))
    return Order.objects.get(pk=order.pk)


def test_intents_ask_for_incremental_authorization_and_multicapture(stripe_api, django_capture_on_commit_callbacks):
    confirmed(django_capture_on_commit_callbacks, prices=[TEN], quantities=[1])

    [create] = stripe_api.posts("/v1/payment_intents")
    assert create["payment_method_options"] == {"card": {"request_incremental_authorization": "if_available",
                                                         "request_multicapture": "if_available"}}


def test_an_edit_that_grows_the_order_increments_the_same_intent_and_shipment_captures_the_new_total(
        stripe_api, django_capture_on_commit_callbacks, sales_user, ship):
    """Proves the extra authorization of a grown order is an increment of the one PaymentIntent
    (to the new total, with the transaction's key as Idempotency-Key), never a second intent,
    and that the capture at shipment takes the whole new total from it."""
    order = confirmed(django_capture_on_commit_callbacks, prices=[TEN], quantities=[2])
    intent_id = Payment.objects.get(order=order).authorization_reference

    order = grow(django_capture_on_commit_callbacks, sales_user, order, 5)

    assert order.total == Decimal("50.00") and order.status == OrderStatus.CONFIRMED
    assert len(stripe_api.posts("/v1/payment_intents")) == 1
    increments = [(params, headers) for method, path, params, headers in stripe_api.requests
                  if path == f"/v1/payment_intents/{intent_id}/increment_authorization"]
    assert len(increments) == 1
    params, headers = increments[0]
    payment = Payment.objects.get(order=order)
    row = payment.transactions.get(kind=TransactionKind.AUTHORIZE_INCREASE)
    assert params["amount"] == "5000" and headers["Idempotency-Key"] == row.idempotency_key
    assert row.outcome == TransactionOutcome.SUCCEEDED and row.amount == THIRTY
    assert payment.authorized_amount == Decimal("50.00") and payment.authorization_reference == intent_id
    assert stripe_api.intents[intent_id]["amount_capturable"] == 5000

    ship(order)

    payment = Payment.objects.get(order=order)
    assert payment.status == PaymentStatus.CAPTURED and payment.captured_amount == Decimal("50.00")
    [capture] = stripe_api.posts(f"/v1/payment_intents/{intent_id}/capture")
    assert capture["amount_to_capture"] == "5000" and capture["final_capture"] == "true"
    assert stripe_api.intents[intent_id]["amount_received"] == 5000


@pytest.mark.parametrize("payment_method, declined_by_issuer", [("pm_card_discover", False), ("pm_card_visa", True)])
def test_a_refused_increment_holds_the_order_unchanged_with_its_old_lines_allocated(
        stripe_api, django_capture_on_commit_callbacks, sales_user, payment_method, declined_by_issuer):
    """Proves that where Stripe cannot increment (a card without incremental authorization) or the
    bank declines the increment, the order is held as "Payment declined" with a message saying so,
    its lines, stock and authorization as before, and no second PaymentIntent is made."""
    from inventory.models import StockLevel

    order = confirmed(django_capture_on_commit_callbacks, prices=[TEN], quantities=[2], payment_method=payment_method)
    intent_id = Payment.objects.get(order=order).authorization_reference
    if declined_by_issuer:
        stripe_api.decline_increments("insufficient_funds")

    with pytest.raises(DomainError) as refused:
        grow(django_capture_on_commit_callbacks, sales_user, order, 5)

    message = str(refused.value)
    assert ("insufficient funds" if declined_by_issuer else "cannot increase this card's authorization") in message
    order = Order.objects.get(pk=order.pk)
    line = order.lines.get()
    assert order.status == OrderStatus.ON_HOLD and order.hold_reason == HoldReason.PAYMENT_DECLINED
    assert order.total == Decimal("20.00") and line.quantity == 2 and line.quantity_allocated == 2
    assert StockLevel.objects.get(product__sku=line.sku).allocated == 2
    payment = Payment.objects.get(order=order)
    assert payment.status == PaymentStatus.AUTHORIZED and payment.authorized_amount == Decimal("20.00")
    assert payment.transactions.get(kind=TransactionKind.AUTHORIZE_INCREASE).outcome == TransactionOutcome.FAILED
    assert len(stripe_api.posts("/v1/payment_intents")) == 1
    assert stripe_api.intents[intent_id]["amount_capturable"] == 2000
    asked = stripe_api.posts(f"/v1/payment_intents/{intent_id}/increment_authorization")
    assert len(asked) == (1 if declined_by_issuer else 0)


def test_two_partial_shipments_capture_twice_on_one_intent_adding_up_to_the_order_total(
        stripe_api, django_capture_on_commit_callbacks, ship):
    """Proves a partly shipped order captures what shipped with final_capture=false, keeping the
    rest authorized (amount_capturable goes down), and the last shipment captures the rest with
    final_capture=true: two captures on one PaymentIntent whose sum is the order total."""
    order = confirmed(django_capture_on_commit_callbacks, prices=[TEN, THIRTY], quantities=[2, 1])
    intent_id = Payment.objects.get(order=order).authorization_reference
    first_line = order.lines.get(unit_price=TEN)

    order = ship(order, {first_line.pk: 1})

    assert order.status == OrderStatus.PARTIALLY_SHIPPED
    payment = Payment.objects.get(order=order)
    assert payment.status == PaymentStatus.PARTIALLY_CAPTURED and payment.captured_amount == TEN
    intent = stripe_api.intents[intent_id]
    assert intent["status"] == "requires_capture" and intent["amount_capturable"] == 4000

    order = ship(order)

    assert order.status == OrderStatus.SHIPPED
    captures = stripe_api.posts(f"/v1/payment_intents/{intent_id}/capture")
    assert [(c["amount_to_capture"], c["final_capture"]) for c in captures] == [("1000", "false"),
                                                                               ("4000", "true")]
    payment = Payment.objects.get(order=order)
    rows = payment.transactions.filter(kind=TransactionKind.CAPTURE, outcome=TransactionOutcome.SUCCEEDED)
    assert sum(row.amount for row in rows) == order.total == payment.captured_amount == Decimal("50.00")
    assert payment.status == PaymentStatus.CAPTURED
    assert stripe_api.intents[intent_id]["status"] == "succeeded"
    assert stripe_api.intents[intent_id]["amount_received"] == 5000


def test_without_multicapture_a_partial_shipment_keeps_the_whole_authorization_for_the_last_one(
        stripe_api, django_capture_on_commit_callbacks, ship):
    """Proves that on a card without multicapture the first of two shipments captures nothing
    (Stripe would release the rest) and says why on the timeline, and the last shipment captures
    the whole order total in one final capture."""
    from orders.models import OrderEvent

    order = confirmed(django_capture_on_commit_callbacks, prices=[TEN, THIRTY], quantities=[2, 1],
                      payment_method="pm_card_discover")
    intent_id = Payment.objects.get(order=order).authorization_reference

    order = ship(order, {order.lines.get(unit_price=TEN).pk: 1})

    payment = Payment.objects.get(order=order)
    assert payment.status == PaymentStatus.AUTHORIZED and payment.captured_amount == 0
    assert payment.transactions.get(kind=TransactionKind.CAPTURE).error_code == "multicapture_unavailable"
    assert not stripe_api.posts(f"/v1/payment_intents/{intent_id}/capture")
    assert stripe_api.intents[intent_id]["amount_capturable"] == 5000
    assert OrderEvent.objects.filter(order=order, message__contains="cannot be captured in parts").exists()

    order = ship(order)

    [capture] = stripe_api.posts(f"/v1/payment_intents/{intent_id}/capture")
    assert (capture["amount_to_capture"], capture["final_capture"]) == ("5000", "true")
    payment = Payment.objects.get(order=order)
    assert payment.status == PaymentStatus.CAPTURED and payment.captured_amount == order.total


def test_an_increment_whose_answer_was_lost_is_settled_by_the_retry_without_incrementing_twice(
        stripe_api, django_capture_on_commit_callbacks):
    """Proves an increment that Stripe carried out but whose answer was lost stays "unknown",
    and the retry with the same key finds the intent already holding the new total: the payment
    is authorized for it once, and Stripe was asked to increment once."""
    from payments.services import payment_authorize_increase, payment_retry_unknown

    order = confirmed(django_capture_on_commit_callbacks, prices=[TEN], quantities=[2])
    payment = Payment.objects.get(order=order)
    stripe_api.answer_late(1.5)

    row = payment_authorize_increase(actor=None, payment=payment, amount=THIRTY, idempotency_key="grow-1")
    assert row.outcome == TransactionOutcome.UNKNOWN
    payment_retry_unknown(actor=None, payment=payment)

    payment = Payment.objects.get(pk=payment.pk)
    assert payment.transactions.get(idempotency_key="grow-1").outcome == TransactionOutcome.SUCCEEDED
    assert payment.authorized_amount == Decimal("50.00")
    assert len(stripe_api.posts(f"/v1/payment_intents/{payment.authorization_reference}/increment_authorization")) == 1
    assert stripe_api.intents[payment.authorization_reference]["amount_capturable"] == 5000
