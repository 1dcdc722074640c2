"""The one place returns touch stock: restocked units go back on the shelf through inventory's
ledger (a `return_restock` movement, which announces the stock so waiting backorders are
allocated); scrapped units never re-enter stock, so they only leave a record on the return line."""

from returns.models import ReturnLine, ReturnRequest


def restock_returned_units(*, actor, return_request: ReturnRequest, line: ReturnLine, quantity: int) -> None:
    from inventory.services import stock_return_restock

    stock_return_restock(
        actor=actor, product=line.order_line.product, warehouse=restock_warehouse(line), quantity=quantity,
        order=return_request.order, reference=return_request.number,
        reason=f"Return {return_request.number}: {line.get_reason_display()}",
    )


def restock_warehouse(line: ReturnLine):
    """The warehouse the units shipped from, else the first active one."""
    from inventory.models import Allocation, Warehouse

    allocation = (Allocation.objects.filter(order_line_id=line.order_line_id, quantity_consumed__gt=0)
                  .select_related("warehouse").order_by("pk").first())
    if allocation is not None:
        return allocation.warehouse
    warehouse = Warehouse.objects.filter(active=True).order_by("priority", "code").first()
    if warehouse is None:
        from oms.exceptions import DomainError

        raise DomainError("There is no active warehouse to restock the returned items into.")
    return warehouse
