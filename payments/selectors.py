"""Reads for the payment screens, the order page and other apps (orders asks these)."""

from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from orders.selectors import orders_customers_may_see
from payments.enums import PAY_BEFORE_RELEASE_METHODS, InvoiceStatus, OrderPaymentStatus, PaymentStatus
from payments.models import Invoice, Payment, PaymentTransaction, TaxRate


def order_payment(order) -> Payment | None:
    return Payment.objects.filter(order_id=order.pk).first()


def payment_status_of(order, payment: Payment | None) -> OrderPaymentStatus:
    """The order's payment status, derived from its payment's amounts."""
    if payment is None:
        return OrderPaymentStatus.UNPAID
    if payment.refunded_amount > 0:
        if payment.refunded_amount >= payment.captured_amount:
            return OrderPaymentStatus.REFUNDED
        return OrderPaymentStatus.PARTIALLY_REFUNDED
    if payment.captured_amount > 0:
        if payment.captured_amount >= order.total:
            return OrderPaymentStatus.PAID
        return OrderPaymentStatus.PARTIALLY_PAID
    if payment.status == PaymentStatus.AUTHORIZED:
        return OrderPaymentStatus.AUTHORIZED
    return OrderPaymentStatus.UNPAID


def order_payment_status(order) -> OrderPaymentStatus:
    return payment_status_of(order, order_payment(order))


def payment_allows_release(order) -> bool:
    """Wire and ACH orders are paid before they are released to the warehouse."""
    if order.payment_method not in PAY_BEFORE_RELEASE_METHODS:
        return True
    payment = order_payment(order)
    return payment is not None and payment.captured_amount - payment.refunded_amount >= order.total


def tax_rate_lookup(*, tax_class: str, country: str) -> Decimal | None:
    """The destination country's rate for the tax class, or None if the table has none."""
    if not country:
        return None
    return TaxRate.objects.filter(country=country.upper(), tax_class=tax_class).values_list("rate", flat=True).first()


def payment_list(*, status: str = "", method: str = "", query: str = "") -> QuerySet[Payment]:
    payments = Payment.objects.for_list()
    if status:
        payments = payments.filter(status=status)
    if method:
        payments = payments.filter(method=method)
    if query:
        payments = payments.filter(Q(order__number__icontains=query) | Q(order__customer__name__icontains=query))
    return payments


def payment_transactions(payment: Payment) -> QuerySet[PaymentTransaction]:
    return payment.transactions.select_related("actor").order_by("created_at", "pk")


def invoice_list(*, status: str = "", query: str = "", issued_from=None, issued_to=None,
                 overdue_only: bool = False) -> QuerySet[Invoice]:
    invoices = Invoice.objects.for_list()
    if overdue_only:
        invoices = invoices.filter(
            Q(status=InvoiceStatus.OVERDUE) | Q(status=InvoiceStatus.OPEN, due_date__lt=timezone.localdate())
        ).order_by("due_date", "pk")
    if status:
        invoices = invoices.filter(status=status)
    if query:
        invoices = invoices.filter(Q(number__icontains=query) | Q(order__number__icontains=query)
                                   | Q(buyer__name__icontains=query))
    if issued_from:
        invoices = invoices.filter(issued_at__date__gte=issued_from)
    if issued_to:
        invoices = invoices.filter(issued_at__date__lte=issued_to)
    return invoices


def invoice_for_customer(*, tracking_token: str, number: str) -> Invoice | None:
    """The invoice, if `number` belongs to the order with that tracking token (the customer's link)."""
    if not tracking_token:
        return None
    return (Invoice.objects.select_related("order").exclude(status=InvoiceStatus.VOID)
            .filter(number=number, order__in=orders_customers_may_see().filter(tracking_token=tracking_token))
            .first())


def invoices_for_customer(order) -> list[Invoice]:
    """The invoices the tracking page lists for the customer (link: `invoice_pdf_customer`)."""
    return list(order.invoices.exclude(status=InvoiceStatus.VOID).order_by("issued_at", "pk"))


def settled_orders_filter() -> Q:
    """`order_is_settled` as SQL over an order queryset (a live invoice is paid, or the payment
    covers the total with nothing refunded), so a sweep fetches only orders it will complete."""
    live_invoice = Invoice.objects.filter(order=OuterRef("pk")).exclude(status=InvoiceStatus.VOID)
    paid_in_full = Payment.objects.filter(order=OuterRef("pk"), refunded_amount=0,
                                          captured_amount__gte=OuterRef("total"))
    return Exists(live_invoice) & (Exists(live_invoice.filter(status=InvoiceStatus.PAID)) | Exists(paid_in_full))


def order_is_settled(order) -> bool:
    """Invoiced and paid: a live invoice exists, and it is paid or the payment covers the total
    (orders asks this to complete a delivered order)."""
    invoices = invoices_for_customer(order)
    if not invoices:
        return False
    if all(invoice.status == InvoiceStatus.PAID for invoice in invoices):
        return True
    return order_payment_status(order) == OrderPaymentStatus.PAID


def payment_statuses_for(orders) -> dict[int, OrderPaymentStatus]:
    """Derived payment status of many orders in one query (for order lists): {order id: status}."""
    orders = list(orders)
    payments = {p.order_id: p for p in Payment.objects.filter(order_id__in=[o.pk for o in orders])}
    return {order.pk: payment_status_of(order, payments.get(order.pk)) for order in orders}
