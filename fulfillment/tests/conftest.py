from decimal import Decimal

import pytest

from fulfillment import services
from fulfillment.demo import carriers_ensure
from fulfillment.models import ServiceLevel
from orders.models import Order
from tests.factories import ProductFactory, WarehouseFactory, make_order

APPROVED_CARD = "4242424242424242"


@pytest.fixture(autouse=True)
def _fast_gateway(settings):
    settings.OMS_SIMULATED_GATEWAY_DELAY = 0.01


@pytest.fixture
def carriers(db):
    carriers_ensure()
    return {level.code: level for level in ServiceLevel.objects.select_related("carrier")
            .filter(carrier__code="parcel-express")}


@pytest.fixture
def warehouse(db):
    return WarehouseFactory()


@pytest.fixture
def place(db, django_capture_on_commit_callbacks):
    """A submitted order, verified (stock allocated, card authorized) on commit, as in production."""
    from orders.services import order_submit
    from payments.services import payment_details_set

    def _place(*, products=None, quantities=None, card: str | None = APPROVED_CARD, **kwargs) -> Order:
        order = make_order(products=products or [ProductFactory(unit_price=Decimal("25.00"))],
                           quantities=quantities, **kwargs)
        if card and order.payment_method in ("card", "debit", "paypal"):
            payment_details_set(actor=None, order=order, card_number=card)
        with django_capture_on_commit_callbacks(execute=True):
            order_submit(actor=None, order=order)
        return Order.objects.get(pk=order.pk)

    return _place


@pytest.fixture
def release(django_capture_on_commit_callbacks, warehouse):
    def _release(order: Order, actor=None) -> Order:
        with django_capture_on_commit_callbacks(execute=True):
            services.wave_create(actor=actor, warehouse=warehouse, orders=[order])
        return Order.objects.get(pk=order.pk)

    return _release


@pytest.fixture
def pack(warehouse):
    """Open a shipment, scan `codes` ({code: qty}) or every line's SKU, add a package and close it."""

    def _pack(order: Order, codes: dict[str, int] | None = None, actor=None):
        shipment = services.shipment_start(actor=actor, order=order, warehouse=warehouse)
        if codes is None:
            codes = {line.sku: line.quantity - line.quantity_shipped for line in order.lines.all()
                     if line.quantity > line.quantity_shipped}
        for code, qty in codes.items():
            services.shipment_scan(actor=actor, shipment=shipment, code=code, quantity=qty)
        services.package_add(actor=actor, shipment=shipment, weight_kg=Decimal("1.2"), length_cm=Decimal("30"),
                             width_cm=Decimal("20"), height_cm=Decimal("10"))
        return services.shipment_pack(actor=actor, shipment=shipment)

    return _pack


@pytest.fixture
def ship(django_capture_on_commit_callbacks, carriers):
    def _ship(shipment, service: str = "ground", actor=None, tracking_number: str = ""):
        with django_capture_on_commit_callbacks(execute=True):
            return services.shipment_ship(actor=actor, shipment=shipment, service_level=carriers[service],
                                          tracking_number=tracking_number)

    return _ship


@pytest.fixture
def shipped(place, release, pack, ship):
    """An order placed, released, packed in full and shipped with Parcel Express Ground."""

    def _shipped(**kwargs):
        order = release(place(**kwargs))
        shipment = ship(pack(order))
        return Order.objects.get(pk=order.pk), shipment

    return _shipped
