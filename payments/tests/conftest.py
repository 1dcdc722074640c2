import pytest

from orders.models import Order
from payments.enums import AUTHORIZE_METHODS, PaymentMethod
from tests.factories import make_order

APPROVED = "4242424242424242"
DECLINED = "4000000000000002"
INSUFFICIENT_FUNDS = "4000000000009995"
EXPIRED = "4000000000000069"
FRAUD = "4100000000000019"
SLOW = "4000000000000119"


@pytest.fixture(autouse=True)
def _payments_test_settings(settings):
    settings.OMS_SIMULATED_GATEWAY_DELAY = 0.01


@pytest.fixture
def place_order(db, django_capture_on_commit_callbacks):
    """Place an order (verified on commit, as in production) paid by `method` with `card`."""
    from orders.services import order_submit
    from payments.services import payment_details_set

    def _place(*, card: str | None = APPROVED, method: str = PaymentMethod.CARD, **kwargs) -> Order:
        order = make_order(payment_method=method, **kwargs)
        if card and method in AUTHORIZE_METHODS:
            payment_details_set(actor=None, order=order, card_number=card)
        with django_capture_on_commit_callbacks(execute=True):
            order_submit(actor=None, order=order)
        return Order.objects.get(pk=order.pk)

    return _place


@pytest.fixture
def ship(django_capture_on_commit_callbacks):
    """Release and ship an order through the order services, running their on-commit tasks."""
    from orders.services import order_release_to_fulfillment, order_ship

    def _ship(order: Order, quantities=None) -> Order:
        with django_capture_on_commit_callbacks(execute=True):
            if order.status == "confirmed":
                order = order_release_to_fulfillment(actor=None, order=order)
            order_ship(actor=None, order=order, quantities=quantities)
        return Order.objects.get(pk=order.pk)

    return _ship
