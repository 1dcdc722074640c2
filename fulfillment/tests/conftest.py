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


@pytest.fixture
def easypost(settings, db):
    """The fake EasyPost API, the app pointed at it, and a USPS Priority service level EasyPost prices."""
    from fulfillment.enums import CarrierProvider
    from fulfillment.models import Carrier, ServiceLevel
    from fulfillment.tests.easypost_fake import API_KEY, WEBHOOK_SECRET, FakeEasyPost

    fake = FakeEasyPost().start()
    settings.EASYPOST_API_KEY = API_KEY
    settings.EASYPOST_API_BASE = fake.api_base
    settings.EASYPOST_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.EASYPOST_TIMEOUT = 5
    settings.EASYPOST_LABEL_FORMAT = "PDF"
    carrier, _ = Carrier.objects.get_or_create(code="usps", defaults={"name": "USPS"})
    fake.priority, _ = ServiceLevel.objects.get_or_create(
        carrier=carrier, code="priority", defaults={
            "name": "Priority", "transit_days": 2, "provider": CarrierProvider.EASYPOST,
            "provider_carrier": "USPS", "provider_service": "Priority"})
    yield fake
    fake.stop()


@pytest.fixture
def packed(place, release, pack):
    """A placed, released and packed (one package) order and its shipment."""

    def _packed(**kwargs):
        order = release(place(**kwargs))
        return Order.objects.get(pk=order.pk), pack(order)

    return _packed
