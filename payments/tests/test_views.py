from decimal import Decimal

import pytest
from django.urls import reverse

from payments.enums import PaymentMethod, PaymentStatus
from payments.models import Invoice, Payment, PaymentTransaction
from payments.services import invoice_issue
from payments.tests.conftest import DECLINED
from payments.tests.test_invoices import pdf_text
from tests.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db


def card_payment(place_order, **kwargs) -> Payment:
    return Payment.objects.get(order=place_order(**kwargs))


def test_the_payment_list_renders_with_a_fixed_number_of_queries(place_order, login, finance_user,
                                                                  django_assert_max_num_queries):
    for _ in range(5):
        place_order()
    client = login(finance_user)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("payments:payment_list"), {"status": "authorized"})
    assert response.status_code == 200
    assert response.content.count(b"Credit card") >= 5


def test_the_payment_detail_shows_transactions_and_actions(place_order, login, finance_user,
                                                           django_assert_max_num_queries):
    payment = card_payment(place_order)
    client = login(finance_user)
    with django_assert_max_num_queries(12):
        response = client.get(payment.get_absolute_url())
    content = response.content.decode()
    assert response.status_code == 200
    assert "Authorize" in content and "Capture" in content and "Void authorization" in content


def test_finance_captures_part_and_refunds_part_from_the_screen(place_order, login, finance_user):
    payment = card_payment(place_order, products=[ProductFactory(unit_price=Decimal("100.00"), tax_class="zero")])
    client = login(finance_user)
    client.post(reverse("payments:payment_capture", args=[payment.pk]), {"amount": "60.00", "request_key": "a"})
    response = client.post(reverse("payments:payment_refund", args=[payment.pk]),
                           {"amount": "20.00", "reason": "Goodwill", "request_key": "b"}, follow=True)
    assert "Refunded 20.00 USD." in response.content.decode()
    payment = Payment.objects.get(pk=payment.pk)
    assert (payment.captured_amount, payment.refunded_amount) == (Decimal("60.00"), Decimal("20.00"))


def test_a_double_submitted_refund_form_refunds_once(place_order, login, finance_user, ship):
    payment = Payment.objects.get(order=ship(place_order()))
    client = login(finance_user)
    url = reverse("payments:payment_refund", args=[payment.pk])
    for _ in range(2):
        client.post(url, {"amount": "1.00", "reason": "", "request_key": "same-form"})
    assert Payment.objects.get(pk=payment.pk).refunded_amount == Decimal("1.00")


@pytest.mark.parametrize("amount, message", [
    ("-5", "The amount must be more than zero."),
    ("9999", "is left to refund"),
])
def test_a_bad_refund_is_refused_with_a_clear_message_and_writes_nothing(place_order, login, finance_user, ship,
                                                                         amount, message):
    payment = Payment.objects.get(order=ship(place_order()))
    before = PaymentTransaction.objects.count()
    client = login(finance_user)
    response = client.post(reverse("payments:payment_refund", args=[payment.pk]),
                           {"amount": amount, "request_key": "x"}, follow=True)
    assert message in response.content.decode()
    assert PaymentTransaction.objects.count() == before


def test_an_unknown_currency_is_refused_by_the_manual_payment_form(place_order, login, finance_user):
    payment = card_payment(place_order, method=PaymentMethod.WIRE)
    client = login(finance_user)
    response = client.post(reverse("payments:payment_record_manual", args=[payment.pk]),
                           {"amount": "5.00", "currency": "XXX", "request_key": "k"}, follow=True)
    assert "Select a valid choice" in response.content.decode()
    assert not PaymentTransaction.objects.exists()


def test_finance_records_a_wire_received(place_order, login, finance_user):
    payment = card_payment(place_order, method=PaymentMethod.WIRE)
    client = login(finance_user)
    response = client.post(reverse("payments:payment_record_manual", args=[payment.pk]),
                           {"amount": str(payment.amount), "currency": "USD", "reference": "BANK-1",
                            "request_key": "k"}, follow=True)
    assert "Recorded" in response.content.decode()
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.CAPTURED


def test_sales_enters_a_new_card_after_a_decline_but_cannot_refund(place_order, login, sales_user):
    payment = card_payment(place_order, card=DECLINED)
    client = login(sales_user)
    response = client.post(reverse("payments:payment_card_update", args=[payment.pk]),
                           {"card_number": "4242 4242 4242 4242"}, follow=True)
    assert "Card ending 4242 saved" in response.content.decode()
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.PENDING
    refused = client.post(reverse("payments:payment_refund", args=[payment.pk]), {"amount": "1", "request_key": "k"})
    assert refused.status_code == 403


def test_warehouse_staff_cannot_see_payments(login, warehouse_user):
    assert login(warehouse_user).get(reverse("payments:payment_list")).status_code == 403


def test_the_invoice_list_filters_and_renders_with_a_fixed_number_of_queries(place_order, login, finance_user,
                                                                            django_assert_max_num_queries):
    invoices = [invoice_issue(actor=None, order=place_order()) for _ in range(4)]
    client = login(finance_user)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("payments:invoice_list"), {"q": invoices[0].number})
    content = response.content.decode()
    assert invoices[0].number in content and invoices[1].number not in content


def test_the_overdue_list_shows_only_invoices_past_due(place_order, login, finance_user):
    customer = CustomerFactory(credit_limit=Decimal("10000"))
    late = invoice_issue(actor=None, order=place_order(method=PaymentMethod.TERMS, customer=customer))
    Invoice.objects.filter(pk=late.pk).update(due_date="2020-01-01")
    current = invoice_issue(actor=None, order=place_order(method=PaymentMethod.TERMS, customer=customer))
    content = login(finance_user).get(reverse("payments:invoice_overdue")).content.decode()
    assert late.number in content and current.number not in content


def test_the_invoice_detail_and_pdf_render_for_staff(place_order, login, finance_user):
    invoice = invoice_issue(actor=None, order=place_order())
    client = login(finance_user)
    assert invoice.number in client.get(invoice.get_absolute_url()).content.decode()
    response = client.get(reverse("payments:invoice_pdf", args=[invoice.number]))
    assert response["Content-Type"] == "application/pdf"
    assert invoice.number in pdf_text(response.content)


def test_staff_issue_an_invoice_on_demand(place_order, login, finance_user):
    order = place_order()
    response = login(finance_user).post(reverse("payments:invoice_issue", args=[order.pk]), follow=True)
    assert f"Invoice {Invoice.objects.get(order=order).number} issued." in response.content.decode()


def test_the_customer_downloads_the_invoice_with_the_tracking_token(client, place_order):
    order = place_order()
    invoice = invoice_issue(actor=None, order=order)
    response = client.get(reverse("invoice_pdf_customer", args=[order.tracking_token, invoice.number]))
    assert response.status_code == 200 and str(invoice.total) in pdf_text(response.content)
    other = place_order()
    assert client.get(reverse("invoice_pdf_customer", args=[other.tracking_token, invoice.number])).status_code == 404


def test_the_order_payment_panel_renders(place_order, rf, finance_user):
    from django.template import Context, Template

    order = place_order()
    html = Template("{% load payments_tags %}{% order_payment_panel order %}").render(
        Context({"order": order, "perms": None}))
    assert "Authorized" in html


def test_finance_asks_the_gateway_again_about_an_unanswered_authorization(place_order, login, finance_user):
    from payments.tests.conftest import SLOW

    payment = card_payment(place_order, card=SLOW)
    client = login(finance_user)
    assert "Ask the gateway again" in client.get(payment.get_absolute_url()).content.decode()
    response = client.post(reverse("payments:payment_retry_unknown", args=[payment.pk]), follow=True)
    assert "1 now settled" in response.content.decode()
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.AUTHORIZED
