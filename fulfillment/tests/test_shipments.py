"""Packing, shipping and delivering shipments, and the order moving with them."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from fulfillment import services
from fulfillment.enums import ShipmentStatus
from fulfillment.models import Shipment, TrackingEvent
from fulfillment.notifications import ORDER_SHIPPED
from notifications.enums import NotificationStatus
from notifications.models import Notification
from orders import notifications as NotificationKind
from inventory.models import StockLevel
from oms.exceptions import DomainError, TransitionRefused
from orders.enums import OrderEventType, OrderStatus
from orders.models import Order
from payments.enums import OrderPaymentStatus, PaymentMethod
from payments.selectors import order_payment_status
from tests.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_a_scanned_item_that_is_not_on_the_order_is_refused(place, release, warehouse):
    order = release(place())
    stranger = ProductFactory(barcode="9990001112223")
    shipment = services.shipment_start(actor=None, order=order, warehouse=warehouse)

    with pytest.raises(DomainError, match="Wrong item"):
        services.shipment_scan(actor=None, shipment=shipment, code="9990001112223")

    assert not shipment.lines.exists() and stranger.pk


def test_an_unknown_code_is_refused(place, release, warehouse):
    order = release(place())
    shipment = services.shipment_start(actor=None, order=order, warehouse=warehouse)

    with pytest.raises(DomainError, match="no product has the code"):
        services.shipment_scan(actor=None, shipment=shipment, code="NOPE")


def test_packing_more_than_is_left_to_pack_is_refused(place, release, warehouse):
    product = ProductFactory(barcode="4006381333931")
    order = release(place(products=[product], quantities=[2]))
    shipment = services.shipment_start(actor=None, order=order, warehouse=warehouse)
    services.shipment_scan(actor=None, shipment=shipment, code="4006381333931")
    services.shipment_scan(actor=None, shipment=shipment, code=product.sku.lower())

    with pytest.raises(DomainError, match="only 0 more"):
        services.shipment_scan(actor=None, shipment=shipment, code="4006381333931")

    assert shipment.lines.get().quantity == 2


def test_a_shipment_without_a_package_cannot_be_closed(place, release, warehouse):
    order = release(place())
    shipment = services.shipment_start(actor=None, order=order, warehouse=warehouse)
    services.shipment_scan(actor=None, shipment=shipment, code=order.lines.get().sku)

    with pytest.raises(DomainError, match="no package"):
        services.shipment_pack(actor=None, shipment=shipment)


def test_an_order_that_is_not_released_cannot_be_packed(place, warehouse):
    order = place()

    with pytest.raises(TransitionRefused, match="release it"):
        services.shipment_start(actor=None, order=order, warehouse=warehouse)


def test_shipping_consumes_the_stock_captures_the_payment_and_ships_the_order(place, release, pack, hand_over,
                                                                            warehouse):
    product = ProductFactory(unit_price=Decimal("40.00"))
    order = release(place(products=[product], quantities=[3]))
    on_hand_before = StockLevel.objects.get(product=product, warehouse=warehouse).on_hand

    shipment = hand_over(pack(order), service="2day")

    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED and order.shipped_at
    assert order.lines.get().quantity_shipped == 3
    assert StockLevel.objects.get(product=product, warehouse=warehouse).on_hand == on_hand_before - 3
    assert order_payment_status(order) == OrderPaymentStatus.PAID
    assert order.invoices.count() == 1
    assert shipment.status == ShipmentStatus.SHIPPED and shipment.tracking_number.startswith("PARC")
    assert shipment.tracking_url.endswith(shipment.tracking_number)
    assert shipment.tracking_events.get().status == ShipmentStatus.SHIPPED


def test_a_partial_shipment_leaves_the_order_partially_shipped_until_the_rest_ships(place, release, pack, hand_over):
    first, second = ProductFactory(), ProductFactory()
    order = release(place(products=[first, second], quantities=[2, 1]))

    hand_over(pack(order, codes={first.sku: 1}))
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_SHIPPED

    hand_over(pack(order))
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert [(line.quantity_shipped) for line in order.lines.all()] == [2, 1]
    assert order.shipments.count() == 2


def test_units_in_an_open_shipment_cannot_be_packed_again(place, release, warehouse):
    product = ProductFactory()
    order = release(place(products=[product], quantities=[1]))
    shipment = services.shipment_start(actor=None, order=order, warehouse=warehouse)
    services.shipment_scan(actor=None, shipment=shipment, code=product.sku)

    assert services.packable_quantities(order=order, warehouse=warehouse) == {order.lines.get().pk: 0}
    services.shipment_cancel(actor=None, shipment=shipment)
    assert services.packable_quantities(order=order, warehouse=warehouse) == {order.lines.get().pk: 1}


def test_a_tracking_number_used_twice_is_refused(shipped, place, release, pack, hand_over):
    _, first = shipped()
    order = release(place())

    with pytest.raises(DomainError, match="already used"):
        hand_over(pack(order), tracking_number=first.tracking_number)
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_FULFILLMENT  # nothing half-saved


def test_delivering_every_shipment_delivers_the_order(place, release, pack, hand_over):
    first, second = ProductFactory(), ProductFactory()
    order = release(place(products=[first, second]))
    a = hand_over(pack(order, codes={first.sku: 1}))
    b = hand_over(pack(order))

    services.shipment_mark_delivered(actor=None, shipment=a)
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED

    services.shipment_mark_delivered(actor=None, shipment=b)
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED and order.delivered_at


def test_staff_cannot_move_a_delivered_shipment_back(shipped):
    _, shipment = shipped()
    services.shipment_mark_delivered(actor=None, shipment=shipment)

    with pytest.raises(TransitionRefused):
        services.shipment_track(actor=None, shipment=shipment, status=ShipmentStatus.IN_TRANSIT)


def test_a_delivery_after_the_promised_date_is_flagged(shipped):
    order, shipment = shipped()

    services.shipment_track(actor=None, shipment=shipment, status=ShipmentStatus.DELIVERED,
                            occurred_at=order.deliver_by + timedelta(hours=1))

    shipment.refresh_from_db()
    assert shipment.deliver_by_breached
    assert shipment.tracking_events.filter(status=ShipmentStatus.DELIVERED).exists()


def test_an_order_goes_from_placement_to_completed(place, release, pack, hand_over, django_capture_on_commit_callbacks,
                                                   warehouse_user):
    """End to end through the services: placed, confirmed, released, packed, shipped,
    delivered, invoiced and paid, completed; the customer got one e-mail per step."""
    order = place(products=[ProductFactory(), ProductFactory()], quantities=[1, 2])
    assert order.status == OrderStatus.CONFIRMED
    order = release(order, actor=warehouse_user)
    assert order.status == OrderStatus.IN_FULFILLMENT
    shipment = hand_over(pack(order, actor=warehouse_user), actor=warehouse_user)

    with django_capture_on_commit_callbacks(execute=True):
        services.shipment_mark_delivered(actor=warehouse_user, shipment=shipment)

    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED and order.completed_at
    kinds = list(Notification.objects.filter(order=order, status=NotificationStatus.SENT)
                 .order_by("pk").values_list("kind", flat=True))
    assert kinds == [NotificationKind.ORDER_RECEIVED, NotificationKind.ORDER_CONFIRMED,
                     ORDER_SHIPPED, "invoice_issued", NotificationKind.ORDER_DELIVERED]
    assert len(mail.outbox) == 4 + 1  # and payments e-mails the invoice
    assert order.events.filter(type=OrderEventType.EMAIL_SENT).count() == 4 + 1  # every message is on the timeline
    statuses = list(order.events.filter(type=OrderEventType.STATUS_CHANGED).values_list("to_status", flat=True))
    assert statuses == ["placed", "confirmed", "in_fulfillment", "shipped", "delivered", "completed"]


def test_a_delivered_order_that_is_not_paid_waits_and_the_sweep_completes_it_once_paid(
        place, release, pack, hand_over, django_capture_on_commit_callbacks):
    from orders.tasks import orders_complete_settled_sweep
    from payments.services import payment_record_manual

    order = release(place(payment_method=PaymentMethod.TERMS, card=None,
                          customer=CustomerFactory(credit_limit=Decimal("10000"))))
    shipment = hand_over(pack(order))
    with django_capture_on_commit_callbacks(execute=True):
        services.shipment_mark_delivered(actor=None, shipment=shipment)
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED  # invoiced, not paid

    payment_record_manual(actor=None, order=order, amount=order.total, currency=order.currency, reference="cheque 1")
    assert orders_complete_settled_sweep() == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED


def test_the_cheapest_service_that_meets_the_promise_is_suggested(place, carriers, warehouse):
    order = place()
    Order.objects.filter(pk=order.pk).update(deliver_by=timezone.now() + timedelta(days=30))
    order.refresh_from_db()

    quotes = services.shipping_quotes(order=order, warehouse=warehouse, weight_kg=Decimal("2"))
    assert services.suggest_service(quotes).service_level.code == "standard"  # National Post, cheapest

    Order.objects.filter(pk=order.pk).update(deliver_by=timezone.now() + timedelta(hours=1))
    order.refresh_from_db()
    quotes = services.shipping_quotes(order=order, warehouse=warehouse, weight_kg=Decimal("2"))
    assert services.suggest_service(quotes).service_level.code == "overnight"  # none meets it: the fastest


def test_a_parcel_heavier_than_every_bracket_gets_no_quote(place, carriers, warehouse):
    order = place()
    assert services.shipping_quotes(order=order, warehouse=warehouse, weight_kg=Decimal("500")) == []


def test_a_tracking_event_is_immutable_history(shipped):
    _, shipment = shipped()
    services.shipment_track(actor=None, shipment=shipment, status=ShipmentStatus.IN_TRANSIT, location="Chicago")
    assert list(TrackingEvent.objects.filter(shipment=shipment).values_list("status", flat=True)) == [
        "shipped", "in_transit"]
    assert Shipment.objects.get(pk=shipment.pk).status == ShipmentStatus.IN_TRANSIT


def test_a_shipment_still_on_the_way_after_the_promise_is_flagged_by_the_sweep(shipped):
    from fulfillment.tasks import shipments_flag_late_task

    order, shipment = shipped()
    assert shipments_flag_late_task() == 0

    Order.objects.filter(pk=order.pk).update(deliver_by=timezone.now() - timedelta(minutes=1))
    assert shipments_flag_late_task() == 1
    assert Shipment.objects.get(pk=shipment.pk).deliver_by_breached
    assert shipments_flag_late_task() == 0
