"""The one place returns touch stock, through inventory's services and ledger.

Restocked units go back on the shelf: a `return_restock` movement, after whose commit
inventory announces the stock, so waiting backorders are allocated. Scrapped units come
in and are written off at once (`return_restock` then `scrap`, both under the same stock
row lock): on hand does not change, and the ledger shows what came back and was thrown away.
Units of a refund by line that came back are restocked the same way, under the refund's number.
"""

from inventory.enums import MovementKind
from inventory.models import Allocation, StockLevel, Warehouse
from inventory.services import stock_adjust, stock_return_restock
from oms.exceptions import DomainError
from returns.models import Refund, RefundLine, ReturnLine, ReturnRequest


def restock_returned_units(*, actor, return_request: ReturnRequest, line: ReturnLine, quantity: int) -> None:
    _receive_into_stock(actor=actor, return_request=return_request, line=line, quantity=quantity)


def scrap_returned_units(*, actor, return_request: ReturnRequest, line: ReturnLine, quantity: int) -> None:
    movement = _receive_into_stock(actor=actor, return_request=return_request, line=line, quantity=quantity)
    stock_adjust(actor=actor, stock_level=StockLevel.objects.get(pk=movement.stock_level_id), quantity_delta=-quantity,
                 kind=MovementKind.SCRAP, reason=f"Return {return_request.number}: scrapped after inspection")


def restock_refunded_units(*, actor, refund: Refund, line: RefundLine) -> None:
    _into_stock(actor=actor, order_line=line.order_line, order=refund.order, quantity=line.quantity,
                reference=refund.number, reason=f"Refund {refund.number}: came back, put back in stock")


def _receive_into_stock(*, actor, return_request: ReturnRequest, line: ReturnLine, quantity: int):
    return _into_stock(actor=actor, order_line=line.order_line, order=return_request.order, quantity=quantity,
                       reference=return_request.number,
                       reason=f"Return {return_request.number}: {line.get_reason_display()}")


def _into_stock(*, actor, order_line, order, quantity: int, reference: str, reason: str):
    return stock_return_restock(actor=actor, product=order_line.product, warehouse=restock_warehouse(order_line.pk),
                                quantity=quantity, order=order, reference=reference, reason=reason)


def restock_warehouse(order_line_id: int) -> Warehouse:
    """The warehouse the units shipped from, else the first active one."""
    allocation = (Allocation.objects.filter(order_line_id=order_line_id, quantity_consumed__gt=0)
                  .select_related("warehouse").order_by("pk").first())
    if allocation is not None:
        return allocation.warehouse
    warehouse = Warehouse.objects.filter(active=True).order_by("priority", "code").first()
    if warehouse is None:
        raise DomainError("There is no active warehouse to take the returned items in.")
    return warehouse
