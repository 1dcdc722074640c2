from decimal import Decimal

import pytest

from orders.models import Order
from payments.enums import PaymentMethod
from tests.factories import ProductFactory


@pytest.fixture(autouse=True)
def _fast_gateway(settings):
    settings.OMS_SIMULATED_GATEWAY_DELAY = 0.01


@pytest.fixture
def place(place_order):
    """A submitted order of one 25.00 product (unless told), verified on commit, as in production."""

    def _place(*, products=None, payment_method: str = PaymentMethod.CARD, **kwargs) -> Order:
        return place_order(products=products or [ProductFactory(unit_price=Decimal("25.00"))],
                           method=payment_method, **kwargs)

    return _place


@pytest.fixture
def shipped(place, release, pack, hand_over):
    """An order placed, released, packed in full and shipped with Parcel Express Ground."""

    def _shipped(**kwargs):
        order = release(place(**kwargs))
        shipment = hand_over(pack(order))
        return Order.objects.get(pk=order.pk), shipment

    return _shipped
