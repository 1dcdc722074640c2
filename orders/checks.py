"""The order-data checks of the verification pipeline."""

from decimal import Decimal

from django.db.models import Sum

from orders.enums import OPEN_EXPOSURE_STATUSES, HoldReason
from orders.locks import lock_customer
from orders.models import Order
from orders.verification import CheckResult, register_check
from payments.enums import PaymentMethod


@register_check(name="order_data", label="Order data and address complete", position=10)
def check_order_data(order: Order, *, actor) -> CheckResult:
    lines = list(order.lines.all())
    if not lines:
        return CheckResult.hold(HoldReason.INVALID_DATA, "The order has no lines.")
    bad = [line.sku for line in lines if line.quantity <= 0]
    if bad:
        return CheckResult.hold(HoldReason.INVALID_DATA, f"Quantities must be positive ({', '.join(bad)}).")
    if not order.customer.email:
        return CheckResult.hold(HoldReason.INVALID_DATA, "The customer has no e-mail address.")
    missing = order.shipping_address.missing_fields()
    if missing:
        return CheckResult.hold(
            HoldReason.INCOMPLETE_ADDRESS, f"Shipping address is missing: {', '.join(missing)}.", missing=missing
        )
    return CheckResult.passed()


@register_check(name="customer_credit", label="Customer standing and credit limit", position=20)
def check_customer_credit(order: Order, *, actor) -> CheckResult:
    customer = order.customer
    if customer.on_hold:
        note = f": {customer.hold_note}" if customer.hold_note else ""
        return CheckResult.hold(HoldReason.CUSTOMER_ON_HOLD, f"Customer {customer.name} is on hold{note}.")
    if order.payment_method != PaymentMethod.TERMS:
        return CheckResult.passed()
    if customer.credit_limit is None:
        return CheckResult.hold(HoldReason.CREDIT_LIMIT, f"Customer {customer.name} has no account terms.")
    # Two terms orders of one customer verified at once must not both fit under the limit:
    # the customer row serializes them (locked after the order, as orders.locks orders it).
    lock_customer(customer.pk)
    open_total = (
        Order.objects.filter(
            customer_id=customer.pk, payment_method=PaymentMethod.TERMS, status__in=OPEN_EXPOSURE_STATUSES
        )
        .exclude(pk=order.pk)
        .aggregate(s=Sum("total"))["s"]
        or Decimal("0")
    )
    exposure = open_total + order.total
    if exposure > customer.credit_limit:
        return CheckResult.hold(
            HoldReason.CREDIT_LIMIT,
            f"Open orders {open_total} + this order {order.total} exceed the credit limit {customer.credit_limit}.",
            open_total=str(open_total),
            credit_limit=str(customer.credit_limit),
        )
    return CheckResult.passed()
