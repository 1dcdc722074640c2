"""Restocked returns go back to sellable stock through inventory's ledger and serve waiting
backorders; scrapped ones are written off in the ledger and never become sellable."""

import pytest

from inventory.enums import MovementKind
from inventory.models import StockLevel, StockMovement
from orders.enums import OrderStatus
from orders.models import Order
from returns import services
from returns.enums import InspectionOutcome, ReturnReason
from returns.tests.conftest import line_inputs
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _return_and_inspect(order, outcome, run_on_commit):
    rma = services.return_request_create(actor=None, order=order,
                                         lines=line_inputs(order, (0, 1, ReturnReason.NO_LONGER_NEEDED)))
    services.return_approve(actor=None, return_request=rma)
    services.return_receive(actor=None, return_request=rma, quantities={rma.lines.get().pk: 1})
    with run_on_commit(execute=True):
        return services.return_inspect(actor=None, return_request=rma, decisions={
            rma.lines.get().pk: services.InspectionDecision(outcome)})


def test_restocked_items_become_available_and_release_a_waiting_backorder(
        place_order, ship, deliver, django_capture_on_commit_callbacks):
    # Given the last unit of a product was sold and delivered, and the next order of it waits for stock
    product = ProductFactory(stock=1)
    sold = deliver(ship(place_order(products=[product])))
    waiting = place_order(products=[product])
    assert waiting.status == OrderStatus.BACKORDERED
    level = StockLevel.objects.get(product=product)
    assert level.on_hand == 0

    # When the sold unit comes back and is restocked
    rma = _return_and_inspect(sold, InspectionOutcome.RESTOCK, django_capture_on_commit_callbacks)

    # Then it went back on the shelf through the ledger and the waiting order got it
    movement = StockMovement.objects.get(product=product, kind=MovementKind.RETURN_RESTOCK)
    assert movement.on_hand_delta == 1 and movement.reference == rma.number and movement.order_id == sold.pk
    level.refresh_from_db()
    assert (level.on_hand, level.allocated) == (1, 1)
    assert Order.objects.get(pk=waiting.pk).status == OrderStatus.CONFIRMED


def test_scrapped_items_are_written_off_and_never_become_available(
        place_order, ship, deliver, django_capture_on_commit_callbacks):
    product = ProductFactory(stock=1)
    sold = deliver(ship(place_order(products=[product])))
    waiting = place_order(products=[product])

    _return_and_inspect(sold, InspectionOutcome.SCRAP, django_capture_on_commit_callbacks)

    kinds = sorted(StockMovement.objects.filter(product=product, kind__in=[MovementKind.RETURN_RESTOCK,
                                                                           MovementKind.SCRAP])
                   .values_list("kind", "on_hand_delta"))
    assert kinds == [(MovementKind.RETURN_RESTOCK, 1), (MovementKind.SCRAP, -1)]
    assert StockLevel.objects.get(product=product).on_hand == 0
    assert Order.objects.get(pk=waiting.pk).status == OrderStatus.BACKORDERED
