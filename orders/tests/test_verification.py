"""The verification pipeline: holds with reasons staff can read, release, override, outcomes."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test import override_settings

from oms.exceptions import DomainError
from orders import services
from orders.enums import HoldReason, OrderEventType, OrderStatus
from orders.models import OrderHold
from orders.verification import CheckResult, pipeline, register_check, unregister_check
from payments.enums import PaymentMethod
from tests.factories import CustomerFactory, ProductFactory, address, make_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_auto_verify(settings):
    settings.OMS_AUTO_VERIFY = False


def placed(**kwargs):
    order = make_order(**kwargs)
    return services.order_submit(actor=None, order=order)


def test_a_complete_order_is_confirmed_with_every_check_recorded():
    order = services.order_verify(actor=None, order=placed())

    assert order.status == OrderStatus.CONFIRMED
    event = order.events.last()
    assert [c["check"] for c in event.data["checks"]][:2] == ["order_data", "customer_credit"]
    assert {c["outcome"] for c in event.data["checks"]} == {"pass"}


def test_an_incomplete_address_holds_the_order_and_says_what_is_missing():
    order = placed(shipping_address=address(line1="", postal_code=""))

    order = services.order_verify(actor=None, order=order)

    assert order.status == OrderStatus.ON_HOLD
    hold = OrderHold.objects.get(order=order)
    assert hold.reason == HoldReason.INCOMPLETE_ADDRESS
    assert "line1" in hold.message and "postal_code" in hold.message
    assert order.hold_reason == HoldReason.INCOMPLETE_ADDRESS


def test_a_customer_on_hold_holds_the_order():
    customer = CustomerFactory(on_hold=True, hold_note="Chargeback")

    order = services.order_verify(actor=None, order=placed(customer=customer))

    assert order.status == OrderStatus.ON_HOLD
    assert order.holds.get().reason == HoldReason.CUSTOMER_ON_HOLD
    assert "Chargeback" in order.holds.get().message


def test_terms_orders_beyond_the_credit_limit_are_held():
    customer = CustomerFactory(credit_limit=Decimal("100.00"))
    product = ProductFactory(unit_price=Decimal("60.00"))
    first = services.order_verify(actor=None, order=placed(customer=customer, products=[product],
                                                           payment_method=PaymentMethod.TERMS))
    assert first.status == OrderStatus.CONFIRMED  # 64.80 of 100

    second = services.order_verify(actor=None, order=placed(customer=customer, products=[product],
                                                            payment_method=PaymentMethod.TERMS))

    assert second.status == OrderStatus.ON_HOLD
    assert second.holds.get().reason == HoldReason.CREDIT_LIMIT


def test_terms_need_account_terms():
    order = services.order_verify(actor=None, order=placed(payment_method=PaymentMethod.TERMS))

    assert order.status == OrderStatus.ON_HOLD
    assert "no account terms" in order.holds.get().message


def test_card_orders_ignore_the_credit_limit():
    customer = CustomerFactory(credit_limit=Decimal("1.00"))

    order = services.order_verify(actor=None, order=placed(customer=customer))

    assert order.status == OrderStatus.CONFIRMED


def test_releasing_a_hold_reverifies_and_a_fixed_cause_confirms():
    customer = CustomerFactory(on_hold=True)
    order = services.order_verify(actor=None, order=placed(customer=customer))
    services.customer_set_hold(actor=None, customer=customer, on_hold=False)

    order = services.order_release_hold(actor=None, order=order, note="Chargeback resolved")

    assert order.status == OrderStatus.CONFIRMED
    hold = order.holds.get()
    assert hold.released_at is not None and hold.release_note == "Chargeback resolved"


def test_releasing_a_hold_whose_cause_remains_holds_it_again():
    order = services.order_verify(actor=None, order=placed(customer=CustomerFactory(on_hold=True)))

    order = services.order_release_hold(actor=None, order=order, note="try again")

    assert order.status == OrderStatus.ON_HOLD
    assert order.holds.active().count() == 1 and order.holds.count() == 2


def test_a_manager_override_lets_a_credit_hold_through(manager_user):
    customer = CustomerFactory(credit_limit=Decimal("10.00"))
    order = services.order_verify(actor=None, order=placed(customer=customer, payment_method=PaymentMethod.TERMS))
    assert order.status == OrderStatus.ON_HOLD

    order = services.order_release_hold(actor=manager_user, order=order, note="Approved by phone", override=True)

    assert order.status == OrderStatus.CONFIRMED
    assert order.events.last().data["overridden"] == [HoldReason.CREDIT_LIMIT]


def test_sales_cannot_override_a_credit_hold(sales_user):
    customer = CustomerFactory(credit_limit=Decimal("10.00"))
    order = services.order_verify(actor=None, order=placed(customer=customer, payment_method=PaymentMethod.TERMS))

    with pytest.raises(DomainError, match="not allowed"):
        services.order_release_hold(actor=sales_user, order=order, override=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.ON_HOLD


def test_an_address_hold_cannot_be_overridden(manager_user):
    order = services.order_verify(actor=None, order=placed(shipping_address=address(city="")))

    with pytest.raises(DomainError, match="cannot be overridden"):
        services.order_release_hold(actor=manager_user, order=order, override=True)


def test_a_manual_hold_keeps_its_reason_and_message(sales_user):
    order = services.order_verify(actor=None, order=placed())

    order = services.order_hold(actor=sales_user, order=order, message="Customer will call back")

    assert order.status == OrderStatus.ON_HOLD
    hold = order.holds.get()
    assert (hold.reason, hold.message, hold.created_by) == (HoldReason.MANUAL, "Customer will call back", sales_user)


def test_a_hold_needs_a_message():
    with pytest.raises(DomainError, match="Say why"):
        services.order_hold(actor=None, order=placed(), message="")


def test_a_backorder_check_backorders_the_order():
    register_check(name="test_stock", label="stock", position=30)(
        lambda order, actor: CheckResult.backorder("Waiting for 2 × SKU"))
    try:
        order = services.order_verify(actor=None, order=placed())
    finally:
        unregister_check("test_stock")
    assert order.status == OrderStatus.BACKORDERED


def test_checks_run_in_position_order_and_stop_at_the_first_hold():
    seen = []
    register_check(name="test_late", label="late", position=90)(
        lambda order, actor: seen.append("late") or CheckResult.passed())
    try:
        services.order_verify(actor=None, order=placed(shipping_address=address(country="")))
    finally:
        unregister_check("test_late")
    assert seen == []


def test_an_external_check_runs_with_no_transaction_open():
    """A gateway call must not hold the order's row lock: external checks run after the commit."""
    in_transaction = []

    def gateway(order, actor):
        in_transaction.append(connection.in_atomic_block)
        return CheckResult.hold(HoldReason.PAYMENT_DECLINED, "Card declined")

    register_check(name="test_gateway", label="gateway", position=40, external=True)(gateway)
    try:
        assert "test_gateway" in [c.name for c in pipeline(external=True)]
        order = services.order_verify(actor=None, order=placed())
    finally:
        unregister_check("test_gateway")
    # pytest-django wraps each test in a transaction, so "no lock" shows as: only that outer block.
    assert in_transaction and set(in_transaction) == {connection.in_atomic_block}
    assert order.status == OrderStatus.ON_HOLD
    assert order.holds.get().reason == HoldReason.PAYMENT_DECLINED


def test_submitting_verifies_after_commit(django_capture_on_commit_callbacks):
    draft = make_order()  # (its products' opening stock schedules callbacks of its own)
    with override_settings(OMS_AUTO_VERIFY=True), django_capture_on_commit_callbacks(execute=True) as callbacks:
        order = services.order_submit(actor=None, order=draft)
    order.refresh_from_db()
    assert callbacks  # the verification task, scheduled for after the commit
    assert order.status == OrderStatus.CONFIRMED


def test_a_rolled_back_submit_schedules_no_verification(django_capture_on_commit_callbacks):
    from django.db import transaction

    order = make_order()
    with override_settings(OMS_AUTO_VERIFY=True), django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.order_submit(actor=None, order=order)
            raise RuntimeError("boom")
    assert callbacks == []
    order.refresh_from_db()
    assert order.status == OrderStatus.DRAFT


def test_the_verify_task_is_safe_to_run_twice():
    from orders.tasks import order_verify_task

    order = placed()
    assert order_verify_task.apply(kwargs={"order_id": order.pk}).get() == OrderStatus.CONFIRMED
    assert order_verify_task.apply(kwargs={"order_id": order.pk}).get() == "skipped"
    assert order.events.filter(to_status=OrderStatus.CONFIRMED).count() == 1


def test_finance_releases_a_hold_and_the_system_reverifies(finance_user):
    """Finance may release holds but not verify: the re-verification after a release is the system's."""
    customer = CustomerFactory(on_hold=True)
    order = services.order_verify(actor=None, order=placed(customer=customer))
    services.customer_set_hold(actor=None, customer=customer, on_hold=False)
    assert not finance_user.has_perm("orders.verify_order")

    order = services.order_release_hold(actor=finance_user, order=order, note="Cleared")

    assert order.status == OrderStatus.CONFIRMED
    # (the payment authorization is on the timeline too, written in the verification's own transaction)
    release, verification = list(order.events.filter(type=OrderEventType.STATUS_CHANGED).order_by("pk"))[-2:]
    assert (release.to_status, verification.to_status) == (OrderStatus.PLACED, OrderStatus.CONFIRMED)
    assert release.actor == finance_user and verification.actor is None


def test_a_verification_whose_order_changed_during_the_gateway_call_applies_nothing():
    """Phase two refuses results gathered before a hold and release changed the order."""
    from oms.exceptions import TransitionRefused

    order = placed()

    def gateway(o, actor):
        # Staff hold and release the order while the gateway is still answering.
        services.order_hold(actor=None, order=o, message="Call the customer")
        services.order_release_hold(actor=None, order=o, reverify=False)
        return CheckResult.passed("approved")

    register_check(name="test_slow_gateway", label="gateway", position=41, external=True)(gateway)
    try:
        with pytest.raises(TransitionRefused, match="changed while it was being verified"):
            services.order_verify(actor=None, order=order)
    finally:
        unregister_check("test_slow_gateway")
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED


def test_a_lost_verification_is_picked_up_by_the_sweep(settings):
    from datetime import timedelta

    from orders.models import Order
    from orders.tasks import orders_verify_stalled

    settings.OMS_AUTO_VERIFY = True
    stalled = placed()
    fresh = placed()
    Order.objects.filter(pk=stalled.pk).update(placed_at=stalled.placed_at - timedelta(minutes=30))

    assert orders_verify_stalled.apply().get() == 1
    stalled.refresh_from_db()
    fresh.refresh_from_db()
    assert (stalled.status, fresh.status) == (OrderStatus.CONFIRMED, OrderStatus.PLACED)
