"""The refund-by-line screen: it renders for finance, shows the server's amounts before anything is
refunded, refunds once however often it is submitted, and answers bad input with 400 and the
form's error, never 500."""

from decimal import Decimal

import pytest
from django.urls import reverse

from payments.models import Payment
from returns import services
from returns.enums import RefundStatus
from returns.models import Refund
from returns.services import RefundLineInput

pytestmark = pytest.mark.django_db


def _url(order) -> str:
    return reverse("returns:refund_create", args=[order.number])


def _lines(order):
    return list(order.lines.order_by("position", "pk"))


def _post(client, order, *, key="form-1", confirm=False, total=None, reason="Damaged in transit", **fields):
    data = {"request_key": key, "reason": reason, **fields}
    if confirm:
        data.update({"confirm": "1", "previewed_total": total})
    else:
        data["preview"] = "1"
    return client.post(_url(order), data)


def test_the_form_lists_each_line_with_what_is_left_to_refund(delivered_order, login, finance_user,
                                                              django_assert_max_num_queries):
    order = delivered_order()
    first, second = _lines(order)
    services.refund_issue(actor=None, order=order, request_key="earlier",
                          lines=[RefundLineInput(order_line_id=first.pk, quantity=1)])
    client = login(finance_user)

    with django_assert_max_num_queries(20):
        response = client.get(_url(order))

    assert response.status_code == 200
    page = response.content.decode()
    assert f'name="qty_{first.pk}"' in page and f'name="restock_{second.pk}"' in page
    assert 'name="refund_shipping"' in page and "5.00 USD" in page
    rows = {row.line.pk: row.refundable for row in response.context["form"].refundable}
    assert rows == {first.pk: 2, second.pk: 1}
    assert "RF-" in page  # the earlier refund is listed


def test_the_amounts_are_shown_before_anything_is_refunded(delivered_order, login, finance_user):
    order = delivered_order()
    first, second = _lines(order)
    client = login(finance_user)

    response = _post(client, order, **{f"qty_{first.pk}": "2", f"restock_{first.pk}": "on", f"qty_{second.pk}": "0",
                                       "refund_shipping": "on"})

    assert response.status_code == 200
    assert response.context["plan"].total == Decimal("45.00")
    assert 'id="refund-confirm"' in response.content.decode()
    assert not Refund.objects.exists() and Payment.objects.get(order=order).refunded_amount == 0


def test_confirming_refunds_and_returns_to_the_order(delivered_order, login, finance_user):
    order = delivered_order()
    first = _lines(order)[0]
    client = login(finance_user)

    response = _post(client, order, confirm=True, total="40.00",
                     **{f"qty_{first.pk}": "2", f"restock_{first.pk}": "on"})

    assert response.status_code == 302 and response.url == order.get_absolute_url()
    refund = Refund.objects.get()
    assert refund.status == RefundStatus.SUCCEEDED and refund.created_by == finance_user
    assert refund.reason == "Damaged in transit"
    page = client.get(order.get_absolute_url()).content.decode()
    assert f"Refund {refund.number}: 40.00 USD refunded." in page and 'id="refund-by-line"' in page


def test_a_double_submit_of_the_confirmed_form_refunds_once(delivered_order, login, finance_user):
    order = delivered_order()
    first = _lines(order)[0]
    client = login(finance_user)
    fields = {f"qty_{first.pk}": "3"}

    responses = [_post(client, order, confirm=True, total="60.00", **fields) for _ in range(2)]

    assert [r.status_code for r in responses] == [302, 302]
    assert Refund.objects.count() == 1
    assert Payment.objects.get(order=order).refunded_amount == Decimal("60.00")


def test_a_confirmation_whose_amount_changed_meanwhile_is_refused_with_the_new_amounts(delivered_order, login,
                                                                                       finance_user):
    order = delivered_order()
    first = _lines(order)[0]
    client = login(finance_user)

    response = _post(client, order, confirm=True, total="19.00", **{f"qty_{first.pk}": "1"})

    assert response.status_code == 400
    assert "not the 19.00 shown" in response.context["error"]
    assert response.context["plan"].total == Decimal("20.00")
    assert not Refund.objects.exists()


@pytest.mark.parametrize("quantity, message", [
    ("-1", "greater than or equal to 0"),
    ("two", "Enter a whole number"),
    ("1.5", "Enter a whole number"),
])
def test_a_quantity_that_is_not_a_count_of_units_answers_400(delivered_order, login, finance_user, quantity,
                                                             message):
    order = delivered_order()
    first = _lines(order)[0]
    response = _post(login(finance_user), order, confirm=True, total="20.00", **{f"qty_{first.pk}": quantity})
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[f"qty_{first.pk}"])
    assert not Refund.objects.exists()


def test_a_line_of_another_order_answers_400(delivered_order, login, finance_user):
    order, other = delivered_order(), delivered_order()
    stranger = _lines(other)[0]
    response = _post(login(finance_user), order, confirm=True, total="20.00", **{f"qty_{stranger.pk}": "1"})
    assert response.status_code == 400
    assert f"Line {stranger.pk} is not part of order {order.number}." in response.content.decode()
    assert not Refund.objects.exists()


@pytest.mark.parametrize("fields, message", [
    ({}, "Choose at least one unit to refund."),
    ({"qty_{first}": "4"}, "at most 3 can be refunded"),
    ({"qty_{first}": "1", "reason": ""}, "This field is required."),
    ({"qty_{first}": "1", "request_key": ""}, "This form lost its request key"),
    ({"qty_{first}": "1", "request_key": "k" * 65}, "request key is broken"),
])
def test_bad_input_answers_400_with_the_form_error(delivered_order, login, finance_user, fields, message):
    order = delivered_order()
    first = _lines(order)[0]
    data = {"reason": "Damaged in transit", "request_key": "form-1", "preview": "1"}
    data.update({key.format(first=first.pk): value for key, value in fields.items()})
    response = login(finance_user).post(_url(order), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Refund.objects.exists()


def test_people_without_the_refund_permission_are_refused(delivered_order, login, sales_user):
    order = delivered_order()
    client = login(sales_user)
    assert client.get(_url(order)).status_code == 403
    assert client.post(_url(order), {"request_key": "x", "confirm": "1"}).status_code == 403
    assert 'id="refund-by-line"' not in client.get(order.get_absolute_url()).content.decode()


def test_an_unknown_order_is_a_404(login, finance_user):
    assert login(finance_user).get(reverse("returns:refund_create", args=["SO-999999"])).status_code == 404


def test_the_payment_page_leads_to_the_refund_by_line(delivered_order, login, finance_user):
    order = delivered_order()
    page = login(finance_user).get(Payment.objects.get(order=order).get_absolute_url()).content.decode()
    assert _url(order) in page


def test_the_admin_shows_a_refund_with_its_lines(delivered_order, admin_client):
    order = delivered_order()
    refund = services.refund_issue(actor=None, order=order, request_key="form-1", lines=[
        RefundLineInput(order_line_id=_lines(order)[0].pk, quantity=2, restock=True)])
    assert refund.number in admin_client.get(reverse("admin:returns_refund_changelist")).content.decode()
    page = admin_client.get(reverse("admin:returns_refund_change", args=[refund.pk])).content.decode()
    assert "40.00" in page and _lines(order)[0].sku in page
    assert admin_client.get(reverse("admin:returns_refund_add")).status_code == 403


def test_a_refund_the_gateway_declines_is_reported_and_its_units_stay_refundable(delivered_order, login,
                                                                                 finance_user, settings):
    order = delivered_order()
    first = _lines(order)[0]
    settings.OMS_PAYMENT_GATEWAY = "returns.tests.test_refund_by_line.RefundDeclinedGateway"
    client = login(finance_user)

    response = _post(client, order, confirm=True, total="20.00", **{f"qty_{first.pk}": "1"})

    assert response.status_code == 302
    refund = Refund.objects.get()
    assert refund.status == RefundStatus.FAILED
    assert f"Refund {refund.number} was refused: The card is closed." in client.get(response.url).content.decode()
    form = client.get(_url(order)).context["form"]
    assert {row.line.pk: row.refundable for row in form.refundable}[first.pk] == 3
