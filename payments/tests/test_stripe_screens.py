"""Staff screens in Stripe mode: the card is taken by Stripe's card field (only a PaymentMethod id
is posted), and a disputed payment is flagged on the order page, the payment page and the admin."""

import pytest
from django.urls import reverse

from orders.models import Order
from payments.enums import PaymentStatus
from payments.models import Payment
from payments.services import payment_capture, payment_dispute_open
from payments.tests.test_stripe_gateway import authorized, submitted
from orders.tests.test_views import entry_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def stripe_js(settings, stripe_api):
    settings.STRIPE_JS_URL = f"{settings.STRIPE_API_BASE}/v3/"
    return settings.STRIPE_JS_URL


def test_the_order_form_takes_no_card_number_in_stripe_mode(login, sales_user, stripe_js):
    page = login(sales_user).get(reverse("orders:order_create")).content.decode()
    assert 'name="card_number"' not in page
    assert 'type="hidden" name="payment_method_id"' in page
    assert f'<script src="{stripe_js}"></script>' in page and "/static/js/stripe_card.js" in page
    assert 'data-publishable-key="pk_test_fake"' in page and "sk_test" not in page


def test_without_stripe_js_configured_the_form_says_cards_cannot_be_entered(login, sales_user, stripe_api):
    page = login(sales_user).get(reverse("orders:order_create")).content.decode()
    assert "Stripe's card field is not configured" in page and "<script src=\"\"" not in page


def test_an_order_entered_with_a_stripe_payment_method_keeps_only_its_id_and_last_digits(
        login, sales_user, stripe_js, settings):
    """Proves the staff order form posts the PaymentMethod id Stripe.js made, and a card
    number slipped into the post is not read."""
    settings.OMS_AUTO_VERIFY = False
    response = login(sales_user).post(reverse("orders:order_create"), entry_post(
        submit_action="submit", payment_method_id="pm_card_visa", card_number="4000000000000002"))

    payment = Payment.objects.get(order=Order.objects.get())
    assert response.status_code == 302
    assert (payment.source_token, payment.card_last4) == ("pm_card_visa", "4242")


def test_a_payment_method_stripe_does_not_know_is_refused_on_the_order_form(login, sales_user, stripe_js):
    response = login(sales_user).post(reverse("orders:order_create"),
                                      entry_post(submit_action="submit", payment_method_id="pm_nope"))
    assert response.status_code == 400 and "Stripe does not know that card" in response.content.decode()
    assert not Order.objects.exists()


def test_after_a_decline_a_new_stripe_card_is_saved_on_the_payment_page(
        login, finance_user, stripe_js, django_capture_on_commit_callbacks):
    order = submitted(django_capture_on_commit_callbacks, payment_method="pm_card_chargeDeclined")
    payment = Payment.objects.get(order=order)
    client = login(finance_user)
    page = client.get(payment.get_absolute_url()).content.decode()
    assert 'name="card_number"' not in page and 'name="payment_method_id"' in page

    response = client.post(reverse("payments:payment_card_update", args=[payment.pk]),
                           {"payment_method_id": "pm_card_mastercard"}, follow=True)

    payment.refresh_from_db()
    assert "Card ending 4444 saved" in response.content.decode()
    assert payment.status == PaymentStatus.PENDING and payment.source_token == "pm_card_mastercard"


def test_a_disputed_payment_is_flagged_on_the_order_page_the_payment_page_and_the_admin(
        login, finance_user, admin_client, stripe_api, django_capture_on_commit_callbacks):
    payment = authorized(django_capture_on_commit_callbacks)
    payment_capture(actor=None, payment=payment)
    payment_dispute_open(payment=payment, reference="dp_fake1", amount="50.00", reason="fraudulent")
    admin_list = admin_client.get(reverse("admin:payments_payment_changelist") + "?disputed=yes").content.decode()
    client = login(finance_user)  # the same test client, signed in again

    order_page = client.get(payment.order.get_absolute_url()).content.decode()
    payment_page = client.get(payment.get_absolute_url()).content.decode()
    payment_list = client.get(reverse("payments:payment_list")).content.decode()

    for page in (order_page, payment_page):
        assert "<strong>Disputed</strong> by the customer's bank: 50.00 USD (fraudulent)" in page
        assert "dp_fake1" in page
    assert "Payment disputed by the customer&#x27;s bank: 50.00 USD (fraudulent)" in order_page  # the timeline
    assert ">Disputed</span>" in payment_list
    assert f'href="/admin/payments/payment/{payment.pk}/change/' in admin_list


def test_a_payment_without_a_dispute_shows_no_flag(login, finance_user, stripe_api,
                                                   django_capture_on_commit_callbacks):
    payment = authorized(django_capture_on_commit_callbacks)
    page = login(finance_user).get(payment.get_absolute_url()).content.decode()
    assert "data-dispute-flag" not in page


def test_the_payment_page_shows_a_partial_shipment_capture_keeping_the_rest_authorized(
        login, finance_user, stripe_api, django_capture_on_commit_callbacks, ship, settings):
    from payments.tests.test_stripe_order_changes import TEN, THIRTY, confirmed

    settings.OMS_TAX_RATES = {}
    order = confirmed(django_capture_on_commit_callbacks, prices=[TEN, THIRTY], quantities=[2, 1])
    ship(order, {order.lines.get(unit_price=TEN).pk: 1})
    payment = Payment.objects.get(order=order)

    page = login(finance_user).get(payment.get_absolute_url()).content.decode()

    assert "Part of the order shipped." in page and "the rest stays authorized" in page
    assert payment.status == PaymentStatus.PARTIALLY_CAPTURED
