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
