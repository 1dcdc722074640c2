import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from pypdf import PdfReader

from oms.exceptions import DomainError, TransitionRefused
from payments.documents import invoice_pdf
from payments.enums import InvoiceStatus, PaymentMethod
from payments.models import CreditNote, Invoice, Payment
from payments.services import (
    credit_note_issue,
    invoice_issue,
    invoice_void,
    invoices_mark_overdue,
    payment_record_manual,
    payment_refund,
)
from tests.factories import CustomerFactory, ProductFactory, make_order

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def terms_order(place_order, **kwargs):
    return place_order(method=PaymentMethod.TERMS, customer=CustomerFactory(credit_limit=Decimal("10000")), **kwargs)


def test_invoices_are_numbered_per_year_in_sequence(place_order):
    first = invoice_issue(actor=None, order=place_order())
    second = invoice_issue(actor=None, order=place_order())
    assert first.number == f"INV-{YEAR}-000001"
    assert second.number == f"INV-{YEAR}-000002"


def test_issuing_twice_returns_the_same_invoice(place_order):
    order = place_order()
    assert invoice_issue(actor=None, order=order).pk == invoice_issue(actor=None, order=order).pk
    assert Invoice.objects.count() == 1


def test_an_invoice_snapshots_seller_buyer_lines_and_tax(place_order, settings):
    settings.OMS_SELLER = {**settings.OMS_SELLER, "name": "Acme Seller"}
    products = [ProductFactory(unit_price=Decimal("10.00"), tax_class="standard"),
                ProductFactory(unit_price=Decimal("5.00"), tax_class="reduced")]
    order = place_order(products=products, quantities=[3, 1], shipping_total=Decimal("4.95"))
    invoice = invoice_issue(actor=None, order=order)
    lines = list(invoice.lines.all())
    assert invoice.seller["name"] == "Acme Seller"
    assert invoice.buyer["name"] == order.customer.name and "12 Analytical Way" in invoice.buyer["address"]
    assert [(l.net_amount, l.tax_rate, l.tax_amount, l.total) for l in lines] == [
        (Decimal("30.00"), Decimal("0.0800"), Decimal("2.40"), Decimal("32.40")),
        (Decimal("5.00"), Decimal("0.0400"), Decimal("0.20"), Decimal("5.20")),
        (Decimal("4.95"), Decimal("0"), Decimal("0"), Decimal("4.95")),
    ]
    assert invoice.subtotal == Decimal("39.95") and invoice.tax_total == Decimal("2.60")
    assert invoice.total == order.total == Decimal("42.55")


def test_an_invoice_on_terms_is_due_in_30_days_and_open(place_order):
    order = terms_order(place_order)
    invoice = invoice_issue(actor=None, order=order)
    assert invoice.status == InvoiceStatus.OPEN
    assert invoice.due_date == timezone.localdate(invoice.issued_at) + timedelta(days=30)


def test_a_draft_order_cannot_be_invoiced():
    with pytest.raises(TransitionRefused, match="cannot be invoiced"):
        invoice_issue(actor=None, order=make_order())
    assert not Invoice.objects.exists()


def test_recording_the_payment_marks_the_open_invoice_paid(place_order):
    order = terms_order(place_order)
    invoice = invoice_issue(actor=None, order=order)
    payment_record_manual(actor=None, order=order, amount=order.total, currency=order.currency)
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert invoice.status == InvoiceStatus.PAID and invoice.paid_at is not None


def test_open_invoices_past_their_due_date_become_overdue(place_order):
    invoice = invoice_issue(actor=None, order=terms_order(place_order))
    assert invoices_mark_overdue(today=invoice.due_date) == 0
    assert invoices_mark_overdue(today=invoice.due_date + timedelta(days=1)) == 1
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.OVERDUE
    assert invoices_mark_overdue(today=invoice.due_date + timedelta(days=2)) == 0


def test_a_voided_invoice_keeps_its_number_and_a_new_one_can_be_issued(place_order):
    order = terms_order(place_order)
    first = invoice_void(actor=None, invoice=invoice_issue(actor=None, order=order))
    second = invoice_issue(actor=None, order=order)
    assert first.status == InvoiceStatus.VOID
    assert second.number == f"INV-{YEAR}-000002"


def test_a_paid_invoice_cannot_be_voided(place_order, ship):
    order = ship(place_order())
    with pytest.raises(TransitionRefused, match="cannot be voided"):
        invoice_void(actor=None, invoice=Invoice.objects.get(order=order))


def test_a_refund_of_an_invoiced_order_issues_a_credit_note(place_order, ship):
    order = ship(place_order(products=[ProductFactory(unit_price=Decimal("100.00"))]))
    payment = Payment.objects.get(order=order)
    row = payment_refund(actor=None, payment=payment, amount=Decimal("54.00"), reason="Damaged item")
    note = CreditNote.objects.get(transaction=row)
    assert note.number == f"CN-{YEAR}-000001"
    assert note.amount == Decimal("54.00") and note.tax_amount == Decimal("4.00")
    assert note.invoice.order == order and note.reason == "Damaged item"


def test_a_credit_note_cannot_exceed_what_is_left_on_the_invoice(place_order):
    invoice = invoice_issue(actor=None, order=place_order())
    with pytest.raises(DomainError, match="left to credit"):
        credit_note_issue(actor=None, invoice=invoice, amount=invoice.total + Decimal("0.01"))
    assert not CreditNote.objects.exists()


def test_the_invoice_pdf_contains_the_number_and_the_total(place_order):
    invoice = invoice_issue(actor=None, order=place_order())
    text = pdf_text(invoice_pdf(invoice))
    assert invoice.number in text
    assert f"{invoice.total} USD" in text


def test_issuing_an_invoice_emails_it_with_the_pdf_once(place_order, django_capture_on_commit_callbacks):
    from notifications.models import Notification
    from notifications.services import notification_send

    order = place_order()
    mail.outbox.clear()  # fulfillment's e-mails about the order (received, confirmed)
    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_issue(actor=None, order=order)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [order.customer.email] and invoice.number in message.subject
    name, content, mimetype = message.attachments[0]
    assert name == f"{invoice.number}.pdf" and mimetype == "application/pdf"
    assert invoice.number in pdf_text(content)
    sent = Notification.objects.get(about_type="payments.invoice", about_id=str(invoice.pk))
    assert notification_send(notification_id=sent.pk) is False
    assert len(mail.outbox) == 1
