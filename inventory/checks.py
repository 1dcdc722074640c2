"""Stock allocation as a step of the order verification pipeline."""

from inventory.services import allocation_allocate_order
from orders.enums import HoldReason
from orders.verification import CheckResult, register_check


@register_check(name="stock_allocation", label="Stock allocated", position=30, external=False)
def check_stock_allocation(order, *, actor) -> CheckResult:
    """Allocate the order's lines inside the verifying transaction (the order row is locked).

    Short lines backorder the order, keeping what could be allocated; if a short line's
    product does not allow backorders, nothing new is allocated and the order is held
    as out of stock (its stock stays free for orders that can ship).
    """
    outcome = allocation_allocate_order(actor=actor, order=order)
    if outcome.held:
        return CheckResult.hold(HoldReason.OUT_OF_STOCK, f"Not enough stock and no backorder allowed: {outcome.describe(outcome.held)}.",
                                short={line.sku: missing for line, missing in outcome.held})
    if outcome.short:
        return CheckResult.backorder(f"Waiting for stock: {outcome.describe(outcome.short)}.",
                                     short={line.sku: missing for line, missing in outcome.short})
    where = f" from {', '.join(outcome.warehouses)}" if outcome.warehouses else ""
    return CheckResult.passed(f"All lines allocated{where}.")
