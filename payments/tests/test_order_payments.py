"""How payments follow the order: authorization at verification, capture on shipment, void on cancel."""

from decimal import Decimal

import pytest

from oms.exceptions import DomainError
from orders.enums import HoldReason, OrderStatus
from orders.models import Order
from orders.services import order_cancel, order_release_hold, order_release_to_fulfillment
from payments.enums import OrderPaymentStatus, PaymentMethod, PaymentStatus, TransactionKind
from payments.models import Invoice, Payment
from payments.selectors import order_payment_status
from payments.services import payment_details_set, payment_record_manual
from payments.tests.conftest import APPROVED, DECLINED, EXPIRED, FRAUD, INSUFFICIENT_FUNDS, SLOW
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_a_card_order_is_authorized_for_its_total_at_verification(place_order):
    order = place_order(card=APPROVED)
    payment = Payment.objects.get(order=order)
    assert order.status == OrderStatus.CONFIRMED
    assert payment.status == PaymentStatus.AUTHORIZED and payment.authorized_amount == order.total


@pytest.mark.parametrize("card, words", [
    (DECLINED, "declined"), (INSUFFICIENT_FUNDS, "insufficient funds"), (EXPIRED, "expired"),
    (FRAUD, "suspected fraud"),
])
def test_a_declined_card_holds_the_order_as_payment_declined(place_order, card, words):
    order = place_order(card=card)
    assert order.status == OrderStatus.ON_HOLD
    assert order.hold_reason == HoldReason.PAYMENT_DECLINED
    assert words in order.holds.get().message
    assert Payment.objects.get(order=order).status == PaymentStatus.FAILED


def test_a_declined_card_hold_reads_its_reason_once_on_the_order_page(place_order, login, sales_user):
    order = place_order(card=DECLINED)

    page = login(sales_user).get(order.get_absolute_url()).content.decode()

    assert "Payment declined</strong>: The card was declined. Ask the customer for another card" in page
    assert page.count("Payment declined:") + page.count("Payment declined</strong>:") == 1


def test_a_gateway_timeout_holds_the_order_and_releasing_the_hold_retries_it(place_order,
                                                                              django_capture_on_commit_callbacks):
    order = place_order(card=SLOW)
    assert order.status == OrderStatus.ON_HOLD and "did not answer" in order.holds.get().message
    order = order_release_hold(actor=None, order=order)
    assert order.status == OrderStatus.CONFIRMED
    assert Payment.objects.get(order=order).transactions.count() == 1


def test_after_a_decline_a_new_card_and_a_released_hold_confirm_the_order(place_order):
    order = place_order(card=DECLINED)
    payment_details_set(actor=None, order=order, card_number=APPROVED)
    order = order_release_hold(actor=None, order=order, note="Customer gave another card.")
    assert order.status == OrderStatus.CONFIRMED
    payment = Payment.objects.get(order=order)
    assert payment.status == PaymentStatus.AUTHORIZED and payment.card_last4 == "4242"
    assert list(payment.transactions.values_list("outcome", flat=True)) == ["failed", "succeeded"]


def test_releasing_the_hold_without_a_new_card_holds_it_again_without_a_new_gateway_call(place_order):
    order = place_order(card=DECLINED)
    order = order_release_hold(actor=None, order=order)
    assert order.status == OrderStatus.ON_HOLD and order.hold_reason == HoldReason.PAYMENT_DECLINED
    assert Payment.objects.get(order=order).transactions.count() == 1


@pytest.mark.parametrize("method", [PaymentMethod.COD, PaymentMethod.WIRE, PaymentMethod.ACH])
def test_orders_not_paid_by_card_are_confirmed_without_an_authorization(place_order, method):
    order = place_order(method=method)
    assert order.status == OrderStatus.CONFIRMED
    assert not Payment.objects.get(order=order).transactions.exists()


def test_an_order_on_account_terms_is_confirmed_without_an_authorization(place_order):
    from tests.factories import CustomerFactory

    order = place_order(method=PaymentMethod.TERMS, customer=CustomerFactory(credit_limit=Decimal("1000")))
    assert order.status == OrderStatus.CONFIRMED
    assert order_payment_status(order) == OrderPaymentStatus.UNPAID


def test_a_wire_order_is_released_to_the_warehouse_only_once_paid(place_order):
    order = place_order(method=PaymentMethod.WIRE)
    with pytest.raises(DomainError, match="waits for its Wire transfer payment"):
        order_release_to_fulfillment(actor=None, order=order)
    payment_record_manual(actor=None, order=order, amount=order.total, currency=order.currency, reference="W-1")
    assert order_release_to_fulfillment(actor=None, order=order).status == OrderStatus.IN_FULFILLMENT


def test_shipping_a_card_order_captures_it_and_issues_a_paid_invoice(place_order, ship):
    order = ship(place_order(card=APPROVED))
    payment = Payment.objects.get(order=order)
    assert payment.status == PaymentStatus.CAPTURED and payment.captured_amount == order.total
    invoice = Invoice.objects.get(order=order)
    assert invoice.status == "paid" and invoice.total == order.total


def test_a_partial_shipment_captures_the_value_shipped_and_the_rest_on_the_last_shipment(place_order, ship):
    products = [ProductFactory(unit_price=Decimal("10.00")), ProductFactory(unit_price=Decimal("30.00"))]
    order = place_order(card=APPROVED, products=products, quantities=[1, 1])
    first_line = order.lines.get(sku=products[0].sku)
    order = ship(order, quantities={first_line.pk: 1})
    payment = Payment.objects.get(order=order)
    assert order.status == OrderStatus.PARTIALLY_SHIPPED
    assert payment.status == PaymentStatus.PARTIALLY_CAPTURED
    assert payment.captured_amount == first_line.line_total
    assert not Invoice.objects.filter(order=order).exists()
    order = ship(order)
    payment = Payment.objects.get(order=order)
    assert payment.status == PaymentStatus.CAPTURED and payment.captured_amount == order.total
    assert payment.transactions.filter(kind=TransactionKind.CAPTURE).count() == 2


def test_cancelling_an_authorized_order_voids_the_authorization(place_order, django_capture_on_commit_callbacks):
    order = place_order(card=APPROVED)
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(actor=None, order=order, reason="Customer changed their mind.")
    payment = Payment.objects.get(order=order)
    assert payment.status == PaymentStatus.VOIDED
    assert payment.transactions.filter(kind=TransactionKind.VOID, outcome="succeeded").count() == 1


def test_cancelling_a_paid_wire_order_refunds_the_money(place_order, django_capture_on_commit_callbacks):
    order = place_order(method=PaymentMethod.WIRE)
    payment_record_manual(actor=None, order=order, amount=order.total, currency=order.currency)
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(actor=None, order=order, reason="Out of stock for good.")
    payment = Payment.objects.get(order=order)
    assert payment.status == PaymentStatus.REFUNDED and payment.refunded_amount == order.total
    assert order_payment_status(Order.objects.get(pk=order.pk)) == OrderPaymentStatus.REFUNDED


def test_settling_a_cancelled_order_twice_changes_nothing_the_second_time(place_order,
                                                                          django_capture_on_commit_callbacks):
    from payments.services import payment_settle_cancelled_order

    order = place_order(card=APPROVED)
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(actor=None, order=order, reason="Duplicate order.")
    assert payment_settle_cancelled_order(actor=None, order_id=order.pk) is None
    assert Payment.objects.get(order=order).transactions.count() == 2


def test_money_moving_shows_on_the_order_timeline(place_order, ship):
    order = ship(place_order(card=APPROVED))
    messages = list(order.events.filter(type="payment").values_list("message", flat=True))
    assert any(m.startswith(f"Payment capture {order.total} USD") for m in messages)
    assert any(m.startswith("Invoice INV-") for m in messages)


def test_a_card_given_on_the_draft_is_authorized_for_the_final_total(django_capture_on_commit_callbacks):
    from orders.services import LineInput, order_submit, order_update_draft
    from tests.factories import address, make_order

    order = make_order(products=[ProductFactory(unit_price=Decimal("10.00"))])
    payment_details_set(actor=None, order=order, card_number=APPROVED)
    order = order_update_draft(actor=None, order=order, shipping_address=address(),
                               lines=[LineInput(product=ProductFactory(unit_price=Decimal("25.00")), quantity=2)])
    with django_capture_on_commit_callbacks(execute=True):
        order_submit(actor=None, order=order)
    assert Payment.objects.get(order=order).authorized_amount == Order.objects.get(pk=order.pk).total
