"""Changing a placed order: edits of every kind, cancelled lines, and what stock and money do after."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from fulfillment.demo import carriers_ensure
from fulfillment.services import shipment_start
from inventory.models import Allocation, StockLevel, Warehouse
from inventory.selectors import ledger_drift
from oms.exceptions import DomainError, TransitionRefused
from orders import services
from orders.enums import HoldReason, OrderChangeKind, OrderEventType, OrderStatus, Priority
from orders.models import Order, OrderLine
from orders.services import LineChange, NotPermitted, OrderChange
from payments.enums import PaymentMethod, PaymentStatus, TransactionKind, TransactionOutcome
from payments.gateways.base import GatewayResult
from payments.gateways.simulated import SimulatedGateway
from payments.models import Payment
from payments.services import payment_details_set
from tests.factories import CustomerFactory, ProductFactory, address, make_order

# Real commits, so the payment settlement and e-mails that follow an edit run as they do in production.
pytestmark = pytest.mark.django_db(transaction=True)

CARD = "4242424242424242"


@pytest.fixture(autouse=True)
def no_tax(settings):
    settings.OMS_TAX_RATES = {}  # round amounts: the tax rules have tests of their own


def confirmed_card_order(products=None, quantities=None, **kwargs) -> Order:
    """A card order, authorized and confirmed through verification (inline tasks)."""
    order = make_order(products=products, quantities=quantities, **kwargs)
    payment_details_set(actor=None, order=order, card_number=CARD)
    services.order_submit(actor=None, order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    return order


def open_allocated(line: OrderLine) -> int:
    return sum(a.quantity_open for a in Allocation.objects.filter(order_line=line))


def assert_stock_and_money_consistent(order: Order) -> None:
    """Allocations equal the new quantities, the ledger adds up, and the authorization covers what is owed."""
    order.refresh_from_db()
    for line in order.lines.all():
        assert line.quantity_allocated == line.quantity == open_allocated(line), line
    assert ledger_drift() == []
    call_command("check_stock_ledger")
    payment = Payment.objects.get(order=order)
    assert payment.amount == order.total
    assert payment.captured_amount <= payment.authorized_amount
    if payment.status == PaymentStatus.AUTHORIZED:
        assert payment.authorized_amount == order.total


def test_raising_a_quantity_allocates_the_difference_and_authorizes_the_extra(sales_user):
    chair = ProductFactory(stock=10)
    order = confirmed_card_order(products=[chair], quantities=[2])
    line = order.lines.get()

    services.order_edit(actor=sales_user, order=order, change=OrderChange(lines=(LineChange(line_id=line.pk,
                                                                                             quantity=5),)))

    line.refresh_from_db()
    assert line.quantity == 5 and line.line_total == Decimal("50.00")
    assert StockLevel.objects.get(product=chair).allocated == 5
    payment = Payment.objects.get(order=order)
    assert payment.transactions.filter(kind=TransactionKind.AUTHORIZE_INCREASE, amount=Decimal("30.00"),
                                       outcome=TransactionOutcome.SUCCEEDED).count() == 1
    assert_stock_and_money_consistent(order)


def test_lowering_a_quantity_releases_stock_and_voids_part_of_the_authorization(sales_user):
    chair = ProductFactory(stock=10)
    order = confirmed_card_order(products=[chair], quantities=[4])
    line = order.lines.get()

    services.order_edit(actor=sales_user, order=order, change=OrderChange(lines=(LineChange(line_id=line.pk,
                                                                                             quantity=1),)))

    assert StockLevel.objects.get(product=chair).allocated == 1
    payment = Payment.objects.get(order=order)
    assert payment.transactions.get(kind=TransactionKind.PARTIAL_VOID).amount == Decimal("30.00")
    assert payment.authorized_amount == Decimal("10.00")
    assert_stock_and_money_consistent(order)


def test_adding_and_removing_lines_moves_only_those_lines_stock(sales_user):
    chair, lamp, desk = ProductFactory(stock=10), ProductFactory(stock=10), ProductFactory(stock=10)
    order = confirmed_card_order(products=[chair, lamp], quantities=[1, 2])
    chair_line, lamp_line = order.lines.order_by("position")

    services.order_edit(actor=sales_user, order=order, change=OrderChange(lines=(
        LineChange(line_id=lamp_line.pk, quantity=0), LineChange(product=desk, quantity=3))))

    assert sorted(order.lines.values_list("sku", "quantity")) == sorted([(chair.sku, 1), (desk.sku, 3)])
    assert [StockLevel.objects.get(product=p).allocated for p in (chair, lamp, desk)] == [1, 0, 3]
    assert_stock_and_money_consistent(order)


def test_a_new_line_beyond_stock_changes_nothing_on_a_confirmed_order(sales_user):
    chair, scarce = ProductFactory(stock=10), ProductFactory(stock=1)
    order = confirmed_card_order(products=[chair], quantities=[1])
    total = order.total

    with pytest.raises(DomainError, match="not enough stock"):
        services.order_edit(actor=sales_user, order=order, change=OrderChange(lines=(
            LineChange(product=scarce, quantity=2),)))

    # Refused before the card was asked for more.
    assert not Payment.objects.get(order=order).transactions.filter(
        kind=TransactionKind.AUTHORIZE_INCREASE).exists()
    order.refresh_from_db()
    assert order.total == total and order.lines.count() == 1 and not order.versions.exists()
    assert StockLevel.objects.get(product=scarce).allocated == 0
    assert_stock_and_money_consistent(order)


def test_an_address_edit_corrects_a_held_order_which_then_releases(sales_user):
    order = make_order(shipping_address=address(line1="", city=""))
    payment_details_set(actor=None, order=order, card_number=CARD)
    services.order_submit(actor=None, order=order)
    order.refresh_from_db()
    assert order.hold_reason == HoldReason.INCOMPLETE_ADDRESS

    services.order_edit(actor=sales_user, order=order, change=OrderChange(shipping_address=address()))
    services.order_release_hold(actor=sales_user, order=order, note="Address corrected")

    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED and order.ship_line1 == "12 Analytical Way"
    version = order.versions.get()
    assert version.changes[0]["field"] == "shipping_address"
    assert_stock_and_money_consistent(order)


def test_an_edit_leaving_the_address_incomplete_is_refused(sales_user):
    order = confirmed_card_order()
    with pytest.raises(DomainError, match="missing: city"):
        services.order_edit(actor=sales_user, order=order, change=OrderChange(shipping_address=address(city="")))


def test_priority_and_shipping_edits_move_the_promise_and_the_total(sales_user):
    order = confirmed_card_order()
    ship_by = order.ship_by

    services.order_edit(actor=sales_user, order=order, change=OrderChange(priority=Priority.RUSH,
                                                                          shipping_total=Decimal("5.00")))

    order.refresh_from_db()
    assert order.priority == Priority.RUSH and order.ship_by < ship_by
    assert order.total == Decimal("15.00")
    assert_stock_and_money_consistent(order)


def test_price_changes_need_the_price_permission(sales_user, manager_user):
    order = confirmed_card_order()
    line = order.lines.get()
    change = OrderChange(lines=(LineChange(line_id=line.pk, quantity=1, unit_price=Decimal("8.00"),
                                           discount=Decimal("1.00")),))

    with pytest.raises(NotPermitted):
        services.order_edit(actor=sales_user, order=order, change=change)
    services.order_edit(actor=manager_user, order=order, change=change)

    order.refresh_from_db()
    assert order.total == Decimal("7.00")
    assert_stock_and_money_consistent(order)


def test_a_declined_extra_authorization_holds_the_order_with_its_old_lines_allocated(sales_user, monkeypatch):
    chair = ProductFactory(stock=10)
    order = confirmed_card_order(products=[chair], quantities=[2])
    line = order.lines.get()
    monkeypatch.setattr(SimulatedGateway, "authorize", lambda self, **kw: GatewayResult(
        False, "sim_auth_x", "insufficient_funds", "The card has insufficient funds."))

    with pytest.raises(DomainError, match="insufficient funds"):
        services.order_edit(actor=sales_user, order=order, change=OrderChange(lines=(
            LineChange(line_id=line.pk, quantity=6),)))

    order.refresh_from_db()
    line.refresh_from_db()
    assert order.status == OrderStatus.ON_HOLD and order.hold_reason == HoldReason.PAYMENT_DECLINED
    assert line.quantity == 2 and line.quantity_allocated == 2 == open_allocated(line)
    assert StockLevel.objects.get(product=chair).allocated == 2
    assert not order.versions.exists()
    payment = Payment.objects.get(order=order)
    assert payment.status == PaymentStatus.AUTHORIZED and payment.authorized_amount == Decimal("20.00")


def test_a_repeated_submit_of_the_same_edit_is_refused_as_stale(sales_user):
    order = confirmed_card_order(quantities=[1])
    line = order.lines.get()
    change = OrderChange(lines=(LineChange(line_id=line.pk, quantity=2),))
    services.order_edit(actor=sales_user, order=order, change=change, expected_version=0)

    with pytest.raises(TransitionRefused, match="changed by someone else"):
        services.order_edit(actor=sales_user, order=order, change=change, expected_version=0)
    assert order.versions.count() == 1
    assert Payment.objects.get(order=order).transactions.filter(
        kind=TransactionKind.AUTHORIZE_INCREASE).count() == 1


def test_each_edit_is_a_version_on_the_timeline_and_one_email(sales_user, mailoutbox):
    order = confirmed_card_order(quantities=[1])
    line = order.lines.get()
    mailoutbox.clear()

    services.order_edit(actor=sales_user, order=order, reason="Customer called",
                        change=OrderChange(lines=(LineChange(line_id=line.pk, quantity=3),)))

    version = order.versions.get()
    assert version.number == 1 and version.kind == OrderChangeKind.EDIT
    assert version.total_before == Decimal("10.00") and version.total_after == Decimal("30.00")
    assert {"field": f"line:{line.pk}:quantity", "label": f"{line.sku} {line.name}: quantity",
            "before": "1", "after": "3"} in version.changes
    event = order.events.get(type=OrderEventType.CHANGED)
    assert "Customer called" in event.message and event.data["version"] == 1
    changed = [m for m in mailoutbox if "was changed" in m.subject]
    assert len(changed) == 1 and "30.00" in changed[0].body


def test_cancelling_a_line_releases_its_stock_and_settles_the_money(sales_user):
    chair, lamp = ProductFactory(stock=10), ProductFactory(stock=10)
    order = confirmed_card_order(products=[chair, lamp], quantities=[1, 2])
    lamp_line = order.lines.get(product=lamp)

    services.order_line_cancel(actor=sales_user, order=order, line_id=lamp_line.pk, reason="Out of fashion")

    order.refresh_from_db()
    assert order.total == Decimal("10.00") and list(order.lines.values_list("sku", flat=True)) == [chair.sku]
    assert StockLevel.objects.get(product=lamp).allocated == 0
    assert order.versions.get().kind == OrderChangeKind.LINE_CANCEL
    assert_stock_and_money_consistent(order)


def test_cancelling_the_last_line_is_refused(sales_user):
    order = confirmed_card_order()
    with pytest.raises(DomainError, match="cancel the order instead"):
        services.order_line_cancel(actor=sales_user, order=order, line_id=order.lines.get().pk, reason="x")


def test_a_wire_order_paid_in_advance_is_refunded_what_it_no_longer_owes(sales_user, finance_user):
    from payments.services import payment_record_manual

    order = make_order(quantities=[3], payment_method=PaymentMethod.WIRE, submit=True)
    order.refresh_from_db()
    payment_record_manual(actor=finance_user, order=order, amount=order.total, currency=order.currency)
    line = order.lines.get()

    services.order_edit(actor=sales_user, order=order, change=OrderChange(lines=(LineChange(line_id=line.pk,
                                                                                             quantity=1),)))

    payment = Payment.objects.get(order=order)
    assert payment.refunded_amount == Decimal("20.00")
    assert payment.captured_amount - payment.refunded_amount == Decimal("10.00")
    assert_stock_and_money_consistent(order)


def test_a_terms_order_may_not_grow_beyond_the_credit_limit(sales_user):
    customer = CustomerFactory(credit_limit=Decimal("25.00"))
    order = make_order(customer=customer, quantities=[2], payment_method=PaymentMethod.TERMS, submit=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED

    with pytest.raises(DomainError, match="credit limit"):
        services.order_edit(actor=sales_user, order=order, change=OrderChange(lines=(
            LineChange(line_id=order.lines.get().pk, quantity=3),)))
    assert order.lines.get().quantity == 2


def test_an_order_whose_packing_started_can_no_longer_change(sales_user, warehouse_user):
    carriers_ensure()
    order = confirmed_card_order()
    services.order_release_to_fulfillment(actor=warehouse_user, order=order)
    shipment_start(actor=warehouse_user, order=order, warehouse=Warehouse.objects.get(code="MAIN"))

    with pytest.raises(TransitionRefused, match="Packing of order .* has started"):
        services.order_edit(actor=sales_user, order=order, change=OrderChange(priority=Priority.RUSH))
    with pytest.raises(TransitionRefused):
        services.order_line_cancel(actor=sales_user, order=order, line_id=order.lines.get().pk, reason="x")


def test_a_shipped_order_can_no_longer_change(sales_user, warehouse_user):
    order = confirmed_card_order()
    services.order_release_to_fulfillment(actor=warehouse_user, order=order)
    services.order_ship(actor=warehouse_user, order=order)

    with pytest.raises(TransitionRefused, match="shipped; it can no longer be changed"):
        services.order_edit(actor=sales_user, order=order, change=OrderChange(priority=Priority.RUSH))


@pytest.mark.postgres
def test_an_edit_racing_the_shipment_of_the_same_order_has_exactly_one_winner(sales_user, warehouse_user):
    from tests.concurrency import run_together

    order = confirmed_card_order(quantities=[3])
    services.order_release_to_fulfillment(actor=warehouse_user, order=order)
    line = order.lines.get()

    def work(i):
        fresh = Order.objects.get(pk=order.pk)
        if i == 0:
            return services.order_edit(actor=sales_user, order=fresh,
                                       change=OrderChange(lines=(LineChange(line_id=line.pk, quantity=2),)))
        return services.order_ship(actor=warehouse_user, order=fresh, quantities={line.pk: 3})

    results = run_together([lambda: work(0), lambda: work(1)])

    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == 1 and len([r for r in results if isinstance(r, Order)]) == 1, results
    order.refresh_from_db()
    line.refresh_from_db()
    if isinstance(results[0], Order):  # the edit won: the warehouse's 3 no longer fit the line
        assert "can ship 1 to 2, not 3" in refused[0].message
        assert order.status == OrderStatus.IN_FULFILLMENT and line.quantity == 2 and line.quantity_shipped == 0
        assert_stock_and_money_consistent(order)
    else:  # the shipment won: the order is no longer changeable
        assert "shipped; it can no longer be changed" in refused[0].message
        assert order.status == OrderStatus.SHIPPED and line.quantity == line.quantity_shipped == 3
        assert not order.versions.exists()
    assert ledger_drift() == []


def test_cancelling_the_line_a_backorder_waits_for_confirms_the_order(sales_user):
    chair, missing = ProductFactory(stock=10), ProductFactory(stock=0)
    order = make_order(products=[chair, missing], quantities=[1, 1])
    payment_details_set(actor=None, order=order, card_number=CARD)
    services.order_submit(actor=None, order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.BACKORDERED

    services.order_line_cancel(actor=sales_user, order=order, line_id=order.lines.get(product=missing).pk,
                               reason="Discontinued by the maker")

    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert_stock_and_money_consistent(order)


def test_a_backorder_that_grows_keeps_what_it_has_and_waits_for_the_rest(sales_user):
    chair = ProductFactory(stock=3)
    order = make_order(products=[chair, ProductFactory(stock=0)], quantities=[1, 1])
    payment_details_set(actor=None, order=order, card_number=CARD)
    services.order_submit(actor=None, order=order)
    order.refresh_from_db()
    chair_line = order.lines.get(product=chair)

    services.order_edit(actor=sales_user, order=order, change=OrderChange(lines=(
        LineChange(line_id=chair_line.pk, quantity=5),)))

    order.refresh_from_db()
    chair_line.refresh_from_db()
    assert order.status == OrderStatus.BACKORDERED
    assert chair_line.quantity == 5 and chair_line.quantity_allocated == 3 == open_allocated(chair_line)
    assert StockLevel.objects.get(product=chair).allocated == 3
    assert ledger_drift() == []
