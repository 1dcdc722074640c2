from decimal import Decimal

import pytest

from orders.models import Order
from returns.services import ReturnLineInput
from tests.factories import ProductFactory


@pytest.fixture(autouse=True)
def _returns_test_settings(settings):
    settings.OMS_SIMULATED_GATEWAY_DELAY = 0.01
    settings.OMS_RETURN_WINDOW_DAYS = 30


@pytest.fixture
def delivered_order(place_order, ship, deliver):
    """Two lines shipped (in a real shipment) and delivered, paid by card: 3 × 20.00 and 1 × 50.00,
    5.00 shipping, no tax."""

    def _make(**kwargs) -> Order:
        kwargs.setdefault("products", [ProductFactory(unit_price=Decimal("20.00"), tax_class="zero"),
                                       ProductFactory(unit_price=Decimal("50.00"), tax_class="zero")])
        kwargs.setdefault("quantities", [3, 1])
        kwargs.setdefault("shipping_total", Decimal("5.00"))
        return deliver(ship(place_order(**kwargs)))

    return _make


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Call a service and run what it left for after commit (tasks, e-mails), as production does."""

    def _run(function, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    return _run


def line_inputs(order: Order, *specs) -> list[ReturnLineInput]:
    """specs: (line index, quantity, reason)."""
    lines = list(order.lines.order_by("position", "pk"))
    return [ReturnLineInput(order_line_id=lines[i].pk, quantity=q, reason=reason) for i, q, reason in specs]
