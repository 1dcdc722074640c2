"""Real concurrency on PostgreSQL: two packers, or two copies of one carrier event, at once."""

import pytest

from fulfillment import services
from fulfillment.enums import ShipmentStatus, TrackingSource
from fulfillment.models import ShipmentLine, TrackingEvent
from oms.exceptions import DomainError
from tests.concurrency import run_together
from tests.factories import ProductFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_packers_scanning_the_last_unit_pack_it_once(place, release, warehouse):
    product = ProductFactory()
    order = release(place(products=[product], quantities=[1]))
    first = services.shipment_start(actor=None, order=order, warehouse=warehouse)
    services.shipment_cancel(actor=None, shipment=first)
    a = services.shipment_start(actor=None, order=order, warehouse=warehouse)
    # A second bench packs the same order into its own shipment.
    from fulfillment.models import Shipment

    b = Shipment.objects.create(number="SH-BENCH2", order=order, warehouse=warehouse)

    outcomes = run_together([
        lambda: services.shipment_scan(actor=None, shipment=a, code=product.sku),
        lambda: services.shipment_scan(actor=None, shipment=b, code=product.sku),
    ])

    assert sum(isinstance(o, DomainError) for o in outcomes) == 1
    assert sum(row.quantity for row in ShipmentLine.objects.filter(order_line__order=order)) == 1


def test_one_carrier_event_delivered_twice_at_once_moves_the_shipment_once(shipped):
    _, shipment = shipped()

    outcomes = run_together([
        lambda: services.shipment_track(actor=None, shipment=shipment, status=ShipmentStatus.IN_TRANSIT,
                                        source=TrackingSource.CARRIER, external_id="race-1")
        for _ in range(3)
    ])

    assert sum(o is not None for o in outcomes) == 1 and not any(isinstance(o, Exception) for o in outcomes)
    assert TrackingEvent.objects.filter(external_id="race-1").count() == 1
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.IN_TRANSIT


def test_buy_label_pressed_twice_at_once_buys_one_label(easypost, packed):
    """Two presses race on PostgreSQL while EasyPost is slow: the first claims the shipment row and
    calls EasyPost outside the lock; the second finds the label being bought and buys nothing.
    EasyPost sees one purchase and the shipment has one label."""
    from fulfillment.enums import LabelStatus
    from fulfillment.models import CarrierLabel

    _, shipment = packed()
    easypost.slow["buy"] = 0.5

    outcomes = run_together([
        lambda: services.shipment_label_buy(actor=None, shipment=shipment, service_level=easypost.priority)
        for _ in range(2)
    ])

    assert easypost.count("buy") == 1 and len(easypost.bought()) == 1
    assert CarrierLabel.objects.filter(shipment=shipment).count() == 1
    bought = [o for o in outcomes if isinstance(o, CarrierLabel)]
    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(bought) + len(refused) == 2 and bought and bought[0].status == LabelStatus.BOUGHT
    assert all("being bought" in r.message for r in refused)
