"""Row locks for payments. Lock order everywhere: the order row, then its payment, then invoices."""

from payments.models import Invoice, Payment


def lock_payment(payment_id: int) -> Payment:
    return Payment.objects.select_for_update().get(pk=payment_id)


def lock_invoice(invoice_id: int) -> Invoice:
    return Invoice.objects.select_for_update().get(pk=invoice_id)
