from collections import Counter
from decimal import Decimal

import pytest

from oms.exceptions import DomainError, TransitionRefused
from orders.enums import OrderStatus
from payments.enums import OrderPaymentStatus, PaymentMethod, PaymentStatus, TransactionKind, TransactionOutcome
from payments.gateways.simulated import SimulatedGateway
from payments.models import Payment, PaymentTransaction
from payments.selectors import order_payment_status
from payments.services import (
    payment_authorize,
    payment_capture,
    payment_details_set,
    payment_for_order,
    payment_record_manual,
    payment_refund,
    payment_void,
)
from payments.tests.conftest import DECLINED, SLOW
from tests.factories import ProductFactory, make_order

pytestmark = pytest.mark.django_db


class CountingGateway(SimulatedGateway):
    calls: Counter = Counter()

    def authorize(self, **kwargs):
        CountingGateway.calls[("authorize", kwargs["idempotency_key"])] += 1
        return super().authorize(**kwargs)

    def capture(self, **kwargs):
        CountingGateway.calls[("capture", kwargs["idempotency_key"])] += 1
        return super().capture(**kwargs)

    def refund(self, **kwargs):
        CountingGateway.calls[("refund", kwargs["idempotency_key"])] += 1
        return super().refund(**kwargs)


@pytest.fixture
def counting_gateway(settings):
    settings.OMS_PAYMENT_GATEWAY = "payments.tests.test_payment_services.CountingGateway"
    CountingGateway.calls.clear()
    return CountingGateway.calls


def fresh(payment: Payment) -> Payment:
    return Payment.objects.get(pk=payment.pk)


def authorized_payment(total=Decimal("100.00")) -> Payment:
    """A card payment of `total` (net prices, no tax), authorized through the gateway."""
    order = make_order(products=[ProductFactory(unit_price=total, tax_class="zero")])
    payment = payment_for_order(order=order)
    assert payment_authorize(actor=None, payment=payment).success
    return fresh(payment)


def captured_payment(total=Decimal("100.00")) -> Payment:
    payment = authorized_payment(total)
    payment_capture(actor=None, payment=payment)
    return fresh(payment)


# -- authorize ------------------------------------------------------------------------


def test_authorizing_a_pending_payment_reserves_the_order_total():
    payment = authorized_payment()
    assert payment.status == PaymentStatus.AUTHORIZED
    assert payment.authorized_amount == Decimal("100.00")
    assert payment.authorization_reference.startswith("sim_auth_")
    assert order_payment_status(payment.order) == OrderPaymentStatus.AUTHORIZED


def test_a_declined_authorization_fails_the_payment_and_keeps_the_reason():
    order = make_order()
    payment = payment_details_set(actor=None, order=order, card_number=DECLINED)
    row = payment_authorize(actor=None, payment=payment)
    assert row.outcome == TransactionOutcome.FAILED and row.error_code == "card_declined"
    payment = fresh(payment)
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_message == "The card was declined."
    assert payment.card_last4 == "0002" and "4000000000000002" not in payment.source_token


def test_an_authorized_payment_cannot_be_authorized_again():
    payment = authorized_payment()
    with pytest.raises(TransitionRefused, match="cannot be authorized again"):
        payment_authorize(actor=None, payment=payment, idempotency_key="another")


def test_a_timeout_is_recorded_as_unknown_and_a_retry_with_the_same_key_completes_it():
    order = make_order()
    payment = payment_details_set(actor=None, order=order, card_number=SLOW)
    first = payment_authorize(actor=None, payment=payment)
    assert first.outcome == TransactionOutcome.UNKNOWN and first.error_code == "timeout"
    assert fresh(payment).status == PaymentStatus.PENDING
    retried = payment_authorize(actor=None, payment=fresh(payment))
    assert retried.pk == first.pk and retried.outcome == TransactionOutcome.SUCCEEDED
    assert fresh(payment).status == PaymentStatus.AUTHORIZED
    assert PaymentTransaction.objects.filter(payment=payment).count() == 1


def test_new_card_details_after_a_decline_make_the_payment_pending_with_a_new_attempt():
    order = make_order()
    payment = payment_details_set(actor=None, order=order, card_number=DECLINED)
    payment_authorize(actor=None, payment=payment)
    payment = payment_details_set(actor=None, order=order, card_number="4242424242424242")
    assert payment.status == PaymentStatus.PENDING and payment.authorization_attempt == 3
    assert payment_authorize(actor=None, payment=payment).success


def test_an_invalid_card_number_is_refused_and_writes_nothing():
    order = make_order()
    with pytest.raises(DomainError, match="not a valid card number"):
        payment_details_set(actor=None, order=order, card_number="1234")
    assert not Payment.objects.exists()


# -- capture --------------------------------------------------------------------------


def test_capturing_the_whole_authorization_captures_the_payment():
    payment = captured_payment()
    assert payment.status == PaymentStatus.CAPTURED
    assert payment.captured_amount == Decimal("100.00") and payment.pending_capture == 0
    assert order_payment_status(payment.order) == OrderPaymentStatus.PAID


def test_a_partial_capture_leaves_the_rest_capturable():
    payment = authorized_payment()
    payment_capture(actor=None, payment=payment, amount=Decimal("40.00"))
    payment = fresh(payment)
    assert payment.status == PaymentStatus.PARTIALLY_CAPTURED and payment.capturable == Decimal("60.00")
    assert order_payment_status(payment.order) == OrderPaymentStatus.PARTIALLY_PAID
    payment_capture(actor=None, payment=payment, amount=Decimal("60.00"))
    assert fresh(payment).status == PaymentStatus.CAPTURED


def test_capturing_more_than_authorized_is_refused_and_writes_nothing():
    payment = authorized_payment()
    with pytest.raises(DomainError, match="only 100.00 USD of the authorization is left"):
        payment_capture(actor=None, payment=payment, amount=Decimal("100.01"))
    assert fresh(payment).pending_capture == 0
    assert payment.transactions.filter(kind=TransactionKind.CAPTURE).count() == 0


def test_a_pending_payment_cannot_be_captured():
    payment = payment_for_order(order=make_order())
    with pytest.raises(TransitionRefused, match="only an authorized payment can be captured"):
        payment_capture(actor=None, payment=payment, amount=Decimal("1.00"))


def test_the_same_capture_requested_twice_calls_the_gateway_once(counting_gateway):
    payment = authorized_payment()
    first = payment_capture(actor=None, payment=payment, amount=Decimal("30.00"), idempotency_key="click-1")
    second = payment_capture(actor=None, payment=payment, amount=Decimal("30.00"), idempotency_key="click-1")
    assert first.pk == second.pk
    assert counting_gateway[("capture", "click-1")] == 1
    assert fresh(payment).captured_amount == Decimal("30.00")


def test_a_double_click_without_a_key_derives_the_same_key_and_captures_once(counting_gateway):
    payment = authorized_payment()
    stale = fresh(payment)  # both requests read the payment before either captured
    payment_capture(actor=None, payment=payment, amount=Decimal("30.00"))
    payment_capture(actor=None, payment=stale, amount=Decimal("30.00"))
    assert fresh(payment).captured_amount == Decimal("30.00")
    assert sum(n for (kind, _), n in counting_gateway.items() if kind == "capture") == 1


# -- void -----------------------------------------------------------------------------


def test_voiding_an_authorized_payment_releases_it():
    payment = authorized_payment()
    row = payment_void(actor=None, payment=payment)
    assert row.success and row.gateway_reference.startswith("sim_void_")
    assert fresh(payment).status == PaymentStatus.VOIDED


def test_a_pending_payment_is_voided_without_a_gateway_call(counting_gateway):
    payment = payment_for_order(order=make_order())
    row = payment_void(actor=None, payment=payment)
    assert row.success and row.amount == 0 and not counting_gateway
    assert fresh(payment).status == PaymentStatus.VOIDED


def test_a_captured_payment_cannot_be_voided():
    payment = captured_payment()
    with pytest.raises(TransitionRefused, match="Refund it instead"):
        payment_void(actor=None, payment=payment)


def test_a_voided_payment_cannot_be_captured():
    payment = authorized_payment()
    payment_void(actor=None, payment=payment)
    with pytest.raises(TransitionRefused):
        payment_capture(actor=None, payment=fresh(payment), amount=Decimal("1.00"))


# -- refund ---------------------------------------------------------------------------


def test_partial_refunds_add_up_and_the_last_one_refunds_the_payment():
    payment = captured_payment()
    payment_refund(actor=None, payment=payment, amount=Decimal("30.00"), idempotency_key="r1")
    payment = fresh(payment)
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED and payment.refundable == Decimal("70.00")
    assert order_payment_status(payment.order) == OrderPaymentStatus.PARTIALLY_REFUNDED
    payment_refund(actor=None, payment=payment, amount=Decimal("70.00"), idempotency_key="r2")
    payment = fresh(payment)
    assert payment.status == PaymentStatus.REFUNDED and payment.refunded_amount == Decimal("100.00")
    assert order_payment_status(payment.order) == OrderPaymentStatus.REFUNDED


def test_a_refund_above_what_is_left_is_refused_and_writes_nothing():
    payment = captured_payment()
    payment_refund(actor=None, payment=payment, amount=Decimal("60.00"), idempotency_key="r1")
    with pytest.raises(DomainError, match="only 40.00 USD of what was captured is left to refund"):
        payment_refund(actor=None, payment=fresh(payment), amount=Decimal("40.01"), idempotency_key="r2")
    payment = fresh(payment)
    assert payment.refunded_amount == Decimal("60.00") and payment.pending_refund == 0
    assert not PaymentTransaction.objects.filter(idempotency_key="r2").exists()


def test_an_uncaptured_payment_cannot_be_refunded():
    payment = authorized_payment()
    with pytest.raises(TransitionRefused, match="nothing captured can be refunded"):
        payment_refund(actor=None, payment=payment, amount=Decimal("1.00"))


def test_the_same_refund_key_twice_refunds_once_with_one_gateway_call(counting_gateway):
    payment = captured_payment()
    first = payment_refund(actor=None, payment=payment, amount=Decimal("10.00"), idempotency_key="form-abc")
    second = payment_refund(actor=None, payment=fresh(payment), amount=Decimal("10.00"), idempotency_key="form-abc")
    assert first.pk == second.pk
    assert counting_gateway[("refund", "form-abc")] == 1
    assert fresh(payment).refunded_amount == Decimal("10.00")


def test_a_key_reused_for_another_amount_is_refused():
    payment = captured_payment()
    payment_refund(actor=None, payment=payment, amount=Decimal("10.00"), idempotency_key="k")
    with pytest.raises(DomainError, match="different operation"):
        payment_refund(actor=None, payment=fresh(payment), amount=Decimal("20.00"), idempotency_key="k")


@pytest.mark.parametrize("amount, message", [
    (Decimal("-5.00"), "more than zero"),
    (Decimal("0"), "more than zero"),
    ("abc", "is not an amount"),
    (Decimal("1.234"), "at most 2 decimals"),
])
def test_bad_refund_amounts_are_refused_and_write_nothing(amount, message):
    payment = captured_payment()
    before = PaymentTransaction.objects.count()
    with pytest.raises(DomainError, match=message):
        payment_refund(actor=None, payment=payment, amount=amount)
    assert PaymentTransaction.objects.count() == before
    assert fresh(payment).refunded_amount == 0


# -- manual payments ------------------------------------------------------------------


def test_a_wire_received_in_two_parts_pays_the_order():
    order = make_order(payment_method=PaymentMethod.WIRE, products=[ProductFactory(unit_price=Decimal("50.00"),
                                                                                   tax_class="zero")])
    payment_record_manual(actor=None, order=order, amount=Decimal("20.00"), currency="USD", reference="WIRE-1")
    assert order_payment_status(order) == OrderPaymentStatus.PARTIALLY_PAID
    payment_record_manual(actor=None, order=order, amount=Decimal("30.00"), currency="USD", reference="WIRE-2")
    payment = Payment.objects.get(order=order)
    assert payment.status == PaymentStatus.CAPTURED
    assert [t.kind for t in payment.transactions.all()] == [TransactionKind.MANUAL, TransactionKind.MANUAL]
    assert order_payment_status(order) == OrderPaymentStatus.PAID


@pytest.mark.parametrize("amount, currency, message", [
    (Decimal("-1.00"), "USD", "more than zero"),
    (Decimal("10.00"), "XXX", "Unknown currency 'XXX'"),
    (Decimal("10.00"), "EUR", "is in USD, not EUR"),
    (Decimal("10.01"), "USD", "more than the 10.00 USD outstanding"),
])
def test_bad_manual_payments_are_refused_and_write_nothing(amount, currency, message):
    order = make_order(payment_method=PaymentMethod.COD, products=[ProductFactory(unit_price=Decimal("10.00"),
                                                                                  tax_class="zero")])
    with pytest.raises(DomainError, match=message):
        payment_record_manual(actor=None, order=order, amount=amount, currency=currency)
    assert not PaymentTransaction.objects.exists()


def test_a_card_payment_cannot_be_recorded_by_hand():
    order = make_order()
    with pytest.raises(DomainError, match="taken through the gateway"):
        payment_record_manual(actor=None, order=order, amount=Decimal("1.00"), currency="USD")


def test_a_finished_transaction_is_immutable():
    payment = captured_payment()
    row = payment.transactions.first()
    row.amount = Decimal("1.00")
    with pytest.raises(ValueError, match="immutable"):
        row.save()
    with pytest.raises(ValueError):
        row.delete()


def test_an_order_without_a_payment_is_unpaid():
    order = make_order()
    assert order.status == OrderStatus.DRAFT
    assert order_payment_status(order) == OrderPaymentStatus.UNPAID


def test_a_new_card_is_refused_while_the_last_authorization_has_no_answer():
    order = make_order()
    payment = payment_details_set(actor=None, order=order, card_number=SLOW)
    payment_authorize(actor=None, payment=payment)
    with pytest.raises(DomainError, match="no answer from the gateway yet"):
        payment_details_set(actor=None, order=order, card_number="4242424242424242")
    assert fresh(payment).card_last4 == "0119"


def test_capturing_a_negative_amount_is_refused_and_writes_nothing():
    payment = authorized_payment()
    with pytest.raises(DomainError, match="more than zero"):
        payment_capture(actor=None, payment=payment, amount=Decimal("-1.00"))
    assert payment.transactions.count() == 1 and fresh(payment).pending_capture == 0
