"""The one place returns touch stock, through inventory's services and ledger.

Restocked units go back on the shelf: a `return_restock` movement, after whose commit
inventory announces the stock, so waiting backorders are allocated. Scrapped units come
in and are written off at once (`return_restock` then `scrap`, both under the same stock
row lock): on hand does not change, and the ledger shows what came back and was thrown away.
"""

from inventory.enums import MovementKind
from inventory.models import Allocation, StockLevel, Warehouse
from inventory.services import stock_adjust, stock_return_restock
from oms.exceptions import DomainError
from returns.models import ReturnLine, ReturnRequest


def restock_returned_units(*, actor, return_request: ReturnRequest, line: ReturnLine, quantity: int) -> None:
    _receive_into_stock(actor=actor, return_request=return_request, line=line, quantity=quantity)


def scrap_returned_units(*, actor, return_request: ReturnRequest, line: ReturnLine, quantity: int) -> None:
    movement = _receive_into_stock(actor=actor, return_request=return_request, line=line, quantity=quantity)
    stock_adjust(actor=actor, stock_level=StockLevel.objects.get(pk=movement.stock_level_id), quantity_delta=-quantity,
                 kind=MovementKind.SCRAP, reason=f"Return {return_request.number}: scrapped after inspection")


def _receive_into_stock(*, actor, return_request: ReturnRequest, line: ReturnLine, quantity: int):
    return stock_return_restock(
        actor=actor, product=line.order_line.product, warehouse=restock_warehouse(line), quantity=quantity,
        order=return_request.order, reference=return_request.number,
        reason=f"Return {return_request.number}: {line.get_reason_display()}",
    )


def restock_warehouse(line: ReturnLine) -> Warehouse:
    """The warehouse the units shipped from, else the first active one."""
    allocation = (Allocation.objects.filter(order_line_id=line.order_line_id, quantity_consumed__gt=0)
                  .select_related("warehouse").order_by("pk").first())
    if allocation is not None:
        return allocation.warehouse
    warehouse = Warehouse.objects.filter(active=True).order_by("priority", "code").first()
    if warehouse is None:
        raise DomainError("There is no active warehouse to take the returned items in.")
    return warehouse
